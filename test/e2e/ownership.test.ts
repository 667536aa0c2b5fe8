/**
 * End to end, on a real kube-apiserver: a stack deploys to the cluster it names and touches only
 * what it made.
 *
 * - The connection: $KUBECONFIG's current context is a closed port; a stack that names nothing
 *   fails naming that context and creates nothing; one with kubernetes:context, and one with
 *   kubernetes:kubeconfig (a second file, relative to the project), deploy to the live cluster, and
 *   say where in their outputs and log. A context the file lacks and a missing file are named.
 * - Values as the cluster stores them: cpuRequest 0.5, cpuLimit 1000m, memory 2048Mi settle:
 *   refresh and preview --expect-no-changes pass, twice.
 * - Ownership: a namespace made by hand, holding a team's ConfigMap, survives up and destroy of a
 *   stack that names it; a second stack naming the first one's namespace fails naming the first,
 *   whose objects read back unchanged; an object nobody made stops the update until adopt is set;
 *   a namespace the stack made is kept by destroy when something foreign is in it, and deleted
 *   when not.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ControlPlane, tempDir, toolsDir, toolsEnv, Workspace } from "./harness";
import { instanceName } from "../../components/names";

describe("end to end: the stack's own cluster and only its own objects", function () {
    this.timeout(30 * 60 * 1000);
    let ws: Workspace;
    let cp: ControlPlane;
    /** $KUBECONFIG of every command: the live context, and the current one a closed port. */
    let kc: string;
    let server: string;

    /** Every pulumi command's output, for messages. */
    const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
    const newStack = (stack: string, config: Record<string, string>) => ws.newStack(stack, kc, config);
    const up = (stack: string) => ws.up(stack, kc);
    const destroy = (stack: string) => ws.destroy(stack, kc);
    /** Each object of a stack with its resource version: unchanged means untouched. */
    const versions = (instance: string, namespace: string) =>
        cp
            .objectsOf(instance)
            .map((o) => `${o}@${cp.kubectl("get", o, "-n", namespace, "-o", "jsonpath={.metadata.resourceVersion}")}`);
    /** Stack ctx's instance (its mark, its SCC's name): in own-ctx, not the default namespace. */
    const CTX = instanceName("ctx", "own-ctx");

    before(function () {
        const env = toolsEnv(toolsDir());
        const dir = tempDir("vpp-own-");
        ws = new Workspace(dir, env);
        cp = new ControlPlane(path.join(dir, "cluster"), env);
        cp.start();
        const live = YAML.parse(fs.readFileSync(cp.kubeconfig, "utf8"));
        server = live.clusters[0].cluster.server;
        // A second context whose server is a closed port, made the current one.
        live.clusters.push({
            name: "closed",
            cluster: { server: "https://127.0.0.1:1", "insecure-skip-tls-verify": true },
        });
        live.contexts.push({ name: "closed", context: { cluster: "closed", user: live.users[0].name } });
        live["current-context"] = "closed";
        kc = path.join(dir, "two-contexts.kubeconfig");
        fs.writeFileSync(kc, YAML.stringify(live));
        // The stack's own file, relative to the project: only the live context, current.
        fs.copyFileSync(cp.kubeconfig, path.join(ws.project, "lab.kubeconfig"));
    });
    after(function () {
        if (cp) cp.stop();
        if (ws) console.log(`\n${ws.table()}\n`);
    });

    it("1a. no kubernetes:context: the current context (a closed port) is named, and nothing is created", () => {
        newStack("cur", { namespace: "own-cur" });
        for (const cmd of ["preview", "up"]) {
            const r = ws.pulumi(`${cmd} cur`, kc, [cmd, "--stack", "cur", ...(cmd === "up" ? ["--yes"] : [])]);
            assert.notStrictEqual(r.status, 0, `${cmd} must fail:\n${out(r)}`);
            assert.match(
                out(r),
                /context closed \(server https:\/\/127\.0\.0\.1:1, kubeconfig \$KUBECONFIG \S+two-contexts\.kubeconfig\) does not answer: .*ECONNREFUSED.*; nothing was deployed/,
            );
        }
        assert.strictEqual(cp.get("namespace", "own-cur"), undefined);
        assert.deepStrictEqual(cp.objectsOf(instanceName("cur", "own-cur")), []);
    });

    it("1b. a context the kubeconfig lacks, and a kubernetes:kubeconfig file that does not exist, are named", () => {
        newStack("nocontext", { namespace: "own-x", "kubernetes:context": "lab-b" });
        const a = ws.pulumi("preview nocontext", kc, ["preview", "--stack", "nocontext"]);
        assert.notStrictEqual(a.status, 0);
        assert.match(
            out(a),
            /kubernetes:context is "lab-b", but the kubeconfig \(\$KUBECONFIG \S+\) has no such context; it has: vpp-e2e, closed; nothing was deployed/,
        );
        newStack("nofile", { namespace: "own-y", "kubernetes:kubeconfig": "labs/b.kubeconfig" });
        const b = ws.pulumi("preview nofile", kc, ["preview", "--stack", "nofile"]);
        assert.notStrictEqual(b.status, 0);
        assert.ok(
            out(b).includes(
                `kubernetes:kubeconfig is "labs/b.kubeconfig": no file ${path.join(ws.project, "labs/b.kubeconfig")}`,
            ),
            out(b),
        );
        assert.strictEqual(cp.get("namespace", "own-x"), undefined);
    });

    it("1c+2. kubernetes:context names the live cluster: it deploys there, says so, and quantities settle (twice)", () => {
        newStack("ctx", {
            namespace: "own-ctx",
            "kubernetes:context": "vpp-e2e",
            cpuRequest: "0.5",
            cpuLimit: "1000m",
            memory: "2048Mi",
        });
        const preview = ws.ok("preview ctx", kc, ["preview", "--stack", "ctx"]);
        assert.ok(
            out(preview).includes(`target cluster: context vpp-e2e, server ${server} (kubeconfig: $KUBECONFIG ${kc})`),
            out(preview),
        );
        const r = up("ctx");
        assert.strictEqual(r.status, 0, out(r));
        const outputs = JSON.parse(ws.ok("outputs ctx", kc, ["stack", "output", "--stack", "ctx", "--json"]).stdout);
        assert.deepStrictEqual([outputs.clusterContext, outputs.clusterServer], ["vpp-e2e", server]);
        const vpp = cp.get("deployment", "vpp-server", "own-ctx").spec.template.spec.containers[0];
        assert.deepStrictEqual(vpp.resources.requests.cpu, "500m");
        assert.deepStrictEqual(vpp.resources.limits, { cpu: "1", memory: "2Gi", "ephemeral-storage": "320Mi" });
        for (const round of [1, 2]) {
            ws.ok(`refresh ctx ${round}`, kc, ["refresh", "--stack", "ctx", "--yes", "--skip-preview"]);
            const p = ws.pulumi(`preview --expect-no-changes ctx ${round}`, kc, [
                "preview",
                "--stack",
                "ctx",
                "--refresh",
                "--expect-no-changes",
            ]);
            assert.strictEqual(p.status, 0, `round ${round}: the stack must settle\n${out(p)}`);
            assert.doesNotMatch(out(p), /was changed on the cluster/);
        }
    });

    it("1d. kubernetes:kubeconfig names a second file, relative to the project: it deploys there", () => {
        newStack("file", { namespace: "own-file", "kubernetes:kubeconfig": "lab.kubeconfig" });
        const r = up("file");
        assert.strictEqual(r.status, 0, out(r));
        assert.ok(out(r).includes(`kubeconfig: kubernetes:kubeconfig ${path.join(ws.project, "lab.kubeconfig")}`));
        assert.ok(cp.get("deployment", "vpp-server", "own-file"), "deployed by the stack's own kubeconfig");
        destroy("file");
        assert.strictEqual(cp.get("namespace", "own-file"), undefined, "its own, empty namespace is deleted");
    });

    it("4a. a namespace made by hand, with a team's ConfigMap, is used: up and destroy leave it and its data", () => {
        cp.kubectl("create", "namespace", "precious");
        cp.kubectl("create", "configmap", "team-data", "-n", "precious", "--from-literal=k=v");
        const before = cp.get("namespace", "precious").metadata;
        newStack("prec", { namespace: "precious", "kubernetes:context": "vpp-e2e" });
        const r = up("prec");
        assert.strictEqual(r.status, 0, out(r));
        assert.match(out(r), /namespace precious exists and no stack made it: this stack uses it and never deletes it/);
        assert.doesNotMatch(out(r), /was changed on the cluster/);
        assert.deepStrictEqual(cp.get("namespace", "precious").metadata.labels, before.labels, "not taken over");
        assert.ok(cp.get("deployment", "vpp-server", "precious"));
        destroy("prec");
        assert.ok(cp.get("namespace", "precious"), "the namespace survives destroy");
        assert.deepStrictEqual(cp.get("configmap", "team-data", "precious").data, { k: "v" }, "and the team's data");
        assert.strictEqual(cp.get("deployment", "vpp-server", "precious"), undefined, "the stack's objects are gone");
    });

    it("4b. stack B naming stack A's namespace fails naming A; A's objects read back unchanged", () => {
        const aBefore = versions(CTX, "own-ctx");
        assert.ok(aBefore.length >= 9, aBefore.join("\n"));
        newStack("intruder", { namespace: "own-ctx", "kubernetes:context": "vpp-e2e" });
        for (const cmd of ["preview", "up"]) {
            const r = ws.pulumi(`${cmd} intruder`, kc, [
                cmd,
                "--stack",
                "intruder",
                ...(cmd === "up" ? ["--yes"] : []),
            ]);
            assert.notStrictEqual(r.status, 0, `${cmd} must fail:\n${out(r)}`);
            assert.match(out(r), /this stack would take objects it did not create \(\d+\); nothing was changed/);
            assert.match(
                out(r),
                /Namespace own-ctx belongs to stack "ctx" \(label app\.kubernetes\.io\/instance=vpp-server-ctx\.own-ctx\): choose another namespace \(pulumi config set vpp-server:namespace <name> --stack intruder\)/,
            );
            assert.match(out(r), /ConfigMap own-ctx\/vpp-server-config belongs to stack "ctx"/);
        }
        assert.deepStrictEqual(versions(CTX, "own-ctx"), aBefore, "stack ctx's objects are untouched");
        assert.deepStrictEqual(cp.objectsOf(instanceName("intruder", "own-ctx")), []);
    });

    it("4c. an object nobody made stops the update, named; adopt: true takes it over", () => {
        cp.kubectl("create", "namespace", "poc");
        cp.kubectl("create", "configmap", "vpp-server-config", "-n", "poc", "--from-literal=startup.conf=poc");
        newStack("poc", { namespace: "poc", "kubernetes:context": "vpp-e2e" });
        const r = up("poc");
        assert.notStrictEqual(r.status, 0);
        assert.match(
            out(r),
            /ConfigMap poc\/vpp-server-config exists and no stack made it \(no app\.kubernetes\.io\/instance label\): set vpp-server:adopt true to take it over/,
        );
        assert.strictEqual(cp.get("deployment", "vpp-server", "poc"), undefined, "nothing was created");
        ws.configure("poc", kc, { adopt: "true" });
        const adopted = up("poc");
        assert.strictEqual(adopted.status, 0, out(adopted));
        assert.match(out(adopted), /adopting ConfigMap poc\/vpp-server-config \(vpp-server:adopt is true\)/);
        const cm = cp.get("configmap", "vpp-server-config", "poc");
        assert.strictEqual(cm.metadata.labels["app.kubernetes.io/instance"], "vpp-server-poc.poc");
        assert.notStrictEqual(cm.data["startup.conf"], "poc", "the stack's content replaces the POC's");
        destroy("poc");
        assert.ok(cp.get("namespace", "poc"), "the hand-made namespace stays");
    });

    it("4d. destroy keeps a namespace the stack made when something foreign is in it, and says why", () => {
        cp.kubectl("create", "configmap", "notes", "-n", "own-ctx", "--from-literal=k=v");
        const r = destroy("ctx");
        assert.match(
            out(r),
            /warning: AfterDelete hook "vpp-server-namespace-if-empty" failed: namespace own-ctx is kept: it holds objects this stack did not make \(ConfigMap notes\); this stack's own objects were deleted/,
        );
        assert.ok(cp.get("namespace", "own-ctx"), "kept");
        assert.deepStrictEqual(cp.get("configmap", "notes", "own-ctx").data, { k: "v" });
        assert.deepStrictEqual(
            cp.objectsOf(CTX).filter((o) => !o.startsWith("namespace/")),
            [],
            "the stack's own objects are gone",
        );
    });
});
