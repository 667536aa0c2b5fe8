/**
 * render-operator's own logic (fleet/operator.ts): its arguments and their errors, the operator's
 * name limit, the settings it inlines, the workspace's kubeconfig, and the labs it refuses to render
 * together. What the API server makes of the result, and the RBAC at work, are in
 * test/e2e/operator.test.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import {
    clusterFolder,
    inlineConfig,
    KUBECONFIG_PATH,
    OperatorLab,
    operatorManifests,
    parseRenderArgs,
    readLab,
    STACK_NAME_LIMIT,
    stackObjectName,
    stackStatus,
    TOKEN_FILE,
    workspaceKubeconfig,
} from "../../fleet/operator";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const BASE = ["--all", "--out", "o", "--repo", "https://git/x.git", "--backend", "s3://b", "--workspace-image", "img"];
const head = () => SHA;
const refused = (argv: string[], message: string) =>
    assert.throws(
        () => parseRenderArgs(argv, "/p", head),
        (e: Error) => e.message === message,
    );

describe("render-operator: arguments", () => {
    it("defaults: HEAD's commit, the fleet namespace, resync 600, drift remediated, no destroy on finalize, the passphrase", () => {
        const o = parseRenderArgs(BASE, "/p", head);
        assert.deepStrictEqual(
            { ...o, out: path.basename(o.out) },
            {
                stacks: undefined,
                out: "o",
                dir: "/p",
                repo: "https://git/x.git",
                commit: SHA,
                repoDir: undefined,
                backend: "s3://b",
                namespace: "vpp-server-fleet",
                workspaceImage: "img",
                resyncSeconds: 600,
                drift: "remediate",
                destroyOnFinalize: false,
                secretName: "vpp-server-fleet",
                secretKeys: ["PULUMI_CONFIG_PASSPHRASE"],
            },
        );
    });
    it("each mistake is named with the value and what is accepted", () => {
        refused(
            [...BASE, "--commit", "main"],
            '--commit is "main"; expected a full commit id (40 hex digits), which never moves',
        );
        refused([...BASE, "--resync", "30"], '--resync is "30"; expected whole seconds from 60 to 86400');
        refused([...BASE, "--drift", "detect"], '--drift is "detect"; expected remediate or off');
        refused(
            [...BASE, "--namespace", "Fleet"],
            '--namespace is "Fleet"; expected a DNS label (a-z, 0-9, -; at most 63)',
        );
        refused(
            [...BASE.slice(0, 5), "--backend", "https://api.pulumi.com", "--workspace-image", "img"],
            '--backend is "https://api.pulumi.com"; expected a self-managed backend URL: s3://, azblob://, gs:// or file:// (the workspace pod has no login)',
        );
        refused(
            [...BASE, "--secret-keys", "A-B"],
            '--secret-keys is "A-B"; expected environment variable names, comma-separated',
        );
        refused(BASE.slice(0, 7), "--workspace-image is required");
        refused(BASE.slice(1), "name the labs with --stacks a,b, or take them all with --all");
        refused([...BASE, "--force"], 'unknown option "--force"');
    });
});

describe("render-operator: names and settings", () => {
    it("a Stack's name: the lab's when it is a DNS label of at most 42, else folded, cut and hashed", () => {
        assert.strictEqual(stackObjectName("lab2"), "lab2");
        const long = "a".repeat(43);
        const b = stackObjectName(long);
        assert.ok(
            b.length <= STACK_NAME_LIMIT && b.startsWith("a".repeat(33)) && b !== stackObjectName("a".repeat(44)),
            b,
        );
        assert.match(stackObjectName("Lab_2"), /^lab-2-[0-9a-f]{8}$/);
        assert.notStrictEqual(stackObjectName("Lab_2"), stackObjectName("lab-2"));
    });
    it("a cluster's folder is its server's host and port", () => {
        assert.strictEqual(clusterFolder("https://api.lab1.example.com:6443"), "api.lab1.example.com-6443");
        assert.strictEqual(clusterFolder("https://10.0.0.1"), "10.0.0.1-443");
    });
    const lab: OperatorLab = {
        stack: "lab2",
        config: {
            "vpp-server:vlanId": { value: "124", secret: false },
            "vpp-server:imageCapabilities": { value: '["NET_ADMIN"]', secret: false, structured: true },
            "vpp-server:indexHtml": { value: "v1:abc", secret: true },
            "kubernetes:kubeconfig": { value: "~/.kube/lab2", secret: false },
            "kubernetes:context": { value: "admin/api-lab2", secret: false },
        },
        context: "admin/api-lab2",
        server: "https://api.lab2:6443",
        cluster: {
            server: "https://api.lab2:6443",
            "certificate-authority-data": "Q0E=",
            "proxy-url": "http://p:3128",
        },
    };
    it("inlined: the lab's plain settings and the pod's kubeconfig; secrets, lists and maps stay in the repository's file", () => {
        assert.deepStrictEqual(inlineConfig(lab), {
            "vpp-server:vlanId": "124",
            "kubernetes:kubeconfig": KUBECONFIG_PATH,
            "kubernetes:context": "admin/api-lab2",
        });
    });
    it("the workspace's kubeconfig: the lab's cluster entry (no laptop proxy), the pod's token", () => {
        assert.deepStrictEqual(YAML.parse(workspaceKubeconfig(lab, "system:serviceaccount:f:lab2")), {
            apiVersion: "v1",
            kind: "Config",
            clusters: [
                {
                    name: "admin/api-lab2",
                    cluster: { server: "https://api.lab2:6443", "certificate-authority-data": "Q0E=" },
                },
            ],
            users: [{ name: "system:serviceaccount:f:lab2", user: { tokenFile: TOKEN_FILE } }],
            contexts: [
                {
                    name: "admin/api-lab2",
                    context: { cluster: "admin/api-lab2", user: "system:serviceaccount:f:lab2" },
                },
            ],
            "current-context": "admin/api-lab2",
        });
    });
    it("refused together: two labs in one namespace of one cluster, a lab in the operator's namespace", () => {
        const o = parseRenderArgs(BASE, "/p", head);
        const at = (stack: string, ns: string): OperatorLab => ({
            ...lab,
            stack,
            config: { "vpp-server:namespace": { value: ns, secret: false } },
        });
        assert.throws(
            () => operatorManifests([at("a", "x"), at("b", "x")], o),
            /labs a and b both use namespace x on https:\/\/api\.lab2:6443 \(a namespace is one lab's\)/,
        );
        assert.throws(
            () => operatorManifests([at("a", "vpp-server-fleet")], o),
            /lab a's namespace is vpp-server-fleet, the operator's namespace \(--namespace\)/,
        );
        const files = operatorManifests([at("a", "x"), { ...at("b", "x"), server: "https://other:6443" }], o);
        assert.deepStrictEqual(
            files.map((f) => f.path),
            [
                "api.lab2-6443/00-namespace.yaml",
                "api.lab2-6443/a.yaml",
                "other-6443/00-namespace.yaml",
                "other-6443/b.yaml",
            ],
        );
    });
    it("readLab: the cluster entry with its certificate authority file read in; a secret kubeconfig is refused by name", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-op-"));
        fs.writeFileSync(path.join(dir, "ca.crt"), "CA");
        fs.writeFileSync(
            path.join(dir, "kc"),
            YAML.stringify({
                clusters: [{ name: "c", cluster: { server: "https://api.x:6443", "certificate-authority": "ca.crt" } }],
                users: [{ name: "u", user: { token: "t" } }],
                contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
                "current-context": "ctx",
            }),
        );
        fs.writeFileSync(
            path.join(dir, "Pulumi.l1.yaml"),
            "config:\n  kubernetes:kubeconfig: kc\n  vpp-server:vlanId: 5\n  vpp-server:nodeSelector: {a: b}\n",
        );
        const l = readLab(dir, "l1", { instance: "vpp-server-l1.kept" });
        assert.deepStrictEqual(
            { ...l, config: l.config },
            {
                stack: "l1",
                config: {
                    "kubernetes:kubeconfig": { value: "kc", secret: false, structured: false },
                    "vpp-server:vlanId": { value: "5", secret: false, structured: false },
                    "vpp-server:nodeSelector": { value: '{"a":"b"}', secret: false, structured: true },
                },
                instance: "vpp-server-l1.kept",
                context: "ctx",
                server: "https://api.x:6443",
                cluster: {
                    server: "https://api.x:6443",
                    "certificate-authority-data": Buffer.from("CA").toString("base64"),
                },
            },
        );
        // A stack deployed before the `instance` output named it only as `sccName`: the same value.
        assert.strictEqual(readLab(dir, "l1", { sccName: "vpp-server-l1" }).instance, "vpp-server-l1");
        assert.strictEqual(readLab(dir, "l1", undefined).instance, undefined);
        fs.writeFileSync(path.join(dir, "Pulumi.l2.yaml"), "config:\n  kubernetes:kubeconfig:\n    secure: v1:abc\n");
        assert.throws(() => readLab(dir, "l2", undefined), /lab l2: kubernetes:kubeconfig is a secret/);
    });
});

describe("fleet status --operator: a lab's Stack in one line", () => {
    const stack = (conditions: object[], lastUpdate?: object) => ({ status: { conditions, lastUpdate } });
    it("Ready, Reconciling (why), Stalled (why and what it said), with the last update", () => {
        assert.strictEqual(stackStatus(undefined), "no Stack");
        assert.strictEqual(stackStatus({ spec: {} }), "no status yet");
        assert.strictEqual(
            stackStatus(
                stack([{ type: "Ready", status: "True", reason: "ProcessingCompleted" }], {
                    type: "up",
                    state: "succeeded",
                    lastSuccessfulCommit: "0123456789abcdef0123",
                }),
            ),
            "Ready; last up succeeded at 0123456789ab",
        );
        assert.strictEqual(
            stackStatus(
                stack([
                    { type: "Ready", status: "False", reason: "NotReadyInProgress" },
                    { type: "Reconciling", status: "True", reason: "RetryingAfterFailure" },
                ]),
            ),
            "Reconciling: RetryingAfterFailure",
        );
        assert.strictEqual(
            stackStatus(
                stack(
                    [
                        { type: "Ready", status: "False", reason: "NotReadyStalled" },
                        { type: "Stalled", status: "True", reason: "UpdateFailed", message: "vlanId is 4095" },
                    ],
                    { type: "up", state: "failed", lastAttemptedCommit: "fedcba9876543210" },
                ),
            ),
            "Stalled: UpdateFailed: vlanId is 4095; last up failed at fedcba987654",
        );
    });
});
