/**
 * npm run fleet -- render-operator on a real API server with the Pulumi Kubernetes Operator's
 * Stack CRD (from the operator's Go module): the rendered objects are accepted (server-side
 * dry-run with strict field validation, then created and read back field by field); the rendered
 * RBAC lets each lab's account do what its lab needs and nothing else (`kubectl auth can-i --as`);
 * and the lab's stack runs as that account, with the kubeconfig the workspace pod gets (its token
 * a real one of the account): `up` creates the lab, a lab first deployed from a laptop moves to the
 * account without a replacement, `destroy` removes it. The operator itself does not run here: its
 * workspace pod needs a kubelet (docs/fleet.md).
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
    ControlPlane,
    podMonitorCrd,
    programCrd,
    PULUMI_OPERATOR,
    ROOT,
    stackCrd,
    tempDir,
    toolsDir,
    toolsEnv,
    Workspace,
} from "./harness";
import { instanceName, sccClusterRoleName } from "../../components/names";
import { KUBECONFIG_PATH, STACK_NAME_LIMIT, TOKEN_FILE } from "../../fleet/operator";

const FLEET_NS = "vpp-server-fleet";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
/** Fields of the Stack spec that the operator's 2.x CRD has and its 1.16.0 CRD (the one served here) has not. */
const V2_ONLY = ["serviceAccountName", "workspaceTemplate"];

describe("end to end: render-operator's resources on a real API server with the operator's Stack CRD", function () {
    this.timeout(30 * 60 * 1000);
    let ws: Workspace;
    let cp: ControlPlane;
    let out: string;
    let laptop: string;
    let manager: ChildProcess | undefined;
    const folder = () => {
        const dirs = fs.readdirSync(out);
        assert.deepStrictEqual(dirs.length, 1, `one cluster folder in ${out}: ${dirs.join(", ")}`);
        return path.join(out, dirs[0]);
    };
    const docs = (lab: string) =>
        YAML.parseAllDocuments(fs.readFileSync(path.join(folder(), `${lab}.yaml`), "utf8")).map(
            (d) => d.toJSON() as Record<string, any>,
        );
    const rendered = (lab: string, kind: string, name?: string) => {
        const found = docs(lab).filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
        assert.strictEqual(found.length, 1, `one ${kind} ${name ?? ""} in ${lab}.yaml`);
        return found[0];
    };
    const stackFile = (lab: "op1" | "op2" | "op5", kubeconfig: string, dir = ws.project) =>
        fs.writeFileSync(
            path.join(dir, `Pulumi.${lab}.yaml`),
            [
                "config:",
                "  vpp-server:macvlanMaster: eno8403np1",
                `  vpp-server:vlanId: "30${lab.slice(2)}"`,
                `  vpp-server:ipAddress: 10.3.${lab.slice(2)}.5/24`,
                `  vpp-server:namespace: ${lab}`,
                "  vpp-server:imageCapabilities: [NET_ADMIN, NET_RAW, IPC_LOCK]",
                `  kubernetes:kubeconfig: ${kubeconfig}`,
                "  kubernetes:context: vpp-e2e",
                "",
            ].join("\n"),
        );
    const fleet = (...args: string[]) => ws.fleet(cp.kubeconfig, ...args);
    const account = (lab: string) => `system:serviceaccount:${FLEET_NS}:${lab}`;
    const can = (lab: string, ...args: string[]) => {
        const r = spawnSync(
            "kubectl",
            ["--kubeconfig", cp.kubeconfig, "auth", "can-i", "--as", account(lab), ...args],
            {
                env: ws.env,
                encoding: "utf8",
            },
        );
        if (r.status !== 0 && r.stdout.trim() !== "no")
            throw new Error(`kubectl auth can-i ${args.join(" ")}: ${r.stderr}`);
        return r.stdout.trim();
    };
    /**
     * The workspace pod's kubeconfig as rendered, with one change: the account's token is a real one
     * (kubectl create token) in a file here, not the pod's mounted one.
     */
    const accountKubeconfig = (lab: string) => {
        const text = rendered(lab, "ConfigMap").data.kubeconfig as string;
        assert.ok(text.includes(`tokenFile: ${TOKEN_FILE}`), text);
        const token = path.join(ws.dir, `${lab}.token`);
        fs.writeFileSync(token, cp.kubectl("create", "token", lab, "-n", FLEET_NS, "--duration=1h").trim());
        const file = path.join(ws.dir, `${lab}.kubeconfig`);
        fs.writeFileSync(file, text.replace(TOKEN_FILE, token));
        return file;
    };
    /** The Stack's inline settings, as the operator sets them in the workspace (the kubeconfig is the one above). */
    const asTheOperatorWould = (lab: string, kubeconfig: string) => {
        const config = rendered(lab, "Stack").spec.config as Record<string, string>;
        assert.strictEqual(config["kubernetes:kubeconfig"], KUBECONFIG_PATH);
        for (const [k, v] of Object.entries(config)) {
            ws.ok(`config ${lab}`, cp.kubeconfig, [
                "config",
                "set",
                "--stack",
                lab,
                k,
                k === "kubernetes:kubeconfig" ? kubeconfig : v,
            ]);
        }
    };

    before(function () {
        const env = toolsEnv(toolsDir());
        const dir = tempDir("vpp-operator-");
        ws = new Workspace(dir, env);
        cp = new ControlPlane(path.join(dir, "cluster"), env);
        cp.start();
        out = path.join(dir, "rendered");
        // op1 deploys from a laptop first, with a kubeconfig that will be gone when the operator runs it.
        laptop = path.join(dir, "laptop.kubeconfig");
        fs.copyFileSync(cp.kubeconfig, laptop);
        stackFile("op1", laptop);
        stackFile("op2", cp.kubeconfig);
        // op5 is run by the operator itself (the last test).
        stackFile("op5", cp.kubeconfig);
        ws.ok("stack init op1", cp.kubeconfig, ["stack", "init", "op1"]);
        const up = ws.up("op1", cp.kubeconfig);
        assert.strictEqual(up.status, 0, `${up.stdout}\n${up.stderr}`);
        cp.kubectl("apply", "--server-side", "-f", stackCrd(), "-f", programCrd());
        cp.kubectl("apply", "--server-side", "-f", podMonitorCrd());
        cp.kubectl(
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            "crd/stacks.pulumi.com",
            "crd/programs.pulumi.com",
            "crd/podmonitors.monitoring.coreos.com",
        );
    });
    after(async function () {
        if (manager && manager.exitCode === null && manager.signalCode === null) {
            manager.kill("SIGKILL");
            await new Promise((r) => manager!.once("exit", r));
        }
        if (cp) cp.stop();
    });

    it("renders one folder for the cluster: its namespace, and per lab a file of its objects and its Stack", () => {
        const r = fleet(
            "render-operator",
            "--all",
            "--out",
            out,
            "--repo",
            "https://git.example.com/lab/vpp-server.git",
            "--commit",
            COMMIT,
            "--backend",
            "s3://vpp-server-state",
            "--workspace-image",
            "registry.example.com/lab/vpp-server-workspace:0.1.0",
        );
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, /^fleet: 3 lab\(s\) on 1 cluster\(s\), commit 0123456789abcdef/m);
        assert.deepStrictEqual(fs.readdirSync(folder()).sort(), [
            "00-namespace.yaml",
            "op1.yaml",
            "op2.yaml",
            "op5.yaml",
        ]);
        assert.deepStrictEqual(
            docs("op2").map((d) => `${d.kind}/${d.metadata.name}`),
            [
                "Namespace/op2",
                "ServiceAccount/op2",
                "ConfigMap/op2-kubeconfig",
                `Role/vpp-server-fleet:${FLEET_NS}:op2`,
                `RoleBinding/vpp-server-fleet:${FLEET_NS}:op2`,
                `ClusterRole/vpp-server-fleet:${FLEET_NS}:op2`,
                `ClusterRoleBinding/vpp-server-fleet:${FLEET_NS}:op2`,
                `ClusterRoleBinding/vpp-server-fleet:${FLEET_NS}:op2:auth-delegator`,
                "Stack/op2",
            ],
        );
        // op1 deployed: its RBAC names the instance its outputs hold; op2's is the one it will take.
        const sccRule = (lab: string) =>
            rendered(lab, "ClusterRole").rules.find(
                (x: any) => x.resources[0] === "securitycontextconstraints" && x.resourceNames,
            ).resourceNames;
        assert.deepStrictEqual(sccRule("op1"), [
            cp.get("securitycontextconstraints", instanceName("op1", "op1")).metadata.name,
        ]);
        assert.deepStrictEqual(sccRule("op2"), [instanceName("op2", "op2")]);
    });

    it("the server accepts every object: strict dry-run, then created; the Stack reads back field by field", () => {
        cp.kubectl("apply", "--server-side", "-f", path.join(folder(), "00-namespace.yaml"));
        for (const lab of ["op1", "op2", "op5"]) {
            // The lab's namespace first: a dry run of the objects in it needs it to exist.
            for (const group of [
                ["Namespace"],
                ["ServiceAccount", "ConfigMap", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
            ]) {
                const file = path.join(ws.dir, `${lab}-${group[0]}.yaml`);
                fs.writeFileSync(
                    file,
                    docs(lab)
                        .filter((d) => group.includes(d.kind))
                        .map((d) => YAML.stringify(d))
                        .join("---\n"),
                );
                cp.kubectl("apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", file);
                cp.kubectl("apply", "--server-side", "--validate=strict", "-f", file);
            }
            // The Stack, against the CRD of PULUMI_OPERATOR, without the fields only 2.x has.
            const stack = structuredClone(rendered(lab, "Stack"));
            assert.ok(stack.metadata.name.length <= STACK_NAME_LIMIT, stack.metadata.name);
            for (const f of V2_ONLY) {
                assert.ok(f in stack.spec, `${lab}'s Stack has ${f}`);
                delete stack.spec[f];
            }
            const stackYaml = path.join(ws.dir, `${lab}-stack.yaml`);
            fs.writeFileSync(stackYaml, YAML.stringify(stack));
            cp.kubectl("create", "--dry-run=server", "--validate=strict", "-f", stackYaml);
            cp.kubectl("create", "--validate=strict", "-f", stackYaml);
            const live = cp.get("stacks.pulumi.com", lab, FLEET_NS);
            for (const [k, v] of Object.entries(stack.spec)) {
                assert.deepStrictEqual(live.spec[k], v, `${lab}'s Stack spec.${k} as read back (${PULUMI_OPERATOR})`);
            }
            assert.deepStrictEqual(Object.keys(live.spec).sort(), Object.keys(stack.spec).sort());
        }
        const op2 = rendered("op2", "Stack").spec;
        assert.strictEqual(op2.commit, COMMIT);
        assert.strictEqual(op2.refresh, true);
        assert.strictEqual(op2.destroyOnFinalize, false);
        assert.strictEqual(op2.resyncFrequencySeconds, 600);
        assert.strictEqual(op2.continueResyncOnCommitMatch, true);
        assert.deepStrictEqual(op2.envRefs, {
            PULUMI_CONFIG_PASSPHRASE: { type: "Secret", secret: { name: FLEET_NS, key: "PULUMI_CONFIG_PASSPHRASE" } },
        });
        // A list stays in the repository's stack file (a string would fail Pulumi.yaml's type check).
        assert.deepStrictEqual(op2.config, {
            "kubernetes:context": "vpp-e2e",
            "kubernetes:kubeconfig": KUBECONFIG_PATH,
            "vpp-server:ipAddress": "10.3.2.5/24",
            "vpp-server:macvlanMaster": "eno8403np1",
            "vpp-server:namespace": "op2",
            "vpp-server:vlanId": "302",
        });
    });

    it("the workspace pod, the operator's with the rendered template merged, is a valid pod of the lab's account", () => {
        const t = rendered("op2", "Stack").spec.workspaceTemplate.spec;
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "op2-workspace-0", namespace: FLEET_NS },
            spec: {
                ...t.podTemplate.spec,
                serviceAccountName: "op2",
                initContainers: t.podTemplate.spec.initContainers.map((c: any) => ({
                    ...c,
                    image: "pulumi/pulumi-kubernetes-operator:v2.3.0",
                    command: ["sh", "-c", "true"],
                    volumeMounts: [{ name: "share", mountPath: "/share" }],
                })),
                containers: t.podTemplate.spec.containers.map((c: any) => ({
                    ...c,
                    image: t.image,
                    volumeMounts: [...c.volumeMounts, { name: "share", mountPath: "/share" }],
                })),
                volumes: [...t.podTemplate.spec.volumes, { name: "share", emptyDir: {} }],
            },
        };
        const file = path.join(ws.dir, "op2-workspace-pod.yaml");
        fs.writeFileSync(file, YAML.stringify(pod));
        cp.kubectl("create", "--dry-run=server", "--validate=strict", "-f", file);
        assert.strictEqual(t.securityProfile, "baseline");
        assert.strictEqual(
            t.podTemplate.spec.securityContext.runAsUser,
            undefined,
            "no uid pinned: OpenShift assigns it",
        );
    });

    it("kubectl auth can-i: each account may do what its lab needs, in its lab, and nothing else", () => {
        const i1 = instanceName("op1", "op1");
        const i2 = instanceName("op2", "op2");
        const yes: string[][] = [
            ["create", "deployments.apps", "-n", "op2"],
            ["delete", "deployments.apps/vpp-server", "-n", "op2"],
            ["create", "configmaps", "-n", "op2"],
            ["patch", "network-attachment-definitions.k8s.cni.cncf.io/macvlan0", "-n", "op2"],
            ["create", "rolebindings.rbac.authorization.k8s.io", "-n", "op2"],
            ["create", "podmonitors.monitoring.coreos.com", "-n", "op2"],
            ["watch", "pods", "-n", "op2"],
            ["create", "securitycontextconstraints.security.openshift.io"],
            ["use", `securitycontextconstraints.security.openshift.io/${i2}`],
            ["delete", `securitycontextconstraints.security.openshift.io/${i2}`],
            ["create", "clusterroles.rbac.authorization.k8s.io"],
            ["watch", "clusterroles.rbac.authorization.k8s.io"],
            ["list", "securitycontextconstraints.security.openshift.io"],
            ["patch", `clusterroles.rbac.authorization.k8s.io/${sccClusterRoleName(i2)}`],
            ["get", "namespaces/op2"],
            ["create", "tokenreviews.authentication.k8s.io"],
        ];
        const no: string[][] = [
            ["create", "deployments.apps", "-n", "op1"],
            ["create", "deployments.apps", "-n", "default"],
            ["get", "secrets", "-n", "op2"],
            ["get", "secrets", "-n", FLEET_NS],
            ["create", "pods", "-n", "op2"],
            ["create", "pods/exec", "-n", "op2"],
            ["delete", `securitycontextconstraints.security.openshift.io/${i1}`],
            ["use", `securitycontextconstraints.security.openshift.io/${i1}`],
            ["use", "securitycontextconstraints.security.openshift.io/privileged"],
            ["patch", "securitycontextconstraints.security.openshift.io/restricted-v2"],
            ["patch", `clusterroles.rbac.authorization.k8s.io/${sccClusterRoleName(i1)}`],
            ["patch", "clusterroles.rbac.authorization.k8s.io/cluster-admin"],
            ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
            ["delete", "namespaces/op2"],
            ["list", "namespaces"],
            ["get", "namespaces/op1"],
            ["get", "stacks.pulumi.com", "-n", FLEET_NS],
        ];
        const wrong = [
            ...yes.filter((a) => can("op2", ...a) !== "yes").map((a) => `op2 may not ${a.join(" ")}, and needs to`),
            ...no.filter((a) => can("op2", ...a) !== "no").map((a) => `op2 may ${a.join(" ")}, and must not`),
        ];
        assert.deepStrictEqual(wrong, []);
    });

    it("op2's stack runs as its account, with the workspace's kubeconfig: up creates the lab, destroy removes it and keeps the namespace", () => {
        const kc = accountKubeconfig("op2");
        ws.ok("stack init op2", cp.kubeconfig, ["stack", "init", "op2"]);
        asTheOperatorWould("op2", kc);
        const up = ws.up("op2", kc);
        assert.strictEqual(up.status, 0, `up as the account:\n${up.stdout}\n${up.stderr}`);
        assert.match(up.stdout, /namespace op2 exists and no stack made it: this stack uses it and never deletes it/);
        assert.ok(cp.get("deployment", "vpp-server", "op2"), "op2's Deployment");
        assert.ok(cp.get("securitycontextconstraints", instanceName("op2", "op2")), "op2's SCC");
        ws.destroy("op2", kc);
        assert.deepStrictEqual(cp.objectsOf(instanceName("op2", "op2")), []);
        assert.ok(cp.get("namespace", "op2"), "the namespace the admin made stays");
    });

    it("op1, deployed from a laptop whose kubeconfig is gone, moves to its account: nothing replaced, up and destroy as the account", () => {
        const before = cp.versionsOf(instanceName("op1", "op1"));
        fs.rmSync(laptop);
        const kc = accountKubeconfig("op1");
        asTheOperatorWould("op1", kc);
        const preview = ws.ok("preview op1", kc, ["preview", "--stack", "op1", "--diff"]);
        assert.doesNotMatch(preview.stdout, /\breplace\b|to replace|to delete/, preview.stdout);
        const up = ws.up("op1", kc);
        assert.strictEqual(up.status, 0, `up as the account:\n${up.stdout}\n${up.stderr}`);
        assert.doesNotMatch(up.stdout, /replaced|deleted/, up.stdout);
        const after = cp.versionsOf(instanceName("op1", "op1"));
        assert.deepStrictEqual(
            after.map((v) => v.split("@")[0]),
            before.map((v) => v.split("@")[0]),
            "the same objects, none made anew",
        );
        const destroy = ws.destroy("op1", kc);
        // The namespace op1's stack made holds the account's Role now, and the account may not
        // delete namespaces: it is kept, and the run says why.
        assert.match(`${destroy.stdout}${destroy.stderr}`, /namespace op1 is kept: /);
        assert.deepStrictEqual(cp.objectsOf(instanceName("op1", "op1")), ["namespace/op1"]);
    });

    it("fleet status --operator: each lab's Stack as the operator reports it, read from the lab's cluster", () => {
        // The operator does not run here: its status is written as it writes it (the status subresource).
        const condition = (type: string, status: string, reason: string, message = "") => ({
            type,
            status,
            reason,
            message,
            lastTransitionTime: "2026-12-07T00:00:00Z",
        });
        const setStatus = (lab: string, status: object) =>
            cp.kubectl(
                "patch",
                "stacks.pulumi.com",
                lab,
                "-n",
                FLEET_NS,
                "--subresource=status",
                "--type=merge",
                "-p",
                JSON.stringify({ status }),
            );
        setStatus("op1", {
            conditions: [condition("Ready", "True", "ProcessingCompleted")],
            lastUpdate: { state: "succeeded", lastSuccessfulCommit: COMMIT, lastAttemptedCommit: COMMIT },
        });
        setStatus("op2", {
            conditions: [
                condition("Ready", "False", "NotReadyStalled"),
                condition("Stalled", "True", "UpdateFailed", "update failed"),
            ],
        });
        // A person's stack files name their own kubeconfig (the ones above, the account's, may not
        // read Stacks: the status says so).
        for (const lab of ["op1", "op2"]) {
            ws.ok(`config ${lab}`, cp.kubeconfig, [
                "config",
                "set",
                "--stack",
                lab,
                "kubernetes:kubeconfig",
                cp.kubeconfig,
            ]);
        }
        const r = fleet("status", "--stacks", "op1,op2", "--operator", FLEET_NS, "--format", "json");
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        const rows = JSON.parse(r.stdout) as { stack: string; operator: string }[];
        assert.deepStrictEqual(
            rows.map((x) => [x.stack, x.operator]),
            [
                ["op1", "Ready; last update succeeded at 0123456789ab"],
                ["op2", "Stalled: UpdateFailed: update failed"],
            ],
        );
        const table = fleet("status", "--stacks", "op1", "--operator", FLEET_NS);
        assert.match(table.stdout.split("\n")[0], /^lab\s+cluster\s+operation\s+result\s+operator\s+created/);
    });

    it("the workspace image's install: a fresh clone installs offline from the npm cache `npm ci` filled, and its program previews a lab", () => {
        // Containerfile.workspace's two steps, here: npm ci fills the cache; the workspace's install
        // then reads only it (npm_config_offline, as the image sets it).
        const recipe = fs.readFileSync(path.join(ROOT, "Containerfile.workspace"), "utf8");
        assert.match(recipe, /^ && npm ci \\$/m, "the image fills its cache with npm ci");
        assert.match(recipe, /^ENV npm_config_offline=true$/m, "the image's installs are offline");
        const cache = path.join(ws.dir, "npm-cache");
        const npm = (cwd: string, args: string[], env: Record<string, string>) => {
            const r = spawnSync("npm", args, {
                cwd,
                env: {
                    ...ws.env,
                    npm_config_cache: cache,
                    npm_config_audit: "false",
                    npm_config_fund: "false",
                    ...env,
                },
                encoding: "utf8",
                timeout: 15 * 60 * 1000,
            });
            assert.strictEqual(r.status, 0, `npm ${args.join(" ")} in ${cwd}:\n${r.stdout}\n${r.stderr}`);
        };
        const clone = (name: string) => {
            const dir = path.join(ws.dir, name);
            const r = spawnSync("git", ["clone", "--quiet", ROOT, dir], { encoding: "utf8" });
            assert.strictEqual(r.status, 0, r.stderr);
            return dir;
        };
        npm(clone("image-build"), ["ci"], {});
        const workspace = clone("workspace");
        npm(workspace, ["install"], { npm_config_offline: "true" });
        assert.ok(fs.existsSync(path.join(workspace, "bin", "index.js")), "npm install compiled the program (prepare)");
        fs.writeFileSync(
            path.join(workspace, "Pulumi.op3.yaml"),
            [
                "config:",
                "  vpp-server:macvlanMaster: eno8403np1",
                '  vpp-server:vlanId: "303"',
                "  vpp-server:ipAddress: 10.3.3.5/24",
                "  vpp-server:namespace: op3",
                `  kubernetes:kubeconfig: ${cp.kubeconfig}`,
                "",
            ].join("\n"),
        );
        ws.ok("stack init op3", cp.kubeconfig, ["stack", "init", "op3"], workspace);
        const preview = ws.ok("preview op3", cp.kubeconfig, ["preview", "--stack", "op3"], workspace);
        assert.match(preview.stdout, /\+ +kubernetes:apps\/v1:Deployment +vpp-server-server-deployment +create/);
    });

    it("the operator itself (v1.16.0, beside the API server) reconciles op5's rendered Stack: Ready, the lab deployed as its account with the repository's settings", async function () {
        // The lab's change, merged: its stack file committed to the program's repository (a bare
        // clone of this one). The Stack then names that commit, as render-operator would.
        const bare = path.join(ws.dir, "repo.git");
        const work = path.join(ws.dir, "repo-work");
        const git = (cwd: string, ...args: string[]) =>
            execFileSync("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@example.com", ...args], {
                cwd,
                encoding: "utf8",
            }).trim();
        git(ws.dir, "clone", "--quiet", "--bare", ROOT, bare);
        git(ws.dir, "clone", "--quiet", bare, work);
        stackFile("op5", cp.kubeconfig, work);
        git(work, "add", "Pulumi.op5.yaml");
        git(work, "commit", "--quiet", "-m", "lab op5");
        git(work, "push", "--quiet", "origin", "HEAD");
        const commit = git(work, "rev-parse", "HEAD");
        // The rendered Stack, applied anew with this commit, this repository and this backend; the
        // pod's kubeconfig path stands for the mounted ConfigMap (with a real token of the account).
        const kc = accountKubeconfig("op5");
        cp.kubectl(
            "patch",
            "stacks.pulumi.com",
            "op5",
            "-n",
            FLEET_NS,
            "--type=merge",
            "-p",
            JSON.stringify({
                spec: {
                    projectRepo: `file://${bare}`,
                    commit,
                    backend: `file://${ws.state}`,
                    config: { "kubernetes:kubeconfig": kc },
                },
            }),
        );
        cp.kubectl(
            "create",
            "secret",
            "generic",
            FLEET_NS,
            "-n",
            FLEET_NS,
            "--from-literal=PULUMI_CONFIG_PASSPHRASE=e2e",
        );
        const bin = execFileSync("bash", [path.join(ROOT, "scripts", "tools", "pulumi-operator.sh")], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "inherit"],
        }).trim();
        // The operator gives each stack a PULUMI_HOME of its own, so the plugins come from PATH (the
        // tool cache's provider binaries), as ambient plugins.
        const env: NodeJS.ProcessEnv = { ...ws.env, KUBECONFIG: cp.kubeconfig, WATCH_NAMESPACE: FLEET_NS };
        delete env.PULUMI_IGNORE_AMBIENT_PLUGINS;
        const log = path.join(ws.dir, "operator.log");
        const out = fs.openSync(log, "w");
        manager = spawn(bin, [], { env, stdio: ["ignore", out, out] });
        let live: any;
        for (const t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 3000))) {
            live = cp.get("stacks.pulumi.com", "op5", FLEET_NS);
            const ready = live.status?.conditions?.find((c: any) => c.type === "Ready")?.status === "True";
            if (ready && live.status?.lastUpdate?.state === "succeeded") break;
            if (
                live.status?.lastUpdate?.state === "failed" ||
                manager.exitCode !== null ||
                manager.signalCode !== null ||
                Date.now() - t0 > 10 * 60 * 1000
            ) {
                assert.fail(
                    `op5's Stack did not become Ready: ${JSON.stringify(live.status, null, 1)}\n--- operator log (tail)\n${fs.readFileSync(log, "utf8").slice(-4000)}`,
                );
            }
        }
        assert.strictEqual(live.status.lastUpdate.lastSuccessfulCommit, commit);
        assert.ok(cp.get("deployment", "vpp-server", "op5"), "op5's Deployment");
        // imageCapabilities, a list, came from the repository's stack file, not from the Stack.
        assert.deepStrictEqual(cp.get("securitycontextconstraints", instanceName("op5", "op5")).allowedCapabilities, [
            "NET_ADMIN",
            "NET_RAW",
            "IPC_LOCK",
        ]);
        const r = fleet("status", "--stacks", "op5", "--operator", FLEET_NS, "--format", "json");
        assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
        const [row] = JSON.parse(r.stdout) as { result: string; operator: string }[];
        assert.strictEqual(row.operator, `Ready; last update succeeded at ${commit.slice(0, 12)}`);
        assert.match(row.result, /^update succeeded /);
        // A person takes the lab down: the operator stopped first, then destroy.
        manager.kill("SIGKILL");
        await new Promise((r) => manager!.once("exit", r));
        ws.destroy("op5", cp.kubeconfig);
        assert.deepStrictEqual(cp.objectsOf(instanceName("op5", "op5")), []);
    });
});
