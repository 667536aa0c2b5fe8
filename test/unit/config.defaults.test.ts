/**
 * One test per default, and the declarations in Pulumi.yaml and Pulumi.lab.yaml agree with
 * the code that reads them.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { parseStackConfig, RawConfig } from "../../stacks/config";
import { LAB_CONFIG } from "../fixtures/lab";
import { KEYS, KEY_NAMES, REQUIRED_KEYS } from "../../stacks/schema";
import { afPacketRingsBytes } from "../../stacks/sizing";

const ROOT = path.join(__dirname, "..", "..");
const LAB: RawConfig = LAB_CONFIG;
const defaults = () => parseStackConfig(LAB);

describe("stack configuration: defaults", () => {
    it("namespace defaults to vpp-server", () => assert.strictEqual(defaults().namespace, "vpp-server"));
    it("image defaults to the POC's published image", () =>
        assert.strictEqual(defaults().image, "quay.io/akaris/vpp-server:latest"));
    it("imageCapabilities default to the POC image's four file capabilities", () =>
        assert.deepStrictEqual(defaults().imageCapabilities, ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_BROADCAST"]));
    it("macvlanMode defaults to bridge", () => assert.strictEqual(defaults().macvlanMode, "bridge"));
    it("macAddress defaults to a random MAC generated once per stack", () =>
        assert.deepStrictEqual(defaults().macAddress, { kind: "random" }));
    it("disableIpv6 defaults to on: the kernel gets no IPv6 on macvlan0", () =>
        assert.strictEqual(defaults().disableIpv6, true));
    it("metrics defaults to none: no url-handlers, no prom plugin", () =>
        assert.strictEqual(defaults().metrics, "none"));
    it("metrics vlan is read as vlan", () =>
        assert.strictEqual(parseStackConfig({ ...LAB, metrics: "vlan" }).metrics, "vlan"));
    it("metrics cluster is read as cluster", () =>
        assert.strictEqual(parseStackConfig({ ...LAB, metrics: "cluster" }).metrics, "cluster"));
    it("httpCacheSize defaults to the POC's 512m", () => assert.strictEqual(defaults().httpCacheSize, "512m"));
    it("afPacketVersion defaults to 2: TPACKET_V2 hands VPP each frame at once (V3 waits up to 1 ms)", () =>
        assert.strictEqual(defaults().afPacketVersion, 2));
    it("pollSleepUsec defaults to auto: nothing in vpp.conf; the main thread sleeps 10000 us whenever a worker runs", () => {
        assert.strictEqual(defaults().pollSleepUsec, 0);
        assert.strictEqual(defaults().mainThreadSleepUsec, 10000);
    });
    it("adaptiveSessionQueue defaults to on", () => assert.strictEqual(defaults().adaptiveSessionQueue, true));
    it("workers defaults to 1: the best measured with VPP 24.10, the default image's", () =>
        assert.strictEqual(defaults().workers, 1));
    it("gratuitousArp defaults to on", () => assert.strictEqual(defaults().gratuitousArp, true));
    it("indexHtml defaults to Welcome and a newline, as the POC's echo wrote it", () =>
        assert.strictEqual(defaults().indexHtml, "Welcome\n"));
    it("cpuRequest defaults to 200m and there is no CPU limit", () =>
        assert.deepStrictEqual([defaults().resources.cpuRequest, defaults().resources.cpuLimit], ["200m", undefined]));
    it("memory defaults to heap 1 GiB + TPACKET_V2 rings 132 MiB + segments 128 MiB + the 512 MiB cache", () =>
        assert.strictEqual(defaults().resources.memory, `${1024 + 132 + 128 + 512}Mi`));
    it("memory 'auto' with afPacketVersion 3 counts the TPACKET_V3 rings, 76 MiB", () =>
        assert.strictEqual(
            parseStackConfig({ ...LAB, afPacketVersion: "3" }).resources.memory,
            `${1024 + 76 + 128 + 512}Mi`,
        ));
    it("memory 'auto' follows httpCacheSize", () =>
        assert.strictEqual(
            parseStackConfig({ ...LAB, httpCacheSize: "1g" }).resources.memory,
            `${1024 + 132 + 128 + 1024}Mi`,
        ));
    it("the rings' bytes: V2 receive and transmit 1024 frames of 67,584 B each; V3 receive 160 blocks of 64 KiB", () => {
        assert.strictEqual(afPacketRingsBytes(2), 138_412_032, "V2: 2 x 1024 x 67,584 B (138.4 MB)");
        assert.strictEqual(afPacketRingsBytes(3), 79_691_776, "V3: 160 x 65,536 B + 1024 x 67,584 B (79.7 MB)");
    });
    it("dedicatedCores defaults to off: shared CPUs, the cpuRequest, no CPU limit", () =>
        assert.deepStrictEqual(defaults().resources, {
            cpuRequest: "200m",
            cpuLimit: undefined,
            memory: "1796Mi",
            dedicated: false,
        }));
    it("dedicatedCores true: workers + 1 whole CPUs, requested and limited", () =>
        assert.deepStrictEqual(parseStackConfig({ ...LAB, dedicatedCores: "true" }).resources, {
            cpuRequest: "2",
            cpuLimit: "2",
            memory: "1796Mi",
            dedicated: true,
        }));
    it("quantities are kept as the API server stores them, so a deployed stack reads back what it declares", () =>
        assert.deepStrictEqual(
            parseStackConfig({ ...LAB, cpuRequest: "0.5", cpuLimit: "1000m", memory: "2048Mi" }).resources,
            { cpuRequest: "500m", cpuLimit: "1", memory: "2Gi", dedicated: false },
        ));
    it("rxMode defaults to auto: interrupt on shared cores, polling with dedicated cores (the core is VPP's)", () => {
        assert.strictEqual(defaults().rxMode, "interrupt");
        assert.strictEqual(parseStackConfig({ ...LAB, dedicatedCores: "true" }).rxMode, "polling");
        assert.deepStrictEqual(
            ["interrupt", "polling"].map((m) => parseStackConfig({ ...LAB, dedicatedCores: "true", rxMode: m }).rxMode),
            ["interrupt", "polling"],
        );
    });
    it("rxMode polling on shared cores is allowed with a warning that names the core it burns and the fix", () => {
        const c = parseStackConfig({ ...LAB, rxMode: "polling" });
        assert.strictEqual(c.rxMode, "polling");
        assert.strictEqual(
            c.warnings[1],
            "rxMode polling on shared cores: VPP keeps one whole core busy at all times (its worker spins on host-macvlan0's ring), CPU that other pods on the node could use. It buys latency and req/s at low concurrency, where VPP 24.10 otherwise waits for its session timer on every request (docs/dataplane.md, a polling worker against interrupt mode: 1 connection 499 -> 23,678 req/s, 4 connections 27,591 -> 52,622; VPP 26.06 does not wait, and gains little); with dedicatedCores true that core is VPP's own and auto polls by itself.",
        );
        assert.strictEqual(parseStackConfig({ ...LAB, rxMode: "polling", dedicatedCores: "true" }).warnings.length, 1);
    });
    it("adopt defaults to off: an existing object no stack made stops the update", () =>
        assert.strictEqual(defaults().adopt, false));
    it("runtimeClassName defaults to none: the cluster's default RuntimeClass", () =>
        assert.strictEqual(defaults().runtimeClassName, undefined));
    it("denyClusterNetwork defaults to on", () => assert.strictEqual(defaults().denyClusterNetwork, true));
    it("the default image warns: its tag, latest, is mutable; the warning names a digest as the fix", () =>
        assert.deepStrictEqual(defaults().warnings, [
            "image quay.io/akaris/vpp-server:latest has the mutable tag latest: a node may run another image than the one reviewed, and a restart may change VPP. Pin it with a digest: quay.io/akaris/vpp-server:latest@sha256:<digest> (skopeo inspect docker://quay.io/akaris/vpp-server:latest prints it).",
        ]));
    it("image: repo:tag, repo@sha256:<digest> and repo:tag@sha256:<digest> are accepted; only latest without a digest warns", () => {
        const digest = `sha256:${"a".repeat(64)}`;
        const cases: [string, number][] = [
            ["quay.io/you/vpp-server:24.10-1", 0],
            [`quay.io/you/vpp-server@${digest}`, 0],
            [`quay.io/you/vpp-server:24.10-1@${digest}`, 0],
            [`quay.io/you/vpp-server:latest@${digest}`, 0],
            ["localhost:5000/vpp-server:latest", 1],
        ];
        for (const [image, warnings] of cases) {
            const c = parseStackConfig({ ...LAB, image });
            assert.strictEqual(c.image, image);
            assert.strictEqual(c.warnings.length, warnings, `${image}: ${c.warnings.join("; ")}`);
        }
    });
    it("nodeSelector defaults to none", () => assert.deepStrictEqual(defaults().nodeSelector, {}));
    it("renderDir defaults to none: deploy to the cluster", () => assert.strictEqual(defaults().renderDir, undefined));

    it("values are parsed into their types", () => {
        const c = parseStackConfig({
            ...LAB,
            macAddress: "02:AB:cd:00:00:01",
            nodeSelector: JSON.stringify(["kubernetes.io/hostname=worker01", "node-role.kubernetes.io/worker="]),
            imageCapabilities: JSON.stringify(["NET_ADMIN", "NET_RAW", "IPC_LOCK"]),
            pollSleepUsec: "0",
            afPacketVersion: "3",
            workers: "0",
            cpuLimit: "2",
            renderDir: "rendered",
        });
        assert.deepStrictEqual(c.ipAddress, {
            address: "192.168.123.150",
            prefixLength: 24,
            cidr: "192.168.123.150/24",
            network: "192.168.123.0/24",
        });
        assert.strictEqual(c.vlanId, 123);
        assert.deepStrictEqual(c.macAddress, { kind: "pinned", mac: "02:ab:cd:00:00:01" });
        assert.deepStrictEqual(c.nodeSelector, {
            "kubernetes.io/hostname": "worker01",
            "node-role.kubernetes.io/worker": "",
        });
        assert.deepStrictEqual(c.imageCapabilities, ["NET_ADMIN", "NET_RAW", "IPC_LOCK"]);
        assert.strictEqual(c.pollSleepUsec, 0);
        assert.strictEqual(c.afPacketVersion, 3);
        assert.strictEqual(c.workers, 0);
        assert.strictEqual(c.resources.cpuLimit, "2");
        assert.strictEqual(c.renderDir, "rendered");
    });
});

describe("Pulumi.yaml declares every key as stacks/schema.ts does", () => {
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));

    it("is the vpp-server project on the nodejs runtime", () => {
        assert.strictEqual(project.name, "vpp-server");
        assert.strictEqual(project.runtime.name, "nodejs");
    });
    it("declares exactly the schema's keys, in its order", () => {
        assert.deepStrictEqual(Object.keys(project.config), KEY_NAMES);
    });
    for (const key of KEY_NAMES) {
        it(`${key}: same type, description and default`, () => {
            const declared = project.config[key];
            const spec = KEYS[key] as { type: string; description: string; default?: unknown };
            assert.strictEqual(declared.type, spec.type, `Pulumi.yaml config.${key}.type`);
            assert.strictEqual(declared.description, spec.description, `Pulumi.yaml config.${key}.description`);
            assert.deepStrictEqual(declared.default, spec.default, `Pulumi.yaml config.${key}.default`);
            if (spec.type === "array") {
                assert.deepStrictEqual(declared.items, { type: "string" }, `Pulumi.yaml config.${key}.items`);
            }
        });
    }
    it("leaves exactly macvlanMaster, vlanId and ipAddress without a default (required)", () => {
        assert.deepStrictEqual(REQUIRED_KEYS, ["macvlanMaster", "vlanId", "ipAddress"]);
    });
});

describe("Pulumi.lab.yaml is the POC's reference lab", () => {
    const stack = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.lab.yaml"), "utf8"));

    it("sets eno8403np1, VLAN 123 and 192.168.123.150/24, and nothing else", () => {
        assert.deepStrictEqual(stack.config, {
            "vpp-server:macvlanMaster": "eno8403np1",
            "vpp-server:vlanId": 123,
            "vpp-server:ipAddress": "192.168.123.150/24",
        });
    });
    it("parses without a problem", () => {
        const raw: Record<string, string> = {};
        for (const [k, v] of Object.entries(stack.config)) {
            raw[k.replace(/^vpp-server:/, "")] = String(v);
        }
        const c = parseStackConfig(raw);
        assert.deepStrictEqual(
            [c.macvlanMaster, c.vlanId, c.ipAddress.cidr],
            ["eno8403np1", 123, "192.168.123.150/24"],
        );
    });
});

describe("docs/configuration.md lists every key with its type and default", () => {
    const readme = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");
    for (const key of KEY_NAMES) {
        it(`${key} has a row with type ${KEYS[key].type}`, () => {
            const row = readme.split("\n").find((l) => l.startsWith(`| \`${key}\` |`));
            assert.ok(row, `docs/configuration.md has no row for ${key}`);
            const [, , type, dflt] = row.split("|").map((c) => c.trim());
            assert.strictEqual(type, KEYS[key].type, `docs/configuration.md type of ${key}`);
            const spec = KEYS[key] as { default?: unknown };
            if (spec.default === undefined) {
                assert.strictEqual(dflt, "(required)", `docs/configuration.md default of ${key}`);
            } else if (typeof spec.default === "string" && spec.default !== "" && !spec.default.includes("\n")) {
                assert.strictEqual(dflt, `\`${spec.default}\``, `docs/configuration.md default of ${key}`);
            } else if (typeof spec.default === "number" || typeof spec.default === "boolean") {
                assert.strictEqual(dflt, `\`${spec.default}\``, `docs/configuration.md default of ${key}`);
            } else if (Array.isArray(spec.default)) {
                assert.strictEqual(dflt, `\`[${spec.default.join(", ")}]\``, `docs/configuration.md default of ${key}`);
            }
        });
    }
});
