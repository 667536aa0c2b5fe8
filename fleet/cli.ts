/**
 * npm run fleet -- <operation> (--stacks a,b | --all) [--concurrency N] [--format json]: see
 * fleet.ts; render-operator: see operator.ts. The Pulumi CLI is the one scripts/pulumi-cli.sh
 * chooses, as for scripts/pulumi.sh; Node 22 from node_modules/.bin comes first on PATH either way.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { formatTable, parseArgs, projectWorkspace, runFleet, selectedLabs, USAGE, UsageError } from "./fleet";
import { gitHead, operatorManifests, parseRenderArgs, readLab, RENDER_USAGE, writeManifests } from "./operator";

const ROOT = path.join(__dirname, "..");

/**
 * The environment Pulumi runs with: PATH with Node 22, and the CLI scripts/pulumi-cli.sh chooses
 * for every command of the project (the one on PATH when new enough, else the built one's settings).
 */
function pulumiEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    process.env.PATH = `${path.join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}`;
    const choice = spawnSync(
        "bash",
        ["-c", '. "$0/scripts/pulumi-cli.sh" && pulumi_choice "$0" && printf "%s" "$PULUMI_CHOICE"', ROOT],
        { encoding: "utf8" },
    ).stdout;
    if (choice.startsWith("installed ")) return env;
    if (!choice.startsWith("built "))
        throw new UsageError(choice.replace(/^none /, "") || "cannot choose a Pulumi CLI");
    const file = path.join(choice.slice("built ".length), "env.sh");
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

/** render-operator: the operator's resources for each lab, one folder per cluster. */
async function renderOperator(argv: string[]): Promise<number> {
    if (argv.includes("--help")) {
        process.stdout.write(`${RENDER_USAGE}\n`);
        return 0;
    }
    let o;
    try {
        o = parseRenderArgs(argv, process.cwd(), gitHead);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`fleet: ${e.message}\n${RENDER_USAGE}\n`);
        return 2;
    }
    const names = selectedLabs(o.stacks, o.dir);
    // A deployed stack keeps its instance (the SCC's name, which its RBAC names): read its outputs.
    const ws = await projectWorkspace(o.dir, pulumiEnv());
    const existing = new Set((await ws.listStacks()).map((s) => s.name.split("/").pop()));
    const labs = [];
    let files: string[];
    try {
        for (const name of names) {
            const outputs = existing.has(name)
                ? Object.fromEntries(Object.entries(await ws.stackOutputs(name)).map(([k, v]) => [k, v.value]))
                : undefined;
            labs.push(readLab(o.dir, name, outputs));
        }
        files = writeManifests(o.out, operatorManifests(labs, o));
    } catch (e) {
        // A lab that cannot be rendered (no stack file, a cluster that cannot be resolved, two labs
        // in one namespace): named, and nothing is written.
        process.stderr.write(`fleet: ${e instanceof Error ? e.message : String(e)}; nothing was written\n`);
        return 1;
    }
    process.stdout.write(`${files.join("\n")}\n`);
    process.stderr.write(
        `fleet: ${labs.length} lab(s) on ${new Set(labs.map((l) => l.server)).size} cluster(s), commit ${o.commit}; apply each cluster's folder with oc apply -f <folder> (docs/fleet.md)\n`,
    );
    return 0;
}

async function main(): Promise<number> {
    if (process.argv[2] === "render-operator") return renderOperator(process.argv.slice(3));
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
    // A status run that reads a failed last update fails too: a CI check of the fleet sees it.
    const lastFailed = results.filter((r) => r.lastFailed);
    if (failed.length > 0) {
        process.stderr.write(`fleet: ${failed.length} lab(s) failed: ${failed.map((r) => r.stack).join(", ")}\n`);
    }
    if (lastFailed.length > 0) {
        process.stderr.write(
            `fleet: ${lastFailed.length} lab(s) whose last update failed: ${lastFailed.map((r) => r.stack).join(", ")}\n`,
        );
    }
    return failed.length > 0 || lastFailed.length > 0 ? 1 : 0;
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
