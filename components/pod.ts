/**
 * The VPP pod as a pure function of its options: rootless, its capabilities exactly the image's,
 * a read-only root, VPP's files on emptyDirs, probes that heal and failures that explain
 * themselves. The VppServer component puts it in a Deployment; the tests assert it field by field.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { CONTAINER, INIT_CONTAINER, METRICS_CONTAINER } from "./names";
import {
    CLI_SOCKET,
    CONF_DIR,
    EXPORTER_PATH,
    EXPORTER_STAT_PATTERNS,
    HOST_INTERFACE,
    METRICS_PORT,
    METRICS_PORT_NAME,
    Metrics,
    STATS_SOCKET,
    WWW_DIR,
    livenessCommand,
    readinessCommand,
} from "./vppConfig";

/** Where the ConfigMap (templates and scripts) is mounted, read-only, in every container. */
export const TEMPLATE_DIR = "/etc/vpp-server";

/** Each emptyDir's size limit; VPP writes kilobytes to each (the web root at most 512 KiB). */
export const EMPTY_DIR_SIZE = "64Mi";
/** The emptyDirs the pod writes: VPP's configuration, the web root, its CLI socket, its runtime dir. */
export const EMPTY_DIRS = ["conf", "www", "run-vpp", "run-user"] as const;

/**
 * The probes, chosen from the kubelet's prober (pkg/kubelet/prober): readiness and liveness do
 * not run until the startup probe has succeeded, readiness then runs at once (the prober manager
 * triggers it), and a probe's state changes after failureThreshold results in a row.
 *
 * - startup: the VLAN address is set, checked every second for up to 60 s: Ready within about a
 *   second of VPP setting its address; a VPP that never does is restarted after 60 s.
 * - readiness: the same check every 10 s (certsuite's exec-probe floor): NotReady 20 to 30 s
 *   after the address is lost, without a restart.
 * - liveness: VPP's CLI answers (a different command: a missing address is no reason to
 *   restart), every 10 s with 5 s to answer; a wedged VPP fails its first probe within 10 s and
 *   is killed at the third failure, 25 to 35 s after it wedged, then stopped within the pod's
 *   10 s grace period.
 */
export const PROBE_TIMING = {
    startup: { periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 60 },
    readiness: { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    liveness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
} as const;

/**
 * The metrics container's probes (`metrics: cluster`), HTTP from the kubelet (no exec probes: a pod
 * with dedicated cores must have none, certsuite's performance-cpu-pinning-no-exec-probes):
 *
 * - startup: the exporter's page answers, every 2 s for up to 90 s: the exporter starts once VPP has
 *   made its stats socket, and VPP itself may take up to 60 s (its own startup probe);
 * - readiness: `/metrics` answers, which reads VPP's stats segment: the counters can be scraped;
 * - liveness: the exporter's page answers within 5 s. The exporter serves one connection at a time,
 *   so a client that connects and sends nothing wedges it; a TCP probe would still pass (the kernel
 *   accepts), an HTTP one does not, and the kubelet restarts the exporter, never VPP.
 */
export const METRICS_PROBE_TIMING = {
    startup: { periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 45 },
    readiness: { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    liveness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
} as const;

/** The VPP container's command: the image's vpp (on its PATH), on the init container's configuration. */
export const VPP_COMMAND = ["vpp", "-c", `${CONF_DIR}/vpp.conf`];

/** Seconds the kubelet waits after SIGTERM before SIGKILL; VPP exits on SIGTERM at once. */
export const TERMINATION_GRACE_SECONDS = 10;

/** CRI-O annotations for a pod with exclusive CPUs (certsuite's lifecycle-cpu-isolation). */
export const CPU_ISOLATION_ANNOTATIONS = {
    "cpu-load-balancing.crio.io": "disable",
    "irq-load-balancing.crio.io": "disable",
    "cpu-quota.crio.io": "disable",
} as const;

/** certsuite's label: the pod's Multus network has no IPAM, so its ping test cannot apply. */
export const SKIP_MULTUS_CONNECTIVITY_LABEL = "redhat-best-practices-for-k8s.com/skip_multus_connectivity_tests";

export interface PodResources {
    readonly cpuRequest: string;
    /** Undefined: no CPU limit (a limit throttles VPP's threads). */
    readonly cpuLimit?: string;
    /** Request and limit alike. */
    readonly memory: string;
    /** Whole CPUs with requests equal to limits in every container: Guaranteed QoS, exclusive cores. */
    readonly dedicated: boolean;
}

/**
 * The init container's resources on shared cores. With dedicated cores (initResources) its requests
 * equal its limits, or the pod would not be Guaranteed, and it asks for the VPP container's whole
 * CPUs: the kubelet's static CPU manager then gives it exclusive CPUs and hands them on to the VPP
 * container (an init container's CPUs are reused by the pod's next container), so the CPUs its
 * planner reads are VPP's. A pod's request is the larger of its init containers' and the sum of its
 * containers', so this reserves nothing more.
 */
export const INIT_RESOURCES = {
    shared: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
    dedicatedMemory: "64Mi",
} as const;

/** The init container's requests and limits (without ephemeral storage) for the pod's resources. */
export function initResources(r: PodResources): { requests: Record<string, string>; limits: Record<string, string> } {
    if (!r.dedicated)
        return { requests: { ...INIT_RESOURCES.shared.requests }, limits: { ...INIT_RESOURCES.shared.limits } };
    const both = { cpu: r.cpuRequest, memory: INIT_RESOURCES.dedicatedMemory };
    return { requests: { ...both }, limits: { ...both } };
}

/**
 * The metrics container's resources: the exporter reads VPP's shared stats segment (VPP's memory,
 * not its own) and answers a scrape every 30 s. With dedicated cores its requests equal its limits,
 * a fraction of a CPU, as the init container's.
 */
export const METRICS_RESOURCES = {
    shared: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
    dedicated: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
} as const;

/**
 * Ephemeral storage: the root filesystem is read-only, so a container writes only its log; the
 * emptyDirs count against the pod's sum of limits. The VPP container's limit holds the four
 * emptyDirs at their size limits and 64Mi of log; the init container's, its log.
 */
export const EPHEMERAL_STORAGE = {
    vpp: { request: "64Mi", limit: `${EMPTY_DIRS.length * 64 + 64}Mi` },
    init: { request: "16Mi", limit: "64Mi" },
    metrics: { request: "16Mi", limit: "64Mi" },
} as const;

export interface PodSpecOptions {
    readonly serviceAccountName: pulumi.Input<string>;
    readonly configMapName: pulumi.Input<string>;
    readonly image: string;
    readonly capabilities: readonly string[];
    readonly uid: number;
    readonly ipCidr: string;
    /** VPP worker threads; the init container's planner pins them and the main thread to the container's CPUs. */
    readonly workers: number;
    /** The main thread's sleep when VPP starts with a worker (the planner's VPP_MAIN_SLEEP_USEC). @default 0 */
    readonly mainThreadSleepUsec?: number;
    /** The pinned MAC the init container must find on macvlan0; undefined: the kernel's. */
    readonly pinnedMac?: pulumi.Input<string>;
    /** The CNI disables IPv6 on macvlan0: the init container reports it when it did not. @default false */
    readonly ipv6DisabledByCni?: boolean;
    readonly resources: PodResources;
    /** A PerformanceProfile's runtime class. @default none */
    readonly runtimeClassName?: string;
    readonly nodeSelector?: Record<string, string>;
    /** cluster adds the metrics container. @default "none" */
    readonly metrics?: Metrics;
}

/** The environment of the metrics container's script (components/metrics.sh). */
export function metricsEnv(): { name: string; value: string }[] {
    return [
        { name: "STATS_SOCKET", value: STATS_SOCKET },
        { name: "METRICS_PATTERNS", value: EXPORTER_STAT_PATTERNS.join(" ") },
    ];
}

/** The pod: rootless, its capabilities exactly the image's, VPP's files on emptyDirs. */
export function vppPodSpec(o: PodSpecOptions): k8s.types.input.core.v1.PodSpec {
    const containerSecurity = (add: readonly string[]): k8s.types.input.core.v1.SecurityContext => ({
        runAsNonRoot: true,
        runAsUser: o.uid,
        runAsGroup: o.uid,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"], ...(add.length > 0 ? { add: [...add] } : {}) },
    });
    const r = o.resources;
    const init = initResources(r);
    return {
        serviceAccountName: o.serviceAccountName,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: o.uid,
            runAsGroup: o.uid,
            seccompProfile: { type: "RuntimeDefault" },
        },
        ...(o.runtimeClassName ? { runtimeClassName: o.runtimeClassName } : {}),
        ...(o.nodeSelector && Object.keys(o.nodeSelector).length > 0 ? { nodeSelector: { ...o.nodeSelector } } : {}),
        initContainers: [
            {
                name: INIT_CONTAINER,
                image: o.image,
                imagePullPolicy: "IfNotPresent",
                command: ["/bin/sh", `${TEMPLATE_DIR}/init.sh`],
                env: [
                    { name: "HOST_INTERFACE", value: HOST_INTERFACE },
                    { name: "TEMPLATE_DIR", value: TEMPLATE_DIR },
                    { name: "CONF_DIR", value: CONF_DIR },
                    { name: "WWW_DIR", value: WWW_DIR },
                    ...(o.pinnedMac !== undefined ? [{ name: "EXPECTED_MAC", value: o.pinnedMac }] : []),
                    ...(o.ipv6DisabledByCni ? [{ name: "EXPECT_IPV6_DISABLED", value: "true" }] : []),
                    { name: "VPP_WORKERS", value: String(o.workers) },
                    ...(o.mainThreadSleepUsec
                        ? [{ name: "VPP_MAIN_SLEEP_USEC", value: String(o.mainThreadSleepUsec) }]
                        : []),
                ],
                securityContext: containerSecurity([]),
                resources: {
                    requests: { ...init.requests, "ephemeral-storage": EPHEMERAL_STORAGE.init.request },
                    limits: { ...init.limits, "ephemeral-storage": EPHEMERAL_STORAGE.init.limit },
                },
                terminationMessagePolicy: "FallbackToLogsOnError",
                volumeMounts: [
                    { name: "templates", mountPath: TEMPLATE_DIR, readOnly: true },
                    { name: "conf", mountPath: CONF_DIR },
                    { name: "www", mountPath: WWW_DIR },
                ],
            },
        ],
        containers: [
            {
                name: CONTAINER,
                image: o.image,
                imagePullPolicy: "IfNotPresent",
                // vpp is the container's first process: with allowPrivilegeEscalation false the
                // runtime sets no_new_privs, under which an execve never adds a capability, so a shell
                // in front of vpp would leave it none. The runtime gives this process the capabilities
                // the securityContext adds, and vpp's file capabilities (the same ones) keep them.
                // What a script decides for it (its cores) the init container wrote into vpp.conf.
                command: VPP_COMMAND,
                securityContext: containerSecurity(o.capabilities),
                resources: {
                    requests: {
                        cpu: r.cpuRequest,
                        memory: r.memory,
                        "ephemeral-storage": EPHEMERAL_STORAGE.vpp.request,
                    },
                    limits: {
                        ...(r.cpuLimit ? { cpu: r.cpuLimit } : {}),
                        memory: r.memory,
                        "ephemeral-storage": EPHEMERAL_STORAGE.vpp.limit,
                    },
                },
                startupProbe: { exec: { command: readinessCommand(o.ipCidr) }, ...PROBE_TIMING.startup },
                readinessProbe: { exec: { command: readinessCommand(o.ipCidr) }, ...PROBE_TIMING.readiness },
                livenessProbe: { exec: { command: livenessCommand() }, ...PROBE_TIMING.liveness },
                terminationMessagePolicy: "FallbackToLogsOnError",
                volumeMounts: [
                    { name: "templates", mountPath: TEMPLATE_DIR, readOnly: true },
                    { name: "conf", mountPath: CONF_DIR, readOnly: true },
                    { name: "www", mountPath: WWW_DIR, readOnly: true },
                    { name: "run-vpp", mountPath: path.posix.dirname(CLI_SOCKET) },
                    { name: "run-user", mountPath: "/run/user" },
                ],
            },
            ...(o.metrics === "cluster" ? [metricsContainer(o, containerSecurity([]))] : []),
        ],
        volumes: [
            { name: "templates", configMap: { name: o.configMapName, defaultMode: 0o444 } },
            ...EMPTY_DIRS.map((name) => ({ name, emptyDir: { sizeLimit: EMPTY_DIR_SIZE } })),
        ],
    };
}

/**
 * The metrics container: VPP's vpp_prometheus_export (in the same image) behind a script that
 * follows VPP's restarts, no capabilities, the stats socket's directory read-only.
 */
function metricsContainer(
    o: PodSpecOptions,
    securityContext: k8s.types.input.core.v1.SecurityContext,
): k8s.types.input.core.v1.Container {
    const r = o.resources.dedicated ? METRICS_RESOURCES.dedicated : METRICS_RESOURCES.shared;
    const http = (p: string) => ({ httpGet: { path: p, port: METRICS_PORT_NAME, scheme: "HTTP" } });
    return {
        name: METRICS_CONTAINER,
        image: o.image,
        imagePullPolicy: "IfNotPresent",
        command: ["/bin/sh", `${TEMPLATE_DIR}/metrics.sh`],
        env: metricsEnv(),
        ports: [{ name: METRICS_PORT_NAME, containerPort: METRICS_PORT, protocol: "TCP" }],
        securityContext,
        resources: {
            requests: { ...r.requests, "ephemeral-storage": EPHEMERAL_STORAGE.metrics.request },
            limits: { ...r.limits, "ephemeral-storage": EPHEMERAL_STORAGE.metrics.limit },
        },
        startupProbe: { ...http("/"), ...METRICS_PROBE_TIMING.startup },
        readinessProbe: { ...http(EXPORTER_PATH), ...METRICS_PROBE_TIMING.readiness },
        livenessProbe: { ...http("/"), ...METRICS_PROBE_TIMING.liveness },
        terminationMessagePolicy: "FallbackToLogsOnError",
        volumeMounts: [
            { name: "templates", mountPath: TEMPLATE_DIR, readOnly: true },
            { name: "run-vpp", mountPath: path.posix.dirname(STATS_SOCKET), readOnly: true },
        ],
    };
}
