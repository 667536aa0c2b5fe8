/**
 * npm run fleet on six labs over two real API servers (two control planes, each lab naming its own
 * cluster by kubeconfig file and context): up with concurrency 3 converges five, the sixth (a bad
 * VLAN id) fails alone and is named; a change to one lab shows in that lab's preview only; status
 * reads each lab's last update; destroy leaves nothing on either cluster.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ControlPlane, tempDir, toolsDir, toolsEnv, Workspace } from "./harness";
import { instanceName } from "../../components/names";
import type { LabResult } from "../../fleet/fleet";

const LABS = {
    fa1: { cluster: "a", vlanId: "101" },
    fa2: { cluster: "a", vlanId: "102" },
    fa3: { cluster: "a", vlanId: "103" },
    fb1: { cluster: "b", vlanId: "201" },
    fb2: { cluster: "b", vlanId: "202" },
    fbad: { cluster: "b", vlanId: "4095" },
} as const;
type Lab = keyof typeof LABS;
const GOOD = (Object.keys(LABS) as Lab[]).filter((l) => l !== "fbad");

describe("end to end: npm run fleet, six labs on two clusters", function () {
    this.timeout(30 * 60 * 1000);
    let ws: Workspace;
    const cp: Record<"a" | "b", ControlPlane> = {} as never;

    const stackFile = (lab: Lab, vlanId: string) => {
        const l = LABS[lab];
        fs.writeFileSync(
            path.join(ws.project, `Pulumi.${lab}.yaml`),
            [
                "config:",
                "  vpp-server:macvlanMaster: eno8403np1",
                `  vpp-server:vlanId: "${vlanId}"`,
                `  vpp-server:ipAddress: 10.${l.cluster === "a" ? 1 : 2}.${vlanId.slice(-1)}.5/24`,
                `  vpp-server:namespace: ${lab}`,
                `  kubernetes:kubeconfig: ${cp[l.cluster].kubeconfig}`,
                "  kubernetes:context: vpp-e2e",
                "",
            ].join("\n"),
        );
    };
    const fleet = (...args: string[]) => ws.fleet(cp.a.kubeconfig, ...args);
    const json = (r: { stdout: string; stderr: string }) => {
        try {
            return JSON.parse(r.stdout) as LabResult[];
        } catch {
            throw new Error(`fleet printed no JSON:\n${r.stdout}\n${r.stderr}`);
        }
    };
    const row = (results: LabResult[], lab: Lab) => results.find((r) => r.stack === lab)!;

    before(function () {
        const env = toolsEnv(toolsDir());
        const dir = tempDir("vpp-fleet-");
        ws = new Workspace(dir, env);
        cp.a = new ControlPlane(path.join(dir, "cluster-a"), env);
        cp.b = new ControlPlane(path.join(dir, "cluster-b"), env);
        cp.a.start();
        cp.b.start();
        for (const lab of Object.keys(LABS) as Lab[]) stackFile(lab, LABS[lab].vlanId);
    });
    after(function () {
        for (const c of [cp.a, cp.b]) if (c) c.stop();
    });

    it("up --all with a stack file that names no cluster (the reference lab's) and --stacks with a lab that has no file: refused before anything runs", () => {
        const reference = path.join(ws.project, "Pulumi.lab.yaml");
        fs.copyFileSync(path.join(__dirname, "..", "..", "Pulumi.lab.yaml"), reference);
        try {
            const r = fleet("up", "--all");
            assert.strictEqual(r.status, 2, `${r.stdout}\n${r.stderr}`);
            assert.ok(
                r.stderr.includes(
                    "fleet: up --all deploys every stack file, and Pulumi.lab.yaml names no cluster of its own (no kubernetes:context, no kubernetes:kubeconfig): it would deploy wherever the current context points; nothing was run.\n  - lab: pulumi config set kubernetes:context <its cluster's context> --stack lab, or leave it out: npm run fleet -- up --stacks fa1,fa2,fa3,fb1,fb2,fbad",
                ),
                r.stderr,
            );
        } finally {
            fs.rmSync(reference);
        }
        const typo = fleet("up", "--stacks", "fa1,fa9");
        assert.strictEqual(typo.status, 2, `${typo.stdout}\n${typo.stderr}`);
        assert.match(
            typo.stderr,
            /--stacks names fa9, but .* has no Pulumi\.fa9\.yaml; the labs there: fa1, fa2, fa3, fb1, fb2, fbad; nothing was run/,
        );
        for (const c of [cp.a, cp.b]) {
            assert.strictEqual(c.get("namespace", "vpp-server"), undefined, "the reference lab was not deployed");
            assert.strictEqual(c.get("namespace", "fa1"), undefined, "nothing ran");
        }
        const stacks = ws.ok("stack ls", cp.a.kubeconfig, ["stack", "ls", "--json"]).stdout;
        assert.deepStrictEqual(JSON.parse(stacks), [], "no stack was made");
    });

    it("up --all --concurrency 3: five labs converge on their own clusters; the bad one fails alone, named", () => {
        const r = fleet("up", "--all", "--concurrency", "3", "--format", "json");
        assert.strictEqual(r.status, 1, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, /^fleet: 1 lab\(s\) failed: fbad$/m);
        const results = json(r);
        assert.deepStrictEqual(
            results.map((x) => [x.stack, x.op, x.result]),
            (Object.keys(LABS) as Lab[]).map((l) => [l, "up", l === "fbad" ? "failed" : "ok"]),
        );
        assert.match(
            row(results, "fbad").error ?? "",
            /vpp-server:vlanId is "4095"; expected an integer from 1 to 4094/,
        );
        for (const lab of GOOD) {
            const x = row(results, lab);
            assert.ok(x.created >= 9, `${lab} created ${x.created}`);
            assert.strictEqual(x.cluster.split(" ")[0], "vpp-e2e", x.cluster);
            assert.ok(fs.readFileSync(x.log, "utf8").includes("Resources:"), `${lab}'s log ${x.log}`);
            const [mine, other] = LABS[lab].cluster === "a" ? [cp.a, cp.b] : [cp.b, cp.a];
            assert.ok(mine.get("deployment", "vpp-server", lab), `${lab} on its cluster`);
            assert.strictEqual(other.get("namespace", lab), undefined, `${lab} not on the other cluster`);
            assert.ok(mine.get("securitycontextconstraints", instanceName(lab, lab)));
        }
        assert.notStrictEqual(row(results, "fa1").cluster, row(results, "fb1").cluster, "two servers");
    });

    it("a change to one lab: preview shows changes in that lab only", () => {
        stackFile("fa2", "112");
        const r = fleet("preview", "--stacks", GOOD.join(","), "--format", "json");
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        for (const x of json(r)) {
            const changes = x.created + x.updated + x.replaced + x.deleted;
            if (x.stack === "fa2") assert.ok(x.updated >= 1, `fa2: ${JSON.stringify(x)}`);
            else assert.strictEqual(changes, 0, `${x.stack}: ${JSON.stringify(x)}`);
        }
    });

    it("preview --expect-no-changes: the changed lab fails alone, named; the others pass", () => {
        const r = fleet("preview", "--stacks", GOOD.join(","), "--expect-no-changes", "--format", "json");
        assert.strictEqual(r.status, 1, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, /^fleet: 1 lab\(s\) failed: fa2$/m);
        for (const x of json(r)) assert.strictEqual(x.result, x.stack === "fa2" ? "failed" : "ok", JSON.stringify(x));
        assert.match(row(json(r), "fa2").error ?? "", /no changes were expected for preview but changes were proposed/);
    });

    it("status: each lab's last update, in the table", () => {
        const r = fleet("status", "--stacks", GOOD.join(","));
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        const lines = r.stdout.trim().split("\n");
        assert.match(
            lines[0],
            /^lab\s+cluster\s+operation\s+result\s+created\s+updated\s+replaced\s+deleted\s+seconds\s+log$/,
        );
        for (const lab of GOOD) {
            assert.ok(
                lines.some((l) =>
                    new RegExp(`^${lab}\\s+vpp-e2e https://127\\.0\\.0\\.1:\\d+\\s+status\\s+update succeeded `).test(
                        l,
                    ),
                ),
                `${lab} in:\n${r.stdout}`,
            );
        }
    });

    it("status of a lab whose last up failed: the table says so, and the command exits 1 naming it", () => {
        const r = fleet("status", "--stacks", ["fa1", "fbad"].join(","), "--format", "json");
        assert.strictEqual(r.status, 1, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, /^fleet: 1 lab\(s\) whose last update failed: fbad$/m);
        assert.doesNotMatch(r.stderr, /lab\(s\) failed:/, "the status run itself did not fail");
        const results = json(r);
        assert.match(row(results, "fbad").result, /^update failed /);
        assert.strictEqual(row(results, "fbad").lastFailed, true);
        assert.match(row(results, "fa1").result, /^update succeeded /);
        assert.strictEqual(row(results, "fa1").lastFailed, undefined);
    });

    it("destroy: nothing of the labs is left on either cluster", () => {
        const r = fleet("destroy", "--stacks", GOOD.join(","), "--concurrency", "3", "--format", "json");
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        for (const x of json(r)) assert.ok(x.deleted >= 9, `${x.stack} deleted ${x.deleted}`);
        for (const lab of GOOD) {
            const mine = LABS[lab].cluster === "a" ? cp.a : cp.b;
            assert.deepStrictEqual(mine.objectsOf(instanceName(lab, lab)), [], `${lab}'s objects`);
        }
    });

    it("a usage error names the problem and exits 2", () => {
        const r = fleet("up", "--stacks", "fa1", "--concurrency", "0");
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /^fleet: --concurrency is "0"; expected a whole number from 1 to 64$/m);
    });
});
