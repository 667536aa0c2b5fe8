/**
 * One test per validation rule: the exact message a user sees for a bad value, and that
 * every problem is reported at once.
 */
import * as assert from "assert";
import { formatProblem, parseStackConfig, RawConfig, StackConfigError } from "../../stacks/config";
import { LAB_CONFIG } from "../fixtures/lab";
import { KEY_NAMES } from "../../stacks/schema";

const LAB: RawConfig = LAB_CONFIG;

/** The problem lines (without the header) that parsing `raw` reports. */
function problemsOf(raw: RawConfig): string[] {
    try {
        parseStackConfig(raw);
    } catch (e) {
        assert.ok(e instanceof StackConfigError, `expected a StackConfigError, got ${String(e)}`);
        return e.problems.map(formatProblem);
    }
    assert.fail(`parseStackConfig accepted ${JSON.stringify(raw)}`);
}

/** Asserts that `overrides` on top of the lab's values yields exactly `message`. */
function rejects(overrides: RawConfig, message: string): void {
    assert.deepStrictEqual(problemsOf({ ...LAB, ...overrides }), [message]);
}

const IFNAME = "a Linux interface name: 1 to 15 characters, none of them '/', ':' or whitespace, and not '.' or '..'";
const VLAN = "an integer from 1 to 4094 (802.1Q reserves 0 and 4095)";
const IPV4 =
    "an IPv4 address/prefix such as 192.168.123.150/24: a unicast host address of its subnet (not the network or broadcast address), prefix 1 to 32";
const CAPS =
    "a list holding NET_ADMIN, NET_RAW and IPC_LOCK (VPP needs all three), optionally NET_BROADCAST, nothing else and no repeats: exactly the file capabilities of the image's vpp binary";
const MAC =
    "'random', 'kernel', or a unicast MAC as six colon-separated hex pairs (first octet even, not all zeros), such as 02:00:5e:10:00:01";
const IMAGE =
    "a container image reference with a tag, a digest or both: repo:tag, repo@sha256:<64 hex digits> or repo:tag@sha256:<64 hex digits>, such as quay.io/akaris/vpp-server:latest or registry.example.com/vpp-server:24.10-1@sha256:<digest>";
const NODE_SELECTOR =
    "a list of 'key=value' node labels: key an optional DNS subdomain prefix and '/' and a name of 1 to 63 letters, digits, '-', '_' or '.'; value empty or such a name";

describe("stack configuration: bad input", () => {
    describe("required keys", () => {
        it("macvlanMaster missing names the key and how to set it", () => {
            rejects(
                { macvlanMaster: undefined },
                `vpp-server:macvlanMaster is not set; expected ${IFNAME} (pulumi config set macvlanMaster <value>)`,
            );
        });
        it("vlanId missing", () => {
            rejects(
                { vlanId: undefined },
                `vpp-server:vlanId is not set; expected ${VLAN} (pulumi config set vlanId <value>)`,
            );
        });
        it("ipAddress missing", () => {
            rejects(
                { ipAddress: undefined },
                `vpp-server:ipAddress is not set; expected ${IPV4} (pulumi config set ipAddress <value>)`,
            );
        });
    });

    describe("macvlanMaster is a Linux interface name", () => {
        for (const [why, value] of [
            ["empty", ""],
            ["16 characters, over IFNAMSIZ", "enp1234567890abc"],
            ["holds '/'", "eth0/1"],
            ["holds ':'", "eth0:1"],
            ["holds a space", "eth 0"],
            ["holds a tab", "eth\t0"],
            ["is '..'", ".."],
        ]) {
            it(`refuses one that ${why}`, () => {
                rejects(
                    { macvlanMaster: value },
                    `vpp-server:macvlanMaster is ${JSON.stringify(value)}; expected ${IFNAME}`,
                );
            });
        }
        it("accepts 15 characters with dots, dashes and @", () => {
            assert.strictEqual(
                parseStackConfig({ ...LAB, macvlanMaster: "bond0.100-a@b_x" }).macvlanMaster,
                "bond0.100-a@b_x",
            );
        });
    });

    describe("vlanId is an integer from 1 to 4094", () => {
        for (const value of ["0", "4095", "-1", "12.5", "1e2", "abc", ""]) {
            it(`refuses ${JSON.stringify(value)}`, () => {
                rejects({ vlanId: value }, `vpp-server:vlanId is ${JSON.stringify(value)}; expected ${VLAN}`);
            });
        }
        it("accepts the bounds 1 and 4094", () => {
            assert.strictEqual(parseStackConfig({ ...LAB, vlanId: "1" }).vlanId, 1);
            assert.strictEqual(parseStackConfig({ ...LAB, vlanId: "4094" }).vlanId, 4094);
        });
    });

    describe("ipAddress is a usable IPv4 host address with its prefix", () => {
        for (const [why, value] of [
            ["has no prefix", "192.168.123.150"],
            ["is IPv6", "2001:db8::1/64"],
            ["has an octet over 255", "192.168.123.256/24"],
            ["has prefix 33", "192.168.123.150/33"],
            ["has prefix 0", "192.168.123.150/0"],
            ["is a hostname", "server.lab/24"],
        ]) {
            it(`refuses one that ${why}`, () => {
                rejects({ ipAddress: value }, `vpp-server:ipAddress is ${JSON.stringify(value)}; expected ${IPV4}`);
            });
        }
        it("refuses the network address of its subnet", () => {
            rejects(
                { ipAddress: "192.168.123.0/24" },
                `vpp-server:ipAddress is "192.168.123.0/24"; expected ${IPV4}; 192.168.123.0 is the network address of 192.168.123.0/24`,
            );
        });
        it("refuses the broadcast address of its subnet", () => {
            rejects(
                { ipAddress: "192.168.123.255/24" },
                `vpp-server:ipAddress is "192.168.123.255/24"; expected ${IPV4}; 192.168.123.255 is the broadcast address of 192.168.123.0/24`,
            );
        });
        it("refuses a multicast address", () => {
            rejects(
                { ipAddress: "224.0.0.5/24" },
                `vpp-server:ipAddress is "224.0.0.5/24"; expected ${IPV4}; 224.0.0.5 is a multicast address`,
            );
        });
        it("refuses a loopback address", () => {
            rejects(
                { ipAddress: "127.0.0.2/8" },
                `vpp-server:ipAddress is "127.0.0.2/8"; expected ${IPV4}; 127.0.0.2 is a loopback address`,
            );
        });
        it("accepts both addresses of a /31 (RFC 3021)", () => {
            assert.strictEqual(parseStackConfig({ ...LAB, ipAddress: "10.0.0.0/31" }).ipAddress.cidr, "10.0.0.0/31");
            assert.strictEqual(parseStackConfig({ ...LAB, ipAddress: "10.0.0.1/31" }).ipAddress.cidr, "10.0.0.1/31");
        });
    });

    describe("optional keys", () => {
        it("namespace must be a DNS-1123 label", () => {
            rejects(
                { namespace: "VPP_Server" },
                `vpp-server:namespace is "VPP_Server"; expected a DNS-1123 label: 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit`,
            );
        });
        it("namespace longer than 63 characters", () => {
            const ns = "a".repeat(64);
            rejects(
                { namespace: ns },
                `vpp-server:namespace is "${ns}"; expected a DNS-1123 label: 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit`,
            );
        });
        it("macvlanMode must be one of the macvlan modes", () => {
            rejects(
                { macvlanMode: "source" },
                `vpp-server:macvlanMode is "source"; expected one of bridge, private, vepa, passthru`,
            );
        });
        it("rxMode must be auto, interrupt or polling", () => {
            rejects(
                { rxMode: "adaptive" },
                `vpp-server:rxMode is "adaptive"; expected one of auto, interrupt, polling`,
            );
        });
        it("metrics must be none, vlan or cluster", () => {
            for (const value of ["prometheus", "VLAN", ""]) {
                rejects(
                    { metrics: value },
                    `vpp-server:metrics is ${JSON.stringify(value)}; expected one of none, vlan, cluster`,
                );
            }
        });
        it("adopt must be a boolean", () => {
            rejects({ adopt: "yes" }, `vpp-server:adopt is "yes"; expected true or false`);
        });
        it("macAddress must be random, kernel or a MAC", () => {
            rejects({ macAddress: "c6:b4:b5:74:11" }, `vpp-server:macAddress is "c6:b4:b5:74:11"; expected ${MAC}`);
        });
        it("macAddress must not be multicast", () => {
            rejects(
                { macAddress: "01:00:5e:00:00:01" },
                `vpp-server:macAddress is "01:00:5e:00:00:01"; expected ${MAC}; 01:00:5e:00:00:01 is a multicast address`,
            );
        });
        it("macAddress must not be all zeros", () => {
            rejects(
                { macAddress: "00:00:00:00:00:00" },
                `vpp-server:macAddress is "00:00:00:00:00:00"; expected ${MAC}; 00:00:00:00:00:00 is the null address`,
            );
        });
        it("httpCacheSize must be VPP's memory size syntax", () => {
            rejects(
                { httpCacheSize: "512MB" },
                `vpp-server:httpCacheSize is "512MB"; expected a whole number of bytes with an optional k, m or g suffix (VPP's memory size), such as 512m`,
            );
        });
        it("pollSleepUsec must not be negative", () => {
            rejects(
                { pollSleepUsec: "-5" },
                `vpp-server:pollSleepUsec is "-5"; expected 'auto' (10000 while a worker carries the traffic, none without a worker) or an integer from 0 (no forced sleep) to 1000000 microseconds`,
            );
        });
        it("afPacketVersion must be 2 or 3", () => {
            rejects(
                { afPacketVersion: "1" },
                `vpp-server:afPacketVersion is "1"; expected 2 (TPACKET_V2: each frame reaches VPP at once) or 3 (TPACKET_V3, the POC's: up to 1 ms per request)`,
            );
        });
        it("workers must be 0 or 1: a second worker would idle on one receive queue", () => {
            rejects(
                { workers: "2" },
                `vpp-server:workers is "2"; expected 0 (VPP's main thread alone) or 1 (one worker thread; more would idle: VPP opens one AF_PACKET receive queue)`,
            );
        });
        it("an explicit pollSleepUsec is taken as given, with or without a worker, and replaces auto's", () => {
            for (const workers of ["0", "1"]) {
                const c = parseStackConfig({ ...LAB, pollSleepUsec: "100", workers });
                assert.deepStrictEqual([c.pollSleepUsec, c.mainThreadSleepUsec], [100, 0], `workers ${workers}`);
            }
            const none = parseStackConfig({ ...LAB, pollSleepUsec: "0" });
            assert.deepStrictEqual([none.pollSleepUsec, none.mainThreadSleepUsec], [0, 0]);
        });
        it("pollSleepUsec must be auto or a number", () => {
            rejects(
                { pollSleepUsec: "10ms" },
                `vpp-server:pollSleepUsec is "10ms"; expected 'auto' (10000 while a worker carries the traffic, none without a worker) or an integer from 0 (no forced sleep) to 1000000 microseconds`,
            );
        });
        it("adaptiveSessionQueue must be a boolean", () => {
            rejects(
                { adaptiveSessionQueue: "yes" },
                `vpp-server:adaptiveSessionQueue is "yes"; expected true or false`,
            );
        });
        it("gratuitousArp must be a boolean", () => {
            rejects({ gratuitousArp: "1" }, `vpp-server:gratuitousArp is "1"; expected true or false`);
        });
        it("image must be an image reference", () => {
            rejects(
                { image: "https://quay.io/akaris/vpp-server" },
                `vpp-server:image is "https://quay.io/akaris/vpp-server"; expected ${IMAGE}`,
            );
        });
        it("image needs a tag or a digest", () => {
            rejects(
                { image: "quay.io/akaris/vpp-server" },
                `vpp-server:image is "quay.io/akaris/vpp-server"; expected ${IMAGE}; quay.io/akaris/vpp-server has neither`,
            );
        });
        it("image's digest must be a whole sha256", () => {
            rejects(
                { image: "quay.io/akaris/vpp-server@sha256:abc" },
                `vpp-server:image is "quay.io/akaris/vpp-server@sha256:abc"; expected ${IMAGE}`,
            );
        });
        it("dedicatedCores sets the CPU request and limit itself: setting either is refused", () => {
            assert.deepStrictEqual(problemsOf({ ...LAB, dedicatedCores: "true", cpuRequest: "1", cpuLimit: "4" }), [
                `vpp-server:cpuRequest is "1"; expected it unset with dedicatedCores true: the VPP container then requests and is limited to 2 whole CPUs (workers + 1)`,
                `vpp-server:cpuLimit is "4"; expected it unset with dedicatedCores true: the VPP container then requests and is limited to 2 whole CPUs (workers + 1)`,
            ]);
        });
        it("dedicatedCores must be a boolean", () => {
            rejects({ dedicatedCores: "2" }, `vpp-server:dedicatedCores is "2"; expected true or false`);
        });
        it("runtimeClassName must be a DNS subdomain", () => {
            rejects(
                { runtimeClassName: "Performance_Lab" },
                `vpp-server:runtimeClassName is "Performance_Lab"; expected a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit`,
            );
        });
        it("denyClusterNetwork must be a boolean", () => {
            rejects({ denyClusterNetwork: "yes" }, `vpp-server:denyClusterNetwork is "yes"; expected true or false`);
        });
        it("cpuRequest must be a CPU quantity", () => {
            rejects(
                { cpuRequest: "two" },
                `vpp-server:cpuRequest is "two"; expected a Kubernetes CPU quantity greater than zero, such as 200m or 1`,
            );
        });
        it("cpuLimit below cpuRequest", () => {
            rejects(
                { cpuRequest: "1", cpuLimit: "500m" },
                `vpp-server:cpuLimit is "500m"; expected empty or at least cpuRequest (1)`,
            );
        });
        it("memory must be auto or a memory quantity", () => {
            rejects(
                { memory: "lots" },
                `vpp-server:memory is "lots"; expected 'auto' or a Kubernetes memory quantity such as 2Gi or 1792Mi`,
            );
        });
        it("memory must hold the locked TPACKET_V2 rings, the HTTP cache and a heap", () => {
            rejects(
                { memory: "512Mi" },
                `vpp-server:memory is "512Mi"; expected 'auto' or at least 900Mi: VPP's locked AF_PACKET rings (afPacketVersion 2), httpCacheSize and room for its heap`,
            );
        });
        it("memory's minimum follows afPacketVersion: TPACKET_V3's rings are smaller", () => {
            rejects(
                { memory: "843Mi", afPacketVersion: "3" },
                `vpp-server:memory is "843Mi"; expected 'auto' or at least 844Mi: VPP's locked AF_PACKET rings (afPacketVersion 3), httpCacheSize and room for its heap`,
            );
            assert.strictEqual(
                parseStackConfig({ ...LAB, memory: "844Mi", afPacketVersion: "3" }).resources.memory,
                "844Mi",
            );
        });
        it("nodeSelector entries must be key=value labels", () => {
            rejects(
                { nodeSelector: JSON.stringify(["worker01"]) },
                `vpp-server:nodeSelector is "[\\"worker01\\"]"; expected ${NODE_SELECTOR}; "worker01" is not one`,
            );
        });
        it("nodeSelector must be a list", () => {
            rejects(
                { nodeSelector: JSON.stringify({ "kubernetes.io/hostname": "worker01" }) },
                `vpp-server:nodeSelector is "{\\"kubernetes.io/hostname\\":\\"worker01\\"}"; expected ${NODE_SELECTOR}`,
            );
        });
        it("indexHtml over 512 KiB does not fit a ConfigMap with the rest", () => {
            const big = "x".repeat(512 * 1024 + 1);
            rejects(
                { indexHtml: big },
                `vpp-server:indexHtml is "${"x".repeat(120)}"... (524289 characters); expected text of at most 524288 bytes`,
            );
        });
    });

    describe("imageCapabilities equal the image's file capabilities", () => {
        it("refuses a set without IPC_LOCK", () => {
            rejects(
                { imageCapabilities: JSON.stringify(["NET_ADMIN", "NET_RAW"]) },
                `vpp-server:imageCapabilities is "[\\"NET_ADMIN\\",\\"NET_RAW\\"]"; expected ${CAPS}; missing: IPC_LOCK`,
            );
        });
        it("refuses SYS_ADMIN", () => {
            rejects(
                { imageCapabilities: JSON.stringify(["NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_ADMIN"]) },
                `vpp-server:imageCapabilities is "[\\"NET_ADMIN\\",\\"NET_RAW\\",\\"IPC_LOCK\\",\\"SYS_ADMIN\\"]"; expected ${CAPS}; not allowed: SYS_ADMIN`,
            );
        });
        it("refuses the CAP_ prefix (Kubernetes names capabilities without it)", () => {
            rejects(
                { imageCapabilities: JSON.stringify(["CAP_NET_ADMIN", "NET_RAW", "IPC_LOCK"]) },
                `vpp-server:imageCapabilities is "[\\"CAP_NET_ADMIN\\",\\"NET_RAW\\",\\"IPC_LOCK\\"]"; expected ${CAPS}; not allowed: CAP_NET_ADMIN`,
            );
        });
        it("refuses repeats", () => {
            rejects(
                { imageCapabilities: JSON.stringify(["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_RAW"]) },
                `vpp-server:imageCapabilities is "[\\"NET_ADMIN\\",\\"NET_RAW\\",\\"IPC_LOCK\\",\\"NET_RAW\\"]"; expected ${CAPS}; repeated entries`,
            );
        });
        it("refuses a value that is not a list", () => {
            rejects(
                { imageCapabilities: "NET_ADMIN" },
                `vpp-server:imageCapabilities is "NET_ADMIN"; expected ${CAPS}`,
            );
        });
    });

    describe("unknown keys", () => {
        it("a key unlike any other lists the keys without a guess", () => {
            rejects(
                { colour: "blue" },
                `vpp-server:colour is not a key of this project; the keys are ${KEY_NAMES.join(", ")}`,
            );
        });
        it("a typo of a key names the key it resembles", () => {
            rejects(
                { vlanID: "123" },
                `vpp-server:vlanID is not a key of this project (did you mean vlanId?); the keys are ${KEY_NAMES.join(", ")}`,
            );
        });
    });

    describe("reporting", () => {
        it("reports every problem at once, in key order, under one header", () => {
            let error: unknown;
            try {
                parseStackConfig({ vlanId: "4095", ipAddress: "192.168.123.0/24", macvlanMode: "source" });
            } catch (e) {
                error = e;
            }
            assert.ok(error instanceof StackConfigError, "expected a StackConfigError");
            assert.strictEqual(
                error.message,
                [
                    "invalid stack configuration (4 problems); nothing was deployed:",
                    `  - vpp-server:macvlanMaster is not set; expected ${IFNAME} (pulumi config set macvlanMaster <value>)`,
                    `  - vpp-server:vlanId is "4095"; expected ${VLAN}`,
                    `  - vpp-server:ipAddress is "192.168.123.0/24"; expected ${IPV4}; 192.168.123.0 is the network address of 192.168.123.0/24`,
                    `  - vpp-server:macvlanMode is "source"; expected one of bridge, private, vepa, passthru`,
                ].join("\n"),
            );
        });
        it("is a RunError, so Pulumi prints the message without a stack trace", async () => {
            const pulumi = await import("@pulumi/pulumi");
            assert.ok(pulumi.RunError.isInstance(new StackConfigError([])));
        });
    });
});
