/**
 * npm run fleet: one operation (preview, up, refresh, destroy) on many labs' stacks at once, or the
 * status of each, through Pulumi's Automation API and the project's own CLI. Stacks are selected
 * (and, for preview and up, created) one at a time, since concurrent selects race on the
 * workspace's current-stack file; then the operations run with a bounded concurrency, each into a
 * log file of its own, one line per lab as it starts and ends, and one table at the end.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, OpMap, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { resolveConnection } from "../live/kubeconfig";
import { liveCluster } from "../live/reader";
import { parseDns1123Label } from "../stacks/rules";
import { readStackFile, stackOfFile } from "../review/review";
import { labSelection, readFlags, UsageError } from "./args";
import { stackObjectName, stackStatus } from "./operator";

export { UsageError } from "./args";

export const OPERATIONS = ["preview", "up", "refresh", "destroy", "status"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface FleetOptions {
    readonly op: Operation;
    /** The labs named by --stacks; undefined with --all. */
    readonly stacks?: readonly string[];
    readonly concurrency: number;
    readonly format: "text" | "json";
    /** The project directory, where Pulumi.yaml and the labs' Pulumi.<stack>.yaml are. */
    readonly dir: string;
    /** status: the namespace of the operator's Stack resources, to read each lab's from its cluster. */
    readonly operatorNamespace?: string;
    /** preview, up, refresh: a lab with any change fails (Pulumi's --expect-no-changes), for a CI drift check. */
    readonly expectNoChanges?: boolean;
}

export const USAGE = `usage: npm run fleet -- preview|up|refresh|destroy|status (--stacks a,b | --all) [--concurrency N] [--format json] [--dir <project>] [--operator <namespace>] [--expect-no-changes]
       npm run fleet -- render-operator ... (npm run fleet -- render-operator --help)

Runs one operation on every selected lab's stack, at most N at once (default 4), each into its own
log file under .fleet/, and prints one table: lab, cluster, operation, result, created, updated,
replaced, deleted, seconds, log. status reads each stack's last update and outputs instead, and exits 1
when a lab's last update failed.
--operator (status only) adds each lab's Stack resource as the Pulumi Kubernetes Operator reports it.
--expect-no-changes (preview, up, refresh) fails each lab that would change: a drift check for CI.
--all selects every Pulumi.<stack>.yaml of the project. Exit 0: every lab ok; 1: a lab failed
(each named); 2: a usage error.`;

export function parseArgs(argv: readonly string[], defaultDir: string): FleetOptions {
    const [op, ...rest] = argv;
    if (!OPERATIONS.includes(op as Operation)) {
        throw new UsageError(`the operation is ${JSON.stringify(op ?? "")}; expected one of ${OPERATIONS.join(", ")}`);
    }
    const { values, on } = readFlags(
        rest,
        ["--stacks", "--concurrency", "--format", "--dir", "--operator"],
        ["--all", "--expect-no-changes"],
    );
    const expectNoChanges = on.has("--expect-no-changes");
    if (expectNoChanges && (op === "destroy" || op === "status"))
        throw new UsageError(`--expect-no-changes goes with preview, up or refresh, not ${op}`);
    const stacks = labSelection(values["--stacks"], on.has("--all"));
    const c = values["--concurrency"] ?? "4";
    if (!/^[1-9]\d*$/.test(c) || Number(c) > 64)
        throw new UsageError(`--concurrency is ${JSON.stringify(c)}; expected a whole number from 1 to 64`);
    const format = values["--format"] ?? "text";
    if (format !== "json" && format !== "text")
        throw new UsageError(`--format is ${JSON.stringify(format)}; expected json or text`);
    const operatorNamespace = values["--operator"];
    if (operatorNamespace !== undefined) {
        if (op !== "status") throw new UsageError(`--operator goes with status, not ${op}`);
        if (!parseDns1123Label(operatorNamespace).ok)
            throw new UsageError(
                `--operator is ${JSON.stringify(operatorNamespace)}; expected a namespace (a DNS label)`,
            );
    }
    return {
        op: op as Operation,
        stacks,
        concurrency: Number(c),
        format,
        dir: values["--dir"] ? path.resolve(values["--dir"]) : defaultDir,
        ...(operatorNamespace ? { operatorNamespace } : {}),
        ...(expectNoChanges ? { expectNoChanges } : {}),
    };
}

/** Every lab of the project: its Pulumi.<stack>.yaml files (not the sandbox's), sorted. */
export function projectStacks(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .map(stackOfFile)
        .filter((s): s is string => s !== undefined && s !== "sandbox")
        .sort();
}

export interface LabResult {
    readonly stack: string;
    /** The cluster: its context and server, from the stack's outputs (or its settings, before a deployment). */
    readonly cluster: string;
    readonly op: Operation;
    /** ok, failed, or (status) the last update's result. */
    readonly result: string;
    readonly created: number;
    readonly updated: number;
    readonly replaced: number;
    readonly deleted: number;
    readonly seconds: number;
    readonly log: string;
    /** The first error line, when it failed. */
    readonly error?: string;
    /** status --operator: the lab's Stack resource, as the operator reports it. */
    readonly operator?: string;
    /** status: the lab's last update (up, refresh, destroy) failed. */
    readonly lastFailed?: boolean;
}

function counts(ops: OpMap | undefined): Pick<LabResult, "created" | "updated" | "replaced" | "deleted"> {
    const n = (k: keyof OpMap) => ops?.[k] ?? 0;
    return {
        created: n("create"),
        updated: n("update"),
        replaced: n("replace") + n("create-replacement") + n("delete-replaced"),
        deleted: n("delete"),
    };
}

/** Runs `work` on each item, at most `limit` at once, in order of the items. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (t: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const runner = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await work(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
    return out;
}

async function clusterOf(stack: Stack): Promise<string> {
    try {
        const o = await stack.outputs();
        if (o.clusterServer?.value) return `${String(o.clusterContext?.value ?? "?")} ${String(o.clusterServer.value)}`;
    } catch {
        // no outputs yet
    }
    const config = await stack.getAllConfig();
    return config["kubernetes:context"]?.value
        ? `${config["kubernetes:context"].value} (not deployed)`
        : "(not deployed)";
}

/** The lab's Stack resource on its cluster (as its settings name the cluster), in one line. */
async function operatorOf(stack: Stack, namespace: string, dir: string): Promise<string> {
    const config = await stack.getAllConfig();
    try {
        const connection = resolveConnection(
            { kubeconfig: config["kubernetes:kubeconfig"]?.value, context: config["kubernetes:context"]?.value },
            dir,
        );
        const live = await liveCluster(connection).read({
            apiVersion: "pulumi.com/v1",
            kind: "Stack",
            namespace,
            name: stackObjectName(stack.name.split("/").pop()!),
        });
        return stackStatus(live as Record<string, unknown> | undefined);
    } catch (e) {
        return `not read: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`;
    }
}

/**
 * What went wrong in a failed operation's output: its first error line, with the line after it when
 * it ends in a colon (the program's "invalid stack configuration (1 problem); ...:" and its problem).
 */
export function firstError(text: string): string {
    const lines = text.split("\n").map((l) => l.trim());
    const i = lines.findIndex((l) => /^error: /.test(l) && !/^error: (update|preview|refresh|destroy) failed$/.test(l));
    if (i < 0) return (lines.filter(Boolean).pop() ?? "").slice(0, 300);
    const first = lines[i].replace(/^error: /, "");
    const next = first.endsWith(":") ? lines.slice(i + 1).find(Boolean) : undefined;
    return (next ? `${first} ${next.replace(/^- /, "")}` : first).slice(0, 300);
}

/**
 * The labs named, or with none named (--all) every lab of the project; a usage error when there is
 * none, and, before anything runs:
 * - for every operation but status, a name with no `Pulumi.<lab>.yaml` (a typo would make a new,
 *   empty stack on the current context);
 * - for `up --all`, a stack file that names no cluster of its own (no `kubernetes:context` and no
 *   `kubernetes:kubeconfig`, and no `renderDir`): it would deploy wherever the current context
 *   points, as the reference lab's `Pulumi.lab.yaml` would.
 */
export function selectedLabs(
    stacks: readonly string[] | undefined,
    dir: string,
    op: Operation = "status",
): readonly string[] {
    const names = stacks ?? projectStacks(dir);
    if (names.length === 0) throw new UsageError(`no lab's stack file (Pulumi.<stack>.yaml) in ${dir}`);
    if (op !== "status") {
        const missing = names.filter((n) => !fs.existsSync(path.join(dir, `Pulumi.${n}.yaml`)));
        if (missing.length > 0)
            throw new UsageError(
                `${missing.map((n) => `--stacks names ${n}, but ${dir} has no Pulumi.${n}.yaml`).join("; ")}; the labs there: ${projectStacks(dir).join(", ") || "none"}; nothing was run`,
            );
    }
    if (op === "up" && stacks === undefined) {
        const unanchored = names.filter((n) => {
            const f = `Pulumi.${n}.yaml`;
            const config = readStackFile(f, fs.readFileSync(path.join(dir, f), "utf8"));
            return (
                config.cluster === undefined && config.kubeconfig === undefined && config.raw.renderDir === undefined
            );
        });
        if (unanchored.length > 0)
            throw new UsageError(
                [
                    `up --all deploys every stack file, and ${unanchored.map((n) => `Pulumi.${n}.yaml`).join(", ")} name${unanchored.length === 1 ? "s" : ""} no cluster of ${unanchored.length === 1 ? "its" : "their"} own (no kubernetes:context, no kubernetes:kubeconfig): ${unanchored.length === 1 ? "it" : "they"} would deploy wherever the current context points; nothing was run.`,
                    ...unanchored.map(
                        (n) =>
                            `  - ${n}: pulumi config set kubernetes:context <its cluster's context> --stack ${n}, or leave it out: npm run fleet -- up --stacks ${names.filter((x) => !unanchored.includes(x)).join(",") || "<labs>"}`,
                    ),
                ].join("\n"),
            );
    }
    return names;
}

/** The project's Automation API workspace, on the CLI the environment names (cli.ts chooses it). */
export async function projectWorkspace(dir: string, env: Record<string, string>): Promise<LocalWorkspace> {
    return LocalWorkspace.create({
        workDir: dir,
        envVars: env,
        pulumiCommand: await PulumiCommand.get({ skipVersionCheck: true }),
    });
}

export async function runFleet(
    o: FleetOptions,
    env: Record<string, string>,
    say: (line: string) => void,
): Promise<LabResult[]> {
    const names = selectedLabs(o.stacks, o.dir, o.op);
    const ws = await projectWorkspace(o.dir, env);
    const logs = path.join(o.dir, ".fleet", `${new Date().toISOString().replace(/[:.]/g, "-")}-${o.op}`);
    fs.mkdirSync(logs, { recursive: true });
    // One at a time: select (and for preview and up, create) each stack.
    const stacks = new Map<string, Stack | Error>();
    for (const name of names) {
        try {
            stacks.set(
                name,
                o.op === "preview" || o.op === "up"
                    ? await Stack.createOrSelect(name, ws)
                    : await Stack.select(name, ws),
            );
        } catch (e) {
            stacks.set(name, e instanceof Error ? e : new Error(String(e)));
        }
    }
    return pool(names, o.concurrency, async (name) => {
        const log = path.join(logs, `${name}.log`);
        const t0 = Date.now();
        const done = (r: Omit<LabResult, "stack" | "op" | "seconds" | "log">): LabResult => {
            const result = { stack: name, op: o.op, seconds: (Date.now() - t0) / 1000, log, ...r };
            say(
                `fleet: ${name}: ${o.op} ${result.result} in ${result.seconds.toFixed(1)} s${r.error ? `: ${r.error}` : ""}`,
            );
            return result;
        };
        const stack = stacks.get(name)!;
        if (stack instanceof Error) {
            fs.writeFileSync(log, stack.message);
            return done({ cluster: "?", result: "failed", ...counts(undefined), error: firstError(stack.message) });
        }
        say(`fleet: ${name}: ${o.op} ...`);
        const out = fs.createWriteStream(log);
        const onOutput = (s: string) => out.write(s);
        try {
            if (o.op === "status") {
                const [last] = await stack.history(1);
                return done({
                    cluster: await clusterOf(stack),
                    result: last ? `${last.kind} ${last.result} ${last.endTime ?? last.startTime}` : "never deployed",
                    ...(last?.result === "failed" ? { lastFailed: true } : {}),
                    ...counts(last?.resourceChanges),
                    ...(o.operatorNamespace ? { operator: await operatorOf(stack, o.operatorNamespace, o.dir) } : {}),
                });
            }
            const expectNoChanges = o.expectNoChanges === true;
            const changes =
                o.op === "preview"
                    ? (await stack.preview({ onOutput, diff: false, expectNoChanges })).changeSummary
                    : o.op === "up"
                      ? (await stack.up({ onOutput, expectNoChanges })).summary.resourceChanges
                      : o.op === "refresh"
                        ? (await stack.refresh({ onOutput, expectNoChanges })).summary.resourceChanges
                        : (await stack.destroy({ onOutput, runProgram: true })).summary.resourceChanges;
            return done({ cluster: await clusterOf(stack), result: "ok", ...counts(changes) });
        } catch (e) {
            const text = e instanceof Error ? e.message : String(e);
            out.write(`\n${text}\n`);
            return done({
                cluster: await clusterOf(stack).catch(() => "?"),
                result: "failed",
                ...counts(undefined),
                error: firstError(text),
            });
        } finally {
            out.end();
        }
    });
}

export function formatTable(results: readonly LabResult[]): string {
    const head = [
        "lab",
        "cluster",
        "operation",
        "result",
        "created",
        "updated",
        "replaced",
        "deleted",
        "seconds",
        "log",
    ];
    const withOperator = results.some((r) => r.operator !== undefined);
    if (withOperator) head.splice(4, 0, "operator");
    const rows = results.map((r) => [
        r.stack,
        r.cluster,
        r.op,
        r.result,
        ...(withOperator ? [r.operator ?? ""] : []),
        String(r.created),
        String(r.updated),
        String(r.replaced),
        String(r.deleted),
        r.seconds.toFixed(1),
        r.log,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    return [head, ...rows]
        .map((r) =>
            r
                .map((c, i) => c.padEnd(widths[i]))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}
