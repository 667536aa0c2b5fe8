/**
 * The stack configuration's keys: one table that `Pulumi.yaml` declares again under `config:`
 * (a unit test keeps the two equal) and that the parser in `config.ts` reads.
 *
 * Every key lives in the project's namespace, so a stack file says `vpp-server:vlanId: 123`
 * and a user types `pulumi config set vlanId 123`.
 */

/** The project's name: the namespace of every configuration key. */
export const PROJECT = "vpp-server";

/** The types Pulumi's project file can declare for a configuration key. */
export type ConfigType = "string" | "integer" | "boolean" | "array";

/** One configuration key as `Pulumi.yaml` declares it. */
export interface KeySpec {
    readonly type: ConfigType;
    /** Shown by `pulumi config` and in the README's reference. */
    readonly description: string;
    /** Absent for the required keys: the Pulumi CLI then refuses to run without them. */
    readonly default?: string | number | boolean | readonly string[];
}

/** The capabilities of the POC's published image's `vpp` binary (its file capabilities). */
export const POC_IMAGE_CAPABILITIES = ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_BROADCAST"] as const;

/** The published image of the proof of concept (Fedora 41, VPP 24.10). */
export const POC_IMAGE = "quay.io/akaris/vpp-server:latest";

export const KEYS = {
    macvlanMaster: {
        type: "string",
        description: "Worker node interface the macvlan0 interface is a slave of (for example eno8403np1).",
    },
    vlanId: {
        type: "integer",
        description: "802.1Q VLAN ID that VPP implements in userspace on top of macvlan0 (1-4094).",
    },
    ipAddress: {
        type: "string",
        description: "IPv4 address/prefix VPP assigns to host-macvlan0.<vlanId> (for example 192.168.123.150/24).",
    },
    namespace: {
        type: "string",
        description:
            "Namespace the server runs in. Created and owned by this stack when it does not exist; an existing one that no stack made is used, never deleted; another stack's is refused.",
        default: "vpp-server",
    },
    image: {
        type: "string",
        description:
            "Container image holding vpp and vppctl, whose vpp binary carries imageCapabilities as file capabilities: repo:tag, repo@sha256:<digest> or repo:tag@sha256:<digest>; a digest pins it (a warning says so when the tag is latest).",
        default: POC_IMAGE,
    },
    imageCapabilities: {
        type: "array",
        description:
            "The file capabilities of the image's vpp binary; the SCC allows and the container adds exactly these. The POC image: NET_ADMIN, NET_RAW, IPC_LOCK, NET_BROADCAST; this project's Containerfile: NET_ADMIN, NET_RAW, IPC_LOCK.",
        default: [...POC_IMAGE_CAPABILITIES],
    },
    macvlanMode: {
        type: "string",
        description: "macvlan mode of the NetworkAttachmentDefinition: bridge, private, vepa or passthru.",
        default: "bridge",
    },
    macAddress: {
        type: "string",
        description:
            "MAC of macvlan0 and VPP's host-macvlan0: 'random' (a stable, locally administered MAC generated once per stack), 'kernel' (whatever the kernel gives, new on every pod start, as the POC) or a unicast MAC such as 02:00:5e:10:00:01.",
        default: "random",
    },
    disableIpv6: {
        type: "boolean",
        description:
            "Disable IPv6 on macvlan0 (the CNI tuning plugin, chained after macvlan), so the kernel holds no address and never answers on the interface VPP owns. OpenShift's default tuning allowlist permits it.",
        default: true,
    },
    httpCacheSize: {
        type: "string",
        description: "Cache size of VPP's static HTTP server: a whole number with an optional k, m or g suffix.",
        default: "512m",
    },
    afPacketVersion: {
        type: "integer",
        description:
            "AF_PACKET ring VPP opens on macvlan0: 2 (TPACKET_V2, `create host-interface v2`: each frame reaches VPP at once) or 3 (TPACKET_V3, the POC's: a block that is not full waits up to 1 ms, so each request does).",
        default: 2,
    },
    pollSleepUsec: {
        type: "string",
        description:
            "unix { poll-sleep-usec }: microseconds VPP's main thread sleeps on every pass of its loop, under load too. auto: 10000 while a worker carries the traffic (the main thread then serves only the CLI, timers and the worker's requests: idle CPU 3.4% -> 1.4% of a core), nothing when VPP runs without a worker; 0 writes nothing (VPP sleeps by itself when idle, unless adaptiveSessionQueue is false: then it busy-polls a core as the POC); a number: that sleep, with or without a worker.",
        default: "auto",
    },
    adaptiveSessionQueue: {
        type: "boolean",
        description:
            "session { use-private-rx-mqs }: lets VPP's session layer switch between polling and interrupts by load.",
        default: true,
    },
    workers: {
        type: "integer",
        description:
            "VPP worker threads: 0 or 1. The worker and the main thread are pinned to CPUs the container may use, chosen when it starts; with one CPU VPP starts without the worker and logs it. Under load the worker uses a whole core.",
        default: 1,
    },
    rxMode: {
        type: "string",
        description:
            "How host-macvlan0's receive queue wakes VPP: interrupt (VPP sleeps until a frame arrives), polling (a thread spins on the ring, one whole core), or auto: polling with dedicatedCores (the core is VPP's anyway), interrupt otherwise.",
        default: "auto",
    },
    metrics: {
        type: "string",
        description:
            "Where VPP's counters go: none; vlan (VPP's prom plugin serves the interface, error, buffer and session counters it has used at http://<ipAddress>/stats.prom, for a Prometheus on the lab VLAN); or cluster (a second container runs VPP's vpp_prometheus_export on the pod network, port 9482, with a Service, a PodMonitor for the cluster's monitoring and a NetworkPolicy that admits only the monitoring namespaces; the cluster must serve monitoring.coreos.com/v1 PodMonitor).",
        default: "none",
    },
    gratuitousArp: {
        type: "boolean",
        description:
            "Announce the address with a gratuitous ARP once the HTTP server is up, so clients' caches are fresh.",
        default: true,
    },
    indexHtml: {
        type: "string",
        description: "Content of /index.html served by VPP.",
        default: "Welcome\n",
    },
    cpuRequest: {
        type: "string",
        description:
            "CPU request of the VPP container (a Kubernetes quantity). Idle, VPP uses 1.0% to 1.4% of a core with the defaults; under load its worker (or, without one, its main thread) uses a whole core: request 1 or more for a lab that must serve at full speed on a busy node.",
        default: "200m",
    },
    cpuLimit: {
        type: "string",
        description: "CPU limit of the VPP container; empty for none (a limit throttles VPP's polling loop).",
        default: "",
    },
    memory: {
        type: "string",
        description:
            "Memory request and limit of the VPP container: 'auto' (VPP's heap, its locked AF_PACKET rings and httpCacheSize) or a Kubernetes quantity.",
        default: "auto",
    },
    dedicatedCores: {
        type: "boolean",
        description:
            "Give VPP's threads exclusive whole CPUs: the VPP container requests and is limited to workers + 1 CPUs, every container's requests equal its limits (Guaranteed QoS), so the static CPU manager pins it to its own cores. false: shared CPUs, cpuRequest and no CPU limit.",
        default: false,
    },
    runtimeClassName: {
        type: "string",
        description:
            "RuntimeClass of the pod, for example a PerformanceProfile's (performance-<profile>), which honours the CRI-O CPU isolation annotations dedicatedCores adds; empty for the cluster's default.",
        default: "",
    },
    denyClusterNetwork: {
        type: "boolean",
        description:
            "A NetworkPolicy that denies all traffic on the pod's cluster network (eth0), which VPP never uses; its VLAN traffic on macvlan0 is not subject to NetworkPolicy.",
        default: true,
    },
    adopt: {
        type: "boolean",
        description:
            "Take over existing objects of the lab's names that no stack made (for example the proof of concept's, from make deploy): this stack then owns them and pulumi destroy deletes them. Objects of another stack are never taken.",
        default: false,
    },
    nodeSelector: {
        type: "array",
        description: "Node labels the pod must run on, each 'key=value' (for example kubernetes.io/hostname=worker01).",
        default: [],
    },
    renderDir: {
        type: "string",
        description:
            "When set, `pulumi up` writes the manifests as YAML into this directory (relative to the project) and touches no cluster.",
        default: "",
    },
} as const satisfies Record<string, KeySpec>;

/** A configuration key's short name, as in `pulumi config set <key>`. */
export type Key = keyof typeof KEYS;

export const KEY_NAMES = Object.keys(KEYS) as Key[];

/** The keys `Pulumi.yaml` declares without a default: the CLI and the parser require them. */
export const REQUIRED_KEYS = KEY_NAMES.filter((k) => !("default" in KEYS[k]));
