/**
 * Pure renderers of what VPP and Multus read: VPP's `vpp.conf` and `startup.conf`, the
 * macvlan CNI configuration and the pod's network selection. No Pulumi here, so the unit
 * tests call them directly; with POC-compatible options they reproduce the POC's files.
 */
import { createHash } from "crypto";
import { METRICS_SERVICE, POD_MONITOR } from "./names";

/** The kernel interface Multus creates in the pod, and VPP's name for its AF_PACKET side. */
export const HOST_INTERFACE = "macvlan0";
export const VPP_HOST_INTERFACE = `host-${HOST_INTERFACE}`;
export const CONF_DIR = "/conf";
export const WWW_DIR = "/www";
export const CLI_SOCKET = "/run/vpp/cli-vpp1.sock";
/** Written into startup.conf where the kernel's MAC of macvlan0 goes; the init script replaces it. */
export const KERNEL_MAC_TOKEN = "@MACVLAN0_MAC@";

/**
 * VPP's stats socket with `metrics: cluster`, on the emptyDir the metrics container mounts too. It
 * is also vpp_prometheus_export's default; without it rootless VPP puts the socket in its runtime
 * directory, /run/user/<uid>/vpp.
 */
export const STATS_SOCKET = "/run/vpp/stats.sock";

export interface VppConfOptions {
    /**
     * `unix { poll-sleep-usec }`: microseconds VPP's main loop sleeps on every pass, also under
     * load. 0 writes nothing: VPP then sleeps by itself when no input node polls (with the
     * adaptive session queue, at idle), and busy-polls a core otherwise (the POC).
     */
    readonly pollSleepUsec: number;
    /** `session { use-private-rx-mqs }`: the session layer switches between polling and interrupts. */
    readonly adaptiveSessionQueue: boolean;
    /** cluster puts VPP's stats socket at STATS_SOCKET, where the metrics container reads it. */
    readonly metrics: Metrics;
}

/** `/conf/vpp.conf`, VPP's startup configuration (`vpp -c`). */
export function renderVppConf(o: VppConfOptions): string {
    return lines([
        "unix {",
        `  nodaemon cli-listen ${CLI_SOCKET}`,
        `  startup-config ${CONF_DIR}/startup.conf`,
        o.pollSleepUsec > 0 ? `  poll-sleep-usec ${o.pollSleepUsec}` : undefined,
        "}",
        "api-segment { prefix vpp1 }",
        o.adaptiveSessionQueue ? "session { use-private-rx-mqs }" : undefined,
        o.metrics === "cluster" ? `statseg { socket-name ${STATS_SOCKET} }` : undefined,
        "plugins { plugin dpdk_plugin.so { disable } }",
    ]);
}

/**
 * How host-macvlan0's receive queue wakes VPP. interrupt (AF_PACKET's default in VPP): the thread
 * that owns the queue sleeps in epoll until a frame arrives, so each request pays a wake-up;
 * polling: that thread spins on the ring, a whole core, and never sleeps.
 */
export type RxMode = "interrupt" | "polling";

/**
 * Where VPP's counters go. none: nowhere; vlan: VPP's prom plugin serves them at
 * `http://<address>/stats.prom` on the lab VLAN, through the static HTTP server; cluster: VPP's
 * vpp_prometheus_export, in a second container, serves them on the pod network at
 * `:METRICS_PORT/metrics` for the cluster's monitoring (a PodMonitor).
 */
export type Metrics = "none" | "vlan" | "cluster";

/** vpp_prometheus_export's port (its default, Prometheus' registered port for VPP) and path. */
export const METRICS_PORT = 9482;
export const METRICS_PORT_NAME = "metrics";
export const EXPORTER_PATH = "/metrics";
/**
 * The nodes on the lab's path (AF_PACKET, the VLAN, ARP, IPv4, ICMP, TCP, the session layer) whose
 * error counters vpp_prometheus_export exports with `metrics: cluster`. The exporter has no
 * used-only switch: `^/err/` alone is some 5,600 series per scrape (every error of every node, on
 * every thread, mostly zeros), these are about 700.
 */
export const EXPORTER_ERROR_NODES = [
    "af-packet-input",
    "ethernet-input",
    "arp-input",
    "arp-reply",
    "ip4-input",
    "ip4-local",
    "ip4-glean",
    "ip4-icmp-input",
    "tcp4-input",
    "tcp4-listen",
    "tcp4-established",
    "tcp4-rcv-process",
    "tcp4-output",
    "session-queue",
] as const;

/**
 * What vpp_prometheus_export exports with `metrics: cluster`: POSIX basic regular expressions (the
 * stat client's regcomp), matched against each stat's name, in the exporter's v2 format, which
 * names an interface by its name: every interface's counters, the buffer pools, VPP's own scalars
 * (boot time, vector rate, heartbeat, TCP and session totals) and the error counters of the nodes
 * above.
 */
export const EXPORTER_STAT_PATTERNS = [
    "^/interfaces/",
    "^/buffer-pools/",
    "^/sys/",
    ...EXPORTER_ERROR_NODES.map((n) => `^/err/${n}/`),
] as const;

/** The path the prom plugin registers on the static HTTP server. */
export const METRICS_PATH = "/stats.prom";

/**
 * The stat directories the prom plugin exports with `metrics: vlan` (POSIX basic regular
 * expressions, matched against each stat's name): interface counters and names, the error
 * counters of every node, the buffer pools and the session layer.
 */
export const METRICS_STAT_PATTERNS = ["^/if/", "^/err/", "^/buffer-pools/", "^/sys/session/"] as const;

/** The AF_PACKET ring versions VPP's `create host-interface` opens: TPACKET_V2 and TPACKET_V3. */
export type AfPacketVersion = 2 | 3;

export interface StartupConfOptions {
    /**
     * The AF_PACKET ring: 2 writes `create host-interface v2`, so each frame reaches VPP at once;
     * 3 is VPP's default, TPACKET_V3, whose receive blocks are handed over when full or after
     * 1 ms (`tp_retire_blk_tov`), so each request waits for its block.
     */
    readonly afPacketVersion: AfPacketVersion;
    readonly vlanId: number;
    /** address/prefix, for example 192.168.123.150/24. */
    readonly ipCidr: string;
    /** The MAC of macvlan0, or KERNEL_MAC_TOKEN, which the init script replaces with the kernel's MAC. */
    readonly mac: string;
    /** VPP's memory size syntax, for example 512m. */
    readonly httpCacheSize: string;
    /** Announce the address with `arping gratuitous` once the server listens. */
    readonly gratuitousArp: boolean;
    /** polling writes `set interface rx-mode host-macvlan0 polling`; interrupt, VPP's default, writes nothing. */
    readonly rxMode: RxMode;
    /**
     * vlan ends the HTTP server line with `url-handlers` and enables the prom plugin, used
     * counters only, of METRICS_STAT_PATTERNS; none writes neither.
     */
    readonly metrics: Metrics;
}

/** `/conf/startup.conf`, the VPP CLI commands run at start (`unix { startup-config }`). */
export function renderStartupConf(o: StartupConfOptions): string {
    const sub = `${VPP_HOST_INTERFACE}.${o.vlanId}`;
    const address = o.ipCidr.split("/")[0];
    return lines([
        `create host-interface ${o.afPacketVersion === 2 ? "v2 " : ""}name ${HOST_INTERFACE}`,
        `set interface mac address ${VPP_HOST_INTERFACE} ${o.mac}`,
        `set int state ${VPP_HOST_INTERFACE} up`,
        o.rxMode === "polling" ? `set interface rx-mode ${VPP_HOST_INTERFACE} polling` : undefined,
        `create sub-interfaces ${VPP_HOST_INTERFACE} ${o.vlanId}`,
        `set interface state ${sub} up`,
        `set int ip address ${sub} ${o.ipCidr}`,
        `http static server www-root ${WWW_DIR} uri tcp://0.0.0.0/80 cache-size ${o.httpCacheSize}` +
            (o.metrics === "vlan" ? " url-handlers" : ""),
        // stat-patterns takes the rest of the line, so it comes last.
        o.metrics === "vlan" ? `prom enable used-only stat-patterns ${METRICS_STAT_PATTERNS.join(" ")}` : undefined,
        o.gratuitousArp ? `arping gratuitous ${address} ${sub}` : undefined,
    ]);
}

export interface NadConfigOptions {
    /** The NetworkAttachmentDefinition's name, repeated as the CNI network name. */
    readonly name: string;
    readonly master: string;
    readonly mode: string;
    /** Adds `capabilities: {mac: true}` so Multus passes the pod's requested MAC to the plugin. */
    readonly macCapability: boolean;
    /**
     * Chains the `tuning` plugin after macvlan to set `disable_ipv6` on the pod's interface, so the
     * kernel holds no IPv6 address on it and never answers there (VPP owns the interface).
     */
    readonly disableIpv6: boolean;
}

/**
 * The sysctl the tuning plugin sets. The plugin puts the pod's interface name where `IFNAME` stands;
 * OpenShift's default tuning allowlist (`cni-sysctl-allowlist` in openshift-multus) lists
 * `^net.ipv6.conf.IFNAME.disable_ipv6$`, matched against the key as written.
 */
export const DISABLE_IPV6_SYSCTL = "net.ipv6.conf.IFNAME.disable_ipv6";

/**
 * The macvlan CNI configuration: no IPAM (VPP owns layer 3), the link created on the host side.
 * Without disableIpv6 it is the POC's single plugin; with it, a list: macvlan (which alone holds
 * the `mac` capability, so it creates the link with that MAC), then tuning.
 */
export function renderNadConfig(o: NadConfigOptions): string {
    const macvlan: Record<string, unknown> = {
        type: "macvlan",
        master: o.master,
        linkInContainer: false,
        mode: o.mode,
    };
    if (o.macCapability) {
        macvlan.capabilities = { mac: true };
    }
    const config = o.disableIpv6
        ? {
              cniVersion: "0.3.1",
              name: o.name,
              plugins: [macvlan, { type: "tuning", sysctl: { [DISABLE_IPV6_SYSCTL]: "1" } }],
          }
        : { cniVersion: "0.3.1", name: o.name, ...macvlan };
    return JSON.stringify(config, null, 2);
}

/** The pod annotation `k8s.v1.cni.cncf.io/networks`, with `mac` when it is pinned. */
export function renderNetworkSelection(nadName: string, namespace: string, mac?: string): string {
    const selection: Record<string, string> = { name: nadName, namespace, interface: HOST_INTERFACE };
    if (mac !== undefined) {
        selection.mac = mac;
    }
    return JSON.stringify([selection]);
}

/**
 * The readiness check: VPP's CLI answers on its socket and the VLAN interface holds the
 * address, which it does only once startup.conf has run up to `set int ip address`.
 */
export function readinessCommand(ipCidr: string): string[] {
    return ["/bin/sh", "-c", `vppctl -s ${CLI_SOCKET} show interface address | grep -qF 'L3 ${ipCidr}'`];
}

/**
 * The liveness check: VPP's CLI answers `show version`. A wedged main loop does not, and times
 * out; a missing address is readiness's business, never a reason to restart.
 */
export function livenessCommand(): string[] {
    return ["/bin/sh", "-c", `vppctl -s ${CLI_SOCKET} show version | grep -q '^vpp v'`];
}

/**
 * The stack output `metricsUrl`: the prom plugin's URL with `metrics: vlan`; with `cluster`, where the
 * cluster's monitoring scrapes (the pod's port, through the PodMonitor); otherwise how to get one.
 */
export function metricsUrl(metrics: Metrics, ipCidr: string, namespace = "<namespace>"): string {
    if (metrics === "vlan") return `http://${ipCidr.split("/")[0]}${METRICS_PATH}`;
    if (metrics === "cluster")
        return `http://<pod IP>:${METRICS_PORT}${EXPORTER_PATH} (scraped by the cluster's monitoring through PodMonitor ${namespace}/${POD_MONITOR}; Service ${namespace}/${METRICS_SERVICE})`;
    return "none (pulumi config set metrics vlan --stack <lab>, then pulumi up)";
}

/** The command that opens VPP's CLI in the running pod. */
export function vppctlCommand(namespace: string, deployment: string, container: string): string {
    return `oc exec -it -n ${namespace} deploy/${deployment} -c ${container} -- vppctl -s ${CLI_SOCKET}`;
}

/**
 * A MAC from six random bytes (12 hex digits): the locally administered bit set and the
 * multicast bit cleared, so it can never collide with a vendor's address or be a group address.
 */
export function macFromRandomHex(hex: string): string {
    if (!/^[0-9a-f]{12}$/i.test(hex)) {
        throw new Error(`macFromRandomHex: expected 12 hex digits, got ${JSON.stringify(hex)}`);
    }
    const bytes = hex.toLowerCase().match(/../g) as string[];
    bytes[0] = ((parseInt(bytes[0], 16) & 0xfc) | 0x02).toString(16).padStart(2, "0");
    return bytes.join(":");
}

/** A stable digest of named texts, for the pod template annotation that rolls the pod on a change. */
export function configHash(files: Readonly<Record<string, string>>): string {
    const h = createHash("sha256");
    for (const name of Object.keys(files).sort()) {
        h.update(`${name}\0${files[name]}\0`);
    }
    return h.digest("hex");
}

function lines(ls: ReadonlyArray<string | undefined>): string {
    return ls.filter((l): l is string => l !== undefined).join("\n") + "\n";
}
