/**
 * The image recipe and the stack setting that goes with it must agree: the pod's capabilities
 * must equal the vpp binary's file capabilities exactly, or the kernel refuses to run vpp.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { parseCapabilities } from "../../stacks/rules";

const ROOT = path.join(__dirname, "..", "..");
/** The image recipes: VPP 24.10 (the proof of concept's release) and 26.06. */
const RECIPES = [
    { file: "Containerfile", vpp: "24.10" },
    { file: "Containerfile.vpp-26.06", vpp: "26.06" },
];
/** docs/images.md: how the image is built, and the setting that goes with it. */
const readme = fs.readFileSync(path.join(ROOT, "docs", "images.md"), "utf8");

/** The capabilities a `setcap 'cap_a,cap_b=eip' /usr/bin/vpp` line grants, in Kubernetes' spelling. */
function setcapCapabilities(text: string): string[] {
    const lines = text.split("\n").filter((l) => /^RUN\s+setcap\b/.test(l));
    assert.strictEqual(lines.length, 1, `expected one RUN setcap line in the Containerfile, found ${lines.length}`);
    const m = /setcap\s+'([a-z_,]+)=eip'\s+\/usr\/bin\/vpp\s*$/.exec(lines[0]);
    assert.ok(m, `the setcap line is not of the form setcap 'cap_x,cap_y=eip' /usr/bin/vpp: ${lines[0]}`);
    return m[1].split(",").map((c) => c.replace(/^cap_/, "").toUpperCase());
}

/** The `vpp-server:imageCapabilities: [...]` setting a text gives for the project's image. */
function imageCapabilitiesSetting(text: string, where: string): string[] {
    const lines = text.split("\n").filter((l) => /vpp-server:imageCapabilities:/.test(l));
    assert.strictEqual(
        lines.length,
        1,
        `expected one vpp-server:imageCapabilities line in ${where}, found ${lines.length}`,
    );
    const value = YAML.parse(lines[0].replace(/^[#\s]*/, ""))["vpp-server:imageCapabilities"];
    assert.ok(Array.isArray(value), `${where}: imageCapabilities is not a list: ${lines[0]}`);
    return value;
}

for (const { file, vpp } of RECIPES) {
    const containerfile = fs.readFileSync(path.join(ROOT, file), "utf8");
    describe(`${file} (VPP ${vpp}) and its stack setting`, () => {
        it("grants vpp exactly NET_ADMIN, NET_RAW and IPC_LOCK as effective file capabilities", () => {
            assert.deepStrictEqual(setcapCapabilities(containerfile).sort(), ["IPC_LOCK", "NET_ADMIN", "NET_RAW"]);
        });
        it("docs/images.md's imageCapabilities for it equal its file capabilities", () => {
            assert.deepStrictEqual(
                imageCapabilitiesSetting(readme, "docs/images.md").sort(),
                setcapCapabilities(containerfile).sort(),
            );
        });
        it("the recipe's own comment names the same setting", () => {
            assert.deepStrictEqual(
                imageCapabilitiesSetting(containerfile, file).sort(),
                setcapCapabilities(containerfile).sort(),
            );
        });
        it("that setting passes the stack's validation", () => {
            const parsed = parseCapabilities(JSON.stringify(imageCapabilitiesSetting(readme, "docs/images.md")));
            assert.ok(parsed.ok, `docs/images.md's setting is refused: ${parsed.ok ? "" : parsed.expected}`);
        });
        it("carries the labels certsuite's preflight reads: name, vendor, version, summary, description", () => {
            const labels = new Map<string, string>();
            const block = /^LABEL ((?:.*\\\n)*.*)$/m.exec(containerfile);
            assert.ok(block, "the Containerfile has no LABEL instruction");
            for (const m of block[1].matchAll(/([\w.]+)="([^"]*)"/g)) labels.set(m[1], m[2]);
            for (const key of ["name", "vendor", "version", "summary", "description"]) {
                assert.ok(labels.get(key), `LABEL ${key} is missing or empty`);
            }
            assert.strictEqual(labels.get("version"), "${VERSION}");
            assert.match(containerfile, new RegExp(`^ARG VERSION=${vpp.replace(".", "\\.")}-\\d+$`, "m"));
        });
        it("docs/images.md builds it with the versioned tag the recipe's VERSION names", () => {
            const version = /^ARG VERSION=(\S+)$/m.exec(containerfile)![1];
            assert.ok(
                readme.includes(`podman build -t quay.io/<you>/vpp-server:${version} -f ${file} .`),
                `docs/images.md builds no vpp-server:${version} from ${file}`,
            );
        });
        it("runs as uid 10000, the uid the SCC pins", () => {
            assert.match(containerfile, /^USER 10000:10000$/m);
        });
    });
}

describe("Containerfile.vpp-26.06: FD.io's packages", () => {
    const recipe = fs.readFileSync(path.join(ROOT, "Containerfile.vpp-26.06"), "utf8");
    it("installs vpp, libvppinfra and vpp-plugin-core, each pinned to the one release their Depends require", () => {
        assert.match(recipe, /^ARG VPP_PACKAGE_VERSION=26\.06-release$/m);
        const line = /apt-get install -y --no-install-recommends \\\n\s+(.*?) \\\n/.exec(recipe);
        assert.ok(line, "no apt-get install of VPP's packages");
        assert.deepStrictEqual(line[1].split(/\s+/), [
            'vpp="${VPP_PACKAGE_VERSION}"',
            'libvppinfra="${VPP_PACKAGE_VERSION}"',
            'vpp-plugin-core="${VPP_PACKAGE_VERSION}"',
        ]);
        assert.match(
            recipe,
            /VPP_INSTALL_SKIP_SYSCTL=1 apt-get install/,
            "the postinst's sysctl cannot run in a build",
        );
    });
});
