/**
 * Where the data-plane tier and its benchmark find VPP: $VPP_PREFIX, one install or several
 * separated by ":" (an error naming what is missing when one is not an install), else every
 * vpp-v<version> of the tool cache, else one line saying how to enable the tier. An install's
 * version is its libraries' (libvppinfra.so.<version>); its vpp must find them wherever it is mounted.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findVpp, findVppInstalls, VPP_BINARIES, VPP_PLUGINS, vppInstallProblems } from "../dataplane/rig";

/** A directory laid out as a VPP install of `version` (its libvppinfra.so.<version>), with `skip` left out. */
function install(version = "24.10", skip: string[] = []): string {
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
    fs.writeFileSync(path.join(p, "lib", "x86_64-linux-gnu", `libvppinfra.so.${version}`), "");
    return p;
}

/** bin/vpp as a real ELF program, linked with this RUNPATH (gcc). */
function elfVpp(prefix: string, runpath: string): void {
    const src = path.join(prefix, "vpp.c");
    fs.writeFileSync(src, "int main(void) { return 0; }\n");
    const r = spawnSync(
        "gcc",
        ["-o", path.join(prefix, "bin", "vpp"), src, `-Wl,--enable-new-dtags,-rpath,${runpath}`],
        {
            encoding: "utf8",
        },
    );
    assert.strictEqual(r.status, 0, `gcc: ${r.stderr}`);
}

describe("data plane: finding the VPP installs", () => {
    it("an install holds vpp, vppctl and the metrics container's vpp_prometheus_export", () =>
        assert.deepStrictEqual(VPP_BINARIES, ["vpp", "vppctl", "vpp_prometheus_export"]));
    it("VPP_PREFIX naming an install is used, with its version", () => {
        const p = install("26.06");
        assert.deepStrictEqual(findVppInstalls({ VPP_PREFIX: p }), { installs: [{ prefix: p, version: "26.06" }] });
        assert.deepStrictEqual(findVpp({ VPP_PREFIX: p }), { prefix: p, version: "26.06" });
    });
    it("VPP_PREFIX naming two installs: both, in its order", () => {
        const [a, b] = [install("26.06"), install("24.10")];
        assert.deepStrictEqual(findVppInstalls({ VPP_PREFIX: `${a}:${b}` }), {
            installs: [
                { prefix: a, version: "26.06" },
                { prefix: b, version: "24.10" },
            ],
        });
    });
    it("VPP_PREFIX that is not an install is an error naming each missing part", () => {
        const p = install("24.10", [
            "bin/vppctl",
            "bin/vpp_prometheus_export",
            "lib/x86_64-linux-gnu/vpp_plugins/prom_plugin.so",
        ]);
        assert.throws(
            () => findVppInstalls({ VPP_PREFIX: `${install()}:${p}` }),
            (e: Error) =>
                e.message ===
                `VPP_PREFIX names "${p}", which is not a VPP install: no bin/vppctl; no bin/vpp_prometheus_export; no prom_plugin.so in ${p}/lib/x86_64-linux-gnu/vpp_plugins (CONTRIBUTING.md, "Data-plane tier", says what an install must hold)`,
        );
    });
    it("an install of a version the tier does not know, or of none, is not one", () => {
        assert.deepStrictEqual(vppInstallProblems(install("23.10")), [
            "it is VPP 23.10; the tier knows 24.10 and 26.06",
        ]);
        const unknown = install();
        fs.rmSync(path.join(unknown, "lib", "x86_64-linux-gnu", "libvppinfra.so.24.10"));
        assert.deepStrictEqual(vppInstallProblems(unknown), [
            "no libvppinfra.so.<version> in lib/x86_64-linux-gnu: its version is not known",
        ]);
    });
    it("a vpp whose RUNPATH is absolute is not an install (mounted elsewhere, its libraries are not found); $ORIGIN is", () => {
        const absolute = install();
        elfVpp(absolute, "/root/vpp/lib/x86_64-linux-gnu");
        assert.deepStrictEqual(vppInstallProblems(absolute), [
            "bin/vpp's RUNPATH is /root/vpp/lib/x86_64-linux-gnu: it must be relative ($ORIGIN/../lib/x86_64-linux-gnu), as the install is mounted elsewhere",
        ]);
        const relative = install();
        elfVpp(relative, "$ORIGIN/../lib/x86_64-linux-gnu");
        assert.deepStrictEqual(vppInstallProblems(relative), []);
    });
    it("without VPP_PREFIX, every vpp-v<version> of the tool cache that is an install, oldest first", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-cache-"));
        fs.renameSync(install("26.06"), path.join(cache, "vpp-v26.06"));
        fs.renameSync(install("24.10"), path.join(cache, "vpp-v24.10"));
        fs.mkdirSync(path.join(cache, "vpp-v25.02"));
        assert.deepStrictEqual(findVppInstalls({ VPP_TOOLS_CACHE: cache }), {
            installs: [
                { prefix: path.join(cache, "vpp-v24.10"), version: "24.10" },
                { prefix: path.join(cache, "vpp-v26.06"), version: "26.06" },
            ],
        });
    });
    it("neither: the reason, naming where it looked", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-cache-"));
        assert.deepStrictEqual(findVppInstalls({ VPP_TOOLS_CACHE: cache }), {
            missing: `no VPP install at ${cache}/vpp-v<version> (24.10 or 26.06) and VPP_PREFIX is not set (CONTRIBUTING.md, "Data-plane tier", says what an install must hold)`,
        });
    });
});
