/**
 * The SCC admission oracle (test/security/sccoracle), built once by build-oracle.sh and run on a
 * cases file: its verdicts as JSON, and the same as text for the test's log.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface OracleResult {
    case: string;
    scc: string;
    verdict: "admitted" | "refused";
    reasons?: string[];
    match?: boolean;
}

export interface OracleRun {
    /** 0: every expectation met (or none given); 1: one was not. */
    readonly status: number | null;
    readonly stdout: string;
    readonly results: OracleResult[];
    /** The oracle's own text report. */
    readonly text: string;
}

/** Judges `cases` (the oracle's input: namespace, sccs, cases) with OpenShift's SCC admission code. */
export function runOracle(cases: object): OracleRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sccoracle-"));
    const input = path.join(dir, "cases.json");
    fs.writeFileSync(input, JSON.stringify(cases, null, 2));
    const bin = execFileSync("bash", [path.join(__dirname, "build-oracle.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    })
        .trim()
        .split("\n")
        .pop() as string;
    const text = spawnSync(bin, ["-input", input], { encoding: "utf8" }).stdout;
    const json = spawnSync(bin, ["-input", input, "-json"], { encoding: "utf8" });
    assert.ok(json.status === 0 || json.status === 1, `oracle failed (${json.status}): ${json.stderr}`);
    return { status: json.status, stdout: json.stdout, results: JSON.parse(json.stdout).results, text };
}
