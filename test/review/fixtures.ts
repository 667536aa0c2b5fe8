/**
 * Fixture repositories for the review suite: temporary git repositories whose base commit holds
 * some stack files and whose working tree holds others, and `npm run review` run on them as a
 * reviewer runs it (a child process, offline, with no kubeconfig unless one is named).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.join(__dirname, "..", "..");
export const LAB =
    "config:\n  vpp-server:macvlanMaster: eno8403np1\n  vpp-server:vlanId: 123\n  vpp-server:ipAddress: 192.168.123.150/24\n";
export const stackFile = (lines: Record<string, string | number>) =>
    "config:\n" +
    Object.entries(lines)
        .map(([k, v]) => `  ${k.includes(":") ? k : `vpp-server:${k}`}: ${v}\n`)
        .join("");
export const LAB2 = stackFile({ macvlanMaster: "ens1f0", vlanId: 200, ipAddress: "10.20.0.5/24", namespace: "lab2" });

/** git in `dir`, with an author, throwing with git's message on failure. */
export function git(dir: string, ...args: string[]): string {
    return execFileSync("git", ["-c", "user.email=review@test", "-c", "user.name=review", ...args], {
        cwd: dir,
        encoding: "utf8",
    });
}

export interface RepoOptions {
    /** The project's folder inside the repository (the repository's root by default). */
    readonly subdir?: string;
}

/**
 * A git repository whose base commit holds `base` and whose working tree holds `head` (undefined:
 * the file is deleted), neither staged nor committed. Returns the project's folder.
 */
export function repo(
    base: Record<string, string>,
    head: Record<string, string | undefined>,
    options: RepoOptions = {},
): string {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-review-"));
    const dir = path.join(top, options.subdir ?? "");
    fs.mkdirSync(dir, { recursive: true });
    git(top, "init", "-q");
    for (const [f, t] of Object.entries(base)) fs.writeFileSync(path.join(dir, f), t);
    git(top, "add", ".");
    git(top, "commit", "-q", "-m", "base");
    for (const [f, t] of Object.entries(head)) {
        if (t === undefined) fs.rmSync(path.join(dir, f));
        else fs.writeFileSync(path.join(dir, f), t);
    }
    return dir;
}

export interface Run {
    readonly status: number | null;
    readonly out: string;
}

/** Runs the review of `dir`; no kubeconfig (this machine's is not read). */
export function review(dir: string, ...args: string[]): Run {
    return reviewWith({ KUBECONFIG: path.join(dir, ".no-kubeconfig") }, dir, ...args);
}

export function reviewWith(env: NodeJS.ProcessEnv, dir: string, ...args: string[]): Run {
    const r = spawnSync(
        path.join(ROOT, "node_modules", ".bin", "node"),
        ["-r", "ts-node/register/transpile-only", path.join(ROOT, "review", "cli.ts"), "--dir", dir, ...args],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } },
    );
    return { status: r.status, out: r.stdout + r.stderr };
}

/** The lines of the section `== <title>` of a text review, up to the next section. */
export function section(out: string, title: string): string[] {
    const lines = out.split("\n");
    const start = lines.indexOf(`== ${title}`);
    if (start < 0) throw new Error(`no section '== ${title}' in:\n${out}`);
    const end = lines.findIndex((l, i) => i > start && l.startsWith("== "));
    return lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l !== "");
}
