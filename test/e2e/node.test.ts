/**
 * The lab on a real node: scheduled, created and started by a real kubelet, containerd (its CRI
 * plugin) and runc, its VLAN interface attached by Multus's thin plugin from the
 * NetworkAttachmentDefinition the program wrote, its logs and exec served by the kubelet
 * (scripts/tools/node.sh, test/e2e/node.ts).
 *
 * What needs no VPP runs on every machine that can run the node: the program's manifests
 * (rendered by a render stack, applied with kubectl) on the node; Multus attaching macvlan0 with
 * the stack's MAC; the init container's work and its refusal of a MAC the CNI did not pin, through
 * `kubectl logs` and the termination message; the OCI configuration containerd wrote for each
 * container (user, capabilities, no_new_privs, seccomp, read-only root), as runc received it.
 * On each VPP install (as the data-plane tier finds them): `pulumi up` onto the node, the pod Ready
 * by its own probes, ping and curl from the VLAN, `npm run check`, vpp's capabilities as the node's
 * kernel shows them, a deleted pod replaced and answering, `destroy` leaving the node clean.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import {
    ControlPlane,
    copyProject,
    podMonitorCrd,
    ROOT,
    runSandbox,
    tempDir,
    toolsDir,
    toolsEnv,
    Workspace,
} from "./harness";
import { nodeUnavailable, RealNode } from "./node";
import { assembleImage } from "../../sandbox/image";
import { LAB_CONFIG } from "../fixtures/lab";
import { findVppInstalls, VppInstall } from "../dataplane/rig";
import { CONTAINER, INIT_CONTAINER, instanceName } from "../../components/names";

/** The default namespace, as docs/troubleshooting.md's commands name it, so they run as written. */
const NS = "vpp-server";
const TRUNK = "trunk0";
const VLAN = Number(LAB_CONFIG.vlanId);
const CLIENT_CIDR = "192.168.123.10/24";
const SERVER_IP = LAB_CONFIG.ipAddress.split("/")[0];
/** The image capabilities VPP needs on AF_PACKET (the Containerfiles' setcap). */
const CAPS = ["NET_ADMIN", "NET_RAW", "IPC_LOCK"];
const NODE_CONFIG: Record<string, string> = {
    ...LAB_CONFIG,
    macvlanMaster: TRUNK,
    ...Object.fromEntries(CAPS.map((c, i) => [`imageCapabilities[${i}]`, c])),
};

const why = nodeUnavailable();
let vppInstalls: VppInstall[] = [];
let vppMissing = "";
try {
    const found = findVppInstalls();
    if ("missing" in found) vppMissing = found.missing;
    else vppInstalls = found.installs;
} catch (e) {
    vppMissing = (e as Error).message;
}

/** Polls `probe` until it returns a value, or fails with `what` and the last thing seen. */
async function until<T>(what: string, seconds: number, probe: () => T | undefined, seen: () => string): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const v = probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s; last seen:\n${seen()}`);
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/**
 * A command of the documentation, as written there (the test fails when the page no longer says
 * it), with `oc` as kubectl and `<namespace>` as the lab's; `...` stands for the lab's pod, as the
 * page's earlier commands name it.
 */
function documented(file: string, command: string): string {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    assert.ok(text.includes(command), `${file} no longer says: ${command}`);
    return command
        .replace(/^oc /, "kubectl ")
        .replace(/<namespace>/g, NS)
        .replace(/ \.\.\. /, ` -n ${NS} deploy/vpp-server -c vpp-server `);
}

interface ContainerStatus {
    name: string;
    ready: boolean;
    restartCount: number;
    containerID?: string;
    state: {
        waiting?: { reason: string; message?: string };
        running?: object;
        terminated?: { exitCode: number; reason: string; message?: string };
    };
    lastState?: ContainerStatus["state"];
}

(why ? describe.skip : describe)(
    `a real node (kubelet, containerd, runc, Multus)${why ? `: skipped, ${why}` : ""}`,
    function () {
        this.timeout(40 * 60 * 1000);
        let dir: string;
        let env: NodeJS.ProcessEnv;
        let cp: ControlPlane;
        let node: RealNode;
        let ws: Workspace;
        let client: string;
        const k = (...args: string[]) => cp.kubectl(...args);
        const pods = () =>
            JSON.parse(k("get", "pods", "-n", NS, "-l", "app.kubernetes.io/name=vpp-server", "-o", "json"))
                .items as any[];
        /** A documented command run by sh with this cluster's kubeconfig; its stdout. */
        const docRun = (command: string, input?: string) => {
            const r = spawnSync("sh", ["-c", command], {
                env: { ...env, KUBECONFIG: cp.kubeconfig },
                encoding: "utf8",
                input,
                timeout: 60_000,
            });
            assert.strictEqual(r.status, 0, `${command} exited ${r.status}: ${r.stderr}`);
            return r.stdout;
        };
        /**
         * An interactive command in a terminal: each line typed once the prompt `vpp# ` shows, as a user
         * types them (a line typed before the CLI starts is lost). Returns all it printed.
         */
        const terminal = (command: string, lines: string[]) =>
            new Promise<string>((resolve, reject) => {
                const child = spawn("sh", ["-c", command], { env: { ...env, KUBECONFIG: cp.kubeconfig } });
                let out = "";
                let typed = 0;
                const timer = setTimeout(() => {
                    child.kill("SIGKILL");
                    reject(new Error(`${command}: no end within 60 s; it printed:\n${out}`));
                }, 60_000);
                child.stdout.on("data", (d: Buffer) => {
                    out += d.toString();
                    const prompts = out.split("vpp# ").length - 1;
                    while (typed < prompts && typed < lines.length) child.stdin.write(`${lines[typed++]}\n`);
                });
                child.on("exit", (code) => {
                    clearTimeout(timer);
                    if (code === 0) resolve(out);
                    else reject(new Error(`${command} exited ${code}; it printed:\n${out}`));
                });
            });
        const podSeen = () =>
            `${k("get", "pods", "-n", NS, "-o", "wide")}\n${k("get", "events", "-n", NS)}\n${node.logs(30)}`;
        const status = (pod: any, name: string, init = false): ContainerStatus | undefined =>
            (pod.status?.[init ? "initContainerStatuses" : "containerStatuses"] ?? []).find(
                (s: ContainerStatus) => s.name === name,
            );
        before(function () {
            const tools = toolsDir();
            env = toolsEnv(tools);
            dir = tempDir("vpp-e2e-node-");
            ws = new Workspace(dir, env);
            cp = new ControlPlane(path.join(dir, "cluster"), env);
            cp.start();
            // The lab's pod goes to the real node, not kwok's.
            k("delete", "node", "kwok-node-0");
            node = new RealNode(cp, env);
            node.start();
            client = node.vlanClient(TRUNK, VLAN, CLIENT_CIDR, dir);
            if (vppInstalls.length === 0) {
                console.log(
                    `      (the node tier runs without VPP, so the pod's VPP and metrics containers cannot start, and nothing is served on the VLAN: ${vppMissing})`,
                );
            }
        });

        after(function () {
            if (node) node.stop();
            if (cp) cp.stop();
        });

        describe("the program's manifests on the node, without VPP", function () {
            const image = "localhost/vpp-server:node-base";
            let mac: string;
            let podName: string;

            before(function () {
                node.importImage(assembleImage(path.join(dir, "image-base")), image);
                const stack = "node-render";
                ws.newStack(stack, cp.kubeconfig, { ...NODE_CONFIG, image, renderDir: "rendered" });
                ws.ok("up (render)", cp.kubeconfig, ["up", "--stack", stack, "--yes", "--skip-preview"]);
                const files = fs
                    .readdirSync(path.join(ws.project, "rendered"), { recursive: true })
                    .map(String)
                    .filter((f) => f.endsWith(".yaml"))
                    .map((f) => path.join(ws.project, "rendered", f));
                const docs = files.map((f) => ({ f, doc: YAML.parse(fs.readFileSync(f, "utf8")) }));
                // The namespace first (kubectl applies files in the order given).
                const ordered = [...docs].sort(
                    (a, b) => Number(b.doc.kind === "Namespace") - Number(a.doc.kind === "Namespace"),
                );
                for (const { f } of ordered) k("apply", "-f", f);
                const dep = docs.find((d) => d.doc.kind === "Deployment")!.doc;
                mac = dep.spec.template.spec.initContainers[0].env.find((e: any) => e.name === "EXPECTED_MAC").value;
            });

            it("the pod lands on the real node, Multus attaches macvlan0 with the stack's MAC, and the init container writes VPP's files (kubectl logs)", async () => {
                const pod = await until(
                    "the init container completes",
                    240,
                    () => pods().find((p) => status(p, INIT_CONTAINER, true)?.state.terminated),
                    podSeen,
                );
                podName = pod.metadata.name;
                assert.strictEqual(pod.spec.nodeName, node.name, "scheduled on the real node");
                const init = status(pod, INIT_CONTAINER, true)!;
                assert.strictEqual(init.state.terminated!.exitCode, 0, `init container: ${JSON.stringify(init.state)}`);
                const logs = docRun(
                    documented(
                        "docs/troubleshooting.md",
                        "oc logs -n <namespace> deploy/vpp-server -c init-vpp-server",
                    ),
                );
                assert.match(
                    logs,
                    new RegExp(`^init-vpp-server: macvlan0 has MAC ${mac} \\(pinned by the stack\\)$`, "m"),
                );
                assert.match(logs, /^init-vpp-server: macvlan0 has IPv6 disabled$/m, "the NAD's tuning plugin ran");
                const filtered = docRun(
                    documented(
                        "docs/dataplane.md",
                        "oc logs -n vpp-server deploy/vpp-server -c init-vpp-server | grep -v '^---'",
                    ),
                );
                assert.match(filtered, /^init-vpp-server: /m);
                assert.doesNotMatch(filtered, /^---/m);
                // Multus's network-status annotation: the primary network and the NAD, with the MAC.
                const networks = JSON.parse(pod.metadata.annotations["k8s.v1.cni.cncf.io/network-status"]);
                const mv = networks.find((n: any) => n.interface === "macvlan0");
                assert.ok(mv, `Multus reported no macvlan0: ${JSON.stringify(networks)}`);
                assert.strictEqual(mv.mac, mac);
                assert.strictEqual(mv.name, `${NS}/macvlan0`);
            });

            it("without VPP the vpp-server container is created but cannot start, and the kubelet says why", async () => {
                const pod = await until(
                    "the vpp-server container fails to start",
                    120,
                    () => {
                        const p = pods().find((x) => x.metadata.name === podName);
                        const s = p && status(p, CONTAINER);
                        return s && (s.state.terminated || s.lastState?.terminated || s.state.waiting?.message)
                            ? p
                            : undefined;
                    },
                    podSeen,
                );
                const s = status(pod, CONTAINER)!;
                const text = JSON.stringify([s.state, s.lastState]);
                assert.match(text, /\\"vpp\\": executable file not found in \$PATH/, text);
            });

            it("containerd gave runc what the pod asks: uid 10000, exactly the added capabilities, no_new_privs, seccomp, a read-only root", async () => {
                const pod = pods().find((x) => x.metadata.name === podName);
                const vpp = status(pod, CONTAINER)!;
                assert.ok(vpp.containerID, `the vpp-server container has no id: ${JSON.stringify(vpp)}`);
                const spec = node.ociSpec(vpp.containerID!);
                const want = CAPS.map((c) => `CAP_${c}`).sort();
                assert.deepStrictEqual(spec.process.user.uid, 10000);
                assert.deepStrictEqual(spec.process.user.gid, 10000);
                for (const set of ["bounding", "effective", "permitted"]) {
                    assert.deepStrictEqual([...spec.process.capabilities[set]].sort(), want, `capabilities.${set}`);
                }
                assert.deepStrictEqual(spec.process.capabilities.inheritable ?? [], [], "no inheritable capabilities");
                assert.deepStrictEqual(spec.process.capabilities.ambient ?? [], [], "no ambient capabilities");
                assert.strictEqual(
                    spec.process.noNewPrivileges,
                    true,
                    "allowPrivilegeEscalation: false is no_new_privs",
                );
                assert.strictEqual(spec.root.readonly, true, "readOnlyRootFilesystem");
                assert.strictEqual(
                    spec.linux.seccomp?.defaultAction,
                    "SCMP_ACT_ERRNO",
                    "RuntimeDefault: containerd's profile",
                );
                assert.deepStrictEqual(spec.process.args, ["vpp", "-c", "/conf/vpp.conf"], "vpp is the first process");
                const init = status(pod, INIT_CONTAINER, true)!;
                const initSpec = node.ociSpec(init.containerID!);
                assert.deepStrictEqual(
                    initSpec.process.capabilities.effective ?? [],
                    [],
                    "the init container has none",
                );
                assert.strictEqual(initSpec.process.noNewPrivileges, true);
            });

            it("a pod whose MAC Multus did not pin: the init container refuses, and its termination message says why", async () => {
                // Multus passes the pod's MAC to the NAD's plugins both as the mac capability and as
                // CNI_ARGS MAC, which macvlan honours either way: what leaves a MAC unpinned is a pod
                // whose networks annotation has none (a hand edit) while the stack still expects one.
                const dep = JSON.parse(k("get", "deployment", "-n", NS, "vpp-server", "-o", "json"));
                const networks = JSON.parse(dep.spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"]);
                for (const n of networks) delete n.mac;
                const annotations = { "k8s.v1.cni.cncf.io/networks": JSON.stringify(networks) };
                k(
                    "patch",
                    "deployment",
                    "-n",
                    NS,
                    "vpp-server",
                    "--type=merge",
                    "-p",
                    JSON.stringify({ spec: { template: { metadata: { annotations } } } }),
                );
                const pod = await until(
                    "the new pod's init container fails",
                    240,
                    () =>
                        pods().find((p) => {
                            const s = status(p, INIT_CONTAINER, true);
                            return p.metadata.name !== podName && (s?.state.terminated ?? s?.lastState?.terminated);
                        }),
                    podSeen,
                );
                const s = status(pod, INIT_CONTAINER, true)!;
                const t = (s.state.terminated ?? s.lastState!.terminated)!;
                assert.strictEqual(t.exitCode, 1);
                assert.match(
                    t.message ?? "",
                    new RegExp(
                        `init-vpp-server: error: interface macvlan0 has MAC [0-9a-f:]{17} but this stack pins ${mac}: the CNI ignored the 'mac' capability`,
                    ),
                    `termination message: ${t.message}`,
                );
                assert.doesNotMatch(t.message ?? "", new RegExp(`has MAC ${mac} but`), "the MAC is not the pinned one");
                for (const f of fs.readdirSync(path.join(ws.project, "rendered"), { recursive: true }).map(String)) {
                    if (f.endsWith(".yaml"))
                        k("delete", "--ignore-not-found", "--wait=true", "-f", path.join(ws.project, "rendered", f));
                }
            });
        });

        for (const install of vppInstalls) {
            describe(`the lab deployed by pulumi up, on VPP ${install.version}`, function () {
                const image = `localhost/vpp-server:node-${install.version}`;
                const stack = `node-${install.version.replace(".", "")}`;
                const clientDo = (cmd: string, ...args: string[]) =>
                    spawnSync("ip", ["netns", "exec", client, cmd, ...args], { encoding: "utf8", timeout: 30_000 });
                const welcome = async (what: string) => {
                    await until(
                        what,
                        120,
                        () => {
                            const r = clientDo("curl", "-sS", "-m", "2", `http://${SERVER_IP}/index.html`);
                            return r.status === 0 && r.stdout === "Welcome\n" ? r.stdout : undefined;
                        },
                        () =>
                            `${clientDo("curl", "-sS", "-m", "2", `http://${SERVER_IP}/index.html`).stderr}\n${podSeen()}`,
                    );
                };
                let podName: string;

                before(function () {
                    node.importImage(
                        assembleImage(path.join(dir, `image-${install.version}`), install.prefix, CAPS),
                        image,
                    );
                    ws.newStack(stack, cp.kubeconfig, { ...NODE_CONFIG, image });
                    ws.ok(`up ${stack}`, cp.kubeconfig, ["up", "--stack", stack, "--yes", "--skip-preview"]);
                });

                it("the pod turns Ready by its own probes, and answers Welcome and ping on the VLAN", async () => {
                    const pod = pods().find((p) =>
                        p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
                    );
                    assert.ok(pod, `no Ready pod after pulumi up:\n${podSeen()}`);
                    podName = pod.metadata.name;
                    assert.strictEqual(pod.spec.nodeName, node.name);
                    await welcome("curl from the VLAN answers Welcome");
                    const ping = clientDo("ping", "-c", "3", "-W", "1", SERVER_IP);
                    assert.strictEqual(ping.status, 0, ping.stdout + ping.stderr);
                });

                it("vpp's capabilities, NoNewPrivs and seccomp, read from the node's kernel, are what the pod asks", () => {
                    const pod = pods().find((p) => p.metadata.name === podName);
                    const pid = node.pidOf(status(pod, CONTAINER)!.containerID!);
                    assert.ok(pid > 0, "vpp's process on the node");
                    const st = fs.readFileSync(`/proc/${pid}/status`, "utf8");
                    const field = (n: string) => new RegExp(`^${n}:\\s+(\\S+)`, "m").exec(st)?.[1];
                    // NET_ADMIN 12, NET_RAW 13, IPC_LOCK 14.
                    assert.strictEqual(field("CapEff"), "0000000000007000");
                    assert.strictEqual(field("CapPrm"), "0000000000007000");
                    assert.strictEqual(field("CapBnd"), "0000000000007000");
                    assert.strictEqual(field("CapAmb"), "0000000000000000");
                    assert.strictEqual(field("NoNewPrivs"), "1");
                    assert.strictEqual(field("Seccomp"), "2");
                    assert.strictEqual(field("Uid")?.toString(), "10000");
                });

                it("npm run check passes item by item through the kubelet's exec and logs", () => {
                    const r = spawnSync(
                        path.join(ROOT, "node_modules", ".bin", "node"),
                        [
                            "-r",
                            "ts-node/register/transpile-only",
                            path.join(ROOT, "check", "cli.ts"),
                            "--dir",
                            ws.project,
                            "--stack",
                            stack,
                        ],
                        { cwd: ROOT, env: ws.pulumiEnv(cp.kubeconfig), encoding: "utf8", timeout: 5 * 60 * 1000 },
                    );
                    assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
                    assert.doesNotMatch(r.stdout, /^FAIL/m, r.stdout);
                });

                it("the troubleshooting guide's oc exec and oc logs commands, as kubectl, answer", async () => {
                    // As written, -it and all: script(1) gives it a terminal, and the keystrokes a user types.
                    const vppctl = documented(
                        "docs/troubleshooting.md",
                        "oc exec -it -n vpp-server deploy/vpp-server -c vpp-server -- vppctl -s /run/vpp/cli-vpp1.sock",
                    );
                    const session = await terminal(`script -qec '${vppctl}' /dev/null`, ["show version", "quit"]);
                    assert.match(session, /vpp v\d+\.\d+/, session);
                    const conf = docRun(documented("docs/troubleshooting.md", "oc exec ... -- cat /conf/startup.conf"));
                    assert.match(conf, /create host-interface/);
                    const vppLog = docRun(documented("docs/troubleshooting.md", "oc logs ... -c vpp-server"));
                    assert.ok(vppLog.length > 0, "VPP's log is empty");
                });

                it("a deleted pod is replaced, and the new one answers Welcome", async () => {
                    k("delete", "pod", "-n", NS, podName, "--wait=true");
                    await until(
                        "a new pod is Ready",
                        240,
                        () =>
                            pods().find(
                                (p) =>
                                    p.metadata.name !== podName &&
                                    p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
                            ),
                        podSeen,
                    );
                    await welcome("the new pod answers Welcome");
                });

                it("with metrics: cluster, vpp-metrics turns Ready by the kubelet's HTTP probes, serves VPP's counters, and its documented log command answers", async () => {
                    k("apply", "--server-side", "-f", podMonitorCrd());
                    ws.configure(stack, cp.kubeconfig, { metrics: "cluster" });
                    ws.ok(`up ${stack} (metrics)`, cp.kubeconfig, ["up", "--stack", stack, "--yes", "--skip-preview"]);
                    const pod = await until(
                        "a pod with both containers Ready",
                        240,
                        () =>
                            pods().find(
                                (p) =>
                                    (p.status?.containerStatuses ?? []).length === 2 &&
                                    p.status.containerStatuses.every((c: ContainerStatus) => c.ready),
                            ),
                        podSeen,
                    );
                    podName = pod.metadata.name;
                    const log = docRun(
                        documented(
                            "docs/troubleshooting.md",
                            "oc logs -n <namespace> deploy/vpp-server -c vpp-metrics",
                        ),
                    );
                    assert.match(log, /^vpp-metrics: serving VPP's counters on port 9482 \(\/metrics\)/m, log);
                    const counters = node.inNode("curl", "-sS", "-m", "5", `http://${pod.status.podIP}:9482/metrics`);
                    assert.match(counters, /^# TYPE /m, counters.slice(0, 500));
                    await welcome("the lab still answers Welcome");
                });

                it("pulumi destroy --run-program leaves the node clean", async () => {
                    ws.destroy(stack, cp.kubeconfig);
                    await until(
                        "no pod of the lab is left",
                        120,
                        () => (pods().length === 0 ? true : undefined),
                        podSeen,
                    );
                    const tasks = node.ctr("tasks", "ls", "-q");
                    // Only the node's own sandboxes may remain: none, as no other pod runs on it.
                    assert.strictEqual(tasks.trim(), "", `containers still running on the node: ${tasks}`);
                    assert.deepStrictEqual(cp.objectsOf(instanceName(stack, NS)), []);
                });
            });
        }
    },
);

(why ? describe.skip : describe)(`npm run sandbox -- --node${why ? `: skipped, ${why}` : ""}`, function () {
    this.timeout(30 * 60 * 1000);
    let project: string;
    /** A fresh shell's environment: nothing of the suite's Pulumi, cluster or VPP settings. */
    const shell: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !/^(PULUMI_|KUBECONFIG$|VPP_)/.test(key)),
    );
    const sandbox = (env: NodeJS.ProcessEnv, ...args: string[]) => runSandbox(project, env, args, 20 * 60 * 1000);
    const info = () => fs.readFileSync(path.join(project, ".sandbox", "cluster", "node", "info"), "utf8");
    const netnsOf = (text: string) => /\bnetns=(\S+)/.exec(text)?.[1] ?? "";
    const namespaces = () => spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;

    beforeEach(() => {
        toolsEnv(toolsDir());
        project = path.join(tempDir("vpp-sandbox-node-"), "project");
        copyProject(project, ["Pulumi.lab.yaml", "package-lock.json", "tsconfig.build.json", "scripts", "sandbox"]);
    });

    afterEach(() => {
        if (fs.existsSync(path.join(project, ".sandbox"))) sandbox(shell, "down");
    });

    // The sandbox finds a VPP install where the tier does (the tool cache); with one, the case after
    // this runs instead.
    if (vppInstalls.length === 0) {
        it("without a VPP install and no registry: the node starts, up stops before the stack naming both, down removes everything", () => {
            const up = sandbox(shell, "up", "--node");
            assert.strictEqual(up.status, 1, `${up.stdout}\n${up.stderr}`);
            assert.match(up.stdout, /^sandbox: starting a real node \(kubelet, containerd, runc, Multus\)/m);
            assert.match(
                up.stderr,
                /^sandbox: error: the node has no image to run: no VPP install to assemble one from \(set VPP_PREFIX; .*\), and quay\.io, the registry of the stack's image quay\.io\/akaris\/vpp-server:latest, cannot be reached to pull it\. The control plane and the node keep running; npm run sandbox -- down removes them$/m,
            );
            const netns = netnsOf(info());
            assert.match(namespaces(), new RegExp(`^${netns}\\b`, "m"), "the node's namespace exists");
            const status = sandbox(shell, "status");
            assert.match(
                status.stdout,
                new RegExp(
                    `^sandbox: node: vpp-node-\\S+ running in network namespace ${netns} \\(socat \\d+, containerd \\d+, kubelet \\d+\\)$`,
                    "m",
                ),
            );
            const down = sandbox(shell, "down");
            assert.strictEqual(down.status, 0, `${down.stdout}\n${down.stderr}`);
            assert.doesNotMatch(namespaces(), new RegExp(`^(${netns}|${netns.replace("vppn-", "vppc-")})\\b`, "m"));
            assert.ok(!fs.existsSync(path.join(project, ".sandbox")), ".sandbox/ is gone");
            const link = spawnSync("ip", ["link", "show", netns.replace("vppn-", "vn")], { encoding: "utf8" });
            assert.notStrictEqual(link.status, 0, "the node's link on this machine is gone");
        });
    }

    for (const install of vppInstalls.slice(0, 1)) {
        it(`with VPP ${install.version}: the lab's pod runs on the node and answers Welcome from the printed client command; down removes everything`, () => {
            const up = sandbox({ ...shell, VPP_PREFIX: install.prefix }, "up", "--node");
            assert.strictEqual(up.status, 0, `${up.stdout}\n${up.stderr}`);
            const curl = /^ {2}(ip netns exec \S+ curl http:\/\/192\.168\.123\.150\/index\.html)$/m.exec(
                up.stdout,
            )?.[1];
            assert.ok(curl, up.stdout);
            const r = spawnSync("sh", ["-c", `${curl} -sS -m 5`], { encoding: "utf8" });
            assert.strictEqual(r.stdout, "Welcome\n", r.stderr);
            const netns = netnsOf(info());
            const down = sandbox(shell, "down");
            assert.strictEqual(down.status, 0, `${down.stdout}\n${down.stderr}`);
            assert.doesNotMatch(namespaces(), new RegExp(`^(${netns}|${netns.replace("vppn-", "vppc-")})\\b`, "m"));
        });
    }
});
