/**
 * The data-plane rig: the lab's pod run as the kubelet runs it, on a VLAN, with a client.
 *
 *   client netns                 node netns                      pod netns
 *   eth0 192.168.123.10/24 ── veth ── eno ── macvlan (bridge) ── macvlan0 (the pinned MAC)
 *   tc eBPF: tag on egress,          │                           VPP's AF_PACKET socket,
 *   untag on ingress (VLAN 123)      └─ macvlan ── kernel netns: mv0 192.168.123.151/24, tagged
 *                                                  the same way, nginx (the kernel's anchor)
 *
 * Each container is started by a real OCI runtime (runc), from a configuration written the way the
 * kubelet and containerd's CRI write it from the pod spec (oci.ts): its uid and groups, exactly the
 * capabilities the spec adds (bounding, effective, permitted; never ambient), no_new_privs from
 * allowPrivilegeEscalation false, a read-only root, the runtime's default mounts, its volumes, the
 * pod's shared /dev/shm, network, IPC and UTS namespaces, its own PID and mount namespaces, its
 * cgroup below the pod's (memory limited, the pod's cpuset), and seccomp RuntimeDefault as the
 * runtime's own default profile (CRI-O's, from containers/common). The image is assembled locally:
 * the node's /usr read-only as its base, the VPP install copied to /opt/vpp with the vpp binary's
 * file capabilities set as the Containerfiles set them, and its library folder in the image's
 * loader cache (ldconfig -r), as a package install has: a binary with file capabilities runs in
 * secure-execution mode, where the loader ignores $ORIGIN RUNPATHs. Nothing grants what a runtime
 * does not: a shell in front of vpp leaves it without capabilities, as on a real node.
 *
 * Everything the rig creates carries its id (`vdp<pid>`): network namespaces, cgroups, temporary
 * directories. cleanup() removes them all, processes first; it also runs on exit and on SIGINT or
 * SIGTERM, and a new rig removes what a dead run left behind.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { quantityToNumber } from "../../stacks/rules";
import { attachVlanTagger, compileVlanTagger } from "../../sandbox/vlan";
import type { Container, LabPod, Probe } from "./pod";
import {
    capName,
    containerCapabilities,
    LinuxSeccomp,
    loggingSeccomp,
    ociSpec,
    PodSandbox,
    runtimeDefaultSeccomp,
} from "./oci";

/** OpenShift's SCC admission gives the pod the namespace's first group as fsGroup (restricted-v2). */
export const OPENSHIFT_FS_GROUP = 1000650000;

/** Sleeps without giving up the thread (the rig's calls are synchronous, as spawnSync is). */
function sleepSync(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The VPP versions the tier and the benchmark know: the default image's (the proof of concept's),
 * and the current stable release.
 */
export const VPP_VERSIONS = ["24.10", "26.06"] as const;
/** Where the image holds the install, as an image carries VPP in its own filesystem. */
export const VPP_IN_CONTAINER = "/opt/vpp";
/** The image's PATH: VPP's binaries first, then the base's. */
export const IMAGE_PATH = `PATH=${VPP_IN_CONTAINER}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
/** The tool cache, where each vpp-v<version> install is looked for. */
export function toolsCache(env: NodeJS.ProcessEnv = process.env): string {
    return (
        env.VPP_TOOLS_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "vpp-server-tools")
    );
}
/** What an install must hold: the binaries the pod runs and the plugins it loads. */
export const VPP_BINARIES = ["vpp", "vppctl", "vpp_prometheus_export"];
export const VPP_PLUGINS = ["af_packet", "http", "http_static", "ping", "arping", "prom"];

/** One VPP install: where it is, and its version (its libraries' release). */
export interface VppInstall {
    readonly prefix: string;
    readonly version: string;
}

const WHAT_IT_MUST_HOLD = `(CONTRIBUTING.md, "Data-plane tier", says what an install must hold)`;

/**
 * The VPP installs to run on: $VPP_PREFIX, one prefix or several separated by ":" (an error naming
 * what is missing when one is not an install), else every vpp-v<version> of the tool cache that is
 * one, oldest first. Returns the reason when there is none, so the tier can say how to enable itself.
 */
export function findVppInstalls(
    env: NodeJS.ProcessEnv = process.env,
): { installs: VppInstall[] } | { missing: string } {
    const given = env.VPP_PREFIX;
    if (given) {
        return {
            installs: given
                .split(":")
                .filter(Boolean)
                .map((prefix) => {
                    const problems = vppInstallProblems(prefix);
                    if (problems.length > 0) {
                        throw new Error(
                            `VPP_PREFIX names ${JSON.stringify(prefix)}, which is not a VPP install: ${problems.join("; ")} ${WHAT_IT_MUST_HOLD}`,
                        );
                    }
                    return { prefix, version: vppVersionOf(prefix)! };
                }),
        };
    }
    const cache = toolsCache(env);
    const candidates = fs.existsSync(cache)
        ? fs
              .readdirSync(cache)
              .filter((d) => /^vpp-v\d+\.\d+$/.test(d))
              .map((d) => path.join(cache, d))
        : [];
    const installs = candidates
        .filter((prefix) => vppInstallProblems(prefix).length === 0)
        .map((prefix) => ({ prefix, version: vppVersionOf(prefix)! }))
        .sort((a, b) => a.version.localeCompare(b.version, undefined, { numeric: true }));
    if (installs.length > 0) return { installs };
    return {
        missing: `no VPP install at ${cache}/vpp-v<version> (${VPP_VERSIONS.join(" or ")}) and VPP_PREFIX is not set ${WHAT_IT_MUST_HOLD}`,
    };
}

/** The first install found (the oldest): for the suites that need one VPP, not each. */
export function findVpp(
    env: NodeJS.ProcessEnv = process.env,
): { prefix: string; version: string } | { missing: string } {
    const found = findVppInstalls(env);
    return "missing" in found ? found : found.installs[0];
}

/**
 * "24.10" from the install's libvppinfra.so.<version> (VPP names its libraries by its release; the
 * vpp of 24.10 has no --version); undefined when there is none.
 */
export function vppVersionOf(prefix: string): string | undefined {
    const lib = path.join(prefix, "lib", "x86_64-linux-gnu");
    const names = fs.existsSync(lib) ? fs.readdirSync(lib) : [];
    return names.map((n) => /^libvppinfra\.so\.(\d+\.\d+)$/.exec(n)?.[1]).find((v) => v !== undefined);
}

export function vppInstallProblems(prefix: string): string[] {
    const problems: string[] = [];
    for (const bin of VPP_BINARIES) {
        if (!fs.existsSync(path.join(prefix, "bin", bin))) problems.push(`no bin/${bin}`);
    }
    const plugins = path.join(prefix, "lib", "x86_64-linux-gnu", "vpp_plugins");
    for (const p of VPP_PLUGINS) {
        if (!fs.existsSync(path.join(plugins, `${p}_plugin.so`))) problems.push(`no ${p}_plugin.so in ${plugins}`);
    }
    if (problems.length > 0) return problems;
    const version = vppVersionOf(prefix);
    if (version === undefined)
        problems.push("no libvppinfra.so.<version> in lib/x86_64-linux-gnu: its version is not known");
    else if (!(VPP_VERSIONS as readonly string[]).includes(version))
        problems.push(`it is VPP ${version}; the tier knows ${VPP_VERSIONS.join(" and ")}`);
    // The rig copies the install to VPP_IN_CONTAINER in its image and runs VPP as uid 10000: a RUNPATH into the
    // build's own prefix (under /root, say) finds no library there.
    const dynamic = spawnSync("readelf", ["-d", path.join(prefix, "bin", "vpp")], { encoding: "utf8" });
    const runpath = /\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[([^\]]*)\]/.exec(dynamic.stdout ?? "")?.[1];
    if (runpath !== undefined && !runpath.split(":").every((p) => p.startsWith("$ORIGIN"))) {
        problems.push(
            `bin/vpp's RUNPATH is ${runpath}: it must be relative ($ORIGIN/../lib/x86_64-linux-gnu), as the install is mounted elsewhere`,
        );
    }
    return problems;
}

function run(cmd: string, args: string[], input?: string): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", input });
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
    }
    return r.stdout;
}

const CGROUP_ROOT = "/sys/fs/cgroup";
const CONTROLLERS = ["memory", "cpuset", "cpuacct"] as const;

export interface PodCgroup {
    readonly name: string;
    /** Files a process writes its pid to, to join. */
    readonly procs: string[];
    readonly dirs: Record<(typeof CONTROLLERS)[number], string>;
}

/** A long-running container's process: VPP's, or the metrics container's. */
export interface RunningContainer {
    readonly pid: number;
    readonly process: ChildProcess;
    /** Its stdout and stderr so far. */
    log(): string;
    exited: Promise<number | null>;
}

export interface NetworkOptions {
    readonly mac: string;
    readonly vlanId: number;
    readonly clientCidr: string;
    /** The kernel's anchor server, on the same VLAN through the same tagger. */
    readonly kernelCidr?: string;
}

let runcPath: string | undefined;

/**
 * The runc the rig runs containers with: the real node's, runc 1.5 (scripts/tools/build.sh runc,
 * about 20 s once). Not Debian's 1.1: a foreground `runc run` of 1.1 forwards to the container the
 * SIGURG that Go's runtime sends itself (runc#3364, fixed in 1.2), and VPP's handler for it logs
 * through syslog, which deadlocks when the signal lands while VPP is already logging: the
 * startupProbe then never succeeds. A node's shim never forwards it (containerd filters it; CRI-O's
 * conmon is not Go).
 */
export function rigRunc(): string {
    if (runcPath === undefined) {
        const tools = path.join(__dirname, "..", "..", "scripts", "tools");
        const r = spawnSync("bash", [path.join(tools, "build.sh"), "runc"], { encoding: "utf8" });
        const dir = spawnSync(path.join(tools, "path.sh"), [], { encoding: "utf8" }).stdout.trim();
        const bin = path.join(dir, "node", "bin", "runc");
        if (r.status !== 0 || !fs.existsSync(bin)) {
            throw new Error(
                `scripts/tools/build.sh runc failed (${r.status}), so the rig has no runc 1.5: ${r.stderr.trim()}`,
            );
        }
        runcPath = bin;
    }
    return runcPath;
}

export class Rig {
    readonly id = `vdp${process.pid}`;
    readonly dir: string;
    private readonly undo: (() => void)[] = [];
    private readonly children = new Set<ChildProcess>();
    private tagger?: string;
    /** The image's root filesystem for each set of file capabilities its vpp carries. */
    private readonly images = new Map<string, string>();
    /** The file capabilities the image's vpp carries: the pod's `imageCapabilities` (its VPP container's add). */
    private imageCaps: readonly string[] = [];
    private containers = 0;
    private readonly sandboxes = new Map<string, PodSandbox>();
    /** runc's ids of the containers running, and the container of each first process. */
    private readonly ids = new Set<string>();
    private readonly idByPid = new Map<number, string>();
    private readonly onSignal = () => {
        this.cleanup();
        process.exit(130);
    };
    private readonly onExit = () => this.cleanup();

    constructor(readonly vppPrefix: string) {
        Rig.removeStale();
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.id}-`));
        this.undo.push(() => fs.rmSync(this.dir, { recursive: true, force: true }));
        process.on("exit", this.onExit);
        process.once("SIGINT", this.onSignal);
        process.once("SIGTERM", this.onSignal);
    }

    ns(role: "node" | "pod" | "client" | "kernel"): string {
        return `${this.id}-${role}`;
    }

    /** Removes network namespaces and cgroups of rigs whose process is gone. */
    static removeStale(): void {
        const alive = (pid: number) => fs.existsSync(`/proc/${pid}`);
        for (const { netns, pid } of Rig.netnsByRig()) {
            if (!alive(pid)) spawnSync("ip", ["netns", "del", netns]);
        }
        for (const h of hierarchies()) {
            for (const d of fs.readdirSync(h)) {
                const m = /^vdp(\d+)-/.exec(d);
                if (m && !alive(Number(m[1]))) removeCgroupTree(d);
            }
        }
    }

    /** The VLAN tagger, compiled for `vlanId` once per rig. */
    private taggerObject(vlanId: number): string {
        if (!this.tagger) this.tagger = compileVlanTagger(this.dir, vlanId);
        return this.tagger;
    }

    private attachTagger(netns: string, dev: string, vlanId: number): void {
        attachVlanTagger(netns, dev, this.taggerObject(vlanId));
    }

    /** The node, the pod's macvlan0 with the pinned MAC, the tagged client, and the kernel's anchor. */
    network(o: NetworkOptions): void {
        const roles: ("node" | "pod" | "client" | "kernel")[] = [
            "node",
            "pod",
            "client",
            ...(o.kernelCidr ? (["kernel"] as const) : []),
        ];
        for (const role of roles) {
            run("ip", ["netns", "add", this.ns(role)]);
            this.undo.push(() => spawnSync("ip", ["netns", "del", this.ns(role)]));
            run("ip", ["-n", this.ns(role), "link", "set", "lo", "up"]);
        }
        const [node, pod, client] = [this.ns("node"), this.ns("pod"), this.ns("client")];
        run("ip", ["-n", node, "link", "add", "eno", "type", "veth", "peer", "name", "eth0", "netns", client]);
        run("ip", ["-n", node, "link", "set", "eno", "up"]);
        run("ip", ["-n", client, "addr", "add", o.clientCidr, "dev", "eth0"]);
        run("ip", ["-n", client, "link", "set", "eth0", "up"]);
        this.attachTagger(client, "eth0", o.vlanId);
        // As Multus' macvlan plugin: created on the master in the node, moved into the pod, with the
        // pod's MAC; then the tuning plugin's disable_ipv6 (the NAD's default).
        run("ip", [
            "-n",
            node,
            "link",
            "add",
            "macvlan0",
            "link",
            "eno",
            "address",
            o.mac,
            "type",
            "macvlan",
            "mode",
            "bridge",
        ]);
        run("ip", ["-n", node, "link", "set", "macvlan0", "netns", pod]);
        run("ip", ["netns", "exec", pod, "sysctl", "-qw", "net.ipv6.conf.macvlan0.disable_ipv6=1"]);
        run("ip", ["-n", pod, "link", "set", "macvlan0", "up"]);
        if (o.kernelCidr) {
            const kernel = this.ns("kernel");
            run("ip", ["-n", node, "link", "add", "mv0", "link", "eno", "type", "macvlan", "mode", "bridge"]);
            run("ip", ["-n", node, "link", "set", "mv0", "netns", kernel]);
            run("ip", ["-n", kernel, "addr", "add", o.kernelCidr, "dev", "mv0"]);
            run("ip", ["-n", kernel, "link", "set", "mv0", "up"]);
            this.attachTagger(kernel, "mv0", o.vlanId);
        }
    }

    /** The pod's cgroups: memory limited, CPUs `cpus` (for example "0-1" or "1"). */
    cgroup(name: string, o: { cpus: string; memoryBytes?: number }): PodCgroup {
        const full = `${this.id}-${name}`;
        const dirs = Object.fromEntries(
            CONTROLLERS.map((c) => [c, path.join(CGROUP_ROOT, c, full)]),
        ) as PodCgroup["dirs"];
        for (const c of CONTROLLERS) {
            fs.mkdirSync(dirs[c]);
        }
        // runc makes each container's cgroup below the pod's in every hierarchy: all go, processes first.
        this.undo.push(() => removeCgroupTree(full));
        fs.writeFileSync(
            path.join(dirs.cpuset, "cpuset.mems"),
            fs.readFileSync(path.join(CGROUP_ROOT, "cpuset", "cpuset.mems")),
        );
        fs.writeFileSync(path.join(dirs.cpuset, "cpuset.cpus"), o.cpus);
        if (o.memoryBytes !== undefined) {
            fs.writeFileSync(path.join(dirs.memory, "memory.limit_in_bytes"), String(o.memoryBytes));
        }
        return { name: full, dirs, procs: CONTROLLERS.map((c) => path.join(dirs[c], "cgroup.procs")) };
    }

    /** Every process of the pod: of its cgroup and its containers' cgroups below it (memory hierarchy). */
    podProcesses(cg: PodCgroup): number[] {
        return cgroupTree(cg.dirs.memory).flatMap(cgroupProcs);
    }

    /** The pod's volumes as directories: the ConfigMap's files (0444), emptyDirs (0777, as Kubernetes makes them). */
    volumes(pod: LabPod): Record<string, string> {
        const out: Record<string, string> = {};
        for (const [name, kind] of Object.entries(pod.volumes)) {
            const d = fs.mkdtempSync(path.join(this.dir, `${name}-`));
            if (kind === "configMap") {
                for (const [f, text] of Object.entries(pod.files)) {
                    fs.writeFileSync(path.join(d, f), text, { mode: 0o444 });
                }
                fs.chmodSync(d, 0o755);
            } else {
                fs.chmodSync(d, 0o777);
            }
            out[name] = d;
        }
        return out;
    }

    /** The network namespaces rigs made (`vdp<pid>-<role>`), with the rig's id and process. */
    private static netnsByRig(): { netns: string; id: string; pid: number }[] {
        return run("ip", ["netns", "list"])
            .split("\n")
            .flatMap((line) => {
                const m = /^((vdp(\d+))-\S+)/.exec(line);
                return m ? [{ netns: m[1], id: m[2], pid: Number(m[3]) }] : [];
            });
    }

    /**
     * The image: a root filesystem with the node's /usr as its base (bound read-only when a
     * container starts), /etc of its own, and the VPP install copied to /opt/vpp with the vpp
     * binary's file capabilities, the ones the pod adds (the image's `imageCapabilities`), set as
     * the Containerfiles set them; its libraries in the image's loader cache. Made once per rig.
     */
    image(fileCaps: readonly string[]): string {
        const key = [...fileCaps].sort().join(",");
        const made = this.images.get(key);
        if (made) return made;
        const root = fs.mkdtempSync(path.join(this.dir, "rootfs-"));
        fs.chmodSync(root, 0o755); // the container's "/": mkdtemp makes it 0700
        for (const [link, target] of [
            ["bin", "usr/bin"],
            ["sbin", "usr/sbin"],
            ["lib", "usr/lib"],
            ["lib64", "usr/lib64"],
        ]) {
            fs.symlinkSync(target, path.join(root, link));
        }
        for (const d of ["usr", "etc", "opt", "proc", "sys", "dev", "run", "tmp"]) fs.mkdirSync(path.join(root, d));
        fs.chmodSync(path.join(root, "tmp"), 0o1777);
        fs.writeFileSync(path.join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        fs.writeFileSync(path.join(root, "etc", "group"), "root:x:0:\n");
        fs.writeFileSync(path.join(root, "etc", "ld.so.conf"), `${VPP_IN_CONTAINER}/lib/x86_64-linux-gnu\n`);
        run("cp", ["-a", this.vppPrefix, path.join(root, VPP_IN_CONTAINER)]);
        const vpp = path.join(root, VPP_IN_CONTAINER, "bin", "vpp");
        if (fileCaps.length > 0) {
            run("setcap", [`${fileCaps.map((c) => capName(c).toLowerCase()).join(",")}=eip`, vpp]);
        }
        run("ldconfig", ["-r", root]);
        this.images.set(key, root);
        return root;
    }

    /**
     * The pod's sandbox: its IPC and UTS namespaces (held by bind mounts, as the pause container
     * holds them), its 64 MiB /dev/shm, its network namespace and cgroup.
     */
    private sandboxOf(cg: PodCgroup): PodSandbox {
        const known = this.sandboxes.get(cg.name);
        if (known) return known;
        const d = fs.mkdtempSync(path.join(this.dir, `sandbox-${cg.name}-`));
        const ipcNs = path.join(d, "ipc");
        const utsNs = path.join(d, "uts");
        const shm = path.join(d, "shm");
        fs.writeFileSync(ipcNs, "");
        fs.writeFileSync(utsNs, "");
        fs.mkdirSync(shm);
        run("unshare", [`--ipc=${ipcNs}`, `--uts=${utsNs}`, "true"]);
        run("mount", ["-t", "tmpfs", "-o", "nosuid,noexec,nodev,mode=1777,size=65536k", "shm", shm]);
        this.undo.push(() => {
            for (const m of [shm, ipcNs, utsNs]) spawnSync("umount", ["-l", m]);
        });
        const sb: PodSandbox = {
            netns: `/run/netns/${this.ns("pod")}`,
            ipcNs,
            utsNs,
            hostname: cg.name,
            shm,
            cgroupParent: `/${cg.name}`,
            cpus: fs.readFileSync(path.join(cg.dirs.cpuset, "cpuset.cpus"), "utf8").trim(),
            mems: fs.readFileSync(path.join(cg.dirs.cpuset, "cpuset.mems"), "utf8").trim(),
            supplementalGroups: [],
            fsGroup: OPENSHIFT_FS_GROUP,
        };
        this.sandboxes.set(cg.name, sb);
        return sb;
    }

    /** Writes container `c`'s OCI bundle for the pod's cgroup; returns its id and bundle directory. */
    bundle(c: Container, cg: PodCgroup, vols: Record<string, string>): { id: string; dir: string } {
        const id = `${cg.name}-${c.name}-${++this.containers}`;
        const dir = path.join(this.dir, "bundles", id);
        fs.mkdirSync(dir, { recursive: true });
        const terminationLog = path.join(dir, "termination-log");
        fs.writeFileSync(terminationLog, "", { mode: 0o666 });
        const rootfs = this.image(this.imageCaps);
        const spec = ociSpec({
            container: c,
            sandbox: this.sandboxOf(cg),
            rootfs,
            imageBinds: [{ source: "/usr", destination: "/usr" }],
            imageEnv: [IMAGE_PATH],
            volumes: vols,
            cgroupName: `${c.name}-${this.containers}`,
            memoryBytes: Rig.memoryLimit(c),
            terminationLog,
            seccomp: (this.seccompLogOnly ? loggingSeccomp : (s: LinuxSeccomp) => s)(
                runtimeDefaultSeccomp(containerCapabilities(c)),
            ),
        });
        fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(spec, null, 2));
        return { id, dir };
    }

    /**
     * Containers started from now on log what the runtime's profile would refuse instead of
     * refusing it (loggingSeccomp): for measuring, see seccompRefusals.
     */
    seccompLogOnly = false;

    /** runc with the rig's own state directory. */
    runcArgs(...args: string[]): string[] {
        return [rigRunc(), "--root", path.join(this.dir, "runc"), ...args];
    }

    /** Kills and removes a container, whatever state it is in. */
    private runcDelete(id: string): void {
        const [cmd, ...args] = this.runcArgs("delete", "--force", id);
        spawnSync(cmd, args);
    }

    /** Runs the init container to completion. */
    runInit(pod: LabPod, cg: PodCgroup, vols: Record<string, string>): { status: number | null; out: string } {
        this.imageCaps = pod.vpp.securityContext.capabilities.add ?? [];
        const b = this.bundle(pod.init, cg, vols);
        const [cmd, ...args] = this.runcArgs("run", "--bundle", b.dir, b.id);
        const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
        this.runcDelete(b.id);
        return { status: r.status, out: r.stdout + r.stderr };
    }

    /** Starts the VPP container: its process id is VPP's, process 1 of its PID namespace. */
    startVpp(pod: LabPod, cg: PodCgroup, vols: Record<string, string>): RunningContainer {
        this.imageCaps = pod.vpp.securityContext.capabilities.add ?? [];
        return this.startContainer(pod.vpp, cg, vols);
    }

    /** Starts a long-running container under runc; its pid is the container's first process, on the node. */
    startContainer(c: Container, cg: PodCgroup, vols: Record<string, string>): RunningContainer {
        const b = this.bundle(c, cg, vols);
        const pidFile = path.join(b.dir, "pid");
        const [cmd, ...args] = this.runcArgs("run", "--bundle", b.dir, "--pid-file", pidFile, b.id);
        const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
        this.children.add(child);
        this.ids.add(b.id);
        let log = "";
        child.stdout!.on("data", (buf: Buffer) => (log += buf));
        child.stderr!.on("data", (buf: Buffer) => (log += buf));
        const exited = new Promise<number | null>((resolve) =>
            child.on("exit", (code) => {
                this.children.delete(child);
                this.ids.delete(b.id);
                resolve(code);
            }),
        );
        let pid = 0;
        for (let i = 0; i < 200 && !pid; i++) {
            if (fs.existsSync(pidFile)) pid = Number(fs.readFileSync(pidFile, "utf8").trim());
            else if (child.exitCode !== null) break;
            else sleepSync(50);
        }
        if (!pid) {
            this.runcDelete(b.id);
            throw new Error(`runc did not start container ${c.name} within 10 s: ${log}`);
        }
        this.idByPid.set(pid, b.id);
        return { pid, process: child, log: () => log, exited };
    }

    /**
     * The command line that runs `argv` in a running container as the CRI's exec does: the
     * container's own process (user, groups, capabilities, no_new_privs, environment) with its
     * arguments replaced (`runc exec` without --process takes the container's).
     */
    execArgv(c: Container, pid: number, argv: string[]): string[] {
        const id = this.idByPid.get(pid);
        if (!id) throw new Error(`no container of this rig has process ${pid} (container ${c.name})`);
        return this.runcArgs("exec", id, ...argv);
    }

    /** Runs a command in a running container, as `kubectl exec` does. */
    exec(c: Container, pid: number, argv: string[], timeoutMs: number): { ok: boolean; out: string; ms: number } {
        const t0 = Date.now();
        const [cmd, ...args] = this.execArgv(c, pid, argv);
        const r = spawnSync(cmd, args, { encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL" });
        return { ok: r.status === 0, out: (r.stdout ?? "") + (r.stderr ?? ""), ms: Date.now() - t0 };
    }

    /** A probe of the VPP container, with its timeout, as the kubelet runs it. */
    probe(pod: LabPod, p: Probe, pid: number): { ok: boolean; out: string; ms: number } {
        if (!p.exec) throw new Error(`not an exec probe: ${JSON.stringify(p)}`);
        return this.exec(pod.vpp, pid, p.exec.command, p.timeoutSeconds * 1000);
    }

    /**
     * An HTTP probe of container `c`, as the kubelet sends it: to the pod's address (here its
     * loopback, the pod's only address on the pod network) and the named port, within the timeout;
     * a 2xx or 3xx answer passes.
     */
    httpProbe(c: Container & { ports?: { name: string; containerPort: number }[] }, p: Probe) {
        if (!p.httpGet) throw new Error(`not an HTTP probe: ${JSON.stringify(p)}`);
        const { port, path: urlPath } = p.httpGet;
        const number = typeof port === "number" ? port : c.ports?.find((x) => x.name === port)?.containerPort;
        if (number === undefined) throw new Error(`container ${c.name} has no port ${port}`);
        const t0 = Date.now();
        const r = this.inNetns(
            "pod",
            [
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                String(p.timeoutSeconds),
                `http://127.0.0.1:${number}${urlPath}`,
            ],
            (p.timeoutSeconds + 5) * 1000,
        );
        const code = Number(r.out.trim().slice(-3));
        return { ok: r.status === 0 && code >= 200 && code < 400, out: r.out, ms: Date.now() - t0 };
    }

    /** `vppctl` in the VPP container: the CLI's answer. */
    vppctl(pod: LabPod, pid: number, command: string): string {
        const socket = /-s (\S+)/.exec(pod.vpp.livenessProbe!.exec!.command[2])![1];
        const r = this.exec(pod.vpp, pid, ["vppctl", "-s", socket, ...command.split(" ")], 10_000);
        if (!r.ok) throw new Error(`vppctl ${command} failed: ${r.out}`);
        return r.out;
    }

    /** A command in a network namespace of the rig, as root. */
    inNetns(
        role: "client" | "kernel" | "pod",
        argv: string[],
        timeoutMs = 60_000,
    ): { status: number | null; out: string } {
        const r = spawnSync("ip", ["netns", "exec", this.ns(role), ...argv], { encoding: "utf8", timeout: timeoutMs });
        return { status: r.status, out: (r.stdout ?? "") + (r.stderr ?? "") };
    }

    /** The memory limit of a container, in bytes. */
    static memoryLimit(c: Container): number | undefined {
        const m = c.resources.limits?.memory;
        return m === undefined ? undefined : quantityToNumber(m);
    }

    /** Removes everything the rig made, processes first. Safe to call twice. */
    cleanup(): void {
        // The containers first (runc kills and removes them), then runc's own processes.
        const root = path.join(this.dir, "runc");
        const listed = fs.existsSync(root)
            ? spawnSync(rigRunc(), ["--root", root, "list", "-q"], { encoding: "utf8" }).stdout.split("\n")
            : [];
        for (const id of new Set([...this.ids, ...listed.filter(Boolean)])) this.runcDelete(id);
        this.ids.clear();
        for (const child of this.children) {
            if (child.pid) spawnSync("kill", ["-KILL", String(child.pid)]);
        }
        this.children.clear();
        while (this.undo.length > 0) {
            try {
                this.undo.pop()!();
            } catch {
                // keep going: the rest must still be removed
            }
        }
        process.removeListener("exit", this.onExit);
        process.removeListener("SIGINT", this.onSignal);
        process.removeListener("SIGTERM", this.onSignal);
    }
}

/**
 * The system calls process `pid` (or its threads) made that the runtime's seccomp profile would
 * refuse, when it runs under loggingSeccomp: the kernel's audit records (type 1326, action log) in
 * its log, named by libseccomp's resolver.
 */
export function seccompRefusals(pid: number): string[] {
    const log = spawnSync("dmesg", [], { encoding: "utf8" }).stdout ?? "";
    const numbers = new Set<string>();
    for (const m of log.matchAll(/type=1326 .*? pid=(\d+) .*? syscall=(\d+) .*? code=(0x[0-9a-f]+)/g)) {
        // code 0x7ffc0000 is SECCOMP_RET_LOG: a call the profile would refuse, let through and logged.
        if (Number(m[1]) === pid && m[3] === "0x7ffc0000") numbers.add(m[2]);
    }
    return [...numbers].map((n) => run("scmp_sys_resolver", ["-a", "x86_64", n]).trim()).sort();
}

/** Every cgroup v1 hierarchy mounted under /sys/fs/cgroup (runc joins each). */
function hierarchies(): string[] {
    return fs
        .readdirSync(CGROUP_ROOT)
        .map((h) => path.join(CGROUP_ROOT, h))
        .filter((h) => fs.existsSync(path.join(h, "cgroup.procs")));
}

/** A cgroup directory and every one below it, parents first. */
function cgroupTree(top: string): string[] {
    return [
        top,
        ...fs
            .readdirSync(top, { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .flatMap((e) => cgroupTree(path.join(top, e.name))),
    ];
}

/** The processes of one cgroup directory (not of those below it). */
function cgroupProcs(dir: string): number[] {
    return fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
}

/** Removes cgroup `name` (a top-level one) from every hierarchy: its processes killed, its children first. */
function removeCgroupTree(name: string): void {
    for (const h of hierarchies()) {
        const top = path.join(h, name);
        if (!fs.existsSync(top)) continue;
        const dirs = cgroupTree(top);
        for (const pid of dirs.flatMap(cgroupProcs)) spawnSync("kill", ["-KILL", String(pid)]);
        for (const d of dirs.reverse()) {
            for (let i = 0; i < 50 && fs.existsSync(d); i++) {
                if (spawnSync("rmdir", [d]).status === 0) break;
                sleepSync(100);
            }
        }
    }
}

/** CPU time of a cgroup so far, in nanoseconds (cpuacct.usage). */
export function cpuNanos(cg: PodCgroup): number {
    return Number(fs.readFileSync(path.join(cg.dirs.cpuacct, "cpuacct.usage"), "utf8"));
}

/** The most memory the cgroup has held, in bytes. */
export function maxMemory(cg: PodCgroup): number {
    return Number(fs.readFileSync(path.join(cg.dirs.memory, "memory.max_usage_in_bytes"), "utf8"));
}

/**
 * What each thread of process `pid` is doing, read from the node: its name, state and the kernel
 * function it waits in, then (where gdb is installed) a backtrace of every thread. For a VPP that
 * never answers its probes: the failure then says where it is stuck.
 */
export function threadReport(pid: number): string {
    const dir = `/proc/${pid}/task`;
    if (!fs.existsSync(dir)) return `process ${pid} is gone`;
    const lines: string[] = [];
    for (const tid of fs.readdirSync(dir)) {
        const read = (f: string) => {
            try {
                return fs.readFileSync(path.join(dir, tid, f), "utf8").trim();
            } catch {
                return "?";
            }
        };
        const state = /^State:\s+(.*)$/m.exec(read("status"))?.[1] ?? "?";
        lines.push(`thread ${tid} ${read("comm")}: ${state}, waiting in ${read("wchan")}`);
    }
    const gdb = spawnSync("gdb", ["-p", String(pid), "-batch", "-nx", "-ex", "thread apply all bt 12"], {
        encoding: "utf8",
        timeout: 30_000,
    });
    if (gdb.error === undefined && gdb.stdout)
        lines.push(...gdb.stdout.split("\n").filter((l) => /^(Thread|#)/.test(l)));
    return lines.join("\n");
}
