/**
 * The documentation's Pulumi commands, run line by line as a user runs them, against a real API
 * server: the README's quick start; docs/deploy.md's lab with a kubeconfig file of its own;
 * docs/operations.md's render stack. The quick start first: its
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

/** The `./scripts/pulumi.sh` commands of the sh blocks of one section of a page, comments cut, in order. */
function sectionCommands(file: string, heading: string): string[][] {
    const text = readDoc(file);
    const from = text.indexOf(`\n${heading}`);
    const next = text.indexOf("\n## ", from + 1);
    assert.ok(from >= 0, `${file} has a section ${heading}`);
    return fencedBlocks(text.slice(from, next < 0 ? undefined : next), "sh")
        .flatMap((b) => b.split("\n"))
        .map((l) => l.replace(/\s+#.*$/, "").trim())
        .filter((l) => l.startsWith("./scripts/pulumi.sh "))
        .map((l) => l.slice("./scripts/pulumi.sh ".length).split(/\s+/));
}
const quickStart = () => sectionCommands("README.md", "## Quick start");

describe("end to end: the README's quick start on a stack of the user's own", function () {
    this.timeout(20 * 60 * 1000);
    let ws: Workspace;
    let cp: ControlPlane;
    let kc: string;
    const lab = () => fs.readFileSync(path.join(ws.project, "Pulumi.lab.yaml"), "utf8");
    /** One command of a page as a user runs it; up, destroy and stack rm get the --yes a user answers at their prompt. */
    const run = (page: string, args: string[]) => {
        const asks = ["up", "destroy"].includes(args[0]) || (args[0] === "stack" && args[1] === "rm");
        const yes = asks && !args.includes("--yes") ? [...args, "--yes"] : args;
        return ws.ok(`${page}: ${args.slice(0, 2).join(" ")}`, kc, yes);
    };

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
            run("quick start", args);
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

    it("docs/deploy.md: a lab whose credentials are a file of its own (labs/lab2.kubeconfig) deploys there, as written", () => {
        // The lab's own file: the same cluster under a context of that file's own.
        fs.mkdirSync(path.join(ws.project, "labs"), { recursive: true });
        fs.copyFileSync(kc, path.join(ws.project, "labs", "lab2.kubeconfig"));
        const commands = sectionCommands("docs/deploy.md", "## Deploy a lab");
        assert.ok(
            commands.some((c) => c.includes("kubernetes:kubeconfig")),
            "the page sets kubernetes:kubeconfig",
        );
        for (const args of commands) run("docs/deploy.md", args);
        assert.ok(cp.get("deployment", "vpp-server", "lab2"), "lab2 is deployed in its namespace");
        const outputs = JSON.parse(ws.ok("outputs lab2", kc, ["stack", "output", "--stack", "lab2", "--json"]).stdout);
        assert.strictEqual(outputs.instance, instanceName("lab2", "lab2"));
        ws.destroy("lab2", kc);
        assert.deepStrictEqual(cp.objectsOf(instanceName("lab2", "lab2")), []);
    });

    it("docs/operations.md: the render stack writes the manifests and touches no cluster, as written", () => {
        const commands = sectionCommands("docs/operations.md", "## Render the manifests");
        for (const args of commands) run("docs/operations.md", args);
        const dir = path.join(ws.project, "rendered", "1-manifest");
        const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml"));
        assert.ok(files.length >= 9, `the manifests: ${files.join(", ")}`);
        assert.deepStrictEqual(cp.objectsOf(instanceName("lab-render", "vpp-server")), [], "nothing on the cluster");
    });
});
