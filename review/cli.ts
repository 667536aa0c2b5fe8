/**
 * npm run review [-- --base <git-ref>] [--allow-removed <stack>]... [--format markdown] [--dir <project>]
 *
 * Offline (no Pulumi CLI, cluster, credentials or state): validates every Pulumi.<stack>.yaml of
 * the project, reports stacks that would collide on one cluster, and, with --base, shows what
 * each stack file that differs from the base would do to its objects: updated, replaced, created
 * by a new (or renamed) stack, or left deployed by a removed one. Exit 1 on any problem,
 * collision, error, or removed stack file not acknowledged with --allow-removed; 2 on a usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { StackConfig } from "../stacks/config";
import { ChangeSet, removedFiles, reviewChanges, StackReview } from "./changes";
import { failed, format } from "./format";
import { baseStackFiles, detectRenames, git, isCommit } from "./git";
import { renderStack } from "./render";
import {
    clusterOf,
    collisions,
    readStackFile,
    stackOfFile,
    StackFile,
    StackFileError,
    StackProblem,
    validate,
} from "./review";

interface Options {
    base?: string;
    markdown: boolean;
    dir: string;
    allowRemoved: string[];
}

const USAGE =
    "usage: npm run review [-- --base <git-ref>] [--allow-removed <stack>]... [--format markdown|text] [--dir <project>]";

function usage(message: string): never {
    process.stderr.write(`review: ${message}\n${USAGE}\n`);
    process.exit(2);
}

function options(argv: string[]): Options {
    const o: Options = { markdown: false, dir: path.resolve(__dirname, ".."), allowRemoved: [] };
    for (let i = 0; i < argv.length; i++) {
        const value = () => argv[++i] ?? usage(`${argv[i - 1]} needs a value`);
        if (argv[i] === "--base") o.base = value();
        else if (argv[i] === "--dir") o.dir = path.resolve(value());
        else if (argv[i] === "--allow-removed") o.allowRemoved.push(value());
        else if (argv[i] === "--format") {
            const f = value();
            if (f !== "markdown" && f !== "text") usage(`--format is '${f}'; expected markdown or text`);
            o.markdown = f === "markdown";
        } else usage(`unknown argument '${argv[i]}'`);
    }
    if (o.allowRemoved.length > 0 && !o.base)
        usage("--allow-removed needs --base: without it no stack file is removed");
    return o;
}

async function main(): Promise<number> {
    const o = options(process.argv.slice(2));
    if (!fs.existsSync(o.dir)) usage(`--dir ${o.dir} does not exist`);
    if (o.base && !isCommit(o.dir, o.base)) usage(`--base '${o.base}' is not a commit of ${o.dir}`);
    const problems: StackProblem[] = [];
    const read = (file: string, text: string): StackFile | undefined => {
        try {
            return readStackFile(file, text);
        } catch (e) {
            problems.push({ file, message: e instanceof Error ? e.message : String(e) });
            return undefined;
        }
    };
    // The repository's stack files: not those git ignores (the sandbox's Pulumi.sandbox.yaml).
    const names = fs
        .readdirSync(o.dir)
        .filter((f) => stackOfFile(f) && git(o.dir, "check-ignore", "-q", f).status !== 0)
        .sort();
    const texts = new Map(names.map((f) => [f, fs.readFileSync(path.join(o.dir, f), "utf8")]));
    const files = names.map((f) => read(f, texts.get(f)!)).filter((f): f is StackFile => f !== undefined);
    const v = validate(files);
    problems.push(...v.problems);

    let reviews: StackReview[] = [];
    // The stacks whose files the change removes (or renames away): their objects stay deployed.
    const deployed = new Map<StackFile, StackConfig>();
    if (o.base) {
        const before = baseStackFiles(o.dir, o.base);
        const pick = (from: Map<string, string>, not: Map<string, string>) =>
            new Map([...from].filter(([f]) => !not.has(f)));
        const set: ChangeSet = {
            before,
            after: texts,
            renames: detectRenames(pick(before, texts), pick(texts, before)),
            allowRemoved: new Set(o.allowRemoved),
        };
        reviews = await reviewChanges(set, async (file, text) => {
            const f = readStackFile(file, text);
            return renderStack(f.raw, f.stack);
        });
        for (const file of removedFiles(set)) {
            // A base file that is not YAML or not valid: nothing of it to compare (its section says so).
            let old: StackFile;
            try {
                old = readStackFile(file, before.get(file)!);
            } catch (e) {
                if (e instanceof StackFileError) continue;
                throw e;
            }
            for (const [f, c] of validate([old]).valid) deployed.set(f, c);
        }
    }
    const removedStacks = new Set(reviews.flatMap((r) => (r.removedStack ? [r.removedStack.stack] : [])));
    const review = {
        stacks: names.length,
        problems,
        collisions: collisions(v.valid, (f) => clusterOf(f, o.dir), deployed),
        reviews,
        unusedAcknowledgements: o.allowRemoved.filter((s) => !removedStacks.has(s)),
    };
    process.stdout.write(format(review, o.markdown));
    return failed(review) ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        process.stderr.write(`review: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        process.exit(1);
    },
);
