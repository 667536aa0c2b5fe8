/**
 * Host integration: the init container's script, run for real by a POSIX shell (dash) inside
 * a network namespace that holds `macvlan0`, a macvlan on a veth, as Multus would give the pod.
 * It must write VPP's files with the kernel's MAC, and fail, naming the interface, when
 * macvlan0 is missing or carries another MAC than the stack pinned.
 *
 * Needs root (network namespaces). Not as root the suite reports that it skipped and why,
 * except under CI=true, where skipping would hide a regression: there it fails.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { configMapData, CPUS_SCRIPT_PATH, INIT_SCRIPT_PATH, readScripts } from "../../components/server";
import { KERNEL_MAC_TOKEN } from "../../components/vppConfig";
import { ip, isRoot, POC_SETTINGS, requireRoot, runInit } from "./lib";

const POC = path.join(__dirname, "..", "fixtures", "poc");
const POC_MAC = "c6:b4:b5:74:11:88";

describe("host integration: the init script in a network namespace with macvlan0", function () {
    const tag = `vppt${process.pid % 100000}`;
    const withMacvlan = `${tag}-mv`;
    const without = `${tag}-empty`;
    const veth = `${tag}v0`;

    before(function () {
        requireRoot(this, "create network namespaces, veth and macvlan links");
        ip("netns", "add", withMacvlan);
        ip("netns", "add", without);
        ip("link", "add", veth, "type", "veth", "peer", "name", `${tag}v1`);
        ip("link", "add", `${tag}m`, "link", veth, "type", "macvlan", "mode", "bridge");
        ip("link", "set", `${tag}m`, "netns", withMacvlan);
        ip("-n", withMacvlan, "link", "set", `${tag}m`, "name", "macvlan0");
        ip("-n", withMacvlan, "link", "set", "macvlan0", "address", POC_MAC);
    });

    after(function () {
        if (!isRoot) {
            return;
        }
        for (const args of [
            ["netns", "del", withMacvlan],
            ["netns", "del", without],
            ["link", "del", veth],
        ]) {
            spawnSync("ip", args);
        }
    });

    it("the shipped scripts are the ones in the ConfigMap", () => {
        assert.strictEqual(
            configMapData(POC_SETTINGS, undefined, readScripts())["init.sh"],
            fs.readFileSync(INIT_SCRIPT_PATH, "utf8"),
        );
        assert.strictEqual(
            configMapData(POC_SETTINGS, undefined, readScripts())["vpp-cpus.sh"],
            fs.readFileSync(CPUS_SCRIPT_PATH, "utf8"),
        );
    });

    it("with the kernel's MAC and POC options, writes the POC's vpp.conf and startup.conf exactly", () => {
        const data = configMapData(POC_SETTINGS, undefined, readScripts());
        assert.match(data["startup.conf"], new RegExp(KERNEL_MAC_TOKEN));
        const r = runInit(withMacvlan, data);
        assert.strictEqual(r.status, 0, `init failed: ${r.stderr}`);
        assert.strictEqual(
            fs.readFileSync(path.join(r.conf, "vpp.conf"), "utf8"),
            fs.readFileSync(path.join(POC, "vpp.conf"), "utf8"),
        );
        assert.strictEqual(
            fs.readFileSync(path.join(r.conf, "startup.conf"), "utf8"),
            fs.readFileSync(path.join(POC, "startup.conf"), "utf8"),
        );
        assert.strictEqual(fs.readFileSync(path.join(r.www, "index.html"), "utf8"), "Welcome\n");
    });

    it("prints the MAC it read and every file it wrote", () => {
        const r = runInit(withMacvlan, configMapData(POC_SETTINGS, undefined, readScripts()));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /^init-vpp-server: macvlan0 has MAC c6:b4:b5:74:11:88$/m);
        assert.match(r.stdout, new RegExp(`^--- ${r.conf}/vpp.conf\\nunix \\{$`, "m"));
        assert.match(r.stdout, new RegExp(`^--- ${r.conf}/startup.conf\\ncreate host-interface name macvlan0$`, "m"));
        assert.match(r.stdout, new RegExp(`^--- ${r.www}/index.html \\(8 bytes\\)$`, "m"));
    });

    it("with a pinned MAC that macvlan0 carries, writes it and says it is pinned", () => {
        const r = runInit(withMacvlan, configMapData(POC_SETTINGS, POC_MAC, readScripts()), {
            EXPECTED_MAC: "C6:B4:B5:74:11:88",
        });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(
            fs.readFileSync(path.join(r.conf, "startup.conf"), "utf8"),
            /^set interface mac address host-macvlan0 c6:b4:b5:74:11:88$/m,
        );
        assert.match(r.stdout, /macvlan0 has MAC c6:b4:b5:74:11:88 \(pinned by the stack\)/);
    });

    it("with a pinned MAC that macvlan0 does not carry, fails naming both MACs and the CNI's mac capability", () => {
        const r = runInit(withMacvlan, configMapData(POC_SETTINGS, "02:00:00:00:00:01", readScripts()), {
            EXPECTED_MAC: "02:00:00:00:00:01",
        });
        assert.strictEqual(r.status, 1);
        assert.match(
            r.stderr,
            /^init-vpp-server: error: interface macvlan0 has MAC c6:b4:b5:74:11:88 but this stack pins 02:00:00:00:00:01: the CNI ignored the 'mac' capability/,
        );
        assert.ok(!fs.existsSync(path.join(r.conf, "startup.conf")), "nothing may be written on failure");
    });

    it("without macvlan0 in the namespace, fails naming the interface and what to check", () => {
        const r = runInit(without, configMapData(POC_SETTINGS, undefined, readScripts()));
        assert.strictEqual(r.status, 1);
        assert.match(
            r.stderr,
            /^init-vpp-server: error: interface macvlan0 is missing from the pod's network namespace: Multus did not attach the NetworkAttachmentDefinition/,
        );
        assert.ok(!fs.existsSync(r.conf), "nothing may be written on failure");
    });

    it("with workers, vpp.conf ends with the planner's cpu section; a planner that fails fails the init container", () => {
        const data = configMapData(POC_SETTINGS, undefined, readScripts());
        const r =
            spawnSync("taskset", ["-c", "0,1", "true"]).status === 0
                ? runInit(withMacvlan, data, { VPP_WORKERS: "1" })
                : undefined;
        if (r) {
            assert.strictEqual(r.status, 0, r.stderr);
            const conf = fs.readFileSync(path.join(r.conf, "vpp.conf"), "utf8");
            assert.ok(conf.startsWith(fs.readFileSync(path.join(POC, "vpp.conf"), "utf8")), conf);
            assert.match(
                conf,
                /\n# added by the init container \(vpp-cpus.sh\)\ncpu \{ main-core \d+ corelist-workers \d+ \}\n$/,
            );
            assert.match(r.stdout, /^init-vpp-server: VPP of unknown release \(vpp\): /m);
        }
        const bad = runInit(withMacvlan, data, { VPP_WORKERS: "one" });
        assert.strictEqual(bad.status, 1);
        assert.strictEqual(
            bad.stderr,
            "init-vpp-server: error: VPP_WORKERS is 'one'; expected a whole number\n" +
                "init-vpp-server: error: VPP's cpu section could not be chosen (vpp-cpus.sh, above); nothing was written for VPP\n",
        );
        assert.deepStrictEqual(fs.readdirSync(bad.conf).sort(), ["startup.conf.tmp", "vpp.conf.tmp"]);
        assert.ok(
            !fs.existsSync(path.join(bad.conf, "vpp.conf")),
            "VPP must find no configuration after a failed init",
        );
    });

    it("without a template, fails naming the missing file", () => {
        const data = configMapData(POC_SETTINGS, undefined, readScripts());
        delete data["index.html"];
        const r = runInit(withMacvlan, data);
        assert.strictEqual(r.status, 1);
        assert.match(
            r.stderr,
            /^init-vpp-server: error: template .*\/index.html is missing: is the ConfigMap mounted at /,
        );
    });

    it("an AF_PACKET socket opens on the namespace's macvlan0, as VPP's host-interface does", () => {
        // Python's socket module makes the same socket(AF_PACKET, SOCK_RAW) + bind VPP makes.
        const py =
            "import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); s.bind(('macvlan0', 0)); print(s.getsockname()[0])";
        const r = spawnSync("ip", ["netns", "exec", withMacvlan, "python3", "-c", py], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout.trim(), "macvlan0");
    });
});
