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
const containerfile = fs.readFileSync(path.join(ROOT, "Containerfile"), "utf8");
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

describe("Containerfile and its stack setting", () => {
    it("grants vpp exactly NET_ADMIN, NET_RAW and IPC_LOCK as effective file capabilities", () => {
        assert.deepStrictEqual(setcapCapabilities(containerfile).sort(), ["IPC_LOCK", "NET_ADMIN", "NET_RAW"]);
    });
    it("docs/images.md's imageCapabilities for it equal its file capabilities", () => {
        assert.deepStrictEqual(
            imageCapabilitiesSetting(readme, "docs/images.md").sort(),
            setcapCapabilities(containerfile).sort(),
        );
    });
    it("the Containerfile's own comment names the same setting", () => {
        assert.deepStrictEqual(
            imageCapabilitiesSetting(containerfile, "Containerfile").sort(),
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
        assert.match(containerfile, /^ARG VERSION=24\.10-\d+$/m);
    });
    it("docs/images.md builds it with the versioned tag the Containerfile's VERSION names", () => {
        const version = /^ARG VERSION=(\S+)$/m.exec(containerfile)![1];
        assert.ok(
            readme.includes(`podman build -t quay.io/<you>/vpp-server:${version} -f Containerfile .`),
            `docs/images.md builds no vpp-server:${version}`,
        );
    });
    it("runs as uid 10000, the uid the SCC pins", () => {
        assert.match(containerfile, /^USER 10000:10000$/m);
    });
});
