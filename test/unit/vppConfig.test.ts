/**
 * The VPP renderers: with POC-compatible options they reproduce the POC's files line for
 * line (the golden test); each addition is one option.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { LAB_NAD_CONFIG } from "../fixtures/lab";
import {
    configHash,
    DISABLE_IPV6_SYSCTL,
    macFromRandomHex,
    metricsUrl,
    readinessCommand,
    renderNadConfig,
    renderNetworkSelection,
    renderStartupConf,
    renderVppConf,
    vppctlCommand,
} from "../../components/vppConfig";

const POC = path.join(__dirname, "..", "fixtures", "poc");
const POC_OPTIONS = { pollSleepUsec: 0, adaptiveSessionQueue: false, metrics: "none" as const };
const POC_STARTUP = {
    afPacketVersion: 3 as const,
    vlanId: 123,
    ipCidr: "192.168.123.150/24",
    mac: "c6:b4:b5:74:11:88",
    httpCacheSize: "512m",
    gratuitousArp: false,
    rxMode: "interrupt" as const,
    metrics: "none" as const,
};

describe("VPP configuration renderers", () => {
    describe("golden: POC-compatible options reproduce the POC's files", () => {
        it("vpp.conf equals the POC's line for line", () => {
            assert.deepStrictEqual(
                renderVppConf(POC_OPTIONS).split("\n"),
                fs.readFileSync(path.join(POC, "vpp.conf"), "utf8").split("\n"),
            );
        });
        it("startup.conf equals the POC's line for line", () => {
            assert.deepStrictEqual(
                renderStartupConf(POC_STARTUP).split("\n"),
                fs.readFileSync(path.join(POC, "startup.conf"), "utf8").split("\n"),
            );
        });
    });

    describe("vpp.conf options", () => {
        it("pollSleepUsec > 0 adds poll-sleep-usec inside unix { }", () => {
            assert.strictEqual(
                renderVppConf({ pollSleepUsec: 100, adaptiveSessionQueue: false, metrics: "none" }),
                [
                    "unix {",
                    "  nodaemon cli-listen /run/vpp/cli-vpp1.sock",
                    "  startup-config /conf/startup.conf",
                    "  poll-sleep-usec 100",
                    "}",
                    "api-segment { prefix vpp1 }",
                    "plugins { plugin dpdk_plugin.so { disable } }",
                    "",
                ].join("\n"),
            );
        });
        it("the defaults (no sleep, adaptive session queue): no poll-sleep-usec, session { use-private-rx-mqs }, dpdk disabled", () => {
            assert.strictEqual(
                renderVppConf({ pollSleepUsec: 0, adaptiveSessionQueue: true, metrics: "none" }),
                [
                    "unix {",
                    "  nodaemon cli-listen /run/vpp/cli-vpp1.sock",
                    "  startup-config /conf/startup.conf",
                    "}",
                    "api-segment { prefix vpp1 }",
                    "session { use-private-rx-mqs }",
                    "plugins { plugin dpdk_plugin.so { disable } }",
                    "",
                ].join("\n"),
            );
        });
    });

    describe("startup.conf options", () => {
        it("afPacketVersion 2 opens a TPACKET_V2 ring (create host-interface v2), every other line as with 3", () => {
            const v2 = renderStartupConf({ ...POC_STARTUP, afPacketVersion: 2 }).split("\n");
            const v3 = renderStartupConf(POC_STARTUP).split("\n");
            assert.strictEqual(v2[0], "create host-interface v2 name macvlan0");
            assert.strictEqual(v3[0], "create host-interface name macvlan0");
            assert.deepStrictEqual(v2.slice(1), v3.slice(1));
        });
        it("rxMode polling puts host-macvlan0 in polling mode right after it is up; interrupt writes nothing", () => {
            const lines = renderStartupConf({ ...POC_STARTUP, rxMode: "polling" })
                .trimEnd()
                .split("\n");
            assert.deepStrictEqual(lines.slice(0, 4), [
                "create host-interface name macvlan0",
                "set interface mac address host-macvlan0 c6:b4:b5:74:11:88",
                "set int state host-macvlan0 up",
                "set interface rx-mode host-macvlan0 polling",
            ]);
            assert.deepStrictEqual(
                lines.filter((l) => l !== "set interface rx-mode host-macvlan0 polling"),
                renderStartupConf(POC_STARTUP).trimEnd().split("\n"),
            );
        });
        it("no option but rxMode puts an input node in polling mode: VPP may sleep at idle", () => {
            for (const afPacketVersion of [2, 3] as const) {
                for (const gratuitousArp of [true, false]) {
                    const conf = renderStartupConf({ ...POC_STARTUP, afPacketVersion, gratuitousArp });
                    assert.doesNotMatch(conf, /rx-mode|polling/, `afPacketVersion ${afPacketVersion}`);
                }
            }
        });
        it("gratuitousArp announces the address on the VLAN interface, last, once the server listens", () => {
            const lines = renderStartupConf({ ...POC_STARTUP, gratuitousArp: true })
                .trimEnd()
                .split("\n");
            assert.strictEqual(lines.length, 8);
            assert.strictEqual(lines[7], "arping gratuitous 192.168.123.150 host-macvlan0.123");
            assert.ok(
                lines.indexOf("set int ip address host-macvlan0.123 192.168.123.150/24") < 7,
                "the address must be set before the announcement",
            );
        });
        it("metrics vlan ends the HTTP server line with url-handlers, then enables prom on used counters of the lab's stats", () => {
            const vlan = renderStartupConf({ ...POC_STARTUP, metrics: "vlan" })
                .trimEnd()
                .split("\n");
            const none = renderStartupConf(POC_STARTUP).trimEnd().split("\n");
            assert.deepStrictEqual(vlan.slice(-2), [
                "http static server www-root /www uri tcp://0.0.0.0/80 cache-size 512m url-handlers",
                "prom enable used-only stat-patterns ^/if/ ^/err/ ^/buffer-pools/ ^/sys/session/",
            ]);
            assert.deepStrictEqual(vlan.slice(0, -2), none.slice(0, -1));
        });
        it("metrics vlan keeps the gratuitous ARP last, once the server and its handlers are up", () => {
            const lines = renderStartupConf({ ...POC_STARTUP, metrics: "vlan", gratuitousArp: true })
                .trimEnd()
                .split("\n");
            assert.deepStrictEqual(lines.slice(-3), [
                "http static server www-root /www uri tcp://0.0.0.0/80 cache-size 512m url-handlers",
                "prom enable used-only stat-patterns ^/if/ ^/err/ ^/buffer-pools/ ^/sys/session/",
                "arping gratuitous 192.168.123.150 host-macvlan0.123",
            ]);
        });
        it("metrics cluster puts VPP's stats socket on the shared emptyDir in vpp.conf, and adds nothing to startup.conf", () => {
            assert.strictEqual(
                renderVppConf({ pollSleepUsec: 0, adaptiveSessionQueue: true, metrics: "cluster" }),
                [
                    "unix {",
                    "  nodaemon cli-listen /run/vpp/cli-vpp1.sock",
                    "  startup-config /conf/startup.conf",
                    "}",
                    "api-segment { prefix vpp1 }",
                    "session { use-private-rx-mqs }",
                    "statseg { socket-name /run/vpp/stats.sock }",
                    "plugins { plugin dpdk_plugin.so { disable } }",
                    "",
                ].join("\n"),
            );
            assert.strictEqual(
                renderStartupConf({ ...POC_STARTUP, metrics: "cluster" }),
                renderStartupConf(POC_STARTUP),
            );
            assert.doesNotMatch(renderVppConf({ ...POC_OPTIONS, metrics: "vlan" }), /statseg/);
        });
        it("metrics none writes no url-handlers and no prom line (the POC's server line)", () => {
            assert.doesNotMatch(renderStartupConf(POC_STARTUP), /url-handlers|prom/);
        });
        it("metricsUrl: the address's /stats.prom with vlan; the pod's port and the PodMonitor with cluster; with none, how to turn it on", () => {
            assert.strictEqual(metricsUrl("vlan", "10.1.2.3/16"), "http://10.1.2.3/stats.prom");
            assert.strictEqual(
                metricsUrl("cluster", "10.1.2.3/16", "lab-a"),
                "http://<pod IP>:9482/metrics (scraped by the cluster's monitoring through PodMonitor lab-a/vpp-server; Service lab-a/vpp-server-metrics)",
            );
            assert.strictEqual(
                metricsUrl("none", "10.1.2.3/16"),
                "none (pulumi config set metrics vlan --stack <lab>, then pulumi up)",
            );
        });
        it("renders the VLAN, address, MAC and cache size it is given", () => {
            assert.strictEqual(
                renderStartupConf({
                    afPacketVersion: 2,
                    vlanId: 7,
                    ipCidr: "10.1.2.3/16",
                    mac: "02:00:00:00:00:07",
                    httpCacheSize: "64m",
                    gratuitousArp: false,
                    rxMode: "interrupt",
                    metrics: "none",
                }),
                [
                    "create host-interface v2 name macvlan0",
                    "set interface mac address host-macvlan0 02:00:00:00:00:07",
                    "set int state host-macvlan0 up",
                    "create sub-interfaces host-macvlan0 7",
                    "set interface state host-macvlan0.7 up",
                    "set int ip address host-macvlan0.7 10.1.2.3/16",
                    "http static server www-root /www uri tcp://0.0.0.0/80 cache-size 64m",
                    "",
                ].join("\n"),
            );
        });
    });

    describe("NetworkAttachmentDefinition config", () => {
        const POC_NAD = { name: "macvlan0", master: "eno8403np1", mode: "bridge", macCapability: false };
        it("without a pinned MAC, IPv6 left on: exactly the POC's single macvlan plugin, no IPAM, no capabilities", () => {
            assert.deepStrictEqual(JSON.parse(renderNadConfig({ ...POC_NAD, disableIpv6: false })), {
                cniVersion: "0.3.1",
                name: "macvlan0",
                type: "macvlan",
                master: "eno8403np1",
                linkInContainer: false,
                mode: "bridge",
            });
        });
        it("with a pinned MAC, IPv6 left on: the single plugin declares capabilities {mac: true}", () => {
            const config = JSON.parse(
                renderNadConfig({
                    name: "macvlan0",
                    master: "ens1f0",
                    mode: "private",
                    macCapability: true,
                    disableIpv6: false,
                }),
            );
            assert.deepStrictEqual(config.capabilities, { mac: true });
            assert.strictEqual(config.mode, "private");
            assert.strictEqual(config.master, "ens1f0");
            assert.strictEqual(config.ipam, undefined);
        });
        it("with IPv6 disabled and a pinned MAC: macvlan (holding the mac capability) then tuning with the allowlisted sysctl", () => {
            assert.deepStrictEqual(
                JSON.parse(renderNadConfig({ ...POC_NAD, macCapability: true, disableIpv6: true })),
                LAB_NAD_CONFIG,
            );
        });
        it("with IPv6 disabled and the kernel's MAC: no capabilities on either plugin", () => {
            const config = JSON.parse(renderNadConfig({ ...POC_NAD, disableIpv6: true }));
            assert.deepStrictEqual(
                config.plugins.map((p: Record<string, unknown>) => [p.type, p.capabilities]),
                [
                    ["macvlan", undefined],
                    ["tuning", undefined],
                ],
            );
        });
        it("the sysctl key is one OpenShift's default tuning allowlist accepts, written with IFNAME as it requires", () => {
            const allowlist = fs
                .readFileSync(path.join(__dirname, "..", "fixtures", "openshift", "cni-sysctl-allowlist.conf"), "utf8")
                .split("\n")
                .filter((l) => l.startsWith("^"));
            assert.strictEqual(
                allowlist.length,
                17,
                "fixture: the 17 patterns of cluster-network-operator's ConfigMap",
            );
            assert.ok(
                allowlist.some((re) => new RegExp(re).test(DISABLE_IPV6_SYSCTL)),
                `${DISABLE_IPV6_SYSCTL} matches none of ${allowlist.join(", ")}`,
            );
            assert.ok(
                !allowlist.some((re) => new RegExp(re).test("net.ipv6.conf.macvlan0.disable_ipv6")),
                "the allowlist matches the key as written: the interface's own name would be refused",
            );
        });
    });

    describe("pod network selection", () => {
        it("selects the NAD as macvlan0, in the pod's namespace", () => {
            assert.deepStrictEqual(JSON.parse(renderNetworkSelection("macvlan0", "vpp-server")), [
                { name: "macvlan0", namespace: "vpp-server", interface: "macvlan0" },
            ]);
        });
        it("requests the pinned MAC", () => {
            assert.deepStrictEqual(JSON.parse(renderNetworkSelection("macvlan0", "lab", "02:00:00:00:00:01")), [
                { name: "macvlan0", namespace: "lab", interface: "macvlan0", mac: "02:00:00:00:00:01" },
            ]);
        });
    });

    describe("helpers", () => {
        it("readiness asks VPP's CLI socket for the VLAN address", () => {
            assert.deepStrictEqual(readinessCommand("192.168.123.150/24"), [
                "/bin/sh",
                "-c",
                "vppctl -s /run/vpp/cli-vpp1.sock show interface address | grep -qF 'L3 192.168.123.150/24'",
            ]);
        });
        it("vppctl opens the CLI in the deployment's container", () => {
            assert.strictEqual(
                vppctlCommand("vpp-server", "vpp-server", "vpp-server"),
                "oc exec -it -n vpp-server deploy/vpp-server -c vpp-server -- vppctl -s /run/vpp/cli-vpp1.sock",
            );
        });
        it("configHash is stable, order-independent and changes with any byte", () => {
            const a = configHash({ "a.conf": "1", "b.conf": "2" });
            assert.match(a, /^[0-9a-f]{64}$/);
            assert.strictEqual(configHash({ "b.conf": "2", "a.conf": "1" }), a);
            assert.notStrictEqual(configHash({ "a.conf": "1", "b.conf": "3" }), a);
            assert.notStrictEqual(
                configHash({ "a.conf": "12", "b.conf": "" }),
                configHash({ "a.conf": "1", "b.conf": "2" }),
            );
        });
        it("a random MAC is unicast and locally administered", () => {
            assert.strictEqual(macFromRandomHex("c7b4b5741188"), "c6:b4:b5:74:11:88");
            assert.strictEqual(macFromRandomHex("ffffffffffff"), "fe:ff:ff:ff:ff:ff");
            assert.strictEqual(macFromRandomHex("000000000000"), "02:00:00:00:00:00");
            assert.throws(() => macFromRandomHex("abc"), /expected 12 hex digits, got "abc"/);
        });
    });
});
