/**
 * The program runs compiled from bin/; it refuses a bin/ older than its sources.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { staleBuildMessage } from "../../stacks/build";

const ROOT = path.join(__dirname, "..", "..");

function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-build-"));
    fs.mkdirSync(path.join(dir, "components"));
    fs.mkdirSync(path.join(dir, "stacks"));
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "index.ts"), "");
    fs.writeFileSync(path.join(dir, "components", "init.sh"), "");
    fs.writeFileSync(path.join(dir, "stacks", "config.ts"), "");
    fs.writeFileSync(path.join(dir, "bin", "index.js"), "");
    return dir;
}
const setMtime = (file: string, seconds: number) => fs.utimesSync(file, seconds, seconds);

describe("compiled start: bin/ must be current", () => {
    it("Pulumi.yaml runs bin/index.js as JavaScript, and npm ci builds it (prepare) with the pod's scripts", () => {
        const p = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
        assert.strictEqual(p.main, "bin/index.js");
        assert.deepStrictEqual(p.runtime, { name: "nodejs", options: { typescript: false } });
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.strictEqual(pkg.scripts.prepare, "npm run build");
        assert.strictEqual(pkg.scripts.build, "tsc -p tsconfig.build.json && cp components/*.sh bin/components/");
    });
    it("a bin/ newer than every source runs", () => {
        const dir = project();
        for (const f of ["index.ts", "components/init.sh", "stacks/config.ts"]) setMtime(path.join(dir, f), 1000);
        setMtime(path.join(dir, "bin", "index.js"), 2000);
        assert.strictEqual(staleBuildMessage(dir, path.join(dir, "bin", "index.js")), undefined);
    });
    it("a TypeScript source newer than bin/ is refused, naming the file and the fix", () => {
        const dir = project();
        setMtime(path.join(dir, "bin", "index.js"), 2000);
        for (const f of ["index.ts", "components/init.sh"]) setMtime(path.join(dir, f), 1000);
        setMtime(path.join(dir, "stacks", "config.ts"), 3000);
        assert.strictEqual(
            staleBuildMessage(dir, path.join(dir, "bin", "index.js")),
            "bin/ is older than stacks/config.ts: run 'npm run build' (./scripts/pulumi.sh builds by itself)",
        );
    });
    it("an edited init script counts as a source", () => {
        const dir = project();
        setMtime(path.join(dir, "bin", "index.js"), 2000);
        for (const f of ["index.ts", "stacks/config.ts"]) setMtime(path.join(dir, f), 1000);
        setMtime(path.join(dir, "components", "init.sh"), 3000);
        assert.match(
            staleBuildMessage(dir, path.join(dir, "bin", "index.js")) ?? "",
            /^bin\/ is older than components\/init.sh/,
        );
    });
    it("running from TypeScript (tests, ts-node) is never refused", () => {
        const dir = project();
        setMtime(path.join(dir, "index.ts"), 3000);
        assert.strictEqual(staleBuildMessage(dir, path.join(dir, "index.ts")), undefined);
    });
});

describe("one direction in the code: components/ never imports stacks/ or live/; live/ never imports stacks/", () => {
    const importsOf = (dir: string, file: string) =>
        [...fs.readFileSync(path.join(ROOT, dir, file), "utf8").matchAll(/from\s+"([^"]+)"|import\("([^"]+)"\)/g)].map(
            (m) => m[1] ?? m[2],
        );
    for (const [dir, forbidden] of [
        ["components", /(^|\/)(stacks|live)(\/|$)/],
        ["live", /(^|\/)stacks(\/|$)/],
    ] as const) {
        for (const file of fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith(".ts"))) {
            it(`${dir}/${file} imports nothing from ${String(forbidden)}`, () => {
                assert.deepStrictEqual(
                    importsOf(dir, file).filter((i) => forbidden.test(i)),
                    [],
                    `${dir}/${file} imports across rooms`,
                );
            });
        }
    }
});
