/**
 * The scripts' "first line of" under `set -euo pipefail` (scripts/tools/lib.sh: vpp_first_line).
 * `writer | head -n1` fails at random there: head exits after one line, the writer dies of SIGPIPE,
 * and pipefail turns that into a failed substitution, which `set -e` ends the build on (a first CI
 * run on a fresh machine exited 141 at build.sh's versions summary). vpp_first_line reads all of
 * its input, so the writer always finishes: run here many times against writers far larger than a
 * pipe's buffer, in the same shell options as the scripts.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const LIB = path.join(__dirname, "..", "..", "scripts", "tools", "lib.sh");

/** Runs `body` in bash with the scripts' options and lib.sh sourced; its stdout, exit status and stderr. */
function bash(body: string) {
    const r = spawnSync("bash", ["-c", `set -euo pipefail; source "${LIB}"; ${body}`], { encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("scripts: the first line of a long output, under pipefail", function () {
    this.timeout(120_000);
    it("vpp_first_line: 100 runs against a 290 kB writer (4 pipe buffers), every one exits 0 with the first line", () => {
        const r = bash(
            'fails=0; for i in $(seq 100); do v="$(seq 1 50000 | vpp_first_line)" || fails=$((fails+1)); ' +
                '[ "$v" = 1 ] || fails=$((fails+1)); done; echo "$fails"',
        );
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout.trim(), "0", "runs that failed or printed another line");
    });
    it("the summary's own shapes: a multi-line --version, an awk filter, a sorted find, all read to the end", () => {
        const r = bash(
            [
                `a="$(printf 'kubectl v1.35.4\\nKustomize Version: v5\\n' | vpp_first_line)"`,
                `b="$(seq 1 200000 | awk '$1 % 2 == 0 {print "even " $1}' | vpp_first_line)"`,
                `c="$(printf 'b\\na\\n' | sort | vpp_first_line)"`,
                `d="$(printf '' | vpp_first_line)"`,
                'printf "%s|%s|%s|%s" "$a" "$b" "$c" "$d"',
            ].join("; "),
        );
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, "kubectl v1.35.4|even 2|a|");
    });
    it("no script pipes into head or grep -q any more (each would end its writer early)", () => {
        const r = spawnSync("grep", ["-rnE", "\\|\\s*(head\\b|grep -q)", "scripts", ".ci"], {
            encoding: "utf8",
            cwd: path.join(__dirname, "..", ".."),
        });
        assert.strictEqual(
            r.stdout
                .split("\n")
                .filter((l) => l && !/^\S+:\d+:\s*#/.test(l))
                .join("\n"),
            "",
        );
    });
});
