/**
 * `npm run check` against a real API server's exec path. kwok serves exec for its fake pods by
 * running a local command (its ClusterExec resource, read from kwok's default configuration file
 * `~/.kwok/kwok.yaml`: the control plane runs with a HOME of its own that holds it, so
 * scripts/tools is left as it is). The pod's shell is the host's `/bin/sh` with a PATH whose
 * `ip`, `vppctl`, `ss` and `cat /proc/1/status` answer from a file: what a real VPP 24.10 answered
 * in the data-plane tier (test/fixtures/check/vpp-24.10-answers.txt, captured there), with this
 * stack's pinned MAC. The API server reaches kwok's server as the node's kubelet: the test points
 * the fake node's address and kubelet port at it.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LAB_CONFIG } from "../fixtures/lab";
import { labPod } from "../dataplane/pod";
import { findVpp, Rig } from "../dataplane/rig";
import { ControlPlane, podMonitorCrd, ROOT, tempDir, toolsDir, toolsEnv, Workspace } from "./harness";

const STACK = "e2e-check";
const NS = "vpp-check";
/** A second lab, with `metrics: cluster`, on the same cluster (its exec answers the same). */
const METRICS_STACK = "e2e-check-metrics";
const METRICS_NS = "vpp-check-metrics";
/** The answers were captured with host-macvlan0 polling (as dedicated cores make it). */
const STACK_CONFIG = { ...LAB_CONFIG, namespace: NS, rxMode: "polling" };
const ANSWERS = path.join(ROOT, "test", "fixtures", "check", "vpp-24.10-answers.txt");
/** The MAC of the mocks' lab, which the data-plane tier pinned when the answers were captured. */
const CAPTURED_MAC = "c6:b4:b5:74:11:88";
/** One line of the report: status, the item padded to the longest ("AF_PACKET socket"), the evidence. */
const row = (item: string, evidence: string, status = "ok  ") => `${status}  ${item.padEnd(16)}  ${evidence}`;
/** The items read inside the pod, all ok, for the lab's defaults with dedicated cores and `mac` pinned. */
const inPodRows = (mac: string) => [
    row("macvlan0", `MAC ${mac} (pinned), promiscuity 0`),
    row("host-macvlan0", `up, MAC ${mac}`),
    row("AF_PACKET ring", "TPACKET_V2"),
    row("rx mode", "host-macvlan0 queue 0 polling"),
    row("address", "host-macvlan0.123 (up): 192.168.123.150/24"),
    row("AF_PACKET socket", "p_raw on macvlan0"),
    row("capabilities", "vpp_main CapEff 0000000000007800: NET_BROADCAST, NET_ADMIN, NET_RAW, IPC_LOCK"),
];

/**
 * One fake command per file: each prints its section of $CHECK_ANSWERS; or, while $CHECK_REAL
 * holds a command line (the data-plane tier's VPP container, entered with runc exec), runs the real
 * command there, and reads VPP's own status for process 1.
 */
const FAKES: Record<string, { real: string; canned: string }> = {
    ip: { real: 'exec $(cat "$CHECK_REAL") ip "$@"', canned: "section link" },
    ss: { real: 'exec $(cat "$CHECK_REAL") ss "$@"', canned: "section ss" },
    vppctl: {
        real: 'exec $(cat "$CHECK_REAL") vppctl "$@"',
        canned: [
            'case "$*" in',
            '  *"show hardware-interfaces"*) section hw ;;',
            '  *"show interface rx-placement"*) section rx ;;',
            '  *"show interface address"*) section addr ;;',
            '  *"show interface"*) section int ;;',
            '  *"show errors"*) section errors ;;',
            '  *) echo "vppctl: unknown command $*" >&2; exit 1 ;;',
            "esac",
        ].join("\n"),
    },
    cat: {
        real: 'if [ "$1" = /proc/1/status ]; then exec /bin/cat "/proc/$(cat "$CHECK_REAL.pid")/status"; fi; exec /bin/cat "$@"',
        canned: 'if [ "$1" = /proc/1/status ]; then section status; else exec /bin/cat "$@"; fi',
    },
};

function fakeBin(dir: string): string {
    const bin = path.join(dir, "fakebin");
    fs.mkdirSync(bin, { recursive: true });
    for (const [name, body] of Object.entries(FAKES)) {
        fs.writeFileSync(
            path.join(bin, name),
            [
                "#!/bin/sh",
                `section() { awk -v s="@@$1" '$0 == s { on = 1; next } /^@@/ { on = 0 } on' "$CHECK_ANSWERS"; }`,
                `if [ -s "$CHECK_REAL" ]; then ${body.real}; fi`,
                body.canned,
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
    }
    return bin;
}

function kwokConfig(bin: string, answers: string, real: string): string {
    return [
        "apiVersion: kwok.x-k8s.io/v1alpha1",
        "kind: ClusterExec",
        "metadata:",
        "  name: vpp-check",
        "spec:",
        "  selector:",
        `    matchNamespaces: [${NS}, ${METRICS_NS}]`,
        "  execs:",
        "    - local:",
        "        envs:",
        "          - name: PATH",
        `            value: ${bin}:/usr/bin:/bin`,
        "          - name: CHECK_ANSWERS",
        `            value: ${answers}`,
        "          - name: CHECK_REAL",
        `            value: ${real}`,
        "",
    ].join("\n");
}

describe("npm run check against the API server's exec path (kwok)", function () {
    this.timeout(30 * 60 * 1000);
    let ws: Workspace;
    let cp: ControlPlane;
    let kc: string;
    let answers: string;
    let real: string;
    let mac: string;

    const check = (...args: string[]) => {
        const r = spawnSync(
            path.join(ROOT, "node_modules", ".bin", "node"),
            ["-r", "ts-node/register/transpile-only", path.join(ROOT, "check", "cli.ts"), "--dir", ws.project, ...args],
            { cwd: ROOT, env: ws.pulumiEnv(kc), encoding: "utf8", timeout: 5 * 60 * 1000 },
        );
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const writeAnswers = (edit: (s: string) => string = (s) => s) =>
        fs.writeFileSync(answers, edit(fs.readFileSync(ANSWERS, "utf8").split(CAPTURED_MAC).join(mac)));

    before(function () {
        const tools = toolsDir();
        const env = toolsEnv(tools);
        const dir = tempDir("vpp-e2e-check-");
        answers = path.join(dir, "answers.txt");
        real = path.join(dir, "real");
        const home = path.join(dir, "home");
        fs.mkdirSync(path.join(home, ".kwok"), { recursive: true });
        fs.writeFileSync(path.join(home, ".kwok", "kwok.yaml"), kwokConfig(fakeBin(dir), answers, real));
        ws = new Workspace(dir, env);
        cp = new ControlPlane(path.join(dir, "cluster"), {
            ...env,
            HOME: home,
            VPP_TOOLS_CACHE: env.VPP_TOOLS_CACHE ?? path.dirname(tools),
        });
        cp.start();
        kc = cp.kubeconfig;
        // The API server execs through the node's kubelet: kwok's own server (HTTPS with a
        // certificate of its own; the API server checks none without --kubelet-certificate-authority).
        const kwokPort = /kwok=(\d+)/.exec(fs.readFileSync(path.join(cp.dir, "ports"), "utf8"))![1];
        cp.kubectl(
            "patch",
            "node",
            "kwok-node-0",
            "--subresource=status",
            "--type=merge",
            "-p",
            JSON.stringify({
                status: {
                    addresses: [
                        { type: "InternalIP", address: "127.0.0.1" },
                        { type: "Hostname", address: "127.0.0.1" },
                    ],
                    daemonEndpoints: { kubeletEndpoint: { Port: Number(kwokPort) } },
                },
            }),
        );
        ws.ok("stack init", kc, ["stack", "init", STACK]);
        ws.configure(STACK, kc, STACK_CONFIG);
        ws.ok("up", kc, ["up", "--stack", STACK, "--yes", "--skip-preview"]);
        cp.kubectl("wait", "-n", NS, "--for=condition=Available", "deployment/vpp-server", "--timeout=180s");
        mac = JSON.parse(ws.ok("outputs", kc, ["stack", "output", "--stack", STACK, "--json"]).stdout).macAddress;
    });

    after(function () {
        if (cp) cp.stop();
    });

    it("every item ok from the pod's answers through exec; the ping and curl for the VLAN; exit 0", () => {
        writeAnswers();
        const r = check("--stack", STACK);
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        const pod = /^ok {4}pod {15}(vpp-server-\S+) Ready, 0 restarts$/m.exec(r.stdout)?.[1];
        assert.ok(pod, r.stdout);
        assert.strictEqual(
            r.stdout,
            [
                `vpp-server check: stack ${STACK}, namespace ${NS}`,
                row("pod", `${pod} Ready, 0 restarts`),
                row("NAD macvlan0", "master eno8403np1, mode bridge"),
                ...inPodRows(mac),
                row("counters", "host-macvlan0.123: rx 7 packets, tx 7 packets, 2 drops; no error counters"),
                "",
                "from a host on VLAN 123 in the subnet of 192.168.123.150/24:",
                "  ping -c3 -W1 192.168.123.150",
                "  curl http://192.168.123.150/index.html",
                "",
            ].join("\n"),
        );
    });

    it("a promiscuous macvlan0 fails that item, names it first with its troubleshooting entry, and exits 1", () => {
        writeAnswers((s) => s.replace("promiscuity 0 ", "promiscuity 1 "));
        const r = check("--stack", STACK);
        assert.strictEqual(r.status, 1, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^FAIL  macvlan0 {10}MAC ${mac} \\(pinned\\), promiscuity 1$`, "m"));
        assert.match(
            r.stdout,
            new RegExp(
                `^first failure: macvlan0: MAC ${mac} \\(pinned\\), promiscuity 1\\nsee docs/troubleshooting\\.md: "\`npm run check\`: macvlan0 is missing, has another MAC or is promiscuous."$`,
                "m",
            ),
        );
        assert.strictEqual((r.stdout.match(/^FAIL/gm) ?? []).length, 1, r.stdout);
    });

    it("--format json: the same items for tools", () => {
        writeAnswers();
        const r = check("--stack", STACK, "--format", "json");
        assert.strictEqual(r.status, 0, r.stderr);
        const doc = JSON.parse(r.stdout);
        assert.strictEqual(doc.ok, true);
        assert.strictEqual(doc.firstFailure, null);
        assert.deepStrictEqual(
            doc.checks.map((c: { item: string; ok: boolean }) => [c.item, c.ok]),
            [
                ["pod", true],
                ["NAD macvlan0", true],
                ["macvlan0", true],
                ["host-macvlan0", true],
                ["AF_PACKET ring", true],
                ["rx mode", true],
                ["address", true],
                ["AF_PACKET socket", true],
                ["capabilities", true],
                ["counters", true],
            ],
        );
        assert.deepStrictEqual(doc.clientCommands, [
            "ping -c3 -W1 192.168.123.150",
            "curl http://192.168.123.150/index.html",
        ]);
    });

    it("without --stack: the selected stack", () => {
        writeAnswers();
        ws.ok("select", kc, ["stack", "select", STACK]);
        const r = check();
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        assert.strictEqual(r.stdout.split("\n")[0], `vpp-server check: stack ${STACK}, namespace ${NS}`);
    });

    it("metrics cluster: one more item, ok with the exporter Ready, its Service's endpoint and the PodMonitor; a deleted PodMonitor fails it", () => {
        writeAnswers();
        cp.kubectl("apply", "--server-side", "-f", podMonitorCrd());
        cp.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/podmonitors.monitoring.coreos.com");
        ws.ok("stack init (metrics)", kc, ["stack", "init", METRICS_STACK]);
        ws.configure(METRICS_STACK, kc, { ...STACK_CONFIG, namespace: METRICS_NS, metrics: "cluster" });
        ws.ok("up (metrics)", kc, ["up", "--stack", METRICS_STACK, "--yes", "--skip-preview"]);
        cp.kubectl("wait", "-n", METRICS_NS, "--for=condition=Available", "deployment/vpp-server", "--timeout=180s");
        const metricsMac = JSON.parse(
            ws.ok("outputs (metrics)", kc, ["stack", "output", "--stack", METRICS_STACK, "--json"]).stdout,
        ).macAddress;
        fs.writeFileSync(answers, fs.readFileSync(ANSWERS, "utf8").split(CAPTURED_MAC).join(metricsMac));
        const podIp = (): string =>
            JSON.parse(
                cp.kubectl("get", "pods", "-n", METRICS_NS, "-l", "app.kubernetes.io/name=vpp-server", "-o", "json"),
            ).items[0].status.podIP;

        const r = check("--stack", METRICS_STACK);
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        const lines = r.stdout.split("\n");
        assert.strictEqual(
            lines[lines.indexOf("") - 1],
            row(
                "metrics",
                `vpp-metrics Ready, 0 restarts; Service vpp-server-metrics -> ${podIp()}:9482; PodMonitor vpp-server scrapes port metrics /metrics every 30s`,
            ),
        );

        cp.kubectl("delete", "podmonitors.monitoring.coreos.com", "vpp-server", "-n", METRICS_NS);
        const gone = check("--stack", METRICS_STACK);
        assert.strictEqual(gone.status, 1, gone.stdout);
        assert.match(gone.stdout, /^FAIL  metrics {9}.*; no PodMonitor vpp-server in vpp-check-metrics$/m);
        assert.match(
            gone.stdout,
            /see docs\/troubleshooting\.md: "`npm run check`: VPP's counters do not reach the cluster's monitoring."/,
        );
        ws.ok("destroy (metrics)", kc, [
            "destroy",
            "--stack",
            METRICS_STACK,
            "--yes",
            "--skip-preview",
            "--run-program",
        ]);
        writeAnswers();
    });

    it("a stack that is not deployed: exit 1, saying so and how to deploy it", () => {
        ws.ok("stack init", kc, ["stack", "init", "e2e-none"]);
        const r = check("--stack", "e2e-none");
        assert.strictEqual(r.status, 1, r.stdout);
        assert.strictEqual(r.stdout, "");
        assert.strictEqual(
            r.stderr,
            "check: stack e2e-none has no output namespace: deploy it first (./scripts/pulumi.sh up --stack e2e-none)\n",
        );
    });

    // Registered only where the data-plane tier can run (a VPP install, root); otherwise one line says so.
    const realVpp = findVpp();
    const realPrefix = "prefix" in realVpp && process.getuid?.() === 0 ? realVpp.prefix : undefined;
    if (!realPrefix) {
        console.log(
            `    real VPP not used: ${"missing" in realVpp ? realVpp.missing : "the data-plane rig needs root"}`,
        );
    } else {
        it("where the data-plane tier's VPP is present: the stack's pod runs on it, answers through exec, every item ok", async function () {
            // The stack's own pod (its pinned MAC), as the data-plane tier runs it.
            const pod = await labPod({ ...STACK_CONFIG, macAddress: mac });
            const rig = new Rig(realPrefix);
            try {
                rig.network({ mac, vlanId: pod.vlanId, clientCidr: "192.168.123.10/24" });
                const vols = rig.volumes(pod);
                const cg = rig.cgroup("check", { cpus: "0-1", memoryBytes: Rig.memoryLimit(pod.vpp) });
                const init = rig.runInit(pod, cg, vols);
                assert.strictEqual(init.status, 0, init.out);
                const vpp = rig.startVpp(pod, cg, vols);
                const startup = pod.vpp.startupProbe!;
                for (let i = 0; !rig.probe(pod, startup, vpp.pid).ok; i++) {
                    if (i >= startup.failureThreshold) throw new Error(`VPP never started:\n${vpp.log()}`);
                    await new Promise((r) => setTimeout(r, startup.periodSeconds * 1000));
                }
                const curl = rig.inNetns("client", [
                    "curl",
                    "-sS",
                    "--max-time",
                    "5",
                    "http://192.168.123.150/index.html",
                ]);
                assert.strictEqual(curl.out, "Welcome\n");
                const argv = rig.execArgv(pod.vpp, vpp.pid, []);
                assert.deepStrictEqual(
                    argv.filter((a) => /\s/.test(a)),
                    [],
                    "the fake commands split the command line on spaces",
                );
                // No canned answer: every in-pod item can pass only on the real VPP's answers.
                fs.writeFileSync(answers, "");
                fs.writeFileSync(`${real}.pid`, String(vpp.pid));
                fs.writeFileSync(real, argv.join(" "));

                const r = check("--stack", STACK);
                assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
                const lines = r.stdout.split("\n");
                assert.deepStrictEqual(lines.slice(3, 10), inPodRows(mac));
                assert.match(
                    lines[10],
                    /^ok {4}counters {10}host-macvlan0\.123: rx [1-9]\d* packets, tx [1-9]\d* packets, \d+ drops; /,
                );
            } finally {
                fs.rmSync(real, { force: true });
                rig.cleanup();
            }
        });
    }
});
