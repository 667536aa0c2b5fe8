/**
 * `npm run check`'s judgements, fed what a real VPP 24.10 answered in the data-plane tier
 * (test/fixtures/check/vpp-24.10-answers.txt, the probe's own output there): every item ok, then
 * one change per rule and the item it fails, the report's text and JSON, the arguments.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    capabilityNames,
    CheckLine,
    Expected,
    formatJson,
    formatText,
    judge,
    MetricsState,
    PodState,
    probeScript,
    TROUBLESHOOTING,
    splitSections,
} from "../../check/checks";
import { parseArgs, UsageError } from "../../check/cli";
import { LAB_NAD_CONFIG } from "../fixtures/lab";

const ROOT = path.join(__dirname, "..", "..");
const ANSWERS = fs.readFileSync(path.join(ROOT, "test", "fixtures", "check", "vpp-24.10-answers.txt"), "utf8");
const MAC = "c6:b4:b5:74:11:88";
const E: Expected = {
    stack: "lab",
    namespace: "vpp-server",
    deployment: "vpp-server",
    nadName: "macvlan0",
    master: "eno8403np1",
    mode: "bridge",
    mac: MAC,
    vlanId: 123,
    ipCidr: "192.168.123.150/24",
    afPacketVersion: 2,
    rxMode: "polling",
    capabilities: ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_BROADCAST"],
    url: "http://192.168.123.150/index.html",
    metrics: "none",
    metricsUrl: "none (pulumi config set metrics vlan --stack <lab>, then pulumi up)",
};
const POD: PodState = { name: "vpp-server-7d9c-abcde", phase: "Running", ready: true, restarts: 0 };
const NAD = JSON.stringify(LAB_NAD_CONFIG);

const run = (o: { e?: Partial<Expected>; pod?: PodState; nad?: string; answers?: string } = {}) =>
    judge({ ...E, ...o.e }, "pod" in o ? o.pod : POD, "nad" in o ? o.nad : NAD, splitSections(o.answers ?? ANSWERS));
const item = (lines: CheckLine[], name: string) => lines.find((l) => l.item === name)!;
const failed = (lines: CheckLine[]) => lines.filter((l) => !l.ok).map((l) => [l.item, l.evidence]);

describe("npm run check: judging a lab", () => {
    it("the probe reads every section in one shell: ip, vppctl on the lab's socket, ss, process 1's status", () => {
        assert.strictEqual(
            probeScript(),
            [
                "echo '@@link'; ip -d link show dev macvlan0 2>&1",
                "echo '@@hw'; vppctl -s /run/vpp/cli-vpp1.sock show hardware-interfaces host-macvlan0 2>&1",
                "echo '@@rx'; vppctl -s /run/vpp/cli-vpp1.sock show interface rx-placement 2>&1",
                "echo '@@addr'; vppctl -s /run/vpp/cli-vpp1.sock show interface address 2>&1",
                "echo '@@int'; vppctl -s /run/vpp/cli-vpp1.sock show interface 2>&1",
                "echo '@@errors'; vppctl -s /run/vpp/cli-vpp1.sock show errors 2>&1",
                "echo '@@ss'; ss -f link -anp 2>&1",
                "echo '@@status'; cat /proc/1/status 2>&1",
                "",
            ].join("\n"),
        );
    });

    it("real VPP 24.10 answers of a lab as the stack asks: every item ok, with its evidence", () => {
        assert.deepStrictEqual(
            run().map((l) => [l.item, l.ok, l.evidence]),
            [
                ["pod", true, "vpp-server-7d9c-abcde Ready, 0 restarts"],
                ["NAD macvlan0", true, "master eno8403np1, mode bridge"],
                ["macvlan0", true, `MAC ${MAC} (pinned), promiscuity 0`],
                ["host-macvlan0", true, `up, MAC ${MAC}`],
                ["AF_PACKET ring", true, "TPACKET_V2"],
                ["rx mode", true, "host-macvlan0 queue 0 polling"],
                ["address", true, "host-macvlan0.123 (up): 192.168.123.150/24"],
                ["AF_PACKET socket", true, "p_raw on macvlan0"],
                ["capabilities", true, "vpp_main CapEff 0000000000007800: NET_BROADCAST, NET_ADMIN, NET_RAW, IPC_LOCK"],
                ["counters", true, "host-macvlan0.123: rx 7 packets, tx 7 packets, 2 drops; no error counters"],
            ],
        );
    });

    it("a pod that is not Ready fails, with its phase, reason and restarts", () => {
        const pod = { ...POD, ready: false, phase: "Running", restarts: 3, reason: "CrashLoopBackOff" };
        assert.deepStrictEqual(failed(run({ pod })), [
            ["pod", "vpp-server-7d9c-abcde not Ready (phase Running, CrashLoopBackOff), 3 restarts"],
        ]);
    });

    it("no pod fails, naming the deployment and namespace", () => {
        assert.strictEqual(
            item(run({ pod: undefined }), "pod").evidence,
            "no pod of deployment vpp-server in namespace vpp-server",
        );
    });

    it("a NAD whose master or mode differs from the stack fails, with both", () => {
        assert.deepStrictEqual(failed(run({ e: { mode: "private" } })), [
            ["NAD macvlan0", "master eno8403np1, mode bridge; the stack asks master eno8403np1, mode private"],
        ]);
        assert.strictEqual(item(run({ nad: undefined }), "NAD macvlan0").evidence, "no NAD macvlan0 in vpp-server");
    });

    it("macvlan0 promiscuous, or with another MAC than the pinned one, fails", () => {
        assert.deepStrictEqual(failed(run({ answers: ANSWERS.replace("promiscuity 0 ", "promiscuity 1 ") })), [
            ["macvlan0", `MAC ${MAC} (pinned), promiscuity 1`],
        ]);
        assert.deepStrictEqual(
            failed(run({ e: { mac: "02:00:00:00:00:01" } })).map(([i]) => i),
            ["macvlan0", "host-macvlan0"],
        );
    });

    it("macAddress kernel: any MAC of macvlan0 is fine, and host-macvlan0 must carry the same", () => {
        const lines = run({ e: { mac: undefined } });
        assert.deepStrictEqual(failed(lines), []);
        assert.strictEqual(item(lines, "macvlan0").evidence, `MAC ${MAC} (the kernel's), promiscuity 0`);
    });

    it("host-macvlan0 down fails", () => {
        const answers = ANSWERS.replace(/^(host-macvlan0 +1 +)up/m, "$1down");
        assert.deepStrictEqual(failed(run({ answers })), [["host-macvlan0", `down, MAC ${MAC}`]]);
    });

    it("the ring version and rx mode must be what the stack asks", () => {
        assert.deepStrictEqual(failed(run({ e: { afPacketVersion: 3, rxMode: "interrupt" } })), [
            ["AF_PACKET ring", "TPACKET_V2; the stack asks afPacketVersion 3"],
            ["rx mode", "host-macvlan0 queue 0 polling; the stack asks rxMode interrupt"],
        ]);
    });

    it("another address, or none on the VLAN interface, fails", () => {
        assert.deepStrictEqual(failed(run({ e: { ipCidr: "192.168.123.151/24" } })), [
            ["address", "host-macvlan0.123 (up): 192.168.123.150/24; the stack asks 192.168.123.151/24"],
        ]);
        assert.deepStrictEqual(
            failed(run({ e: { vlanId: 124 } })).map(([i]) => i),
            ["address", "counters"],
        );
    });

    it("no packet socket on macvlan0 fails", () => {
        const answers = ANSWERS.replace(/^p_raw .*$/m, "");
        assert.deepStrictEqual(failed(run({ answers })), [
            [
                "AF_PACKET socket",
                "a packet socket on macvlan0 not in the pod's answer: Netid State  Recv-Q Send-Q Local Address:Port     Peer Address:PortProcess",
            ],
        ]);
    });

    it("VPP's capabilities must be exactly the image's: one more or one fewer fails", () => {
        assert.deepStrictEqual(failed(run({ e: { capabilities: ["NET_ADMIN", "NET_RAW", "IPC_LOCK"] } })), [
            [
                "capabilities",
                "vpp_main CapEff 0000000000007800: NET_BROADCAST, NET_ADMIN, NET_RAW, IPC_LOCK; the image's are NET_ADMIN, NET_RAW, IPC_LOCK",
            ],
        ]);
        assert.deepStrictEqual(capabilityNames(0x3800n), ["NET_BROADCAST", "NET_ADMIN", "NET_RAW"]);
    });

    it("counters list VPP's errors of severity error, largest first", () => {
        const answers = ANSWERS.replace(
            /^(@@errors\n.*\r?\n)/m,
            "$1       12             ip4-input                 ip4 ttl <= 1                  error  \n        3          ethernet-input              unknown vlan                   error  \n",
        );
        assert.strictEqual(
            item(run({ answers }), "counters").evidence,
            "host-macvlan0.123: rx 7 packets, tx 7 packets, 2 drops; errors: ip4-input ip4 ttl <= 1 12; ethernet-input unknown vlan 3",
        );
    });

    it("an exec that answered nothing fails every in-pod item, naming what is missing", () => {
        assert.deepStrictEqual(
            run({ answers: "" })
                .filter((l) => !l.ok)
                .map((l) => l.item),
            [
                "macvlan0",
                "host-macvlan0",
                "AF_PACKET ring",
                "rx mode",
                "address",
                "AF_PACKET socket",
                "capabilities",
                "counters",
            ],
        );
    });

    describe("metrics cluster: one more item, the exporter Ready, its Service's endpoints, the PodMonitor", () => {
        const GOOD: MetricsState = {
            container: { ready: true, restarts: 0 },
            endpoints: ["10.128.2.17:9482"],
            podMonitor: { port: "metrics", path: "/metrics", interval: "30s" },
        };
        const judgeMetrics = (m: MetricsState | undefined) =>
            item(judge({ ...E, metrics: "cluster" }, POD, NAD, splitSections(ANSWERS), m), "metrics");
        it("all there: ok, with the evidence", () => {
            assert.deepStrictEqual(judgeMetrics(GOOD), {
                item: "metrics",
                ok: true,
                evidence:
                    "vpp-metrics Ready, 0 restarts; Service vpp-server-metrics -> 10.128.2.17:9482; PodMonitor vpp-server scrapes port metrics /metrics every 30s",
                troubleshooting: TROUBLESHOOTING.metrics,
            });
        });
        it("without metrics cluster there is no metrics item", () => {
            assert.strictEqual(
                run().find((l) => l.item === "metrics"),
                undefined,
            );
            assert.strictEqual(
                run({ e: { metrics: "vlan" } }).find((l) => l.item === "metrics"),
                undefined,
            );
        });
        it("each missing part fails, saying which", () => {
            const cases: [MetricsState | undefined, string][] = [
                [undefined, "no vpp-metrics container in the pod"],
                [{ ...GOOD, container: undefined }, "no vpp-metrics container in the pod"],
                [
                    { ...GOOD, container: { ready: false, restarts: 4, reason: "CrashLoopBackOff" } },
                    "vpp-metrics not Ready (CrashLoopBackOff), 4 restarts; Service vpp-server-metrics -> 10.128.2.17:9482; PodMonitor vpp-server scrapes port metrics /metrics every 30s",
                ],
                [
                    { ...GOOD, endpoints: [] },
                    "vpp-metrics Ready, 0 restarts; Service vpp-server-metrics has no ready endpoint; PodMonitor vpp-server scrapes port metrics /metrics every 30s",
                ],
                [
                    { ...GOOD, podMonitor: undefined },
                    "vpp-metrics Ready, 0 restarts; Service vpp-server-metrics -> 10.128.2.17:9482; no PodMonitor vpp-server in vpp-server",
                ],
                [
                    { ...GOOD, podMonitor: { port: "http", interval: "30s" } },
                    "vpp-metrics Ready, 0 restarts; Service vpp-server-metrics -> 10.128.2.17:9482; PodMonitor vpp-server scrapes port http /metrics every 30s",
                ],
            ];
            for (const [m, evidence] of cases) {
                const l = judgeMetrics(m);
                assert.deepStrictEqual([l.ok, l.evidence], [false, evidence], JSON.stringify(m));
            }
        });
    });

    it("the text report: one line per item, the first failure and its troubleshooting entry, then the client's commands", () => {
        const lines = run({
            answers: ANSWERS.replace("promiscuity 0 ", "promiscuity 1 "),
            e: { metrics: "vlan", metricsUrl: "http://192.168.123.150/stats.prom" },
        });
        assert.strictEqual(
            formatText({ ...E, metrics: "vlan", metricsUrl: "http://192.168.123.150/stats.prom" }, lines),
            [
                "vpp-server check: stack lab, namespace vpp-server",
                "ok    pod               vpp-server-7d9c-abcde Ready, 0 restarts",
                "ok    NAD macvlan0      master eno8403np1, mode bridge",
                `FAIL  macvlan0          MAC ${MAC} (pinned), promiscuity 1`,
                `ok    host-macvlan0     up, MAC ${MAC}`,
                "ok    AF_PACKET ring    TPACKET_V2",
                "ok    rx mode           host-macvlan0 queue 0 polling",
                "ok    address           host-macvlan0.123 (up): 192.168.123.150/24",
                "ok    AF_PACKET socket  p_raw on macvlan0",
                "ok    capabilities      vpp_main CapEff 0000000000007800: NET_BROADCAST, NET_ADMIN, NET_RAW, IPC_LOCK",
                "ok    counters          host-macvlan0.123: rx 7 packets, tx 7 packets, 2 drops; no error counters",
                "",
                `first failure: macvlan0: MAC ${MAC} (pinned), promiscuity 1`,
                'see docs/troubleshooting.md: "`npm run check`: macvlan0 is missing, has another MAC or is promiscuous."',
                "",
                "from a host on VLAN 123 in the subnet of 192.168.123.150/24:",
                "  ping -c3 -W1 192.168.123.150",
                "  curl http://192.168.123.150/index.html",
                "  curl http://192.168.123.150/stats.prom",
                "",
            ].join("\n"),
        );
    });

    it("the JSON report: ok false, the first failure, every item, the client's commands", () => {
        const doc = JSON.parse(formatJson(E, run({ pod: { ...POD, ready: false } })));
        assert.strictEqual(doc.ok, false);
        assert.deepStrictEqual(doc.firstFailure, { item: "pod", troubleshooting: "The pod is not Ready." });
        assert.strictEqual(doc.checks.length, 10);
        assert.deepStrictEqual(doc.clientCommands, [
            "ping -c3 -W1 192.168.123.150",
            "curl http://192.168.123.150/index.html",
        ]);
    });

    it("every entry a failure points to is an entry of docs/troubleshooting.md", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "troubleshooting.md"), "utf8");
        const troubleshooting = doc.slice(doc.indexOf("## Troubleshooting"));
        for (const title of Object.values(TROUBLESHOOTING)) {
            assert.ok(troubleshooting.includes(`- **${title}**`), `docs/troubleshooting.md has no entry "${title}"`);
        }
    });

    it("arguments: --stack, --format json, --dir, --help", () => {
        assert.deepStrictEqual(parseArgs(["--stack", "lab2", "--format", "json", "--dir", "/x"], "/p"), {
            stack: "lab2",
            json: true,
            dir: "/x",
        });
        assert.deepStrictEqual(parseArgs([], "/p"), { json: false, dir: "/p" });
        assert.strictEqual(parseArgs(["--help"], "/p"), "help");
    });

    const cli = (...args: string[]) =>
        spawnSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(ROOT, "check", "cli.ts"), ...args],
            {
                cwd: ROOT,
                encoding: "utf8",
            },
        );

    it("--help prints the usage and what is checked; exit 0", function () {
        this.timeout(30_000);
        const r = cli("--help");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(
            r.stdout,
            /^usage: npm run check \[-- --stack <lab>\] \[--format text\|json\] \[--dir <project>\]\n/,
        );
        assert.match(r.stdout, /VPP's effective capabilities equal\nto the image's/);
    });

    it("a usage error names the argument and what is accepted; exit 2", function () {
        this.timeout(30_000);
        const r = cli("--format", "xml");
        assert.strictEqual(r.status, 2);
        assert.strictEqual(
            r.stderr,
            'check: --format is "xml"; expected text or json\nusage: npm run check [-- --stack <lab>] [--format text|json] [--dir <project>]\n',
        );
        const usageError = (...args: string[]) => {
            try {
                parseArgs(args, "/p");
            } catch (e) {
                assert.ok(e instanceof UsageError, String(e));
                return e.message.split("\n")[0];
            }
            assert.fail(`${args.join(" ")} is no usage error`);
        };
        assert.strictEqual(usageError("--stack"), "check: --stack needs a value");
        assert.strictEqual(usageError("--verbose"), 'check: unknown argument "--verbose"');
        assert.strictEqual(usageError("--stack", "--format"), "check: --stack needs a value");
    });
});
