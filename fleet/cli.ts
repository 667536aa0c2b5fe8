/**
 * npm run fleet -- <operation> (--stacks a,b | --all) [--concurrency N] [--format json]: see
 * fleet.ts. The Pulumi CLI is the one on PATH, else the one `npm run tools` built (its env.sh, as
 * scripts/pulumi.sh uses it); Node 22 from node_modules/.bin comes first on PATH either way.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { formatTable, parseArgs, runFleet, USAGE, UsageError } from "./fleet";

const ROOT = path.join(__dirname, "..");

/** The environment Pulumi runs with: PATH with Node 22, and the built CLI's settings when none is installed. */
function pulumiEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    process.env.PATH = `${path.join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}`;
    const installed = spawnSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).status === 0;
    if (installed && process.env.VPP_SERVER_BUILT_PULUMI !== "1") return env;
    const dir = spawnSync("bash", [path.join(ROOT, "scripts", "tools", "path.sh")], { encoding: "utf8" }).stdout.trim();
    const file = path.join(dir, "env.sh");
    if (!dir || !fs.existsSync(file)) {
        throw new UsageError("no pulumi on PATH and none built: install Pulumi, or run 'npm run tools' first");
    }
    const sourced = spawnSync("bash", ["-c", `. "${file}" && env -0`], { encoding: "utf8" }).stdout;
    for (const kv of sourced.split("\0")) {
        const i = kv.indexOf("=");
        const [k, v] = [kv.slice(0, i), kv.slice(i + 1)];
        if (k === "PATH" || k.startsWith("PULUMI_") || k.startsWith("VPP_")) {
            env[k] = v;
            process.env[k] = v;
        }
    }
    return env;
}

async function main(): Promise<number> {
    let o;
    try {
        o = parseArgs(process.argv.slice(2), process.cwd());
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`fleet: ${e.message}\n${USAGE}\n`);
        return 2;
    }
    const results = await runFleet(o, pulumiEnv(), (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`${o.format === "json" ? JSON.stringify(results, null, 2) : formatTable(results)}\n`);
    const failed = results.filter((r) => r.result === "failed");
    if (failed.length > 0) {
        process.stderr.write(`fleet: ${failed.length} lab(s) failed: ${failed.map((r) => r.stack).join(", ")}\n`);
        return 1;
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        process.stderr.write(
            `fleet: ${e instanceof UsageError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
        );
        process.exit(e instanceof UsageError ? 2 : 1);
    },
);
