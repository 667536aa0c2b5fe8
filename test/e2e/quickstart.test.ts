/**
 * The README's quick start, run line by line as a new user runs it, against a real API server: its
 * `./scripts/pulumi.sh` commands in a working copy of the project, with a kubeconfig whose context
 * is the one the README names (`mylab-cluster`), then its removal block. What is not run, and why:
 * `login --local` (the working copy has a file backend of its own; a login would move the user's
 * own), `npm run check` (it needs VPP answering in the pod: test/e2e/check.test.ts runs it on the
 * data-plane tier's VPP), and the ping and curl (a VLAN; the data-plane tier runs them). `up`,
 * `destroy` and `stack rm` get `--yes`, the answer a user gives at their prompt.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ControlPlane, ROOT, tempDir, toolsDir, toolsEnv, Workspace } from "./harness";
import { fencedBlocks, readDoc } from "../fixtures/docs";
import { instanceName } from "../../components/names";

/** The `./scripts/pulumi.sh` commands of the README's quick start blocks, comments cut, in order. */
function quickStart(): string[][] {
    const readme = readDoc("README.md");
    const from = readme.indexOf("## Quick start");
    const to = readme.indexOf("\n## ", from + 1);
    assert.ok(from >= 0 && to > from, "the README has a Quick start section");
    return fencedBlocks(readme.slice(from, to), "sh")
        .flatMap((b) => b.split("\n"))
        .map((l) => l.replace(/\s+#.*$/, "").trim())
        .filter((l) => l.startsWith("./scripts/pulumi.sh "))
        .map((l) => l.slice("./scripts/pulumi.sh ".length).split(/\s+/));
}

describe("end to end: the README's quick start on a stack of the user's own", function () {
    this.timeout(20 * 60 * 1000);
    let ws: Workspace;
    let cp: ControlPlane;
    let kc: string;
    const lab = () => fs.readFileSync(path.join(ws.project, "Pulumi.lab.yaml"), "utf8");

    before(function () {
        const env = toolsEnv(toolsDir());
        const dir = tempDir("vpp-quick-");
        ws = new Workspace(dir, env);
        // A clone holds the reference lab's file; the quick start must leave it as it is.
        fs.copyFileSync(path.join(ROOT, "Pulumi.lab.yaml"), path.join(ws.project, "Pulumi.lab.yaml"));
        cp = new ControlPlane(path.join(dir, "cluster"), env);
        cp.start();
        // The user's kubeconfig: the README's context name for the lab's cluster.
        const config = YAML.parse(fs.readFileSync(cp.kubeconfig, "utf8"));
        for (const c of config.contexts) if (c.name === config["current-context"]) c.name = "mylab-cluster";
        config["current-context"] = "mylab-cluster";
        kc = path.join(dir, "user.kubeconfig");
        fs.writeFileSync(kc, YAML.stringify(config));
    });
    after(function () {
        if (cp) cp.stop();
        if (ws) console.log(`\n${ws.table()}\n`);
    });

    it("deploys the lab, leaves the reference lab's file alone, removes it all and keeps the stack's file", () => {
        const commands = quickStart();
        const shown = commands.map((c) => c.join(" ")).join("\n");
        assert.ok(commands.length >= 10, `the quick start's commands:\n${shown}`);
        const before = lab();
        const instance = instanceName("mylab", "mylab");
        for (const args of commands) {
            if (args[0] === "login") continue;
            const asks = ["up", "destroy"].includes(args[0]) || (args[0] === "stack" && args[1] === "rm");
            const run = asks ? [...args, "--yes"] : args;
            ws.ok(`quick start: ${args.slice(0, 2).join(" ")}`, kc, run);
            if (args[0] === "up") {
                assert.ok(cp.get("deployment", "vpp-server", "mylab"), "the lab's Deployment, in its own namespace");
                assert.ok(cp.get("securitycontextconstraints", instance), `its SCC ${instance}`);
                const outputs = JSON.parse(
                    ws.ok("outputs mylab", kc, ["stack", "output", "--stack", "mylab", "--json"]).stdout,
                );
                assert.deepStrictEqual(
                    [outputs.clusterContext, outputs.namespace, outputs.instance, outputs.url],
                    ["mylab-cluster", "mylab", instance, "http://10.20.0.5/index.html"],
                );
            }
        }
        assert.ok(
            commands.some((c) => c[0] === "up") && commands.some((c) => c[0] === "destroy"),
            `the quick start deploys and destroys:\n${shown}`,
        );
        assert.strictEqual(lab(), before, "Pulumi.lab.yaml, the reference lab, is unchanged");
        assert.deepStrictEqual(cp.objectsOf(instance), [], "destroy removed every object");
        assert.strictEqual(cp.get("namespace", "mylab"), undefined, "and the namespace the stack made");
        const file = YAML.parse(fs.readFileSync(path.join(ws.project, "Pulumi.mylab.yaml"), "utf8"));
        assert.deepStrictEqual(
            Object.keys(file.config).sort(),
            [
                "kubernetes:context",
                "vpp-server:ipAddress",
                "vpp-server:macvlanMaster",
                "vpp-server:namespace",
                "vpp-server:vlanId",
            ],
            "stack rm --preserve-config keeps the stack's settings file",
        );
        const ls = ws.ok("stack ls", kc, ["stack", "ls", "--json"]).stdout;
        assert.deepStrictEqual(JSON.parse(ls), [], "the stack itself is gone");
    });
});
