/**
 * scripts/pulumi-cli.sh: the one place that decides which Pulumi CLI scripts/pulumi.sh, npm run
 * sandbox and npm run fleet run. Run by bash with stand-in `pulumi` binaries on PATH and a tool
 * cache of its own (VPP_TOOLS_CACHE).
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

describe("scripts/pulumi-cli.sh: which Pulumi CLI the project runs", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-pulumi-cli-"));
    const cache = path.join(dir, "cache");
    const stand = (name: string, version: string) => {
        const bin = path.join(dir, name);
        fs.mkdirSync(bin, { recursive: true });
        fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho v${version}\n`, { mode: 0o755 });
        return bin;
    };
    const newer = stand("newer", "3.260.1");
    const older = stand("older", "3.100.0");
    const tools = execFileSync(path.join(ROOT, "scripts", "tools", "path.sh"), {
        env: { ...process.env, VPP_TOOLS_CACHE: cache },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const build = () => {
        fs.mkdirSync(path.join(tools, "bin"), { recursive: true });
        fs.writeFileSync(path.join(tools, "env.sh"), "");
        fs.writeFileSync(path.join(tools, "bin", "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
    };
    const choose = (pathDirs: string[], extra: Record<string, string> = {}) => {
        const r = spawnSync(
            "bash",
            [
                "-c",
                '. "$0/scripts/pulumi-cli.sh"; pulumi_choice "$0"; echo "$PULUMI_CHOICE|$PULUMI_ON_PATH_TOO_OLD"',
                ROOT,
            ],
            {
                env: { PATH: [...pathDirs, "/usr/bin", "/bin"].join(":"), VPP_TOOLS_CACHE: cache, ...extra },
                encoding: "utf8",
            },
        );
        assert.strictEqual(r.status, 0, r.stderr);
        return r.stdout.trim();
    };
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("nothing built: a new enough pulumi on PATH; an older one, or none, is refused with what to do", () => {
        assert.strictEqual(choose([newer]), `installed ${newer}/pulumi 3.260.1|`);
        assert.strictEqual(
            choose([older]),
            `none the pulumi on PATH (${older}/pulumi) is version 3.100.0, older than 3.259.0, and none is built in ${tools}: install Pulumi 3.259.0 or newer, or run 'npm run tools'|${older}/pulumi 3.100.0`,
        );
        assert.strictEqual(
            choose([]),
            `none no pulumi on PATH and none built in ${tools}: install Pulumi 3.259.0 or newer, or run 'npm run tools'|`,
        );
    });
    it("built: taken when PATH has none or an older one (which is named), or when VPP_SERVER_BUILT_PULUMI=1", () => {
        build();
        assert.strictEqual(choose([newer]), `installed ${newer}/pulumi 3.260.1|`);
        assert.strictEqual(choose([older]), `built ${tools}|${older}/pulumi 3.100.0`);
        assert.strictEqual(choose([]), `built ${tools}|`);
        assert.strictEqual(choose([newer], { VPP_SERVER_BUILT_PULUMI: "1" }), `built ${tools}|`);
    });
});
