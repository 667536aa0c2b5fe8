/**
 * npm run review [-- --base <git-ref>] [--format markdown] [--dir <project>]
 *
 * Offline (no Pulumi CLI, cluster, credentials or state): validates every Pulumi.<stack>.yaml of
 * the project, reports stacks that would collide on one cluster, and, with --base, shows what
 * each stack file that differs from the base would do to its objects. Exit 1 on any problem or
 * collision, 2 on a usage error.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { renderStack } from "./render";
import {
    clusterOf,
    collisions,
    diffObjects,
    format,
    podRestarts,
    readStackFile,
    stackOfFile,
    StackFile,
    StackProblem,
    StackReview,
    validate,
} from "./review";

interface Options {
    base?: string;
    markdown: boolean;
    dir: string;
}

function usage(message: string): never {
    process.stderr.write(
        `review: ${message}\nusage: npm run review [-- --base <git-ref>] [--format markdown|text] [--dir <project>]\n`,
    );
    process.exit(2);
}

function options(argv: string[]): Options {
    const o: Options = { markdown: false, dir: path.resolve(__dirname, "..") };
    for (let i = 0; i < argv.length; i++) {
        const value = () => argv[++i] ?? usage(`${argv[i - 1]} needs a value`);
        if (argv[i] === "--base") o.base = value();
        else if (argv[i] === "--dir") o.dir = path.resolve(value());
        else if (argv[i] === "--format") {
            const f = value();
            if (f !== "markdown" && f !== "text") usage(`--format is '${f}'; expected markdown or text`);
            o.markdown = f === "markdown";
        } else usage(`unknown argument '${argv[i]}'`);
    }
    return o;
}

function git(dir: string, ...args: string[]): { ok: boolean; out: string; err: string } {
    const r = spawnSync("git", args, { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { ok: r.status === 0, out: r.stdout ?? "", err: r.stderr ?? "" };
}

/** The base's stack files (name -> content), read from git. */
function baseFiles(dir: string, base: string): Map<string, string> {
    if (!git(dir, "rev-parse", "--verify", "--quiet", `${base}^{commit}`).ok)
        usage(`--base '${base}' is not a commit of ${dir}`);
    const prefix = git(dir, "rev-parse", "--show-prefix").out.trim();
    const files = new Map<string, string>();
    for (const file of git(dir, "ls-tree", "--name-only", base, prefix || ".").out.split("\n")) {
        const name = path.basename(file);
        if (stackOfFile(name)) files.set(name, git(dir, "show", `${base}:${file}`).out);
    }
    return files;
}

async function main(): Promise<number> {
    const o = options(process.argv.slice(2));
    if (!fs.existsSync(o.dir)) usage(`--dir ${o.dir} does not exist`);
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
        .filter((f) => stackOfFile(f) && !git(o.dir, "check-ignore", "-q", f).ok)
        .sort();
    const texts = new Map(names.map((f) => [f, fs.readFileSync(path.join(o.dir, f), "utf8")]));
    const files = names.map((f) => read(f, texts.get(f)!)).filter((f): f is StackFile => f !== undefined);
    const v = validate(files);
    problems.push(...v.problems);

    const reviews: StackReview[] = [];
    if (o.base) {
        const before = baseFiles(o.dir, o.base);
        // Every changed stack file's two renders at once: they wait on the mocks, not on each other.
        const changed = [...new Set([...before.keys(), ...names])].sort().filter((f) => before.get(f) !== texts.get(f));
        const render = async (file: string, text: string | undefined) => {
            if (text === undefined) return [];
            const f = readStackFile(file, text);
            return renderStack(f.raw, f.stack);
        };
        const results = await Promise.all(
            changed.map(async (file): Promise<StackReview | undefined> => {
                const a = before.get(file);
                const b = texts.get(file);
                try {
                    const changes = diffObjects(await render(file, a), await render(file, b));
                    const status = a === undefined ? "added" : b === undefined ? "removed" : "changed";
                    return { file, status, changes, podRestarts: podRestarts(changes) };
                } catch {
                    // An invalid base or head: its problems are reported above (the base's are not ours to fix).
                    return undefined;
                }
            }),
        );
        reviews.push(...results.filter((r): r is StackReview => r !== undefined));
    }
    const review = {
        stacks: names.length,
        problems,
        collisions: collisions(v.valid, (f) => clusterOf(f, o.dir)),
        reviews,
    };
    process.stdout.write(format(review, o.markdown));
    return problems.length > 0 || review.collisions.length > 0 ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        process.stderr.write(`review: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
    },
);
