/**
 * Host integration: the NetworkAttachmentDefinition's CNI configuration, exactly as the program
 * renders it, run by the real `macvlan` and `tuning` plugins (containernetworking/plugins, built
 * by `scripts/tools/build.sh cni`) through libcni's `cnitool`, as Multus runs it: the pod's
 * requested MAC as the `mac` runtime capability (and in CNI_ARGS, as Multus also passes it),
 * OpenShift's default tuning sysctl allowlist in force, a veth standing in for the worker's NIC.
 * Then the init script reads what the CNI made, as the pod's init container does.
 *
 * Needs root (network namespaces, a private mount namespace for the allowlist) and Go to build
 * the plugins once. Not as root it reports that it skipped and why; under CI=true it fails.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configMapData, readScripts } from "../../components/server";
import { DISABLE_IPV6_SYSCTL, renderNadConfig } from "../../components/vppConfig";
import { ip, isRoot, POC_SETTINGS, requireRoot, runInit } from "./lib";

const ROOT = path.join(__dirname, "..", "..");
const ALLOWLIST = path.join(ROOT, "test", "fixtures", "openshift", "cni-sysctl-allowlist.conf");
const PINNED = "02:5e:10:00:00:7b";

interface CniTools {
    cnitool: string;
    pluginDir: string;
}

/** Builds (once, cached) and locates cnitool and the plugins. */
function cniTools(): CniTools {
    const r = spawnSync("bash", [path.join(ROOT, "scripts", "tools", "build.sh"), "cni"], { encoding: "utf8" });
    if (r.status !== 0) {
        throw new Error(`scripts/tools/build.sh cni failed (${r.status}); it needs Go 1.26 and jq:\n${r.stderr}`);
    }
    const home = /^export VPP_TOOLS_HOME="(.*)"$/m.exec(r.stdout)?.[1];
    assert.ok(home, `build.sh printed no VPP_TOOLS_HOME:\n${r.stdout}`);
    return { cnitool: path.join(home, "bin", "cnitool"), pluginDir: path.join(home, "cni") };
}

/**
 * The ADDs not yet deleted: DEL, as Multus sends it when the pod goes, also removes what libcni
 * and the tuning plugin keep on the host (/var/lib/cni, /run/cni) for the namespace.
 */
const added = new Map<string, { config: string; mac?: string }>();

interface CniRun {
    status: number | null;
    stdout: string;
    stderr: string;
}

/**
 * `cnitool add|del` of `config` for the pod namespace `netns`, inside a private mount namespace
 * whose /etc holds only OpenShift's allowlist at /etc/cni/tuning/allowlist.conf, where the
 * tuning plugin reads it (the host's /etc is not touched).
 */
function cni(tools: CniTools, command: "add" | "del", netns: string, config: string, mac?: string): CniRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-cni-"));
    const parsed = JSON.parse(config);
    // libcni reads a plugin list from *.conflist, a single plugin from *.conf.
    fs.writeFileSync(path.join(dir, parsed.plugins ? "macvlan0.conflist" : "macvlan0.conf"), config);
    const allow = fs
        .readFileSync(ALLOWLIST, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("^"))
        .join("\n");
    // Not in NETCONFPATH: libcni would read it as a network.
    const allowFile = path.join(os.tmpdir(), `${path.basename(dir)}-allowlist.conf`);
    fs.writeFileSync(allowFile, allow + "\n");
    const script = [
        "set -e",
        "mount -t tmpfs tmpfs /etc",
        "mkdir -p /etc/cni/tuning",
        `cp "${allowFile}" /etc/cni/tuning/allowlist.conf`,
        `exec "${tools.cnitool}" ${command} ${parsed.name} /var/run/netns/${netns}`,
    ].join("\n");
    const args = ["IgnoreUnknown=true", "K8S_POD_NAMESPACE=vpp-server", "K8S_POD_NAME=vpp-server-0"];
    const r = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
        encoding: "utf8",
        env: {
            PATH: process.env.PATH,
            NETCONFPATH: dir,
            CNI_PATH: tools.pluginDir,
            CNI_IFNAME: "macvlan0",
            ...(mac ? { CAP_ARGS: JSON.stringify({ mac }), CNI_ARGS: [...args, `MAC=${mac}`].join(";") } : {}),
            ...(!mac ? { CNI_ARGS: args.join(";") } : {}),
        },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(allowFile, { force: true });
    if (command === "add") added.set(netns, { config, mac });
    else if (r.status === 0) added.delete(netns);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Link {
    address: string;
    link_netnsid?: number;
    linkinfo?: { info_kind: string; info_data?: { mode?: string } };
    addr_info?: { family: string; local: string }[];
}

function link(netns: string): Link {
    return JSON.parse(ip("-n", netns, "-j", "-d", "addr", "show", "dev", "macvlan0"))[0];
}

function sysctl(netns: string, key: string): string {
    return execFileSync("ip", ["netns", "exec", netns, "cat", `/proc/sys/net/${key}`], { encoding: "utf8" }).trim();
}

const NAD = { name: "macvlan0", mode: "bridge" };

describe("host integration: the NetworkAttachmentDefinition run by the real CNI plugins", function () {
    const tag = `vppc${process.pid % 100000}`;
    const master = `${tag}m`;
    const pinned = `${tag}-pin`;
    const kernel = `${tag}-krn`;
    const refused = `${tag}-ref`;
    let tools: CniTools;

    before(function () {
        requireRoot(this, "create network namespaces and macvlan links through the CNI plugins");
        this.timeout(15 * 60 * 1000); // a first build of the plugins downloads their modules
        tools = cniTools();
        for (const ns of [pinned, kernel, refused]) ip("netns", "add", ns);
        // The worker's NIC: one end of a veth, with carrier, so the kernel would configure IPv6.
        ip("link", "add", master, "type", "veth", "peer", "name", `${tag}p`);
        ip("link", "set", master, "up");
        ip("link", "set", `${tag}p`, "up");
    });

    after(function () {
        if (!isRoot) return;
        for (const [ns, { config, mac }] of added) cni(tools, "del", ns, config, mac);
        for (const ns of [pinned, kernel, refused]) spawnSync("ip", ["netns", "del", ns]);
        spawnSync("ip", ["link", "del", master]);
    });

    describe("the lab's NAD (pinned MAC, IPv6 disabled: the defaults)", () => {
        let config: string;
        before(function () {
            config = renderNadConfig({ ...NAD, master, macCapability: true, disableIpv6: true });
        });

        it("ADD passes OpenShift's tuning allowlist and creates macvlan0 with the stack's MAC", () => {
            const r = cni(tools, "add", pinned, config, PINNED);
            assert.strictEqual(r.status, 0, `cnitool add failed:\n${r.stderr}\n${r.stdout}`);
            const l = link(pinned);
            assert.strictEqual(l.address, PINNED);
            assert.strictEqual(l.linkinfo?.info_kind, "macvlan");
            assert.strictEqual(l.linkinfo?.info_data?.mode, "bridge");
            assert.ok(l.link_netnsid !== undefined, "macvlan0's parent is in another namespace (the node's)");
        });

        it("the kernel has IPv6 disabled on macvlan0 and holds no IPv6 address on it", () => {
            assert.strictEqual(sysctl(pinned, "ipv6/conf/macvlan0/disable_ipv6"), "1");
            assert.deepStrictEqual(
                (link(pinned).addr_info ?? []).map((a) => `${a.family} ${a.local}`),
                [],
                "no address at all on macvlan0: VPP owns layer 3",
            );
        });

        it("the init script then finds the pinned MAC, reports IPv6 disabled and writes VPP's files with the MAC", () => {
            const r = runInit(pinned, configMapData(POC_SETTINGS, PINNED, readScripts()), {
                EXPECTED_MAC: PINNED,
                EXPECT_IPV6_DISABLED: "true",
            });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(r.stderr, "");
            assert.match(r.stdout, /^init-vpp-server: macvlan0 has MAC 02:5e:10:00:00:7b \(pinned by the stack\)$/m);
            assert.match(r.stdout, /^init-vpp-server: macvlan0 has IPv6 disabled$/m);
            assert.match(
                fs.readFileSync(path.join(r.conf, "startup.conf"), "utf8"),
                /^set interface mac address host-macvlan0 02:5e:10:00:00:7b$/m,
            );
        });

        it("DEL (the pod goes away) removes macvlan0", () => {
            const r = cni(tools, "del", pinned, config, PINNED);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(spawnSync("ip", ["-n", pinned, "link", "show", "macvlan0"]).status, 1);
        });
    });

    describe("the POC's NAD (kernel MAC, IPv6 left on)", () => {
        it("macvlan0 gets a kernel MAC and an IPv6 link-local address: what disableIpv6 prevents", function () {
            const config = renderNadConfig({ ...NAD, master, macCapability: false, disableIpv6: false });
            const r = cni(tools, "add", kernel, config);
            assert.strictEqual(r.status, 0, r.stderr);
            const l = link(kernel);
            assert.notStrictEqual(l.address, PINNED);
            assert.strictEqual(sysctl(kernel, "ipv6/conf/macvlan0/disable_ipv6"), "0");
            assert.ok(
                (l.addr_info ?? []).some((a) => a.family === "inet6" && a.local.startsWith("fe80:")),
                `expected a link-local IPv6 address on macvlan0, got ${JSON.stringify(l.addr_info)}`,
            );
        });

        it("the init script warns, and still succeeds, when the stack expected IPv6 disabled", function () {
            const r = runInit(kernel, configMapData(POC_SETTINGS, undefined, readScripts()), {
                EXPECT_IPV6_DISABLED: "true",
            });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(
                r.stderr,
                /^init-vpp-server: warning: macvlan0 has IPv6 enabled although the stack disables it: the NetworkAttachmentDefinition's tuning plugin did not run/m,
            );
        });
    });

    it("the allowlist is in force: the same sysctl keyed by the interface's own name is refused", function () {
        const config = JSON.parse(renderNadConfig({ ...NAD, master, macCapability: false, disableIpv6: true }));
        const key = DISABLE_IPV6_SYSCTL.replace("IFNAME", "macvlan0");
        config.plugins[1].sysctl = { [key]: "1" };
        const r = cni(tools, "add", refused, JSON.stringify(config));
        assert.notStrictEqual(r.status, 0, "ADD must fail");
        assert.match(r.stdout + r.stderr, new RegExp(`Sysctl ${key.replace(/\./g, "\\.")} is not allowed`));
    });
});
