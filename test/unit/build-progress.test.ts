/**
 * scripts/build-progress.sh, which `npm run sandbox` pipes the tool build's log through: a line per
 * tool when the output is not a terminal, a redrawn status line (the tool, its elapsed time, the
 * total) on a terminal; every line kept in the log for a failure.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.join(__dirname, "..", "..", "scripts", "build-progress.sh");

/** build.sh's standard error as a shell program: `sleep` where a tool takes time. */
const BUILD = [
    "echo '[build.sh] cache dir: /cache/x (key x); lockfile: ...'",
    "echo '[build.sh] etcd: cached (etcd)'",
    "echo '[build.sh] building kubernetes ...'",
    "sleep 2.3",
    "echo '[build.sh] kubernetes built in 2s'",
    "echo '[build.sh] building kwok ...'",
    "echo '[build.sh] kwok FAILED after 0s (rc=2); log: /cache/x/logs/kwok.log'",
    "echo 'main.go:1: undefined: x'",
].join("; ");

function progress(...args: string[]) {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vpp-progress-")), "build.log");
    const r = spawnSync("bash", ["-c", `(${BUILD}) | bash ${SCRIPT} ${args.join(" ")} ${log}`], { encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    return { out: r.stdout, log: fs.readFileSync(log, "utf8") };
}

describe("scripts/build-progress.sh: the tool build's progress", function () {
    this.timeout(20_000);
    let plain: { out: string; log: string };
    let terminal: { out: string; log: string };
    before(() => {
        plain = progress();
        terminal = progress("--terminal");
    });

    it("not on a terminal: a line when each tool starts, is cached, built or fails", () => {
        const { out } = plain;
        assert.deepStrictEqual(out.split("\n"), [
            "sandbox: etcd: cached",
            "sandbox: building kubernetes ...",
            out.split("\n")[2],
            "sandbox: building kwok ...",
            "sandbox: kwok FAILED after 0s (rc=2); log: /cache/x/logs/kwok.log",
            "",
        ]);
        assert.match(out.split("\n")[2], /^sandbox: kubernetes built in 2s \(tools: 0m0[2-9]s\)$/);
        assert.doesNotMatch(out, /\r/);
    });

    it("on a terminal: the tool being built and its time, redrawn while it builds", () => {
        const { out } = terminal;
        const redraws = out.split("\r\x1b[K").filter(Boolean);
        assert.ok(
            redraws.some((r) => /^sandbox: building kubernetes \.\.\. 0m0[1-9]s \(tools: 0m0[1-9]s\)$/.test(r)),
            JSON.stringify(redraws),
        );
        assert.ok(redraws.some((r) => /^sandbox: kubernetes built in 2s \(tools: 0m0[2-9]s\)\n$/.test(r)));
        assert.ok(redraws.includes("sandbox: kwok FAILED after 0s (rc=2); log: /cache/x/logs/kwok.log\n"));
        assert.ok(out.endsWith("\r\x1b[K"), "the status line is cleared at the end");
    });

    it("keeps every line in its log, for the caller to show when the build fails", () => {
        const { log } = plain;
        assert.strictEqual(log.split("\n").length, 8, log);
        assert.ok(
            log.endsWith(
                "[build.sh] kwok FAILED after 0s (rc=2); log: /cache/x/logs/kwok.log\nmain.go:1: undefined: x\n",
            ),
        );
    });
});
