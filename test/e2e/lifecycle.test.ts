/**
 * End to end, on a real kube-apiserver: what a lab goes through after its first `up` loses
 * nothing (issue 21). Each step is a scenario a lab engineer meets:
 *
 * 1. `namespace` changes a -> b -> c: the lab moves; the old namespace is deleted when it was the
 *    stack's and empty, kept (and said) when a team's object is in it; the new one is never
 *    touched by the old one's hook; preview --expect-no-changes passes; destroy leaves nothing.
 * 2. `renderDir` set on a deployed stack: refused before anything is registered; the live objects
 *    stay.
 * 3. The current context switches to another server: the same cluster by another address (its
 *    kube-system uid) is followed with nothing written and no provider replaced; a server that is
 *    not this cluster stops `up`, naming both; nothing changes; VPP_SERVER_MOVE_TO is the way.
 * 4. Fail closed, destroy always possible: an object re-marked by hand (another stack's now) makes
 *    `up` refuse every change while `destroy --run-program` still deletes; the PodMonitor CRD
 *    removed under a deployed `metrics: cluster` stack does not stop destroy; two stacks racing
 *    into one new namespace: one wins, the other stops and takes nothing.
 * 5. A kubeconfig given as JSON content, as a secret: it deploys; the same kubeconfig with its CA
 *    embedded instead of named as a file updates the provider and replaces nothing (the namespace
 *    and the Deployment keep their uids); a broken one fails, and no credential appears in any output.
 * 6. `pulumi stack rename`: the stack keeps its mark (its `instance` output), so `up` converges
 *    with no change and `destroy --run-program` removes everything, its namespace included.
 * 7. The README's move from the proof of concept, against the POC's own objects (its Deployment
 *    with selector app=vpp-server, NAD, SCC): `adopt: true` stops before adopting anything, naming
 *    the Deployment and the one command that clears the way; after it, `up` converges.
 * 8. A drift warning only for a hand edit: a changed setting warns of nothing.
 * 9. Who "this stack" is: a second copy of the project (its own backend) with a stack of the same
 *    name is refused before it touches anything in the first's namespace, naming the collision and
 *    the fix; in another namespace its cluster-scoped names are its own (they follow the stack's
 *    name and namespace) and it deploys beside the first; its destroy leaves the first's objects.
 * 10. A read the API server refuses (403, for a user impersonated as kubeconfig's `as` says, who may
 *    not read Deployments): a new stack's preview and up stop before anything is registered,
 *    naming the object and the user; nothing is created.
 * 11. A read refused (403) on a deployed stack: its user may not read PodMonitors, which a change
 *    (metrics: cluster) now declares. Preview warns, up's hooks refuse every change, and
 *    destroy --run-program still removes every object; the namespace, which that user cannot list
 *    whole, is kept and the run says why, and sheds the stack's mark.
 * 12. A namespace destroy keeps (a team's object in it) sheds the stack's mark, so the same stack's
 *    next `up` (a new stack id) deploys into it as a namespace made by hand, instead of refusing it
 *    as another copy's; that stack's destroy leaves it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ControlPlane, podMonitorCrd, tempDir, toolsDir, toolsEnv, Workspace } from "./harness";
import { LAB_CONFIG } from "../fixtures/lab";
import { instanceName } from "../../components/names";

describe("end to end: a lab's whole life loses nothing", function () {
    this.timeout(30 * 60 * 1000);
    let ws: Workspace;
    let cp: ControlPlane;
    /** The kubeconfig of most commands: the control plane's, its context vpp-e2e current. */
    let kc: string;
    let server: string;

    const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
    const newStack = (stack: string, config: Record<string, string>, kubeconfig = kc) =>
        ws.newStack(stack, kubeconfig, config);
    const up = (stack: string, kubeconfig = kc) => ws.up(stack, kubeconfig);
    const destroy = (stack: string, kubeconfig = kc) => ws.destroy(stack, kubeconfig);
    const settles = (stack: string, kubeconfig = kc) => {
        const p = ws.pulumi(`preview --expect-no-changes ${stack}`, kubeconfig, [
            "preview",
            "--stack",
            stack,
            "--expect-no-changes",
        ]);
        assert.strictEqual(p.status, 0, `stack ${stack} must settle:\n${out(p)}`);
    };
    const versions = (instance: string) => cp.versionsOf(instance);
    /** Stack mv's instance: named by the namespace it first deployed to, and kept as it moves. */
    const MV = instanceName("mv", "life-a");
    const REN = instanceName("ren", "life-ren");
    /**
     * A kubeconfig whose context `context` impersonates `user` (as kubeconfig's \`as\` says), who may
     * do anything in these API groups and nothing else.
     */
    const limitedUser = (context: string, user: string, groups: readonly string[]) => {
        const role = path.join(ws.dir, `${user}.yaml`);
        fs.writeFileSync(role, userRbac(user, groups));
        cp.kubectl("apply", "-f", role);
        const config = YAML.parse(fs.readFileSync(kc, "utf8"));
        config.users.push({ name: context, user: { ...config.users[0].user, as: user } });
        config.contexts.push({ name: context, context: { cluster: config.clusters[0].name, user: context } });
        const file = path.join(ws.dir, `${context}.kubeconfig`);
        fs.writeFileSync(file, YAML.stringify(config));
        return file;
    };

    before(function () {
        const env = toolsEnv(toolsDir());
        const dir = tempDir("vpp-life-");
        ws = new Workspace(dir, env);
        cp = new ControlPlane(path.join(dir, "cluster"), env);
        cp.start();
        kc = cp.kubeconfig;
        server = YAML.parse(fs.readFileSync(kc, "utf8")).clusters[0].cluster.server;
    });
    after(function () {
        if (cp) cp.stop();
        if (ws) console.log(`\n${ws.table()}\n`);
    });

    it("1. namespace a -> b -> c: the lab moves; a (the stack's, empty) is deleted, b (a team's object in it) is kept; c is never touched by their hooks", () => {
        newStack("mv", { namespace: "life-a", "kubernetes:context": "vpp-e2e" });
        let r = up("mv");
        assert.strictEqual(r.status, 0, out(r));
        const uidA = cp.get("namespace", "life-a").metadata.uid;

        ws.configure("mv", kc, { namespace: "life-b" });
        r = up("mv");
        assert.strictEqual(r.status, 0, out(r));
        assert.ok(cp.get("deployment", "vpp-server", "life-b"), "the lab is in b");
        assert.ok(cp.get("configmap", "vpp-server-config", "life-b"), "with its ConfigMap");
        assert.strictEqual(cp.get("namespace", "life-a"), undefined, `a (uid ${uidA}) was the stack's and empty`);
        assert.match(out(r), /namespace life-a deleted: nothing but this stack's objects was in it/);
        settles("mv");

        // A team's ConfigMap in b, then the lab moves on to c: b is kept, and said.
        cp.kubectl("create", "configmap", "team-notes", "-n", "life-b", "--from-literal=k=v");
        ws.configure("mv", kc, { namespace: "life-c" });
        r = up("mv");
        assert.strictEqual(r.status, 0, out(r));
        assert.ok(cp.get("deployment", "vpp-server", "life-c"), "the lab is in c");
        assert.ok(cp.get("namespace", "life-c"), "c is the stack's now");
        assert.match(
            out(r),
            /namespace life-b is kept: it holds objects this stack did not make \(ConfigMap team-notes\); this stack's own objects were deleted/,
        );
        assert.deepStrictEqual(cp.get("configmap", "team-notes", "life-b").data, { k: "v" }, "the team's data");
        assert.strictEqual(
            cp.get("namespace", "life-b").metadata.labels["app.kubernetes.io/instance"],
            undefined,
            "kept, b sheds the stack's mark",
        );
        assert.strictEqual(cp.get("deployment", "vpp-server", "life-b"), undefined, "the lab left b");
        assert.strictEqual(MV, "vpp-server-mv.life-a");
        assert.ok(
            cp.get("securitycontextconstraints", MV),
            "the SCC keeps the name of the stack's first namespace: nothing cluster-scoped is renamed by a move",
        );
        settles("mv");
    });

    it("2. renderDir on the deployed stack: refused before anything is registered; the live objects stay", () => {
        const before = versions(MV);
        assert.ok(before.length >= 9, before.join("\n"));
        ws.configure("mv", kc, { renderDir: "rendered" });
        for (const cmd of ["preview", "up"]) {
            const r = ws.pulumi(`${cmd} mv (render)`, kc, [cmd, "--stack", "mv", ...(cmd === "up" ? ["--yes"] : [])]);
            assert.notStrictEqual(r.status, 0, `${cmd} must fail:\n${out(r)}`);
            assert.ok(
                out(r).includes(
                    `vpp-server:renderDir is "rendered", but stack mv is deployed on server ${server}: rendering it would move every object to the render provider, which deletes them from the cluster; nothing was changed.`,
                ),
                out(r),
            );
        }
        assert.deepStrictEqual(versions(MV), before, "every object untouched");
        assert.ok(!fs.existsSync(path.join(ws.project, "rendered")), "nothing rendered");
        ws.ok("config rm renderDir", kc, ["config", "rm", "--stack", "mv", "renderDir"]);
        settles("mv");
    });

    it("3. the current context now names another server: the same cluster by another address (localhost) is followed, with nothing changed and no provider replaced; a server that is not this cluster stops up, naming both; VPP_SERVER_MOVE_TO is the way", () => {
        // The stack follows the current context (no kubernetes:context). The same API server is
        // then reached as localhost: its kube-system namespace has the same uid, so it is the same cluster.
        const live = YAML.parse(fs.readFileSync(kc, "utf8"));
        const alias = JSON.parse(JSON.stringify(live));
        alias.clusters[0].cluster.server = server.replace("127.0.0.1", "localhost");
        const gone = JSON.parse(JSON.stringify(live));
        gone.clusters[0].cluster.server = "https://127.0.0.1:1";
        const kcA = path.join(ws.dir, "current-a.kubeconfig");
        const kcB = path.join(ws.dir, "current-b.kubeconfig");
        const kcC = path.join(ws.dir, "current-c.kubeconfig");
        fs.writeFileSync(kcA, YAML.stringify(live));
        fs.writeFileSync(kcB, YAML.stringify(alias));
        fs.writeFileSync(kcC, YAML.stringify(gone));
        newStack("cur", { namespace: "life-cur" }, kcA);
        const r = up("cur", kcA);
        assert.strictEqual(r.status, 0, out(r));
        const before = versions(instanceName("cur", "life-cur"));
        const deployment = cp.get("deployment", "vpp-server", "life-cur").metadata.uid;
        const uid = cp.get("namespace", "kube-system").metadata.uid;
        const other = alias.clusters[0].cluster.server;

        const a = up("cur", kcB);
        assert.strictEqual(a.status, 0, out(a));
        assert.ok(
            out(a).includes(
                `server ${other} is the cluster this stack deployed to through server ${server} (its kube-system namespace has the same uid, ${uid}): the lab stays where it is`,
            ),
            out(a),
        );
        assert.doesNotMatch(out(a), /replaced|deleted/, out(a));
        assert.strictEqual(
            cp.get("deployment", "vpp-server", "life-cur").metadata.uid,
            deployment,
            "the same Deployment",
        );
        assert.deepStrictEqual(versions(instanceName("cur", "life-cur")), before, "no object written");
        settles("cur", kcB);

        // A server that is not this cluster (here one that does not answer): every command stops, naming both.
        for (const cmd of ["preview", "up", "destroy"]) {
            const extra = cmd === "preview" ? [] : cmd === "up" ? ["--yes"] : ["--yes", "--run-program"];
            const s = ws.pulumi(`${cmd} cur (other server)`, kcC, [cmd, "--stack", "cur", ...extra]);
            assert.notStrictEqual(s.status, 0, `${cmd} must stop:\n${out(s)}`);
            assert.ok(
                out(s).includes(
                    `stack cur last deployed to server ${other} (context vpp-e2e), but now resolves to server https://127.0.0.1:1 (context vpp-e2e, kubeconfig $KUBECONFIG ${kcC}); nothing was changed.`,
                ),
                out(s),
            );
            assert.ok(out(s).includes("VPP_SERVER_MOVE_TO=https://127.0.0.1:1 pulumi up --stack cur"), out(s));
        }
        assert.deepStrictEqual(versions(instanceName("cur", "life-cur")), before, "nothing changed on the cluster");
        // Back to the first address: the provider is updated again, and nothing else.
        const back = up("cur", kcA);
        assert.strictEqual(back.status, 0, out(back));
        assert.doesNotMatch(out(back), /replaced|deleted/, out(back));
        assert.deepStrictEqual(versions(instanceName("cur", "life-cur")), before, "no object written");
        settles("cur", kcA);
        destroy("cur", kcA);
        assert.deepStrictEqual(cp.objectsOf(instanceName("cur", "life-cur")), []);
    });

    it("4a. an object re-marked by hand as another stack's: up refuses every change (hooks), preview says why; destroy --run-program still deletes the stack's objects", () => {
        cp.kubectl(
            "label",
            "--overwrite",
            "configmap",
            "vpp-server-config",
            "-n",
            "life-c",
            "app.kubernetes.io/instance=vpp-server-x",
        );
        const before = versions(MV);
        const p = ws.pulumi("preview mv (re-marked)", kc, ["preview", "--stack", "mv"]);
        assert.match(
            out(p),
            /pulumi up will refuse to create or change any object of this stack until this is resolved: this stack would take objects it did not create \(1\)/,
        );
        const r = up("mv");
        assert.notStrictEqual(r.status, 0, `up must refuse:\n${out(r)}`);
        assert.match(out(r), /this stack changes nothing on the cluster until this is resolved/);
        assert.match(out(r), /ConfigMap life-c\/vpp-server-config belongs to stack "x"/);
        assert.deepStrictEqual(versions(MV), before, "nothing changed");
        assert.strictEqual(
            cp.get("configmap", "vpp-server-config", "life-c").metadata.labels["app.kubernetes.io/instance"],
            "vpp-server-x",
        );
        destroy("mv");
        // Left: namespace life-b, kept in step 1 for the team's ConfigMap, without the stack's mark since.
        assert.deepStrictEqual(cp.objectsOf(MV), [], "the stack's objects are gone");
        assert.strictEqual(cp.get("deployment", "vpp-server", "life-c"), undefined);
        assert.ok(cp.get("namespace", "life-b"), "the team's namespace stays");
    });

    it("4b. the PodMonitor CRD removed under a deployed metrics: cluster stack: destroy --run-program still removes everything", () => {
        cp.kubectl("apply", "--server-side", "-f", podMonitorCrd());
        cp.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/podmonitors.monitoring.coreos.com");
        newStack("mon", { namespace: "life-mon", "kubernetes:context": "vpp-e2e", metrics: "cluster" });
        const r = up("mon");
        assert.strictEqual(r.status, 0, out(r));
        assert.ok(cp.get("podmonitors.monitoring.coreos.com", "vpp-server", "life-mon"));
        cp.kubectl("delete", "crd", "podmonitors.monitoring.coreos.com", "--wait=true");
        const p = ws.pulumi("preview mon (no CRD)", kc, ["preview", "--stack", "mon"]);
        assert.match(out(p), /does not serve what this stack declares/);
        destroy("mon");
        assert.deepStrictEqual(cp.objectsOf(instanceName("mon", "life-mon")), []);
        assert.strictEqual(cp.get("namespace", "life-mon"), undefined, "its own namespace is deleted");
    });

    it("4c. two stacks' up into one new namespace at once: one wins, the other stops and takes nothing", () => {
        for (const s of ["race1", "race2"]) newStack(s, { namespace: "life-race", "kubernetes:context": "vpp-e2e" });
        const runs = ["race1", "race2"].map((s) => {
            const child = ws.spawnPulumi(kc, ["up", "--stack", s, "--yes", "--skip-preview"]);
            let text = "";
            child.stdout.on("data", (c: Buffer) => (text += c));
            child.stderr.on("data", (c: Buffer) => (text += c));
            return new Promise<{ stack: string; status: number | null; text: string }>((resolve) =>
                child.on("close", (status) => resolve({ stack: s, status, text })),
            );
        });
        return Promise.all(runs).then((results) => {
            const won = results.filter((x) => x.status === 0);
            assert.strictEqual(won.length, 1, results.map((x) => `${x.stack}: ${x.status}\n${x.text}`).join("\n---\n"));
            const winner = won[0].stack;
            const loser = results.find((x) => x.status !== 0)!;
            assert.match(
                loser.text,
                /belongs to stack "race\d"|was created by stack "race\d" after this run read the cluster/,
            );
            // The loser may have made its own cluster-scoped SCC and ClusterRole (their names are its
            // own); nothing of it is in the namespace.
            assert.deepStrictEqual(
                cp
                    .objectsOf(instanceName(loser.stack, "life-race"))
                    .filter((o) => !/^(securitycontextconstraints|clusterrole)/.test(o)),
                [],
                "the loser took nothing in the namespace",
            );
            const ns = cp.get("namespace", "life-race");
            assert.strictEqual(ns.metadata.labels["app.kubernetes.io/instance"], instanceName(winner, "life-race"));
            for (const o of ["configmap/vpp-server-config", "deployment/vpp-server", "serviceaccount/vpp-server"]) {
                const obj = JSON.parse(cp.kubectl("get", o, "-n", "life-race", "-o", "json"));
                assert.strictEqual(
                    obj.metadata.labels["app.kubernetes.io/instance"],
                    instanceName(winner, "life-race"),
                    o,
                );
            }
            destroy(winner);
            destroy(loser.stack);
            assert.strictEqual(cp.get("namespace", "life-race"), undefined);
        });
    });

    it("5. kubernetes:kubeconfig as JSON content, a secret: it deploys; broken, it fails; no credential in any output", () => {
        const json = cp.kubectl("config", "view", "--raw", "-o", "json");
        const key = JSON.parse(json).users[0].user["client-key-data"] as string;
        assert.ok(key && key.length > 100, "the kubeconfig holds a client key");
        ws.ok("stack init json", kc, ["stack", "init", "json"]);
        ws.configure("json", kc, { ...LAB_CONFIG, namespace: "life-json" });
        const secret = (value: string) =>
            ws.ok("config set --secret kubeconfig", kc, [
                "config",
                "set",
                "--stack",
                "json",
                "--secret",
                "kubernetes:kubeconfig",
                value,
            ]);
        const outputs: string[] = [];
        // First with the cluster's CA named as a file, as many kubeconfigs have it.
        const caFile = path.join(ws.dir, "cluster-ca.crt");
        const parsed = JSON.parse(json);
        fs.writeFileSync(caFile, Buffer.from(parsed.clusters[0].cluster["certificate-authority-data"], "base64"));
        const withCaFile = JSON.parse(json);
        delete withCaFile.clusters[0].cluster["certificate-authority-data"];
        withCaFile.clusters[0].cluster["certificate-authority"] = caFile;
        secret(JSON.stringify(withCaFile));
        let r = up("json");
        outputs.push(out(r));
        assert.strictEqual(r.status, 0, out(r));
        assert.ok(cp.get("deployment", "vpp-server", "life-json"), "deployed with the JSON kubeconfig");
        assert.match(out(r), /kubeconfig: kubernetes:kubeconfig \(content\)/);
        const kubeSystem = cp.get("namespace", "kube-system").metadata.uid;
        const stackOutputs = JSON.parse(
            ws.ok("outputs json", kc, ["stack", "output", "--stack", "json", "--json"]).stdout,
        );
        assert.deepStrictEqual(
            [stackOutputs.clusterIdentifier, stackOutputs.clusterUid],
            [`kube-system/${kubeSystem}`, kubeSystem],
        );

        // The same cluster, its CA embedded instead: the provider is updated, never replaced (a
        // replaced provider re-creates every object, then deletes the "old" one, the same object).
        const inst = instanceName("json", "life-json");
        const uids = () => [
            cp.get("namespace", "life-json")?.metadata.uid,
            cp.get("deployment", "vpp-server", "life-json")?.metadata.uid,
        ];
        const [nsUid, depUid] = uids();
        const before = versions(inst);
        secret(json);
        r = ws.pulumi("preview --diff json (CA embedded)", kc, ["preview", "--diff", "--stack", "json"]);
        outputs.push(out(r));
        assert.strictEqual(r.status, 0, out(r));
        assert.match(out(r), /~ pulumi:providers:kubernetes: \(update\)/, out(r));
        assert.doesNotMatch(out(r), /replace/, "nothing is replaced");
        r = up("json");
        outputs.push(out(r));
        assert.strictEqual(r.status, 0, out(r));
        assert.doesNotMatch(out(r), /replaced|deleted/, out(r));
        assert.deepStrictEqual(uids(), [nsUid, depUid], "the namespace and the Deployment are the same objects");
        assert.deepStrictEqual(versions(inst), before, "no object of the lab was written");
        for (const broken of [json.replace('"vpp-e2e"', '"nope"'), key, json.slice(0, json.length / 2)]) {
            secret(broken);
            r = ws.pulumi("preview json (broken)", kc, ["preview", "--stack", "json"]);
            outputs.push(out(r));
            assert.notStrictEqual(r.status, 0, `a broken kubeconfig must fail:\n${out(r)}`);
        }
        for (const text of outputs) {
            assert.ok(!text.includes(key), "the client key appears in an output");
            assert.ok(!text.includes(key.slice(0, 40)), "part of the client key appears in an output");
        }
        secret(json);
        destroy("json");
        assert.strictEqual(cp.get("namespace", "life-json"), undefined);
    });

    it("6. pulumi stack rename ren ren2: up converges with no change, destroy --run-program removes everything", () => {
        newStack("ren", { namespace: "life-ren", "kubernetes:context": "vpp-e2e" });
        const r = up("ren");
        assert.strictEqual(r.status, 0, out(r));
        const before = versions(REN);
        ws.ok("stack rename", kc, ["stack", "rename", "ren2", "--stack", "ren"]);
        settles("ren2");
        const again = up("ren2");
        assert.strictEqual(again.status, 0, out(again));
        assert.deepStrictEqual(versions(REN), before, "nothing was replaced or changed");
        const outputs = JSON.parse(ws.ok("outputs ren2", kc, ["stack", "output", "--stack", "ren2", "--json"]).stdout);
        assert.deepStrictEqual(
            [outputs.instance, outputs.sccName],
            ["vpp-server-ren.life-ren", "vpp-server-ren.life-ren"],
        );
        destroy("ren2");
        assert.deepStrictEqual(cp.objectsOf(REN), []);
        assert.strictEqual(cp.get("namespace", "life-ren"), undefined, "its own namespace is deleted");
    });

    it("7. from the proof of concept: adopt stops before adopting anything, naming the Deployment and the command; then it converges", () => {
        const poc = path.join(ws.dir, "poc.yaml");
        fs.writeFileSync(poc, POC_MANIFESTS);
        cp.kubectl("apply", "-f", poc);
        const nadBefore = cp.get("network-attachment-definitions.k8s.cni.cncf.io", "macvlan0", "vpp-server");
        newStack("poc", { namespace: "vpp-server", "kubernetes:context": "vpp-e2e", adopt: "true" });
        const r = up("poc");
        assert.notStrictEqual(r.status, 0, out(r));
        assert.match(
            out(r),
            /Deployment vpp-server\/vpp-server exists and no stack made it, and its selector \(app=vpp-server\) is not this stack's: a Deployment's selector cannot change, so it cannot be adopted in place\. Delete it first, then run up again \(the lab's address is down until up has run\): kubectl delete deployment vpp-server -n vpp-server/,
        );
        const nad = cp.get("network-attachment-definitions.k8s.cni.cncf.io", "macvlan0", "vpp-server");
        assert.strictEqual(nad.metadata.resourceVersion, nadBefore.metadata.resourceVersion, "nothing adopted");
        assert.deepStrictEqual(cp.objectsOf("vpp-server-poc"), [], "nothing created");

        cp.kubectl("delete", "deployment", "vpp-server", "-n", "vpp-server");
        const adopted = up("poc");
        assert.strictEqual(adopted.status, 0, out(adopted));
        assert.match(
            out(adopted),
            /adopting NetworkAttachmentDefinition vpp-server\/macvlan0 \(vpp-server:adopt is true\)/,
        );
        assert.strictEqual(
            cp.get("deployment", "vpp-server", "vpp-server").spec.selector.matchLabels["app.kubernetes.io/instance"],
            "vpp-server-poc",
        );
        settles("poc");
        destroy("poc");
        assert.ok(cp.get("namespace", "vpp-server"), "the POC's namespace is used, never deleted");
        assert.ok(cp.get("securitycontextconstraints", "vpp-server"), "the POC's SCC (another name) is left alone");
    });

    it("8. a changed setting is no hand edit: no 'changed on the cluster' warning; a hand edit still warns", () => {
        newStack("edit", { namespace: "life-edit", "kubernetes:context": "vpp-e2e" });
        let r = up("edit");
        assert.strictEqual(r.status, 0, out(r));
        ws.configure("edit", kc, { vlanId: "124" });
        r = up("edit");
        assert.strictEqual(r.status, 0, out(r));
        assert.doesNotMatch(out(r), /was changed on the cluster/);
        cp.kubectl(
            "patch",
            "configmap",
            "vpp-server-config",
            "-n",
            "life-edit",
            "--type=merge",
            "-p",
            '{"data":{"extra":"x"}}',
        );
        cp.kubectl("label", "--overwrite", "namespace", "life-edit", "app.kubernetes.io/name=edited");
        r = ws.pulumi("preview edit (hand edit)", kc, ["preview", "--stack", "edit"]);
        assert.strictEqual(r.status, 0, out(r));
        assert.match(
            out(r),
            /Namespace life-edit was changed on the cluster; this update restores it \(metadata\.labels\.app\.kubernetes\.io\/name: "edited" on the cluster, "vpp-server" declared\)/,
        );
        destroy("edit");
    });

    it("9. a second copy of the project (its own backend) with a stack of the same name: in the first's namespace, refused before it touches anything; in another, it deploys beside it with names of its own; its destroy leaves the first's objects", () => {
        newStack("twin", { namespace: "life-twin", "kubernetes:context": "vpp-e2e" });
        const r = up("twin");
        assert.strictEqual(r.status, 0, out(r));
        const first = instanceName("twin", "life-twin");
        const before = versions(first);
        const copy = new Workspace(tempDir("vpp-life-copy-"), ws.env);
        copy.ok("stack init twin (copy)", kc, ["stack", "init", "twin"]);
        copy.configure("twin", kc, { ...LAB_CONFIG, namespace: "life-twin", "kubernetes:context": "vpp-e2e" });
        const upCopy = (namespace: string) =>
            copy.pulumi(`up twin (copy, ${namespace})`, kc, ["up", "--stack", "twin", "--yes", "--skip-preview"]);
        const c = upCopy("life-twin");
        assert.notStrictEqual(c.status, 0, `the copy must be refused:\n${out(c)}`);
        assert.match(
            out(c),
            /Namespace life-twin carries this stack's mark \(app\.kubernetes\.io\/instance=vpp-server-twin\.life-twin\) but belongs to another stack of the same name \(stack id [0-9a-f]{8}, this stack's is [0-9a-f]{8}\): another copy of this project, or another backend, deploys a stack "twin" to this cluster\. Before this stack's first up, choose another namespace \(pulumi config set vpp-server:namespace <name> --stack twin\)/,
        );
        assert.match(out(c), /SecurityContextConstraints vpp-server-twin\.life-twin carries this stack's mark/);
        assert.deepStrictEqual(versions(first), before, "the first's objects are untouched");

        // In a namespace of its own, the copy's cluster-scoped names are its own: the labs live side by side.
        copy.configure("twin", kc, { namespace: "life-twin2" });
        const second = instanceName("twin", "life-twin2");
        const c2 = upCopy("life-twin2");
        assert.strictEqual(c2.status, 0, out(c2));
        assert.ok(cp.get("securitycontextconstraints", second), `the copy's own SCC ${second}`);
        assert.ok(cp.get("deployment", "vpp-server", "life-twin2"), "the copy's lab");
        assert.deepStrictEqual(versions(first), before, "the first's objects are untouched by the copy's up");
        copy.ok("destroy twin (copy)", kc, ["destroy", "--stack", "twin", "--yes", "--skip-preview", "--run-program"]);
        assert.deepStrictEqual(cp.objectsOf(second), [], "the copy's destroy removes its own objects");
        assert.deepStrictEqual(versions(first), before, "the copy's destroy leaves the first's objects");
        settles("twin");
        destroy("twin");
        assert.deepStrictEqual(cp.objectsOf(first), []);
    });

    it("10. a read refused (403) for an impersonated user who may not read Deployments: preview and up stop before anything is registered; nothing is created", () => {
        // A user who may do anything but read Deployments (the API group apps is left out).
        const kcLimited = limitedUser(
            "limited",
            "lab-limited",
            LAB_GROUPS.filter((g) => g !== "apps"),
        );
        newStack("ro", { namespace: "life-ro", "kubernetes:context": "limited" }, kcLimited);
        for (const cmd of ["preview", "up"]) {
            const r = ws.pulumi(`${cmd} ro (403)`, kcLimited, [
                cmd,
                "--stack",
                "ro",
                ...(cmd === "up" ? ["--yes"] : []),
            ]);
            assert.notStrictEqual(r.status, 0, `${cmd} must stop:\n${out(r)}`);
            assert.match(out(r), /this stack's objects could not all be read \(1\); nothing was changed/);
            assert.match(
                out(r),
                /Deployment life-ro\/vpp-server could not be read \(GET https:\/\/127\.0\.0\.1:\d+\/apis\/apps\/v1\/namespaces\/life-ro\/deployments\/vpp-server: HTTP 403: deployments\.apps "vpp-server" is forbidden: User "lab-limited" cannot get resource "deployments"/,
            );
        }
        assert.strictEqual(cp.get("namespace", "life-ro"), undefined, "nothing was created");
        assert.deepStrictEqual(cp.objectsOf(instanceName("ro", "life-ro")), []);
    });

    it("11. a deployed stack whose user may no longer read what it now declares (403 on PodMonitors): preview warns, up changes nothing (hooks), destroy --run-program removes its objects and keeps the namespace it cannot list, saying why", () => {
        // A user who may do anything but touch PodMonitors; the CRD is served (step 4b removed it).
        cp.kubectl("apply", "--server-side", "-f", podMonitorCrd());
        cp.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/podmonitors.monitoring.coreos.com");
        const kcNoMon = limitedUser(
            "nomon",
            "lab-nomon",
            LAB_GROUPS.filter((g) => g !== "monitoring.coreos.com"),
        );
        const ro2 = instanceName("ro2", "life-ro2");
        newStack("ro2", { namespace: "life-ro2", "kubernetes:context": "nomon" }, kcNoMon);
        const r = up("ro2", kcNoMon);
        assert.strictEqual(r.status, 0, out(r));
        const before = versions(ro2);
        assert.ok(before.length >= 9, before.join("\n"));

        // metrics: cluster declares a PodMonitor, which this user cannot read.
        ws.configure("ro2", kcNoMon, { metrics: "cluster" });
        const unread =
            /PodMonitor life-ro2\/vpp-server could not be read \(GET https:\/\/127\.0\.0\.1:\d+\/apis\/monitoring\.coreos\.com\/v1\/namespaces\/life-ro2\/podmonitors\/vpp-server: HTTP 403: [^)]*User "lab-nomon" cannot get resource "podmonitors"/;
        const p = ws.pulumi("preview ro2 (403)", kcNoMon, ["preview", "--stack", "ro2"]);
        assert.match(
            out(p),
            /pulumi up will refuse to create or change any object of this stack until this is resolved/,
        );
        assert.match(out(p), unread);
        const u = up("ro2", kcNoMon);
        assert.notStrictEqual(u.status, 0, `up must refuse:\n${out(u)}`);
        assert.match(out(u), /this stack changes nothing on the cluster until this is resolved/);
        assert.match(out(u), unread);
        assert.deepStrictEqual(versions(ro2), before, "nothing changed on the cluster");

        const d = ws.pulumi("destroy ro2 (403)", kcNoMon, ["destroy", "--stack", "ro2", "--yes", "--run-program"]);
        assert.strictEqual(d.status, 0, `destroy must still run:\n${out(d)}`);
        // Its namespace cannot be listed whole by this user (PodMonitors, and events.k8s.io's Events,
        // outside its groups), so whether a team's object is in it is not known: it is kept, and said.
        const kept = out(d)
            .split("\n")
            .find((l) => l.includes("namespace life-ro2 is kept: its objects could not be listed ("));
        assert.ok(kept, `destroy says why the namespace is kept:\n${out(d)}`);
        assert.match(kept, /HTTP 403: .*User "lab-nomon" cannot list resource/);
        assert.match(
            kept,
            /its mark is removed, so a later up uses it as a namespace made by hand and never deletes it/,
        );
        assert.deepStrictEqual(
            cp.objectsOf(ro2),
            [],
            "every object of the stack is gone, and the namespace is no longer its",
        );
        assert.ok(cp.get("namespace", "life-ro2"), "the namespace is kept");
        cp.kubectl("delete", "namespace", "life-ro2", "--wait=true");
    });

    it("12. a namespace destroy keeps (a team's ConfigMap in it) is not the stack's any more: the same stack's next up deploys into it, and its destroy leaves it and the team's object", () => {
        newStack("keep", { namespace: "life-keep", "kubernetes:context": "vpp-e2e" });
        let r = up("keep");
        assert.strictEqual(r.status, 0, out(r));
        const nsUid = cp.get("namespace", "life-keep").metadata.uid;
        cp.kubectl("create", "configmap", "team-notes", "-n", "life-keep", "--from-literal=k=v");
        destroy("keep");
        const ns = cp.get("namespace", "life-keep");
        assert.strictEqual(ns.metadata.uid, nsUid, "kept");
        assert.strictEqual(ns.metadata.labels["app.kubernetes.io/instance"], undefined, "without the stack's mark");
        assert.strictEqual(ns.metadata.annotations?.["vpp-server/stack-id"], undefined, "without its id");

        // The same stack again: a new stack id (destroy removed the old one), the namespace used, not owned.
        r = up("keep");
        assert.strictEqual(r.status, 0, out(r));
        assert.match(
            out(r),
            /namespace life-keep exists and no stack made it: this stack uses it and never deletes it/,
        );
        assert.ok(cp.get("deployment", "vpp-server", "life-keep"), "the lab runs in the kept namespace");
        settles("keep");
        destroy("keep");
        assert.deepStrictEqual(cp.objectsOf(instanceName("keep", "life-keep")), []);
        assert.strictEqual(cp.get("namespace", "life-keep").metadata.uid, nsUid, "a namespace it only used is left");
        assert.deepStrictEqual(cp.get("configmap", "team-notes", "life-keep").data, { k: "v" }, "with the team's data");
        cp.kubectl("delete", "namespace", "life-keep", "--wait=true");
    });
});

/** The API groups of every object the program makes. */
const LAB_GROUPS = [
    "",
    "apps",
    "rbac.authorization.k8s.io",
    "security.openshift.io",
    "k8s.cni.cncf.io",
    "networking.k8s.io",
    "monitoring.coreos.com",
];

/** RBAC for a user (ClusterRole and binding of its name) who may do anything in these API groups, and nothing else. */
const userRbac = (user: string, groups: readonly string[]) => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${user}
rules:
  - apiGroups: ${JSON.stringify(groups)}
    resources: ["*"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ${user}
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${user} }
subjects:
  - { apiGroup: rbac.authorization.k8s.io, kind: User, name: ${user} }
`;

/** The proof of concept's objects, as `make deploy` makes them (its Deployment, NAD and SCC). */
const POC_MANIFESTS = `apiVersion: v1
kind: Namespace
metadata:
  name: vpp-server
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata:
  name: macvlan0
  namespace: vpp-server
spec:
  config: '{"cniVersion":"0.3.1","type":"macvlan","master":"eno8403np1","linkInContainer":false,"mode":"bridge"}'
---
apiVersion: security.openshift.io/v1
kind: SecurityContextConstraints
metadata:
  name: vpp-server
allowHostDirVolumePlugin: false
allowHostIPC: false
allowHostNetwork: false
allowHostPID: false
allowHostPorts: false
allowPrivilegeEscalation: false
allowPrivilegedContainer: false
allowedCapabilities: [NET_ADMIN, NET_RAW, IPC_LOCK, NET_BROADCAST]
defaultAddCapabilities: []
requiredDropCapabilities: []
priority: 0
readOnlyRootFilesystem: false
runAsUser: { type: RunAsAny }
seLinuxContext: { type: MustRunAs }
fsGroup: { type: MustRunAs }
supplementalGroups: { type: RunAsAny }
seccompProfiles: [runtime/default]
volumes: [configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret]
users: []
groups: []
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vpp-server
  namespace: vpp-server
spec:
  replicas: 1
  selector:
    matchLabels:
      app: vpp-server
  template:
    metadata:
      labels:
        app: vpp-server
      annotations:
        k8s.v1.cni.cncf.io/networks: '[{"name":"macvlan0","interface":"macvlan0"}]'
    spec:
      containers:
        - name: vpp-server
          image: quay.io/akaris/vpp-server:latest
          securityContext:
            runAsUser: 10000
            runAsGroup: 10000
            runAsNonRoot: true
            capabilities: { drop: [ALL], add: [NET_ADMIN, NET_RAW, IPC_LOCK, NET_BROADCAST] }
`;
