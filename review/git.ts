/**
 * The repository's side of a review: the base's stack files and git's rename detection. The
 * project may live in a subfolder of its repository: paths given to git are the project's, and
 * paths read back are the repository's (`--full-name`), never mixed.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackOfFile } from "./review";

export interface GitResult {
    readonly status: number | null;
    readonly out: string;
    readonly err: string;
}

export function git(dir: string, ...args: string[]): GitResult {
    const r = spawnSync("git", args, { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status, out: r.stdout ?? "", err: r.stderr ?? "" };
}

function gitOk(dir: string, ...args: string[]): string {
    const r = git(dir, ...args);
    if (r.status !== 0) throw new Error(`git ${args.join(" ")} in ${dir} exited ${r.status}: ${r.err.trim()}`);
    return r.out;
}

/** True when `base` names a commit of the repository that holds `dir`. */
export function isCommit(dir: string, base: string): boolean {
    return git(dir, "rev-parse", "--verify", "--quiet", `${base}^{commit}`).status === 0;
}

/** The stack files of the project folder `dir` at commit `base`: file name -> content. */
export function baseStackFiles(dir: string, base: string): Map<string, string> {
    const files = new Map<string, string>();
    // `.` is the project's folder (pathspecs are relative to the working directory); --full-name
    // prints each path from the repository's root, as `git show <commit>:<path>` wants it.
    for (const full of gitOk(dir, "ls-tree", "--full-name", "--name-only", base, "--", ".").split("\n")) {
        const name = path.posix.basename(full);
        if (full && stackOfFile(name)) files.set(name, gitOk(dir, "show", `${base}:${full}`));
    }
    return files;
}

/**
 * Which added stack files are removed ones renamed, by git's own rename detection (`-M`, a
 * similarity of 50% or more), compared as files, so a rename not yet staged counts: new file ->
 * old file.
 */
export function detectRenames(
    removed: ReadonlyMap<string, string>,
    added: ReadonlyMap<string, string>,
): Map<string, string> {
    const renames = new Map<string, string>();
    if (removed.size === 0 || added.size === 0) return renames;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-review-renames-"));
    try {
        for (const [side, files] of [
            ["a", removed],
            ["b", added],
        ] as const) {
            fs.mkdirSync(path.join(tmp, side));
            for (const [f, text] of files) fs.writeFileSync(path.join(tmp, side, f), text);
        }
        const r = git(tmp, "diff", "--no-index", "--no-color", "-M", "--name-status", "-z", "a", "b");
        // --no-index exits 1 when the trees differ, as they do here.
        if (r.status !== 0 && r.status !== 1)
            throw new Error(`git diff --no-index -M exited ${r.status}: ${r.err.trim()}`);
        const fields = r.out.split("\0");
        for (let i = 0; i < fields.length;) {
            const status = fields[i++];
            if (!status) break;
            if (status.startsWith("R") || status.startsWith("C")) {
                const [from, to] = [fields[i++], fields[i++]];
                if (status.startsWith("R")) renames.set(path.basename(to), path.basename(from));
            } else i++;
        }
        return renames;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}
