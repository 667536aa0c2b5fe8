/**
 * A container's OCI runtime configuration, written from the pod spec the way the kubelet and
 * containerd's CRI plugin write it, for a real OCI runtime (runc) to start. What it models, and
 * where each rule comes from:
 *
 * - the user: `runAsUser`/`runAsGroup`, and as additional groups the pod's `supplementalGroups` and
 *   `fsGroup` (the kubelet's determineEffectiveSecurityContext; OpenShift's SCC admission sets
 *   fsGroup and a supplemental group from the namespace's range);
 * - capabilities: the runtime's defaults, minus `drop`, plus `add` (containerd's
 *   WithCapabilities / getCurrentCaps): with `drop: [ALL]`, exactly `add`, in the bounding,
 *   effective and permitted sets; never inheritable (containerd stopped setting it, CVE-2022-24769)
 *   and never ambient (Kubernetes sets none: kubernetes/kubernetes#56374);
 * - `noNewPrivileges` = not `allowPrivilegeEscalation` (the CRI's no_new_privs field);
 * - `readOnlyRootFilesystem` = a read-only root;
 * - the runtime's default mounts (containerd's oci.defaultMounts: /proc, /dev, /dev/pts, /dev/mqueue,
 *   /sys read-only, /run), the CRI's read-only cgroup mount, the pod's /dev/shm (the sandbox's
 *   64 MiB tmpfs, shared by the pod's containers), then the container's volumes as binds;
 * - the pod's network, IPC and UTS namespaces (shared), and a PID and mount namespace of its own;
 * - containerd's default masked and read-only paths;
 * - seccomp: the pod's RuntimeDefault is the runtime's own default profile, here CRI-O's (OpenShift's
 *   runtime), containers/common's seccomp.json, converted as containers/common's setupSeccomp does.
 */
import * as fs from "fs";
import type { Container } from "./pod";

export interface LinuxSeccomp {
    defaultAction: string;
    defaultErrnoRet?: number;
    architectures: string[];
    syscalls: { names: string[]; action: string; errnoRet?: number; args?: unknown[] }[];
}

/** containers/common's profile format (a Docker-style seccomp profile). */
interface ProfileRule {
    name?: string;
    names?: string[];
    action: string;
    errnoRet?: number;
    args?: { index: number; value: number; valueTwo?: number; op: string }[] | null;
    includes?: { caps?: string[]; arches?: string[] };
    excludes?: { caps?: string[]; arches?: string[] };
}
interface Profile {
    defaultAction: string;
    defaultErrnoRet?: number;
    archMap?: { architecture: string; subArchitectures?: string[] }[];
    architectures?: string[];
    syscalls: ProfileRule[];
}

/** Where Debian's golang-github-containers-common installs CRI-O's default profile. */
export const CRIO_SECCOMP_PROFILE = "/usr/share/containers/seccomp.json";

/**
 * The profile converted for a container whose bounding set is `bounding`, on amd64: a rule is kept
 * unless it excludes this arch or a capability the container has, or includes an arch that is not
 * this one or a capability it lacks (containers/common pkg/seccomp, setupSeccomp).
 */
export function runtimeDefaultSeccomp(bounding: readonly string[], profilePath = CRIO_SECCOMP_PROFILE): LinuxSeccomp {
    if (!fs.existsSync(profilePath)) {
        throw new Error(
            `${profilePath} is missing: it is the runtime's default seccomp profile (CRI-O's, from containers/common); apt-get install golang-github-containers-common`,
        );
    }
    const p = JSON.parse(fs.readFileSync(profilePath, "utf8")) as Profile;
    const arch = "amd64";
    const native = "SCMP_ARCH_X86_64";
    const architectures = p.architectures?.length
        ? [...p.architectures]
        : (p.archMap ?? [])
              .filter((a) => a.architecture === native)
              .flatMap((a) => [a.architecture, ...(a.subArchitectures ?? [])]);
    const has = (c: string) => bounding.includes(c);
    const syscalls: LinuxSeccomp["syscalls"] = [];
    for (const rule of p.syscalls) {
        const ex = rule.excludes ?? {};
        const inc = rule.includes ?? {};
        if (ex.arches?.includes(arch)) continue;
        if (ex.caps?.some(has)) continue;
        if (inc.arches?.length && !inc.arches.includes(arch)) continue;
        if (inc.caps?.length && !inc.caps.every(has)) continue;
        const names = rule.names?.length ? rule.names : rule.name ? [rule.name] : [];
        if (names.length === 0) continue;
        syscalls.push({
            names,
            action: rule.action,
            ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
            ...(rule.args?.length ? { args: rule.args.map((a) => ({ ...a })) } : {}),
        });
    }
    return {
        defaultAction: p.defaultAction,
        ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
        architectures,
        syscalls,
    };
}

/**
 * Whether the converted profile lets a syscall through whatever its arguments: a rule allows it
 * with no argument condition, and no other rule refuses it unconditionally. (A syscall allowed
 * only for some arguments, socket for one, is neither always allowed nor always refused.)
 */
export function seccompAlwaysAllows(s: LinuxSeccomp, syscall: string): boolean {
    const rules = s.syscalls.filter((r) => r.names.includes(syscall) && !r.args?.length);
    if (rules.some((r) => r.action !== "SCMP_ACT_ALLOW")) return false;
    return rules.length > 0 || s.defaultAction === "SCMP_ACT_ALLOW";
}

/** Whether the profile refuses a syscall whatever its arguments. */
export function seccompAlwaysRefuses(s: LinuxSeccomp, syscall: string): boolean {
    const rules = s.syscalls.filter((r) => r.names.includes(syscall));
    if (rules.length === 0) return s.defaultAction !== "SCMP_ACT_ALLOW";
    return rules.every((r) => r.action !== "SCMP_ACT_ALLOW") && rules.some((r) => !r.args?.length);
}

/**
 * The same profile with every refusal turned into SCMP_ACT_LOG: the kernel lets the call through
 * and logs it. For measuring what a program calls that the profile would refuse, never to run a lab.
 */
export function loggingSeccomp(s: LinuxSeccomp): LinuxSeccomp {
    const log = (a: string) => (a === "SCMP_ACT_ALLOW" ? a : "SCMP_ACT_LOG");
    return {
        defaultAction: log(s.defaultAction),
        architectures: s.architectures,
        // A logged call is let through: no errno to return.
        syscalls: s.syscalls.map((r) => ({
            names: r.names,
            action: log(r.action),
            ...(r.args ? { args: r.args } : {}),
        })),
    };
}

/** "NET_RAW" -> "CAP_NET_RAW". */
export const capName = (c: string) => (c.startsWith("CAP_") ? c : `CAP_${c}`).toUpperCase();

/** The container's capability set, as the CRI computes it: the runtime's defaults minus drop plus add. */
export function containerCapabilities(
    c: Container,
    runtimeDefaults: readonly string[] = CONTAINERD_DEFAULT_CAPS,
): string[] {
    const drop = (c.securityContext.capabilities.drop ?? []).map(capName);
    const add = (c.securityContext.capabilities.add ?? []).map(capName);
    const base = drop.includes("CAP_ALL") ? [] : runtimeDefaults.filter((x) => !drop.includes(x));
    return [...new Set([...base, ...add])];
}

/** containerd's default capabilities (oci.defaultUnixCaps), which `drop: [ALL]` removes whole. */
export const CONTAINERD_DEFAULT_CAPS = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/** containerd's default masked and read-only paths (oci.populateDefaultUnixSpec). */
export const MASKED_PATHS = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];
export const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

export interface PodSandbox {
    /** The pod's network namespace (a path under /run/netns). */
    readonly netns: string;
    /** The pod's IPC and UTS namespaces, held by bind mounts (the pause container holds them in a kubelet). */
    readonly ipcNs: string;
    readonly utsNs: string;
    readonly hostname: string;
    /** The sandbox's /dev/shm: a 64 MiB tmpfs the pod's containers share. */
    readonly shm: string;
    /** The pod's cgroup (a path below each v1 hierarchy), and its CPUs and memory nodes. */
    readonly cgroupParent: string;
    readonly cpus: string;
    readonly mems: string;
    /** The pod's supplemental groups and fsGroup (OpenShift's SCC admission adds them). */
    readonly supplementalGroups: readonly number[];
    readonly fsGroup?: number;
}

export interface OciSpecOptions {
    readonly container: Container;
    readonly sandbox: PodSandbox;
    /** The image's root filesystem. */
    readonly rootfs: string;
    /** Extra read-only binds the image is made of (its /usr, from the node). */
    readonly imageBinds: readonly { source: string; destination: string }[];
    /** The image's environment (its PATH), before the container's. */
    readonly imageEnv: readonly string[];
    /** The pod's volumes: name -> directory on the node. */
    readonly volumes: Record<string, string>;
    /** The container's cgroup, below the pod's. */
    readonly cgroupName: string;
    /** The container's memory limit, in bytes. */
    readonly memoryBytes?: number;
    /** The termination log file on the node (/dev/termination-log in the container). */
    readonly terminationLog: string;
    readonly seccomp: LinuxSeccomp;
}

export type OciSpec = Record<string, any>;

/** The OCI runtime configuration (config.json) of one container of the pod. */
export function ociSpec(o: OciSpecOptions): OciSpec {
    const c = o.container;
    const sc = c.securityContext;
    const caps = containerCapabilities(c);
    const groups = [...new Set([...o.sandbox.supplementalGroups, ...(o.sandbox.fsGroup ? [o.sandbox.fsGroup] : [])])];
    const mount = (destination: string, type: string, source: string, options: string[]) => ({
        destination,
        type,
        source,
        options,
    });
    const volumeMounts = c.volumeMounts.map((m) => {
        const src = o.volumes[m.name];
        if (!src) throw new Error(`container ${c.name} mounts volume ${m.name}, which the pod does not have`);
        return mount(m.mountPath, "bind", src, ["rbind", "rprivate", m.readOnly ? "ro" : "rw"]);
    });
    return {
        ociVersion: "1.0.2",
        process: {
            terminal: false,
            user: { uid: sc.runAsUser, gid: sc.runAsGroup, ...(groups.length ? { additionalGids: groups } : {}) },
            args: [...c.command],
            env: [...o.imageEnv, "HOSTNAME=" + o.sandbox.hostname, ...(c.env ?? []).map((e) => `${e.name}=${e.value}`)],
            cwd: "/",
            capabilities: { bounding: caps, effective: caps, permitted: caps },
            noNewPrivileges: sc.allowPrivilegeEscalation === false,
            oomScoreAdj: 999,
        },
        root: { path: o.rootfs, readonly: sc.readOnlyRootFilesystem === true },
        hostname: o.sandbox.hostname,
        mounts: [
            mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
            mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            mount("/dev/pts", "devpts", "devpts", [
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ]),
            mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
            mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
            mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"]),
            mount("/run", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            ...o.imageBinds.map((b) =>
                mount(b.destination, "bind", b.source, ["rbind", "rprivate", "ro", "nosuid", "nodev"]),
            ),
            mount("/dev/shm", "bind", o.sandbox.shm, ["rbind", "rprivate", "rw"]),
            mount("/dev/termination-log", "bind", o.terminationLog, ["rbind", "rprivate", "rw"]),
            ...volumeMounts,
        ],
        linux: {
            cgroupsPath: `${o.sandbox.cgroupParent}/${o.cgroupName}`,
            resources: {
                devices: [{ allow: false, access: "rwm" }],
                cpu: { cpus: o.sandbox.cpus, mems: o.sandbox.mems },
                ...(o.memoryBytes !== undefined ? { memory: { limit: o.memoryBytes } } : {}),
            },
            namespaces: [
                { type: "pid" },
                { type: "ipc", path: o.sandbox.ipcNs },
                { type: "uts", path: o.sandbox.utsNs },
                { type: "mount" },
                { type: "network", path: o.sandbox.netns },
            ],
            maskedPaths: MASKED_PATHS,
            readonlyPaths: READONLY_PATHS,
            seccomp: o.seccomp,
        },
    };
}
