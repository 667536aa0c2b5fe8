/**
 * docs/review.md's GitHub Actions example, run as GitHub runs it: the block's `run:` lines, with the
 * shell GitHub gives the step (`shell: bash` is `bash --noprofile --norc -eo pipefail {0}`; a step
 * without `shell` gets `bash -e {0}`, per GitHub's workflow syntax reference), the expression
 * `${{ github.base_ref }}` replaced by the base branch, in a clone of a fixture repository
 * checked out as actions/checkout does at the block's `fetch-depth` (0: every branch, so
 * origin/<base> exists; otherwise only the pull request's commit). `npm ci` is not run: the
 * clone links this project's node_modules.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { git, LAB, ROOT } from "./fixtures";

interface Step {
    readonly uses?: string;
    readonly with?: Record<string, unknown>;
    readonly run?: string;
    readonly shell?: string;
}

/** docs/review.md's CI example: the first yaml block after the review's exit codes. */
function readmeSteps(): Step[] {
    const readme = fs.readFileSync(path.join(ROOT, "docs", "review.md"), "utf8");
    const from = readme.indexOf("so a CI job fails the pull");
    assert.ok(from > 0, "docs/review.md says how a CI job fails");
    const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(from));
    assert.ok(block, "a yaml block follows");
    return YAML.parse(block[1]) as Step[];
}

/** GitHub's command line for a step's `shell` on Linux runners. */
const SHELLS: Record<string, string[]> = {
    bash: ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
    default: ["bash", "-e"],
};

/** The project files the review needs, as a repository holds them. */
const PROJECT = [
    "package.json",
    "tsconfig.json",
    "Pulumi.yaml",
    "Pulumi.lab.yaml",
    ".gitignore",
    "review",
    "stacks",
    "components",
    "live",
];

const BAD = LAB.replace("vlanId: 123", "vlanId: 5000");

/**
 * An origin with `main` (the project) and `change` (main plus `files`), and a runner's checkout
 * of `change` at `depth` (0: all history and branches).
 */
function checkout(files: Record<string, string>, depth: number): string {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-review-ci-"));
    const origin = path.join(top, "origin");
    fs.mkdirSync(origin);
    for (const entry of PROJECT) fs.cpSync(path.join(ROOT, entry), path.join(origin, entry), { recursive: true });
    git(origin, "init", "-q", "-b", "main");
    git(origin, "add", ".");
    git(origin, "commit", "-q", "-m", "main");
    git(origin, "checkout", "-q", "-b", "change");
    for (const [f, t] of Object.entries(files)) fs.writeFileSync(path.join(origin, f), t);
    git(origin, "add", ".");
    git(origin, "commit", "-q", "-m", "a lab change");
    const head = git(origin, "rev-parse", "HEAD").trim();
    const work = path.join(top, "work");
    if (depth === 0) {
        git(top, "clone", "-q", "--no-checkout", origin, work);
    } else {
        fs.mkdirSync(work);
        git(work, "init", "-q");
        git(work, "remote", "add", "origin", origin);
        git(work, "fetch", "-q", `--depth=${depth}`, `file://${origin}`, `+${head}:refs/remotes/pull/1/merge`);
    }
    git(work, "checkout", "-q", "--detach", head);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(work, "node_modules"));
    return work;
}

/** Runs a step's `run:` as GitHub would: `shell` from the step unless given. */
function runStep(step: Step, work: string, shell = step.shell ?? "default") {
    const script = path.join(work, "..", "step.sh");
    fs.writeFileSync(script, step.run!.replace(/\$\{\{ github\.base_ref \}\}/g, "main"));
    const r = spawnSync(SHELLS[shell][0], [...SHELLS[shell].slice(1), script], {
        cwd: work,
        encoding: "utf8",
        env: { ...process.env, KUBECONFIG: path.join(work, ".no-kubeconfig") },
    });
    const md = path.join(work, "review.md");
    return { status: r.status, out: r.stdout + r.stderr, md: fs.existsSync(md) ? fs.readFileSync(md, "utf8") : "" };
}

describe("docs/review.md's CI example, run as GitHub Actions runs it", function () {
    this.timeout(120_000);
    const steps = readmeSteps();
    const review = steps.find((s) => s.run?.includes("npm run review"))!;
    const depth = Number(steps.find((s) => s.uses?.startsWith("actions/checkout@"))?.with?.["fetch-depth"] ?? 1);

    it("checks out every branch and runs the review step with bash's pipefail", () => {
        assert.strictEqual(depth, 0);
        assert.strictEqual(review.shell, "bash");
        assert.ok(
            steps.some((s) => s.run === "npm ci"),
            "npm ci before the review",
        );
    });

    it("a pull request adding an invalid stack fails the step, and review.md holds the problem", () => {
        const r = runStep(review, checkout({ "Pulumi.bad.yaml": BAD }, depth));
        assert.strictEqual(r.status, 1, r.out);
        assert.match(r.md, /^## vpp-server: review of 2 stack files$/m);
        assert.match(r.md, /^- `Pulumi\.bad\.yaml`: vpp-server:vlanId is "5000"; expected an integer from 1 to 4094/m);
        assert.match(r.md, /^### Pulumi\.bad\.yaml \(added\)$/m);
    });

    it("a valid change passes the step", () => {
        const r = runStep(review, checkout({ "Pulumi.lab.yaml": LAB.replace("vlanId: 123", "vlanId: 124") }, depth));
        assert.strictEqual(r.status, 0, r.out);
        assert.match(r.md, /^### Pulumi\.lab\.yaml \(changed\)$/m);
    });

    it("without `shell: bash`, the same lines would pass an invalid stack: tee's exit code", () => {
        const r = runStep(review, checkout({ "Pulumi.bad.yaml": BAD }, depth), "default");
        assert.strictEqual(r.status, 0, r.out);
        assert.match(r.md, /Pulumi\.bad\.yaml/);
    });

    it("with the checkout's default depth, origin/main is missing and the review cannot compare", () => {
        const r = runStep(review, checkout({ "Pulumi.bad.yaml": BAD }, 1));
        assert.strictEqual(r.status, 2, r.out);
        assert.match(r.out, /review: --base 'origin\/main' is not a commit of /);
    });
});
