/**
 * End to end: the real Pulumi CLI and kubernetes provider (with the stand-in language host,
 * cross-checked against Pulumi's own, and the stand-in random provider) against a real
 * kube-apiserver + etcd (+ controller-manager, scheduler and kwok as a fake kubelet) on
 * 127.0.0.1, with OpenShift's SCC CRD and Multus' NAD CRD installed.
 *
 * Each step asserts what it says; the wall time of every Pulumi command is printed as a table
 * at the end and written to $E2E_TIMINGS (default: <workdir>/timings.json) for the benchmark.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ControlPlane, podMonitorCrd, ROOT, tempDir, toolsDir, toolsEnv, Workspace } from "./harness";
import { configMapData, readScripts, sccSpec } from "../../components";
import { livenessCommand, renderNadConfig } from "../../components/vppConfig";
import { allowMonitoringPolicySpec, podMonitorSpec } from "../../components/metrics";
import { LAB_CONFIG } from "../fixtures/lab";
import { instanceName } from "../../components/names";

const STACK = "e2e";
const NS = "vpp-e2e";
const RENDER_NS = "vpp-render";
/** The e2e stack's instance: its mark, and its SCC's name (in vpp-e2e, not the default namespace). */
const INSTANCE = instanceName("e2e", NS);
const E2E_CONFIG: Record<string, string> = { ...LAB_CONFIG, namespace: NS };
/** The render stack's image: a tag and a digest, as a lab pins it (never pulled). */
const PINNED_IMAGE = `quay.io/akaris/vpp-server:24.10-1@sha256:${"5".repeat(64)}`;
const PROGRAM_KINDS = [
    "Namespace",
    "NetworkAttachmentDefinition",
    "SecurityContextConstraints",
    "ServiceAccount",
    "ClusterRole",
    "RoleBinding",
    "NetworkPolicy",
    "ConfigMap",
    "Deployment",
    "RandomId",
];

/** The named fields of an object. */
const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));

/** The resource type of a step's URN: the last type in its parent chain. */
const urnType = (urn: string) => urn.split("::")[2].split("$").pop() as string;
const urnKind = (urn: string) => urnType(urn).split(":").pop() as string;

interface Step {
    op: string;
    urn: string;
}

/** The YAML files a render stack wrote under `dir`. */
function renderedManifests(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => path.join(dir, f));
}

/** One kube-score finding. kube-score's grades: 1 CRITICAL, 5 WARNING, 7 almost OK, 10 OK. */
interface ScoreCheck {
    object: string;
    id: string;
    grade: number;
    skipped: boolean;
}

/**
 * kube-score v1.20.0 (built by scripts/tools/kube-score.sh) on `files`, every check. No CPU limit on
 * shared CPUs: a limit throttles VPP's threads (README: Dedicated cores).
 */
function kubeScore(files: readonly string[], ...extra: string[]): ScoreCheck[] {
    const bin = execFileSync("bash", [path.join(ROOT, "scripts", "tools", "kube-score.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    }).trim();
    const r = spawnSync(bin, ["score", "--output-format", "json", "--ignore-container-cpu-limit", ...extra, ...files], {
        encoding: "utf8",
    });
    assert.ok(r.stdout.startsWith("["), `kube-score failed (exit ${r.status}): ${r.stderr}`);
    return (JSON.parse(r.stdout) as any[]).flatMap((o) =>
        (o.checks as any[]).map((c) => ({
            object: o.object_name as string,
            id: c.check.id as string,
            grade: c.grade as number,
            skipped: c.skipped as boolean,
        })),
    );
}
function previewSteps(json: string): Step[] {
    const parsed = JSON.parse(json);
    return (parsed.steps ?? []) as Step[];
}

describe("end to end: pulumi against a local Kubernetes API server", function () {
    this.timeout(30 * 60 * 1000);
    let ws: Workspace;
    let cp: ControlPlane;
    let kc: string;
    /** The manifests the render stack writes (step 4), scored in step 4b. */
    let rendered: string[] = [];

    const setConfig = (stack: string, config: Record<string, string>) => ws.configure(stack, kc, config);
    /** Objects of a stack's instance label, of the kinds this program creates, across namespaces. */
    const objectsOf = (instance: string): string[] => cp.objectsOf(instance);

    before(function () {
        const tools = toolsDir();
        const env = toolsEnv(tools);
        const dir = tempDir("vpp-e2e-");
        ws = new Workspace(dir, env);
        cp = new ControlPlane(path.join(dir, "cluster"), env);
        cp.start();
        kc = cp.kubeconfig;
        ws.ok("stack init", kc, ["stack", "init", STACK]);
        setConfig(STACK, E2E_CONFIG);
    });

    after(function () {
        if (cp) cp.stop();
        if (ws) {
            console.log(`\n${ws.table()}\n`);
            const out = process.env.E2E_TIMINGS ?? path.join(ws.dir, "timings.json");
            fs.writeFileSync(out, JSON.stringify(ws.timings, null, 2));
            console.log(`timings written to ${out}`);
        }
    });

    it("1. pulumi preview plans every resource, with no error", () => {
        const r = ws.ok("preview", kc, ["preview", "--stack", STACK, "--json"]);
        const steps = previewSteps(r.stdout);
        const creates = steps.filter((s) => s.op === "create").map((s) => urnKind(s.urn));
        for (const kind of PROGRAM_KINDS) {
            assert.ok(creates.includes(kind), `preview does not create a ${kind}; creates: ${creates.join(", ")}`);
        }
        assert.doesNotMatch(r.stderr, /error:/);
    });

    it("2. pulumi up creates them as rendered; the Deployment becomes Available", () => {
        ws.ok("up (create)", kc, ["up", "--stack", STACK, "--yes", "--skip-preview"]);
        const outputs = JSON.parse(ws.ok("stack output", kc, ["stack", "output", "--stack", STACK, "--json"]).stdout);
        assert.match(outputs.macAddress, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/, "a locally administered unicast MAC");
        assert.strictEqual(outputs.sccName, "vpp-server-e2e.vpp-e2e");
        assert.strictEqual(outputs.sccName, INSTANCE);
        assert.strictEqual(outputs.url, "http://192.168.123.150/index.html");

        const scc = cp.get("securitycontextconstraints", INSTANCE);
        const expected = sccSpec({
            name: INSTANCE,
            capabilities: ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_BROADCAST"],
            uid: 10000,
        });
        for (const [k, v] of Object.entries(expected)) {
            if (k !== "metadata") assert.deepStrictEqual(scc[k], v, `SCC field ${k}`);
        }

        const nad = cp.get("network-attachment-definitions.k8s.cni.cncf.io", "macvlan0", NS);
        assert.strictEqual(
            nad.spec.config,
            renderNadConfig({
                name: "macvlan0",
                master: "eno8403np1",
                mode: "bridge",
                macCapability: true,
                disableIpv6: true,
            }),
        );

        const rb = cp.get("rolebinding", "vpp-server-scc", NS);
        assert.deepStrictEqual(rb.subjects, [{ kind: "ServiceAccount", name: "vpp-server", namespace: NS }]);
        assert.deepStrictEqual(rb.roleRef, {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: `system:openshift:scc:${INSTANCE}`,
        });

        const cm = cp.get("configmap", "vpp-server-config", NS);
        const settings = {
            afPacketVersion: 2 as const,
            vlanId: 123,
            ipCidr: "192.168.123.150/24",
            httpCacheSize: "512m",
            pollSleepUsec: 0,
            adaptiveSessionQueue: true,
            rxMode: "interrupt" as const,
            metrics: "none" as const,
            gratuitousArp: true,
            indexHtml: "Welcome\n",
        };
        assert.deepStrictEqual(cm.data, configMapData(settings, outputs.macAddress, readScripts()));

        const dep = cp.get("deployment", "vpp-server", NS);
        assert.strictEqual(dep.spec.replicas, 1);
        assert.strictEqual(dep.spec.strategy.type, "Recreate");
        const pod = dep.spec.template.spec;
        assert.strictEqual(pod.serviceAccountName, "vpp-server");
        assert.deepStrictEqual(pod.containers[0].securityContext.capabilities, {
            drop: ["ALL"],
            add: ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_BROADCAST"],
        });
        assert.deepStrictEqual(pod.containers[0].command, ["vpp", "-c", "/conf/vpp.conf"]);
        // The API server keeps what certsuite and kube-score read: probes, read-only roots, pull policy.
        const vpp = pod.containers[0];
        assert.deepStrictEqual(
            [vpp.startupProbe.periodSeconds, vpp.readinessProbe.periodSeconds, vpp.livenessProbe.periodSeconds],
            [1, 10, 10],
        );
        assert.deepStrictEqual(vpp.livenessProbe.exec.command, livenessCommand());
        for (const c of [...pod.initContainers, vpp]) {
            assert.strictEqual(c.securityContext.readOnlyRootFilesystem, true, c.name);
            assert.strictEqual(c.imagePullPolicy, "IfNotPresent", c.name);
            assert.strictEqual(c.terminationMessagePolicy, "FallbackToLogsOnError", c.name);
        }
        const netpol = cp.get("networkpolicy", "vpp-server-deny-cluster-network", NS);
        assert.deepStrictEqual(netpol.spec, {
            podSelector: {
                matchLabels: { "app.kubernetes.io/name": "vpp-server", "app.kubernetes.io/instance": INSTANCE },
            },
            policyTypes: ["Ingress", "Egress"],
        });
        // VPP reads no environment; the init container's CPU planner reads the workers and the sleep.
        assert.strictEqual(pod.containers[0].env, undefined);
        assert.deepStrictEqual(
            pod.initContainers[0].env.filter((e: { name: string }) => e.name.startsWith("VPP_")),
            [
                { name: "VPP_WORKERS", value: "1" },
                { name: "VPP_MAIN_SLEEP_USEC", value: "10000" },
            ],
        );
        assert.deepStrictEqual(JSON.parse(dep.spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"]), [
            { name: "macvlan0", namespace: NS, interface: "macvlan0", mac: outputs.macAddress },
        ]);
        const available = (dep.status.conditions ?? []).find((c: { type: string }) => c.type === "Available");
        assert.strictEqual(
            available?.status,
            "True",
            `Deployment conditions: ${JSON.stringify(dep.status.conditions)}`,
        );
        assert.strictEqual(dep.status.readyReplicas, 1);
    });

    it("policy pack: pulumi preview --policy-pack policy passes on the lab stack", () => {
        const r = ws.ok("preview (policy)", kc, [
            "preview",
            "--stack",
            STACK,
            "--policy-pack",
            path.join(ws.project, "policy"),
        ]);
        assert.match(r.stdout, /vpp-server-least-privilege/);
    });

    it("policy pack: a violating variant fails preview with the rules it breaks", () => {
        const fixture = path.join(ws.dir, "violating");
        fs.cpSync(path.join(ROOT, "test", "e2e", "fixtures", "violating"), fixture, { recursive: true });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(fixture, "node_modules"));
        ws.ok("stack init (violating)", kc, ["stack", "init", "violating"], fixture);
        const r = ws.pulumi(
            "preview (policy, violating)",
            kc,
            ["preview", "--stack", "violating", "--policy-pack", path.join(ws.project, "policy")],
            fixture,
        );
        assert.notStrictEqual(r.status, 0, "preview of the violating program must fail");
        const out = r.stdout + r.stderr;
        assert.match(out, /mandatory/, `the failure must come from the policy pack:\n${out}`);
        for (const rule of ["no-privileged", "no-cluster-role-binding", "single-replica-recreate", "no-host-access"]) {
            assert.match(out, new RegExp(`\\b${rule}\\b`), `violation of ${rule} not reported`);
        }
        assert.strictEqual(
            cp.get("clusterrolebinding", "violating-grant-all"),
            undefined,
            "preview must create nothing",
        );
    });

    it("3. a vlanId change updates only what depends on it; the pod template changes", () => {
        const before = cp.get("deployment", "vpp-server", NS).spec.template.metadata.annotations[
            "vpp-server/config-sha256"
        ];
        ws.ok("config vlanId", kc, ["config", "set", "--stack", STACK, "vlanId", "124"]);
        const r = ws.ok("preview --diff (vlanId)", kc, ["preview", "--stack", STACK, "--diff", "--json"]);
        const steps = previewSteps(r.stdout);
        const opOf = (kind: string) => steps.filter((s) => urnKind(s.urn) === kind).map((s) => s.op);
        for (const kind of [
            "NetworkAttachmentDefinition",
            "SecurityContextConstraints",
            "ClusterRole",
            "RoleBinding",
            "ServiceAccount",
            "Namespace",
            "RandomId",
        ]) {
            assert.deepStrictEqual(
                opOf(kind).filter((op) => op !== "same"),
                [],
                `${kind} must not change`,
            );
        }
        assert.deepStrictEqual(opOf("ConfigMap"), ["update"]);
        assert.deepStrictEqual(opOf("Deployment"), ["update"]);
        assert.ok(
            !steps.some((s) => /replace|delete/.test(s.op)),
            `no replacement or deletion: ${JSON.stringify(steps.map((s) => [s.op, urnKind(s.urn)]))}`,
        );

        const changed = ws.ok("up (vlanId)", kc, ["up", "--stack", STACK, "--yes", "--skip-preview"]);
        // A changed setting is no hand edit: nothing "was changed on the cluster" (3b: a real one is).
        for (const run of [r, changed]) {
            assert.doesNotMatch(run.stdout + run.stderr, /was changed on the cluster/);
        }
        const dep = cp.get("deployment", "vpp-server", NS);
        assert.notStrictEqual(
            dep.spec.template.metadata.annotations["vpp-server/config-sha256"],
            before,
            "the pod template must change",
        );
        assert.match(
            cp.get("configmap", "vpp-server-config", NS).data["startup.conf"],
            /^create sub-interfaces host-macvlan0 124$/m,
        );
        assert.match(dep.spec.template.spec.containers[0].readinessProbe.exec.command[2], /L3 192.168.123.150\/24/);
    });

    it("3b. hand edits are shown by preview --refresh --diff and undone by up --refresh; no perpetual diff", () => {
        // A clean stack: refresh, then nothing to do (what OpenShift or the API server add is theirs).
        ws.ok("refresh (clean)", kc, ["refresh", "--stack", STACK, "--yes", "--skip-preview"]);
        ws.ok("preview --expect-no-changes (clean)", kc, ["preview", "--stack", STACK, "--expect-no-changes"]);

        const SCC = INSTANCE;
        const ROLE = `system:openshift:scc:${SCC}`;
        const snapshot = () => ({
            replicas: cp.get("deployment", "vpp-server", NS).spec.replicas,
            scc: pick(cp.get("securitycontextconstraints", SCC), ["allowedCapabilities", "users", "groups", "volumes"]),
            nad: cp.get("network-attachment-definitions.k8s.cni.cncf.io", "macvlan0", NS).spec.config,
            configMap: cp.get("configmap", "vpp-server-config", NS).data,
            roleBinding: pick(cp.get("rolebinding", "vpp-server-scc", NS) ?? {}, ["roleRef", "subjects"]),
            managedBy: cp.get("namespace", NS).metadata.labels["app.kubernetes.io/managed-by"],
            automount: cp.get("serviceaccount", "vpp-server", NS).automountServiceAccountToken,
            rules: cp.get("clusterrole", ROLE).rules,
        });
        const declared = snapshot();
        assert.strictEqual(declared.replicas, 1);
        assert.strictEqual(declared.managedBy, "pulumi");

        // The careless operator, with kubectl.
        const patch = (kind: string, name: string, type: string, body: unknown, ns?: string) =>
            cp.kubectl("patch", kind, name, ...(ns ? ["-n", ns] : []), "--type", type, "-p", JSON.stringify(body));
        cp.kubectl("scale", "deployment", "vpp-server", "-n", NS, "--replicas=2");
        patch("securitycontextconstraints", SCC, "json", [
            { op: "add", path: "/allowedCapabilities/-", value: "SYS_ADMIN" },
        ]);
        patch("securitycontextconstraints", SCC, "merge", { users: ["system:serviceaccount:default:default"] });
        const otherMaster = declared.nad.replace('"master": "eno8403np1"', '"master": "eth9"');
        assert.notStrictEqual(otherMaster, declared.nad);
        patch(
            "network-attachment-definitions.k8s.cni.cncf.io",
            "macvlan0",
            "merge",
            { spec: { config: otherMaster } },
            NS,
        );
        patch("configmap", "vpp-server-config", "merge", { data: { "startup.conf": "show version\n" } }, NS);
        cp.kubectl("delete", "rolebinding", "vpp-server-scc", "-n", NS);
        cp.kubectl("label", "namespace", NS, "app.kubernetes.io/managed-by=kubectl", "--overwrite");
        // What a controller adds is its own: OpenShift's cluster-policy-controller labels namespaces.
        cp.kubectl(
            "label",
            "namespace",
            NS,
            "pod-security.kubernetes.io/audit=privileged",
            "--field-manager=cluster-policy-controller",
        );
        patch("serviceaccount", "vpp-server", "merge", { automountServiceAccountToken: true }, NS);
        patch("clusterrole", ROLE, "json", [{ op: "add", path: "/rules/0/verbs/-", value: "delete" }]);
        assert.notDeepStrictEqual(snapshot(), declared, "the edits must have landed");

        // A reviewer sees every edit as a change to be made.
        const preview = ws.ok("preview --refresh --diff (edited)", kc, [
            "preview",
            "--stack",
            STACK,
            "--refresh",
            "--diff",
            "--json",
        ]);
        const plan = JSON.parse(preview.stdout);
        const ops = new Map<string, string[]>();
        // The refresh's own steps aside: what the update would do.
        for (const step of ((plan.steps ?? []) as Step[]).filter((st) => st.op !== "refresh")) {
            ops.set(urnKind(step.urn), [...(ops.get(urnKind(step.urn)) ?? []), step.op]);
        }
        for (const kind of [
            "Deployment",
            "SecurityContextConstraints",
            "NetworkAttachmentDefinition",
            "ConfigMap",
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
        ]) {
            assert.deepStrictEqual(ops.get(kind), ["update"], `${kind}: ${JSON.stringify([...ops])}`);
        }
        assert.deepStrictEqual(ops.get("RoleBinding"), ["create"], `RoleBinding: ${JSON.stringify([...ops])}`);
        const warnings = JSON.stringify(plan.diagnostics ?? []);
        assert.match(warnings, /SecurityContextConstraints vpp-server-e2e\.vpp-e2e was changed on the cluster/);
        assert.match(warnings, /SYS_ADMIN/);
        assert.match(warnings, /system:serviceaccount:default:default/);

        // The documented command brings every declared field back, with no manual step.
        ws.ok("up --refresh (edited)", kc, ["up", "--stack", STACK, "--refresh", "--yes", "--skip-preview"]);
        assert.deepStrictEqual(snapshot(), declared, "every declared field is restored");
        assert.strictEqual(
            cp.get("namespace", NS).metadata.labels["pod-security.kubernetes.io/audit"],
            "privileged",
            "a label another controller owns is left alone",
        );

        ws.ok("refresh (restored)", kc, ["refresh", "--stack", STACK, "--yes", "--skip-preview"]);
        ws.ok("preview --expect-no-changes (restored)", kc, ["preview", "--stack", STACK, "--expect-no-changes"]);
    });

    it("4. render: a stack with renderDir writes YAML, touches no cluster, and every file passes a server dry run", () => {
        const render = "e2e-render";
        // Relative, as a user writes it: resolved against the project, not bin/ (Pulumi's cwd).
        const dir = path.join(ws.project, "rendered");
        ws.ok("stack init (render)", kc, ["stack", "init", render]);
        // A lab pins its image by digest (the program warns on :latest, and kube-score marks a latest
        // tag CRITICAL); the render never pulls it.
        setConfig(render, { ...E2E_CONFIG, namespace: RENDER_NS, renderDir: "rendered", image: PINNED_IMAGE });
        const up = ws.ok("up (render)", kc, ["up", "--stack", render, "--yes", "--skip-preview"]);
        assert.match(
            up.stdout,
            new RegExp(`renderedTo\\s*: "${dir}"`),
            "the renderedTo output names the project's directory",
        );
        assert.deepStrictEqual(
            objectsOf(instanceName(render, RENDER_NS)),
            [],
            "rendering must create nothing in the cluster",
        );
        const files = renderedManifests(dir);
        assert.ok(files.length >= 9, `expected the 9 manifests, found ${files.length}: ${files.join(", ")}`);
        rendered = files;
        const kinds = files.map((f) => /^kind: (\S+)$/m.exec(fs.readFileSync(f, "utf8"))?.[1]).sort();
        assert.deepStrictEqual(kinds, [
            "ClusterRole",
            "ConfigMap",
            "Deployment",
            "Namespace",
            "NetworkAttachmentDefinition",
            "NetworkPolicy",
            "RoleBinding",
            "SecurityContextConstraints",
            "ServiceAccount",
        ]);
        const sccText = files
            .map((f) => fs.readFileSync(f, "utf8"))
            .find((t) => /^kind: SecurityContextConstraints$/m.test(t));
        assert.strictEqual(
            /^ {2}name: (\S+)$/m.exec(sccText ?? "")?.[1],
            instanceName(render, RENDER_NS),
            "the rendered SCC is named by the render stack's instance (the name the checks above look for)",
        );
        // A server dry run of a namespaced object needs its namespace to exist: the harness
        // creates it (the program's own Namespace manifest is dry-run like the rest).
        cp.kubectl("create", "namespace", RENDER_NS);
        try {
            for (const f of files) {
                cp.kubectl("apply", "--dry-run=server", "-f", f);
            }
        } finally {
            cp.kubectl("delete", "namespace", RENDER_NS, "--wait=true");
        }
        assert.strictEqual(
            cp.get("securitycontextconstraints", instanceName(render, RENDER_NS)),
            undefined,
            "the dry run must persist nothing",
        );
    });

    it("4b. kube-score v1.20.0 finds nothing CRITICAL in the rendered manifests, ignoring only the pull policy", () => {
        assert.ok(rendered.length > 0, "step 4 must have rendered the manifests");
        const score = (...extra: string[]) => kubeScore(rendered, ...extra);
        const critical = (checks: ScoreCheck[]) =>
            checks.filter((c) => !c.skipped && c.grade === 1).map((c) => `${c.object}: ${c.id}`);
        const DEPLOYMENT = `Deployment/apps/v1/${RENDER_NS}/vpp-server`;

        const checks = score();
        assert.deepStrictEqual(critical(checks), [], "kube-score CRITICAL findings");
        const find = (id: string) => checks.find((c) => c.object === DEPLOYMENT && c.id === id);
        for (const id of [
            "pod-networkpolicy",
            "container-resources",
            "container-ephemeral-storage-request-and-limit",
            "container-security-context-readonlyrootfilesystem",
            "container-security-context-user-group-id",
            "container-image-tag",
        ]) {
            assert.deepStrictEqual(find(id), { object: DEPLOYMENT, id, grade: 10, skipped: false }, id);
        }
        assert.strictEqual(find("container-image-pull-policy")?.skipped, true, "the pull policy check is ignored");

        // The one ignore the Deployment carries hides exactly the pull-policy finding.
        assert.deepStrictEqual(critical(score("--disable-ignore-checks-annotations")), [
            `${DEPLOYMENT}: container-image-pull-policy`,
        ]);
    });

    it("4c. metrics cluster: stopped with the fix where no PodMonitor is served; with the CRD, the exporter, its Service, PodMonitor and NetworkPolicy as declared; kube-score passes; destroy removes them", () => {
        const stack = "e2e-metrics";
        const ns = "vpp-metrics";
        const instance = instanceName(stack, ns);
        const selector = { "app.kubernetes.io/name": "vpp-server", "app.kubernetes.io/instance": instance };
        ws.ok("stack init (metrics)", kc, ["stack", "init", stack]);
        setConfig(stack, { ...E2E_CONFIG, namespace: ns, metrics: "cluster" });

        // No monitoring on this cluster yet: nothing is registered, and the message says what to do.
        const refused = ws.pulumi("preview (metrics, no PodMonitor CRD)", kc, ["preview", "--stack", stack]);
        assert.notStrictEqual(refused.status, 0);
        assert.match(
            refused.stdout + refused.stderr,
            /does not serve what this stack declares; nothing was changed:\s+- PodMonitor \(monitoring\.coreos\.com\/v1\), which vpp-server:metrics "cluster" needs: .*or set vpp-server:metrics to none or vlan/,
        );
        assert.deepStrictEqual(objectsOf(instance), []);

        // The Prometheus operator's own CRD, as the cluster's monitoring installs it.
        cp.kubectl("apply", "--server-side", "-f", podMonitorCrd());
        cp.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/podmonitors.monitoring.coreos.com");
        ws.ok("up (metrics)", kc, ["up", "--stack", stack, "--yes", "--skip-preview"]);

        const dep = cp.get("deployment", "vpp-server", ns);
        assert.deepStrictEqual(
            dep.spec.template.spec.containers.map((c: { name: string }) => c.name),
            ["vpp-server", "vpp-metrics"],
        );
        const metrics = dep.spec.template.spec.containers[1];
        assert.deepStrictEqual(metrics.ports, [{ name: "metrics", containerPort: 9482, protocol: "TCP" }]);
        assert.deepStrictEqual(metrics.livenessProbe.httpGet, { path: "/", port: "metrics", scheme: "HTTP" });
        assert.strictEqual(dep.status.readyReplicas, 1, JSON.stringify(dep.status));
        const svc = cp.get("service", "vpp-server-metrics", ns);
        assert.strictEqual(svc.spec.type, "ClusterIP");
        assert.deepStrictEqual(svc.spec.selector, selector);
        assert.deepStrictEqual(svc.spec.ports, [
            { name: "metrics", port: 9482, targetPort: "metrics", protocol: "TCP" },
        ]);
        // The Service reaches the pod: its EndpointSlice lists the pod's address on 9482, ready.
        const slices = JSON.parse(
            cp.kubectl(
                "get",
                "endpointslices",
                "-n",
                ns,
                "-l",
                "kubernetes.io/service-name=vpp-server-metrics",
                "-o",
                "json",
            ),
        ).items as {
            endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
            ports?: { port: number }[];
        }[];
        assert.deepStrictEqual(
            slices.flatMap((sl) => (sl.ports ?? []).map((p) => p.port)),
            [9482],
        );
        assert.ok(
            slices.some((sl) =>
                (sl.endpoints ?? []).some((e) => e.conditions?.ready === true && e.addresses.length === 1),
            ),
            JSON.stringify(slices),
        );
        // The CRD's schema keeps every field the program declares.
        const pm = cp.get("podmonitors.monitoring.coreos.com", "vpp-server", ns);
        assert.deepStrictEqual(pm.spec, podMonitorSpec(selector));
        assert.deepStrictEqual(
            cp.get("networkpolicy", "vpp-server-allow-monitoring", ns).spec,
            allowMonitoringPolicySpec(selector),
        );
        assert.ok(cp.get("networkpolicy", "vpp-server-deny-cluster-network", ns), "the deny-all policy stays");
        ws.ok("preview --expect-no-changes (metrics)", kc, ["preview", "--stack", stack, "--expect-no-changes"]);

        // The rendered manifests of the same stack pass kube-score, with the Deployment's stated ignores.
        const render = "e2e-metrics-render";
        ws.ok("stack init (metrics render)", kc, ["stack", "init", render]);
        setConfig(render, {
            ...E2E_CONFIG,
            namespace: "vpp-metrics-render",
            metrics: "cluster",
            image: PINNED_IMAGE,
            renderDir: "rendered-metrics",
        });
        ws.ok("up (metrics render)", kc, ["up", "--stack", render, "--yes", "--skip-preview"]);
        const dir = path.join(ws.project, "rendered-metrics");
        const files = renderedManifests(dir);
        assert.strictEqual(files.length, 12, files.join(", "));
        const findings = kubeScore(files)
            .filter((c) => !c.skipped && c.grade < 10)
            .map((c) => `${c.object}: ${c.id} (grade ${c.grade})`);
        assert.deepStrictEqual(findings, [], "kube-score findings with metrics cluster");
        ws.ok("destroy (metrics render)", kc, ["destroy", "--stack", render, "--yes", "--skip-preview"]);
        ws.ok("stack rm (metrics render)", kc, ["stack", "rm", render, "--yes"]);

        ws.ok("destroy (metrics)", kc, ["destroy", "--stack", stack, "--yes", "--skip-preview", "--run-program"]);
        assert.deepStrictEqual(objectsOf(instance), []);
        assert.strictEqual(cp.get("service", "vpp-server-metrics", ns), undefined);
        assert.strictEqual(cp.get("podmonitors.monitoring.coreos.com", "vpp-server", ns), undefined);
        assert.strictEqual(cp.get("namespace", ns), undefined);
        ws.ok("stack rm (metrics)", kc, ["stack", "rm", stack, "--yes"]);
    });

    it("cross-check: Pulumi's own Node.js host (sdk/v3 v3.68.0) evaluates the render stack to what the stand-in rendered", () => {
        // The newest Pulumi host a served module holds; the CLI takes the host next to itself.
        const dir = ws.env.VPP_PULUMI_OWN_HOST_DIR;
        assert.ok(dir, "VPP_PULUMI_OWN_HOST_DIR is not set: run npm run tools");
        const own = path.join(dir, "pulumi");
        // The render stack only: a deployed stack registers its namespace's delete hook, and host
        // 3.68 serves the program a monitor proxy older than resource hooks (RegisterResourceHook is
        // UNIMPLEMENTED there), so Pulumi's own host of that age cannot run it.
        for (const stack of ["e2e-render"]) {
            const args = ["preview", "--stack", stack, "--json", "--show-sames", "--expect-no-changes"];
            const mine = ws.ok(`preview (stand-in host) ${stack}`, kc, args);
            const theirs = ws.ok(
                `preview (Pulumi's host) ${stack}`,
                kc,
                [...args, "-v=6", "--logtostderr"],
                undefined,
                own,
            );
            assert.ok(
                theirs.stderr.includes(`found next to current executable ${path.join(dir, "pulumi-language-nodejs")}`),
                `the preview of ${stack} did not run Pulumi's own host from ${dir}`,
            );
            const urns = (out: string) =>
                previewSteps(out)
                    .map((s) => `${s.op} ${s.urn}`)
                    .sort();
            assert.ok(urns(mine.stdout).length >= PROGRAM_KINDS.length, `${stack}: ${urns(mine.stdout).join(", ")}`);
            // Every step the same, but the read of the stack's own last outputs (previous-deployment).
            assert.ok(
                urns(mine.stdout).every(
                    (u) =>
                        u.startsWith("same ") || /^read .*pulumi:pulumi:StackReference::previous-deployment$/.test(u),
                ),
                `${stack}: ${urns(mine.stdout).join(", ")}`,
            );
            assert.deepStrictEqual(
                urns(theirs.stdout),
                urns(mine.stdout),
                `${stack}: Pulumi's host and the stand-in evaluate the program to different resources`,
            );
        }
    });

    it("5. an up interrupted after its first resource exists converges when run again", async () => {
        const stack = "e2e-int";
        const ns = "vpp-int";
        ws.ok("stack init (interrupt)", kc, ["stack", "init", stack]);
        setConfig(stack, { ...E2E_CONFIG, namespace: ns });
        const child = ws.spawnPulumi(kc, ["up", "--stack", stack, "--yes", "--skip-preview"]);
        let output = "";
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        // Ctrl-C as soon as the engine reports the first resource (the Namespace) created.
        const onData = (b: Buffer) => {
            output += b;
            if (/Namespace vpp-server-namespace created/.test(output) && child.exitCode === null && !child.killed) {
                child.kill("SIGINT");
            }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        const code = await exited;
        assert.ok(child.killed, `pulumi up finished before its first resource was reported:\n${output}`);
        assert.notStrictEqual(code, 0, `the interrupted up must not report success:\n${output}`);
        assert.ok(cp.get("namespace", ns) !== undefined, "the first resource exists");
        const state = JSON.parse(ws.ok("stack export (interrupt)", kc, ["stack", "export", "--stack", stack]).stdout);
        const inState = (state.deployment.resources ?? []).map((r: { type: string }) => r.type.split(":").pop());
        assert.ok(
            !inState.includes("Deployment"),
            `the interrupt must land before the Deployment is recorded: ${inState.join(", ")}`,
        );

        ws.ok("up (after interrupt)", kc, ["up", "--stack", stack, "--yes", "--skip-preview"]);
        assert.deepStrictEqual(objectsOf(instanceName(stack, ns)).sort(), [
            "clusterrole.rbac.authorization.k8s.io/system:openshift:scc:vpp-server-e2e-int.vpp-int",
            "configmap/vpp-server-config",
            "deployment.apps/vpp-server",
            "namespace/vpp-int",
            "networkattachmentdefinition.k8s.cni.cncf.io/macvlan0",
            "networkpolicy.networking.k8s.io/vpp-server-deny-cluster-network",
            "rolebinding.rbac.authorization.k8s.io/vpp-server-scc",
            "securitycontextconstraints.security.openshift.io/vpp-server-e2e-int.vpp-int",
            "serviceaccount/vpp-server",
        ]);
        const again = ws.ok("preview (converged)", kc, ["preview", "--stack", stack, "--json"]);
        // Nothing but the read of the stack's own last outputs (a read is never a change).
        assert.deepStrictEqual(
            previewSteps(again.stdout)
                .filter((s) => s.op !== "same")
                .map((s) => `${s.op} ${urnKind(s.urn)}`),
            ["read StackReference"],
        );
        ws.ok("destroy (interrupt)", kc, ["destroy", "--stack", stack, "--yes", "--skip-preview", "--run-program"]);
        ws.ok("stack rm (interrupt)", kc, ["stack", "rm", stack, "--yes"]);
    });

    it("6. bad config (vlanId 4095): preview fails with the validation message; the cluster holds nothing of it", () => {
        const stack = "e2e-bad";
        ws.ok("stack init (bad)", kc, ["stack", "init", stack]);
        setConfig(stack, { ...E2E_CONFIG, namespace: "vpp-bad", vlanId: "4095" });
        const r = ws.pulumi("preview (bad config)", kc, ["preview", "--stack", stack]);
        assert.notStrictEqual(r.status, 0);
        assert.match(
            r.stdout + r.stderr,
            /vpp-server:vlanId is "4095"; expected an integer from 1 to 4094 \(802\.1Q reserves 0 and 4095\)/,
        );
        assert.deepStrictEqual(objectsOf(instanceName(stack, "vpp-bad")), []);
        assert.strictEqual(cp.get("namespace", "vpp-bad"), undefined);
    });

    it("7. pulumi destroy leaves nothing of the program, then the stack is removed", async () => {
        ws.ok("destroy", kc, ["destroy", "--stack", STACK, "--yes", "--skip-preview", "--run-program"]);
        assert.deepStrictEqual(objectsOf(INSTANCE), []);
        assert.strictEqual(cp.get("namespace", NS), undefined, "namespace gone");
        assert.strictEqual(cp.get("securitycontextconstraints", INSTANCE), undefined, "SCC gone");
        assert.strictEqual(cp.get("clusterrole", `system:openshift:scc:${INSTANCE}`), undefined, "ClusterRole gone");
        ws.ok("stack rm", kc, ["stack", "rm", STACK, "--yes"]);
        const stacks = ws.ok("stack ls", kc, ["stack", "ls", "--json"]).stdout;
        assert.ok(!JSON.parse(stacks).some((s: { name: string }) => s.name === STACK), "stack e2e removed");
    });
});
