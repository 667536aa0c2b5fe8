/**
 * The program runs as JavaScript compiled into bin/ (the fastest start, see the README's
 * performance section). This guard refuses to run a bin/ older than its TypeScript sources,
 * so an edit is never silently ignored: run `npm run build`, or ./scripts/pulumi.sh, which builds.
 */
import * as fs from "fs";
import * as path from "path";

/** The sources bin/ is compiled from, relative to the project root. */
const SOURCES = ["index.ts", "stacks", "components", "live"];

function newestSource(root: string): { file: string; mtimeMs: number } {
    let newest = { file: "", mtimeMs: 0 };
    const visit = (p: string) => {
        const st = fs.statSync(p);
        if (st.isDirectory()) {
            for (const entry of fs.readdirSync(p)) visit(path.join(p, entry));
        } else if ((p.endsWith(".ts") || p.endsWith(".sh")) && st.mtimeMs > newest.mtimeMs) {
            newest = { file: p, mtimeMs: st.mtimeMs };
        }
    };
    for (const s of SOURCES) {
        const p = path.join(root, s);
        if (fs.existsSync(p)) visit(p);
    }
    return newest;
}

/**
 * Returns a message when `compiledEntry` (bin/index.js) is older than a source file under
 * `root`, undefined when it is current or when the program runs from TypeScript directly.
 */
export function staleBuildMessage(root: string, compiledEntry: string): string | undefined {
    if (!compiledEntry.endsWith(".js")) {
        return undefined;
    }
    const built = fs.statSync(compiledEntry).mtimeMs;
    const newest = newestSource(root);
    return newest.mtimeMs > built
        ? `bin/ is older than ${path.relative(root, newest.file)}: run 'npm run build' (./scripts/pulumi.sh builds by itself)`
        : undefined;
}
