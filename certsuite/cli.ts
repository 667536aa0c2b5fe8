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

function fail(code: number, message: string): never {
    process.stderr.write(`certsuite-config: ${message}\n${code === 2 ? `${USAGE}\n` : ""}`);
    process.exit(code);
}

function main(): void {
    const argv = process.argv.slice(2);
    let stack: string | undefined;
    let output: string | undefined;
    let dir = path.resolve(__dirname, "..");
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
        process.stdout.write(text);
        return;
    }
    fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
    fs.writeFileSync(output, text);
    process.stderr.write(
        `certsuite-config: wrote ${output} for stack ${stack}; with the stack's cluster as the current context, run:\n  ${certsuiteCommand(output, `certsuite-results/${stack}`)}\n`,
    );
}

main();
