/**
 * Where the data-plane tier and its benchmark find VPP: $VPP_PREFIX (an error naming what is
 * missing when it is not an install), else the tool cache's vpp-v24.10, else one line saying how
 * to enable the tier.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findVpp, VPP_BINARIES, VPP_PLUGINS } from "../dataplane/rig";

/** A directory laid out as a VPP install, with `skip` left out. */
function install(skip: string[] = []): string {
    const p = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-install-"));
    const plugins = path.join(p, "lib", "x86_64-linux-gnu", "vpp_plugins");
    fs.mkdirSync(path.join(p, "bin"));
    fs.mkdirSync(plugins, { recursive: true });
    for (const f of [
        ...VPP_BINARIES.map((b) => `bin/${b}`),
        ...VPP_PLUGINS.map((x) => `lib/x86_64-linux-gnu/vpp_plugins/${x}_plugin.so`),
    ]) {
        if (!skip.includes(f)) fs.writeFileSync(path.join(p, f), "");
    }
    return p;
}

describe("data plane: finding the VPP install", () => {
    it("an install holds vpp, vppctl and the metrics container's vpp_prometheus_export", () =>
        assert.deepStrictEqual(VPP_BINARIES, ["vpp", "vppctl", "vpp_prometheus_export"]));
    it("VPP_PREFIX naming an install is used", () => {
        const p = install();
        assert.deepStrictEqual(findVpp({ VPP_PREFIX: p }), { prefix: p });
    });
    it("VPP_PREFIX that is not an install is an error naming each missing part", () => {
        const p = install([
            "bin/vppctl",
            "bin/vpp_prometheus_export",
            "lib/x86_64-linux-gnu/vpp_plugins/prom_plugin.so",
        ]);
        assert.throws(
            () => findVpp({ VPP_PREFIX: p }),
            new RegExp(
                `^Error: VPP_PREFIX is "${p}", which is not a VPP 24.10 install: no bin/vppctl; no bin/vpp_prometheus_export; no prom_plugin.so in ${p}/lib/x86_64-linux-gnu/vpp_plugins$`,
            ),
        );
    });
    it("without VPP_PREFIX, the tool cache's vpp-v24.10", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-cache-"));
        fs.renameSync(install(), path.join(cache, "vpp-v24.10"));
        assert.deepStrictEqual(findVpp({ VPP_TOOLS_CACHE: cache }), { prefix: path.join(cache, "vpp-v24.10") });
    });
    it("neither: the reason, naming where it looked", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-cache-"));
        assert.deepStrictEqual(findVpp({ VPP_TOOLS_CACHE: cache }), {
            missing: `no VPP 24.10 install at ${cache}/vpp-v24.10 and VPP_PREFIX is not set (CONTRIBUTING.md, "Data-plane tier", says what the install must hold)`,
        });
    });
});
