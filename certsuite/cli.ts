/**
 * npm run certsuite-config -- --stack <stack> [--output <file>] [--dir <project>]
 *
 * Writes (or prints) certsuite's configuration for one stack, from its Pulumi.<stack>.yaml read
 * and validated by the program's own rules: the stack's namespace and Deployment. Exit 1 when
 * the stack file is missing or invalid, 2 on a usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { readStackFile, stackOfFile } from "../review/review";
import { parseStackConfig } from "../stacks/config";
import { certsuiteCommand, certsuiteConfig } from "./config";

const USAGE = "usage: npm run certsuite-config -- --stack <stack> [--output <file>] [--dir <project>]";

/** Where the command writes: the process's streams, or a test's buffers. */
export interface Io {
    stdout(text: string): void;
    stderr(text: string): void;
}

/** The command's end: its exit status, with a message for stderr. */
class Exit extends Error {
    constructor(
        readonly code: number,
        message: string,
    ) {
        super(message);
    }
}

function fail(code: number, message: string): never {
    throw new Exit(code, `certsuite-config: ${message}\n${code === 2 ? `${USAGE}\n` : ""}`);
}

/** The whole command for `argv` (without node and the script); returns the exit status. */
export function run(argv: readonly string[], io: Io, defaultDir = path.resolve(__dirname, "..")): number {
    try {
        generate(argv, io, defaultDir);
        return 0;
    } catch (e) {
        if (!(e instanceof Exit)) throw e;
        io.stderr(e.message);
        return e.code;
    }
}

function generate(argv: readonly string[], io: Io, defaultDir: string): void {
    let stack: string | undefined;
    let output: string | undefined;
    let dir = defaultDir;
    for (let i = 0; i < argv.length; i++) {
        const value = () => argv[++i] ?? fail(2, `${argv[i - 1]} needs a value`);
        if (argv[i] === "--stack") stack = value();
        else if (argv[i] === "--output") output = value();
        else if (argv[i] === "--dir") dir = path.resolve(value());
        else fail(2, `unknown argument '${argv[i]}'`);
    }
    if (!stack) fail(2, "--stack is required");
    const file = `Pulumi.${stack}.yaml`;
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) {
        const stacks = fs.existsSync(dir) ? fs.readdirSync(dir).map(stackOfFile).filter(Boolean) : [];
        fail(1, `--stack ${stack}: there is no ${full}; the stacks with a file there: ${stacks.join(", ") || "none"}`);
    }
    let text: string;
    try {
        const config = parseStackConfig(readStackFile(file, fs.readFileSync(full, "utf8")).raw);
        text = certsuiteConfig(stack, config, output ?? "<this file>");
    } catch (e) {
        fail(1, `${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (output === undefined) {
        io.stdout(text);
        return;
    }
    fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
    fs.writeFileSync(output, text);
    io.stderr(
        `certsuite-config: wrote ${output} for stack ${stack}; with the stack's cluster as the current context, run:\n  ${certsuiteCommand(output, `certsuite-results/${stack}`)}\n`,
    );
}

if (require.main === module) {
    process.exitCode = run(process.argv.slice(2), {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
    });
}
