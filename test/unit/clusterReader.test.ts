/**
 * The cluster reader's kubeconfig handling, as the provider and kubectl read a kubeconfig: the
 * files merged first-wins, the context's cluster and user, inline and file credentials, and the
 * API paths. Reading for real is the end-to-end suite's (step 3b).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clusterAccess, kubeconfigFiles, objectPath } from "../../components/clusterReader";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: lab
clusters:
  - name: lab-cluster
    cluster: { server: "https://api.lab.example:6443/", certificate-authority-data: ${b64("CA")} }
users:
  - name: admin
    user: { client-certificate-data: ${b64("CERT")}, client-key-data: ${b64("KEY")} }
  - name: oc-user
    user: { token: sha256~abc }
  - name: sso
    user: { exec: { command: oc, apiVersion: client.authentication.k8s.io/v1 } }
contexts:
  - name: lab
    context: { cluster: lab-cluster, user: admin }
  - name: lab-token
    context: { cluster: lab-cluster, user: oc-user }
  - name: lab-sso
    context: { cluster: lab-cluster, user: sso }
`;

describe("cluster reader: the kubeconfig", () => {
    const inline = [{ text: KUBECONFIG, dir: "/" }];

    it("the current context's cluster and client certificate", () => {
        assert.deepStrictEqual(clusterAccess(inline), {
            server: "https://api.lab.example:6443",
            ca: Buffer.from("CA"),
            cert: Buffer.from("CERT"),
            key: Buffer.from("KEY"),
            token: undefined,
            insecure: false,
        });
    });
    it("kubernetes:context chooses another context: a token user (oc login)", () => {
        const access = clusterAccess(inline, "lab-token");
        assert.ok(access !== "delegate");
        assert.strictEqual(access.token, "sha256~abc");
        assert.strictEqual(access.cert, undefined);
    });
    it("an exec plugin's user is handed to @kubernetes/client-node", () => {
        assert.strictEqual(clusterAccess(inline, "lab-sso"), "delegate");
    });
    it("a missing context is named", () => {
        assert.throws(() => clusterAccess(inline, "nope"), /^Error: the kubeconfig has no context nope$/);
    });
    it("files referenced by path are read relative to their kubeconfig, and files merge first-wins", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-kc-"));
        fs.writeFileSync(path.join(dir, "ca.crt"), "FILE-CA");
        fs.writeFileSync(path.join(dir, "token"), "file-token\n");
        const first = path.join(dir, "first");
        const second = path.join(dir, "second");
        fs.writeFileSync(
            first,
            "current-context: a\nclusters:\n  - name: c\n    cluster: { server: https://first:6443, certificate-authority: ca.crt }\n",
        );
        fs.writeFileSync(
            second,
            "current-context: b\nclusters:\n  - name: c\n    cluster: { server: https://second:6443 }\nusers:\n  - name: u\n    user: { tokenFile: token }\ncontexts:\n  - name: a\n    context: { cluster: c, user: u }\n",
        );
        const files = kubeconfigFiles({}, { KUBECONFIG: [first, second].join(path.delimiter) });
        assert.deepStrictEqual(
            files.map((f) => f.dir),
            [dir, dir],
        );
        const access = clusterAccess(files);
        assert.ok(access !== "delegate");
        assert.deepStrictEqual(
            [access.server, String(access.ca), access.token],
            ["https://first:6443", "FILE-CA", "file-token"],
        );
    });
    it("kubernetes:kubeconfig may hold the file's content itself", () => {
        assert.deepStrictEqual(
            kubeconfigFiles({ kubeconfig: KUBECONFIG }).map((f) => f.text),
            [KUBECONFIG],
        );
    });
});

describe("cluster reader: API paths", () => {
    it("a namespaced core object", () => {
        assert.strictEqual(
            objectPath(
                { apiVersion: "v1", kind: "ConfigMap", namespace: "lab", name: "vpp-server-config" },
                "configmaps",
                true,
            ),
            "/api/v1/namespaces/lab/configmaps/vpp-server-config",
        );
    });
    it("a cluster-scoped object of a group", () => {
        assert.strictEqual(
            objectPath(
                { apiVersion: "security.openshift.io/v1", kind: "SecurityContextConstraints", name: "vpp-server-lab" },
                "securitycontextconstraints",
                false,
            ),
            "/apis/security.openshift.io/v1/securitycontextconstraints/vpp-server-lab",
        );
    });
    it("a namespaced custom resource, its name escaped", () => {
        assert.strictEqual(
            objectPath(
                {
                    apiVersion: "k8s.cni.cncf.io/v1",
                    kind: "NetworkAttachmentDefinition",
                    namespace: "lab",
                    name: "a:b",
                },
                "network-attachment-definitions",
                true,
            ),
            "/apis/k8s.cni.cncf.io/v1/namespaces/lab/network-attachment-definitions/a%3Ab",
        );
    });
});
