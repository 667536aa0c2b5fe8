/**
 * npm run fleet's own logic (fleet/fleet.ts): its arguments and their errors, the labs of a
 * project, the bounded pool, the first error of a failed run, the table. The runs themselves, on
 * two real API servers, are in test/e2e/fleet.test.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    firstError,
    formatTable,
    LabResult,
    parseArgs,
    pool,
    projectStacks,
    selectedLabs,
    UsageError,
} from "../../fleet/fleet";

const usage = (argv: string[], message: string) =>
    assert.throws(
        () => parseArgs(argv, "/p"),
        (e: Error) => e instanceof UsageError && e.message === message,
    );

describe("fleet: arguments", () => {
    it("an operation and the labs: defaults concurrency 4, text, this directory", () => {
        assert.deepStrictEqual(parseArgs(["up", "--stacks", "a, b"], "/p"), {
            op: "up",
            stacks: ["a", "b"],
            concurrency: 4,
            format: "text",
            dir: "/p",
        });
        assert.deepStrictEqual(
            parseArgs(["status", "--all", "--concurrency", "3", "--format", "json", "--dir", "/q"], "/p"),
            {
                op: "status",
                stacks: undefined,
                concurrency: 3,
                format: "json",
                dir: "/q",
            },
        );
    });
    it("each mistake is named with what is accepted", () => {
        usage(["deploy", "--all"], 'the operation is "deploy"; expected one of preview, up, refresh, destroy, status');
        usage(["up"], "name the labs with --stacks a,b, or take them all with --all");
        usage(["up", "--all", "--operator", "f"], "--operator goes with status, not up");
        usage(["status", "--all", "--operator", "F"], '--operator is "F"; expected a namespace (a DNS label)');
        usage(["up", "--all", "--stacks", "a"], "name the labs with --stacks a,b, or take them all with --all");
        usage(["up", "--stacks", ","], "--stacks names no stack");
        usage(["up", "--all", "--concurrency", "0"], '--concurrency is "0"; expected a whole number from 1 to 64');
        usage(["up", "--all", "--concurrency", "2.5"], '--concurrency is "2.5"; expected a whole number from 1 to 64');
        usage(["up", "--all", "--format", "yaml"], '--format is "yaml"; expected json or text');
        usage(["up", "--all", "--stacks"], "--stacks needs a value");
        usage(["up", "--all", "--parallel"], 'unknown option "--parallel"');
        usage(
            ["destroy", "--all", "--expect-no-changes"],
            "--expect-no-changes goes with preview, up or refresh, not destroy",
        );
        usage(
            ["status", "--all", "--expect-no-changes"],
            "--expect-no-changes goes with preview, up or refresh, not status",
        );
    });
    it("--expect-no-changes goes with preview, up and refresh", () => {
        for (const op of ["preview", "up", "refresh"]) {
            assert.strictEqual(parseArgs([op, "--all", "--expect-no-changes"], "/p").expectNoChanges, true, op);
        }
        assert.strictEqual(parseArgs(["preview", "--all"], "/p").expectNoChanges, undefined);
    });
});

describe("fleet: the labs of a project", () => {
    it("every Pulumi.<stack>.yaml but the sandbox's, sorted; not Pulumi.yaml", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-"));
        for (const f of ["Pulumi.yaml", "Pulumi.lab2.yaml", "Pulumi.lab.yaml", "Pulumi.sandbox.yaml", "README.md"])
            fs.writeFileSync(path.join(dir, f), "");
        assert.deepStrictEqual(projectStacks(dir), ["lab", "lab2"]);
    });
});

describe("fleet: what runs, decided before anything does", () => {
    const project = (files: Record<string, string>) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-"));
        for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
        return dir;
    };
    const ANCHORED = "config:\n  kubernetes:context: lab-a\n  vpp-server:vlanId: 101\n";
    it("up --all refuses stack files that name no cluster of their own, each with its fix; a render stack or a kubeconfig file is a cluster of its own", () => {
        const dir = project({
            "Pulumi.a.yaml": ANCHORED,
            "Pulumi.b.yaml": "config:\n  kubernetes:kubeconfig: b.kubeconfig\n",
            "Pulumi.r.yaml": "config:\n  vpp-server:renderDir: out\n",
            "Pulumi.lab.yaml": "config:\n  vpp-server:vlanId: 123\n",
            "Pulumi.z.yaml": "",
        });
        assert.throws(
            () => selectedLabs(undefined, dir, "up"),
            (e: Error) => {
                assert.ok(e instanceof UsageError);
                assert.strictEqual(
                    e.message,
                    [
                        "up --all deploys every stack file, and Pulumi.lab.yaml, Pulumi.z.yaml name no cluster of their own (no kubernetes:context, no kubernetes:kubeconfig): they would deploy wherever the current context points; nothing was run.",
                        "  - lab: pulumi config set kubernetes:context <its cluster's context> --stack lab, or leave it out: npm run fleet -- up --stacks a,b,r",
                        "  - z: pulumi config set kubernetes:context <its cluster's context> --stack z, or leave it out: npm run fleet -- up --stacks a,b,r",
                    ].join("\n"),
                );
                return true;
            },
        );
        // Named, or another operation: the engineer chose them.
        assert.deepStrictEqual(selectedLabs(["lab", "a"], dir, "up"), ["lab", "a"]);
        assert.deepStrictEqual(selectedLabs(undefined, dir, "preview"), ["a", "b", "lab", "r", "z"]);
    });
    it("a lab named by --stacks with no stack file is refused for every operation but status", () => {
        const dir = project({ "Pulumi.a.yaml": ANCHORED });
        for (const op of ["preview", "up", "refresh", "destroy"] as const) {
            assert.throws(
                () => selectedLabs(["a", "a2"], dir, op),
                (e: Error) =>
                    e instanceof UsageError &&
                    e.message ===
                        `--stacks names a2, but ${dir} has no Pulumi.a2.yaml; the labs there: a; nothing was run`,
                op,
            );
        }
        assert.deepStrictEqual(selectedLabs(["a", "a2"], dir, "status"), ["a", "a2"]);
    });
});

describe("fleet: the pool", () => {
    it("at most N at once, every item once, results in the items' order", async () => {
        let running = 0;
        let most = 0;
        const out = await pool([5, 1, 4, 2, 3, 0], 3, async (ms) => {
            running++;
            most = Math.max(most, running);
            await new Promise((r) => setTimeout(r, ms * 5));
            running--;
            return ms * 10;
        });
        assert.deepStrictEqual(out, [50, 10, 40, 20, 30, 0]);
        assert.strictEqual(most, 3);
    });
});

describe("fleet: what a failed lab says, and the table", () => {
    it("the first error line of the run, not Pulumi's closing one", () => {
        const text = [
            "Previewing update (fbad):",
            '    error: vpp-server:vlanId is "4095"; expected an integer from 1 to 4094',
            "error: preview failed",
        ].join("\n");
        assert.strictEqual(firstError(text), 'vpp-server:vlanId is "4095"; expected an integer from 1 to 4094');
    });
    it("an error line that ends in a colon brings the line after it", () => {
        const text = [
            "  pulumi:pulumi:Stack (vpp-server-fbad):",
            "    error: invalid stack configuration (1 problem); nothing was deployed:",
            '      - vpp-server:vlanId is "4095"; expected an integer from 1 to 4094',
            "error: update failed",
        ].join("\n");
        assert.strictEqual(
            firstError(text),
            'invalid stack configuration (1 problem); nothing was deployed: vpp-server:vlanId is "4095"; expected an integer from 1 to 4094',
        );
        assert.strictEqual(firstError("no error line\nlast words\n"), "last words");
    });
    it("one row a lab, columns aligned", () => {
        const r = (stack: string, result: string): LabResult => ({
            stack,
            cluster: "vpp-e2e https://127.0.0.1:6443",
            op: "up",
            result,
            created: 10,
            updated: 0,
            replaced: 0,
            deleted: 0,
            seconds: 12.34,
            log: `.fleet/x/${stack}.log`,
        });
        assert.deepStrictEqual(formatTable([r("a", "ok"), r("bad", "failed")]).split("\n"), [
            "lab  cluster                         operation  result  created  updated  replaced  deleted  seconds  log",
            "a    vpp-e2e https://127.0.0.1:6443  up         ok      10       0        0         0        12.3     .fleet/x/a.log",
            "bad  vpp-e2e https://127.0.0.1:6443  up         failed  10       0        0         0        12.3     .fleet/x/bad.log",
        ]);
    });
});
