/**
 * The data-plane rig: the lab's pod run as the kubelet runs it, on a VLAN, with a client.
 *
 *   client netns                 node netns                      pod netns
 *   eth0 192.168.123.10/24 ── veth ── eno ── macvlan (bridge) ── macvlan0 (the pinned MAC)
 *   tc eBPF: tag on egress,          │                           VPP's AF_PACKET socket,
 *   untag on ingress (VLAN 123)      └─ macvlan ── kernel netns: mv0 192.168.123.151/24, tagged
 *                                                  the same way, nginx (the kernel's anchor)
 *
 * Each container runs as a container does: its process joins the pod's memory, cpuset and cpuacct
 * cgroups (v1) before anything else, then the pod's network namespace, then a mount namespace of
 * its own holding its volumes (the ConfigMap read-only at its path, emptyDirs writable by anyone,
 * as Kubernetes makes them), a private /dev/shm and a read-only root; then it drops to the
 * container's uid and gid with exactly its capabilities (ambient, as the image's file
 * capabilities give them to vpp), no new privileges, and only the container's environment.
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
import type { Container, LabPod, Probe } from "./pod";

/**
 * The VPP versions the tier and the benchmark know: the default image's (the proof of concept's),
 * and the current stable release.
 */
export const VPP_VERSIONS = ["24.10", "26.06"] as const;
/** Where a container finds the install, read-only, as an image carries VPP in its own filesystem. */
export const VPP_IN_CONTAINER = "/opt/vpp";
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
    // The rig mounts the install at VPP_IN_CONTAINER and runs VPP as uid 10000: a RUNPATH into the
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

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

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

export class Rig {
    readonly id = `vdp${process.pid}`;
    readonly dir: string;
    private readonly undo: (() => void)[] = [];
    private readonly children = new Set<ChildProcess>();
    private tagger?: string;
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
        for (const c of CONTROLLERS) {
            const root = path.join(CGROUP_ROOT, c);
            for (const d of fs.existsSync(root) ? fs.readdirSync(root) : []) {
                const m = /^vdp(\d+)-/.exec(d);
                if (m && !alive(Number(m[1]))) spawnSync("rmdir", [path.join(root, d)]);
            }
        }
    }

    /** The VLAN tagger, compiled for `vlanId` once per rig. */
    private taggerObject(vlanId: number): string {
        if (!this.tagger) {
            const out = path.join(this.dir, `vlan-tagger-${vlanId}.o`);
            run("clang", [
                "-O2",
                "-target",
                "bpf",
                `-DVLAN_ID=${vlanId}`,
                "-I/usr/include/x86_64-linux-gnu",
                "-c",
                path.join(__dirname, "vlan-tagger.bpf.c"),
                "-o",
                out,
            ]);
            this.tagger = out;
        }
        return this.tagger;
    }

    private attachTagger(netns: string, dev: string, vlanId: number): void {
        const obj = this.taggerObject(vlanId);
        const tc = (...args: string[]) => run("ip", ["netns", "exec", netns, "tc", ...args]);
        tc("qdisc", "add", "dev", dev, "clsact");
        for (const [hook, section] of [
            ["egress", "tc/tag"],
            ["ingress", "tc/untag"],
        ]) {
            tc("filter", "add", "dev", dev, hook, "bpf", "da", "obj", obj, "sec", section);
        }
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
            this.undo.push(() => {
                // Processes first: a cgroup with members cannot be removed.
                for (const pid of fs.existsSync(dirs[c])
                    ? fs.readFileSync(path.join(dirs[c], "cgroup.procs"), "utf8").split("\n")
                    : []) {
                    if (pid) spawnSync("kill", ["-KILL", pid]);
                }
                for (let i = 0; i < 50 && fs.existsSync(dirs[c]); i++) {
                    if (spawnSync("rmdir", [dirs[c]]).status === 0) break;
                    spawnSync("sleep", ["0.1"]);
                }
            });
        }
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

    /** Whether a rig of another live process has network namespaces (it may be running containers). */
    static otherRigAlive(ownId: string): boolean {
        return Rig.netnsByRig().some(({ id, pid }) => id !== ownId && fs.existsSync(`/proc/${pid}`));
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
     * A mount point the container needs on the root filesystem, made (and later removed) when
     * missing. The containers' mount namespaces bind their volumes over these directories, and
     * removing one detaches what another namespace mounted on it (Linux since 3.18): so they are
     * left in place while another rig lives, and each container makes its own again (mkdir -p)
     * right before it mounts.
     */
    private mountPoint(target: string): void {
        let missing = target;
        while (!fs.existsSync(path.dirname(missing))) missing = path.dirname(missing);
        if (fs.existsSync(target)) return;
        fs.mkdirSync(target, { recursive: true });
        this.undo.push(() => {
            if (Rig.otherRigAlive(this.id)) return;
            // Only what the rig made, only when empty: from the deepest up.
            for (let d = target; d.length >= missing.length; d = path.dirname(d)) {
                try {
                    fs.rmdirSync(d);
                } catch {
                    break;
                }
            }
        });
    }

    /** The environment a container's command sees: its own, plus PATH with VPP's binaries first. */
    private environment(c: Container): string[] {
        const pathVar = `PATH=${VPP_IN_CONTAINER}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
        return [pathVar, "HOME=/", ...(c.env ?? []).map((e) => `${e.name}=${e.value}`)];
    }

    /** setpriv's arguments for the container's user, capabilities and privilege escalation. */
    private privileges(c: Container): string[] {
        const sc = c.securityContext;
        const caps = (sc.capabilities.add ?? []).map((x) => `+${x.toLowerCase()}`);
        const set = ["-all", ...caps].join(",");
        return [
            "setpriv",
            `--reuid=${sc.runAsUser}`,
            `--regid=${sc.runAsGroup}`,
            "--clear-groups",
            `--inh-caps=${set}`,
            `--ambient-caps=${set}`,
            `--bounding-set=${set}`,
            ...(sc.allowPrivilegeEscalation === false ? ["--no-new-privs"] : []),
            "--",
        ];
    }

    /** The command line that runs `argv` in container `c` of the pod, as described above. */
    containerArgv(c: Container, cg: PodCgroup, vols: Record<string, string>, argv: string[] = c.command): string[] {
        const mounts = c.volumeMounts.map((m) => {
            this.mountPoint(m.mountPath);
            const src = vols[m.name];
            if (!src) throw new Error(`container ${c.name} mounts volume ${m.name}, which the pod does not have`);
            return `mkdir -p ${q(m.mountPath)} && mount --bind ${q(src)} ${q(m.mountPath)}${m.readOnly ? ` && mount -o remount,bind,ro ${q(m.mountPath)}` : ""}`;
        });
        this.mountPoint(VPP_IN_CONTAINER);
        const inner = [
            "set -e",
            "mount -t tmpfs -o mode=1777,size=64m shm /dev/shm",
            // The image's VPP: its RUNPATHs are relative ($ORIGIN), so it runs from here.
            `mkdir -p ${VPP_IN_CONTAINER} && mount --bind ${q(this.vppPrefix)} ${VPP_IN_CONTAINER} && mount -o remount,bind,ro ${VPP_IN_CONTAINER}`,
            ...mounts,
            ...(c.securityContext.readOnlyRootFilesystem ? ["mount -o remount,bind,ro /"] : []),
            `exec ${[...this.privileges(c), "env", "-i", ...this.environment(c), ...argv].map(q).join(" ")}`,
        ].join("\n");
        const outer = [
            "set -e",
            ...cg.procs.map((p) => `echo $$ > ${q(p)}`),
            `exec ip netns exec ${q(this.ns("pod"))} unshare --mount --propagation private /bin/sh -c ${q(inner)}`,
        ].join("\n");
        return ["/bin/sh", "-c", outer];
    }

    /** Runs the init container to completion. */
    runInit(pod: LabPod, cg: PodCgroup, vols: Record<string, string>): { status: number | null; out: string } {
        const [cmd, ...args] = this.containerArgv(pod.init, cg, vols);
        const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
        return { status: r.status, out: r.stdout + r.stderr };
    }

    /** Starts the VPP container's command; its process id stays VPP's (every step execs). */
    startVpp(pod: LabPod, cg: PodCgroup, vols: Record<string, string>): RunningContainer {
        return this.startContainer(pod.vpp, cg, vols);
    }

    /** Starts a long-running container's command; its process id stays the command's (every step execs). */
    startContainer(c: Container, cg: PodCgroup, vols: Record<string, string>): RunningContainer {
        const [cmd, ...args] = this.containerArgv(c, cg, vols);
        const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
        this.children.add(child);
        let log = "";
        child.stdout!.on("data", (b: Buffer) => (log += b));
        child.stderr!.on("data", (b: Buffer) => (log += b));
        const exited = new Promise<number | null>((resolve) =>
            child.on("exit", (code) => {
                this.children.delete(child);
                resolve(code);
            }),
        );
        return { pid: child.pid!, process: child, log: () => log, exited };
    }

    /** The command line that runs `argv` in a running container: nsenter, then setpriv and the container's environment. */
    execArgv(c: Container, pid: number, argv: string[]): string[] {
        return [
            "nsenter",
            `--target=${pid}`,
            "--mount",
            "--net",
            "--",
            ...this.privileges(c),
            "env",
            "-i",
            ...this.environment(c),
            ...argv,
        ];
    }

    /** Runs a command in a running container (its mount and network namespaces, its user and capabilities). */
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

/** CPU time of a cgroup so far, in nanoseconds (cpuacct.usage). */
export function cpuNanos(cg: PodCgroup): number {
    return Number(fs.readFileSync(path.join(cg.dirs.cpuacct, "cpuacct.usage"), "utf8"));
}

/** The most memory the cgroup has held, in bytes. */
export function maxMemory(cg: PodCgroup): number {
    return Number(fs.readFileSync(path.join(cg.dirs.memory, "memory.max_usage_in_bytes"), "utf8"));
}
