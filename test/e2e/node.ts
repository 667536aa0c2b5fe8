/**
 * A real node for the end-to-end tier and the sandbox: scripts/tools/node.sh's kubelet, containerd,
 * runc and Multus beside a control plane of cluster.sh, the images the node runs (assembled here
 * from Debian's packages and a VPP install, then imported: no registry), and a client on the lab's
 * VLAN behind the node's trunk link.
 *
 *   client netns (vppc-<id>)          node netns (vppn-<id>)                 the pod's netns
 *   eth0 <clientCidr>, tc tagger ── veth ── trunk0 ── macvlan (Multus, the NAD) ── macvlan0 (VPP)
 *                                           eth0 198.18.x.2/30 ── veth ── this machine (API server)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ControlPlane, ROOT } from "./harness";
import { vlanClient } from "../../sandbox/vlan";

const NODE_SH = path.join(ROOT, "scripts", "tools", "node.sh");

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
    }
    return r.stdout;
}

/** Why this machine cannot run the node, or undefined when it can. */
export function nodeUnavailable(): string | undefined {
    if (process.platform !== "linux") return `the node runs on Linux (this is ${process.platform})`;
    if (process.getuid?.() !== 0) return "the node runs as root (network namespaces, cgroups, mounts)";
    const mounts = fs.readFileSync("/proc/self/mounts", "utf8");
    for (const c of ["cpu", "cpuacct", "cpuset", "memory", "pids"]) {
        if (!new RegExp(` cgroup [^ ]*\\b${c}\\b`).test(mounts)) return `no cgroup v1 ${c} hierarchy is mounted`;
    }
    for (const tool of ["socat", "umoci", "nsenter", "clang", "tc"]) {
        if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
    }
    return undefined;
}

export interface NodeInfo {
    readonly netns: string;
    readonly node: string;
    readonly nodeIp: string;
    readonly hostIp: string;
}

/** The node of a started control plane. */
export class RealNode {
    private info?: NodeInfo;
    private readonly undo: (() => void)[] = [];

    constructor(
        readonly cp: ControlPlane,
        private readonly env: NodeJS.ProcessEnv,
    ) {}

    get name(): string {
        return this.started.node;
    }
    get netns(): string {
        return this.started.netns;
    }
    private get started(): NodeInfo {
        if (!this.info) throw new Error("the node is not started");
        return this.info;
    }

    /** node.sh start: returns once the node is Ready. */
    start(): NodeInfo {
        const r = spawnSync("bash", [NODE_SH, "start", this.cp.dir], {
            env: this.env,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "inherit"],
        });
        if (r.status !== 0) throw new Error(`node.sh start ${this.cp.dir} failed (${r.status}); its log is above`);
        const line = fs.readFileSync(path.join(this.cp.dir, "node", "info"), "utf8");
        const field = (k: string) => new RegExp(`\\b${k}=(\\S+)`).exec(line)?.[1] ?? "";
        this.info = { netns: field("netns"), node: field("node"), nodeIp: field("node-ip"), hostIp: field("host-ip") };
        return this.info;
    }

    /** Everything the node and the tests' links made, gone. */
    stop(): void {
        while (this.undo.length > 0) {
            try {
                this.undo.pop()!();
            } catch {
                // best effort, as node.sh stop is
            }
        }
        spawnSync("bash", [NODE_SH, "stop", this.cp.dir], { env: this.env, stdio: "inherit" });
    }

    /** The image of `rootfs` in the node's store as `name`, with `user` as its USER. */
    importImage(rootfs: string, name: string, user?: string): void {
        run("bash", [NODE_SH, "import", this.cp.dir, rootfs, name, ...(user ? [user] : [])], this.env);
    }

    /** A command in the node's network namespace (nsenter: the machine's /sys, cgroups included). */
    inNode(cmd: string, ...args: string[]): string {
        return run("nsenter", [`--net=/run/netns/${this.netns}`, "--", cmd, ...args]);
    }

    /**
     * The lab's VLAN: `trunk` in the node (the stack's macvlanMaster), its peer eth0 in a client
     * namespace with `clientCidr`, tagging with `vlanId` as a switch port's VLAN would. Returns the
     * client's namespace.
     */
    vlanClient(trunk: string, vlanId: number, clientCidr: string, workdir: string): string {
        const client = this.netns.replace(/^vppn-/, "vppc-");
        this.undo.push(vlanClient(this.netns, client, trunk, vlanId, clientCidr, workdir));
        return client;
    }

    /** ctr against the node's containerd, in the CRI's namespace (k8s.io). */
    ctr(...args: string[]): string {
        const bin = path.join(String(this.env.VPP_NODE_BIN), "ctr");
        const sock = path.join(this.cp.dir, "node", "containerd", "containerd.sock");
        return this.inNode(bin, "--address", sock, "-n", "k8s.io", ...args);
    }

    /** The OCI configuration containerd gave runc for a container of a pod (its status's containerID). */
    ociSpec(containerID: string): any {
        return JSON.parse(this.ctr("containers", "info", containerID.replace(/^containerd:\/\//, ""))).Spec;
    }

    /** The process id of a running container, on this machine (ctr tasks ls: TASK PID STATUS). */
    pidOf(containerID: string): number {
        const id = containerID.replace(/^containerd:\/\//, "");
        const line = this.ctr("tasks", "ls")
            .split("\n")
            .find((l) => l.split(/\s+/)[0] === id);
        if (!line) throw new Error(`container ${id} has no task on the node`);
        return Number(line.split(/\s+/)[1]);
    }

    /** The kubelet's, containerd's, socat's and Multus's logs, for a failure message. */
    logs(lines = 60): string {
        const dir = path.join(this.cp.dir, "node", "logs");
        if (!fs.existsSync(dir)) return "(no node logs)";
        return fs
            .readdirSync(dir)
            .map((f) => {
                const text = fs.readFileSync(path.join(dir, f), "utf8").split("\n");
                return `--- ${f} (last ${lines} lines)\n${text.slice(-lines).join("\n")}`;
            })
            .join("\n");
    }
}
