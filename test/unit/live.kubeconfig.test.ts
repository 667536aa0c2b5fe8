/**
 * The stack's one connection: the kubeconfig the provider, the live reader and the review use, in
 * kubectl's order (the stack's kubernetes:kubeconfig relative to the project, $KUBECONFIG merged
 * first-wins, ~/.kube/config), the context's cluster and user, and every way it can be wrong,
 * named before anything is registered. Reading for real is live.reader.test.ts's and e2e's.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { clusterAccess, ConnectionError, kubeconfigFiles, resolveConnection } from "../../live/kubeconfig";
import { objectPath } from "../../live/reader";
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

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "vpp-kc-"));
/** A project directory holding `files` (relative name to content). */
function project(files: Record<string, string>): string {
    const dir = tmp();
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}
/** The message of the ConnectionError that `f` throws. */
function connectionError(f: () => unknown): string {
    try {
        f();
    } catch (e) {
        assert.ok(e instanceof ConnectionError, `expected a ConnectionError, got ${String(e)}`);
        return e.message;
    }
    assert.fail("expected a ConnectionError, nothing was thrown");
}

describe("live: the kubeconfig's context, cluster and user", () => {
    const inline = [{ text: KUBECONFIG, dir: "/", name: "inline" }];

    it("the current context's cluster and client certificate", () => {
        assert.deepStrictEqual(clusterAccess(inline), {
            context: "lab",
            server: "https://api.lab.example:6443",
            access: {
                server: "https://api.lab.example:6443",
                ca: Buffer.from("CA"),
                cert: Buffer.from("CERT"),
                key: Buffer.from("KEY"),
                insecure: false,
            },
        });
    });
    it("kubernetes:context chooses another context: a token user (oc login)", () => {
        const { context, access } = clusterAccess(inline, "lab-token");
        assert.strictEqual(context, "lab-token");
        assert.ok(access !== "delegate");
        assert.strictEqual(access.token, "sha256~abc");
        assert.strictEqual(access.cert, undefined);
    });
    it("an exec plugin's user is handed to @kubernetes/client-node", () => {
        assert.strictEqual(clusterAccess(inline, "lab-sso").access, "delegate");
    });
    it("a context the kubeconfig does not hold is named, with the ones it holds", () => {
        assert.strictEqual(
            connectionError(() => clusterAccess(inline, "lab-b", "/home/u/.kube/config")),
            'kubernetes:context is "lab-b", but the kubeconfig (/home/u/.kube/config) has no such context; it has: lab, lab-token, lab-sso; nothing was deployed',
        );
    });
    it("a context whose cluster has no server is named", () => {
        const text = "contexts:\n  - name: x\n    context: { cluster: gone, user: u }\n";
        assert.strictEqual(
            connectionError(() => clusterAccess([{ text, dir: "/", name: "kc" }], "x", "kc")),
            'kubernetes:context is "x", but its cluster "gone" has no server in the kubeconfig (kc); nothing was deployed',
        );
    });
    it("no current context and no kubernetes:context", () => {
        const text = "contexts:\n  - name: x\n    context: { cluster: c }\n";
        assert.strictEqual(
            connectionError(() => clusterAccess([{ text, dir: "/", name: "kc" }], undefined, "kc")),
            "the kubeconfig (kc) has no current-context and kubernetes:context is not set (pulumi config set kubernetes:context <context>; contexts: x); nothing was deployed",
        );
    });
    it("a kubeconfig that is not YAML is named", () => {
        assert.match(
            connectionError(() => clusterAccess([{ text: "a: [", dir: "/", name: "/x/kc" }])),
            /^the kubeconfig \/x\/kc is not YAML: /,
        );
    });
    it("files referenced by path are read relative to their kubeconfig, and $KUBECONFIG's files merge first-wins", () => {
        const dir = project({
            "ca.crt": "FILE-CA",
            token: "file-token\n",
            first: "current-context: a\nclusters:\n  - name: c\n    cluster: { server: https://first:6443, certificate-authority: ca.crt }\n",
            second: "current-context: b\nclusters:\n  - name: c\n    cluster: { server: https://second:6443 }\nusers:\n  - name: u\n    user: { tokenFile: token }\ncontexts:\n  - name: a\n    context: { cluster: c, user: u }\n",
        });
        const env = { KUBECONFIG: [path.join(dir, "first"), path.join(dir, "second")].join(path.delimiter) };
        const c = resolveConnection({}, "/elsewhere", env);
        assert.deepStrictEqual([c.context, c.server], ["a", "https://first:6443"]);
        assert.ok(c.access !== "delegate");
        assert.deepStrictEqual([String(c.access.ca), c.access.token], ["FILE-CA", "file-token"]);
        assert.strictEqual(c.source, `$KUBECONFIG ${env.KUBECONFIG}`);
        // Two files: the provider gets one merged kubeconfig, with absolute paths.
        const merged = YAML.parse(c.providerKubeconfig ?? "");
        assert.strictEqual(merged["current-context"], "a");
        assert.deepStrictEqual(merged.clusters, [
            { name: "c", cluster: { server: "https://first:6443", "certificate-authority": path.join(dir, "ca.crt") } },
        ]);
        assert.deepStrictEqual(merged.users, [{ name: "u", user: { tokenFile: path.join(dir, "token") } }]);
    });
    it("one $KUBECONFIG file: the provider is left to read $KUBECONFIG itself, as before", () => {
        const dir = project({ kc: KUBECONFIG });
        const c = resolveConnection({}, "/elsewhere", { KUBECONFIG: path.join(dir, "kc") });
        assert.strictEqual(c.providerKubeconfig, undefined);
        assert.strictEqual(c.context, "lab");
    });
    it("kubernetes:kubeconfig as a relative path is the project's, not bin/'s; the provider gets it absolute", () => {
        const dir = project({ "lab/kubeconfig": KUBECONFIG });
        const c = resolveConnection({ kubeconfig: "lab/kubeconfig", context: "lab-token" }, dir, {
            KUBECONFIG: "/nonexistent",
        });
        assert.strictEqual(c.providerKubeconfig, path.join(dir, "lab/kubeconfig"));
        assert.strictEqual(c.source, `kubernetes:kubeconfig ${path.join(dir, "lab/kubeconfig")}`);
        assert.deepStrictEqual([c.context, c.server], ["lab-token", "https://api.lab.example:6443"]);
    });
    it("kubernetes:kubeconfig may hold the file's content itself", () => {
        const c = resolveConnection({ kubeconfig: KUBECONFIG }, "/p", {});
        assert.strictEqual(c.providerKubeconfig, KUBECONFIG);
        assert.deepStrictEqual(
            kubeconfigFiles({ kubeconfig: KUBECONFIG }, "/p", {}).files.map((f) => f.text),
            [KUBECONFIG],
        );
    });
    it("a kubernetes:kubeconfig file that does not exist is named, with the path tried", () => {
        const dir = tmp();
        assert.strictEqual(
            connectionError(() => resolveConnection({ kubeconfig: "lab-b.kubeconfig" }, dir, {})),
            `kubernetes:kubeconfig is "lab-b.kubeconfig": no file ${path.join(dir, "lab-b.kubeconfig")} (a path relative to the project, ~/, absolute, or the kubeconfig's content, YAML or JSON); nothing was deployed`,
        );
    });
    it("content as JSON (oc config view --raw -o json) is content, not a path; a secret is never shown", () => {
        const json = JSON.stringify(YAML.parse(KUBECONFIG));
        const c = resolveConnection({ kubeconfig: json, context: "lab-token", kubeconfigSecret: true }, "/p", {});
        assert.deepStrictEqual(
            [c.context, c.server, c.source],
            ["lab-token", "https://api.lab.example:6443", "kubernetes:kubeconfig (content)"],
        );
        assert.strictEqual(c.access !== "delegate" && c.access.token, "sha256~abc");
        // Content that is broken, and a secret single line that is no file: the messages hold no part of it.
        for (const value of [json.slice(0, -1), "sha256~abcdefsecrettoken", `${json}\n{`]) {
            const message = connectionError(() =>
                resolveConnection({ kubeconfig: value, context: "lab-token", kubeconfigSecret: true }, "/p", {}),
            );
            for (const secret of ["sha256~abc", "secrettoken", b64("KEY")]) {
                assert.ok(!message.includes(secret), `the message shows ${secret}: ${message}`);
            }
        }
        assert.strictEqual(
            connectionError(() =>
                resolveConnection({ kubeconfig: "sha256~abcdefsecrettoken", kubeconfigSecret: true }, "/p", {}),
            ),
            "kubernetes:kubeconfig (a secret; its value is not shown) is neither a kubeconfig nor the path of a file that exists (a path relative to the project, ~/, absolute, or the kubeconfig's content, YAML or JSON); nothing was deployed",
        );
    });
    it("a value that is not a secret and no path (a base64 kubeconfig, a token) is never shown whole: its first characters, its length, the fix", () => {
        const encoded = Buffer.from(KUBECONFIG).toString("base64");
        assert.strictEqual(
            connectionError(() => resolveConnection({ kubeconfig: encoded, kubeconfigSecret: false }, "/p", {})),
            `kubernetes:kubeconfig is "${encoded.slice(0, 6)}..." (${encoded.length} characters, not shown: it may hold a credential), a base64-encoded kubeconfig (a path relative to the project, ~/, absolute, or the kubeconfig's content, YAML or JSON); decode it and set it as a secret: pulumi config set --secret kubernetes:kubeconfig "$(base64 -d <file>)"; nothing was deployed`,
        );
        const token = `eyJhbGciOiJSUzI1NiJ9.${"x".repeat(300)}.sig`;
        const message = connectionError(() =>
            resolveConnection({ kubeconfig: token, kubeconfigSecret: false }, "/p", {}),
        );
        assert.strictEqual(
            message,
            `kubernetes:kubeconfig is "eyJhbG..." (${token.length} characters, not shown: it may hold a credential), neither a kubeconfig nor the path of a file (a path relative to the project, ~/, absolute, or the kubeconfig's content, YAML or JSON); set it as a secret: pulumi config set --secret kubernetes:kubeconfig "$(cat <kubeconfig file>)"; nothing was deployed`,
        );
        for (const secret of [b64("KEY"), "sha256~abc", "x".repeat(20)])
            assert.ok(
                !message.includes(secret) &&
                    !connectionError(() => resolveConnection({ kubeconfig: encoded }, "/p", {})).includes(secret),
                secret,
            );
    });
    it("basic auth, impersonation and tls-server-name are read as kubectl reads them", () => {
        const kc = YAML.parse(KUBECONFIG);
        kc.clusters[0].cluster["tls-server-name"] = "api.lab.internal";
        kc.users.push({
            name: "basic",
            user: { username: "admin", password: "pw", as: "lab-bot", "as-uid": "7", "as-groups": ["ops", "labs"] },
        });
        kc.contexts.push({ name: "lab-basic", context: { cluster: "lab-cluster", user: "basic" } });
        const c = resolveConnection({ kubeconfig: YAML.stringify(kc), context: "lab-basic" }, "/p", {});
        assert.ok(c.access !== "delegate");
        const { username, password, impersonate, impersonateUid, impersonateGroups, serverName } = c.access;
        assert.deepStrictEqual(
            { username, password, impersonate, impersonateUid, impersonateGroups, serverName },
            {
                username: "admin",
                password: "pw",
                impersonate: "lab-bot",
                impersonateUid: "7",
                impersonateGroups: ["ops", "labs"],
                serverName: "api.lab.internal",
            },
        );
    });
    it("a proxy as kubectl picks it: proxy-url, else $HTTPS_PROXY unless $NO_PROXY names the server; other kinds stop the run", () => {
        const proxyOf = (doc: unknown, env: NodeJS.ProcessEnv) => {
            const c = resolveConnection({ kubeconfig: YAML.stringify(doc) }, "/p", env);
            return c.access === "delegate" ? "delegate" : c.access.proxy;
        };
        const proxied = YAML.parse(KUBECONFIG);
        proxied.clusters[0].cluster["proxy-url"] = "http://user:pw@proxy.corp:3128";
        assert.strictEqual(proxyOf(proxied, { HTTPS_PROXY: "http://other:1" }), "http://user:pw@proxy.corp:3128");
        const env = { HTTPS_PROXY: "http://proxy.corp:3128" };
        const kc = YAML.parse(KUBECONFIG);
        assert.strictEqual(proxyOf(kc, env), "http://proxy.corp:3128");
        assert.strictEqual(proxyOf(kc, { https_proxy: "http://proxy.corp:3128" }), "http://proxy.corp:3128");
        for (const noProxy of ["api.lab.example", ".lab.example", "lab.example", "*", "x,api.lab.example:6443"]) {
            assert.strictEqual(
                proxyOf(kc, { ...env, NO_PROXY: noProxy }),
                undefined,
                `NO_PROXY=${noProxy} exempts the server`,
            );
        }
        assert.strictEqual(
            proxyOf(kc, { ...env, NO_PROXY: "api.lab.example:443" }),
            "http://proxy.corp:3128",
            "another port",
        );
        const local = YAML.parse(KUBECONFIG);
        local.clusters[0].cluster.server = "https://127.0.0.1:6443";
        assert.strictEqual(proxyOf(local, env), undefined, "loopback is never proxied");
        local.clusters[0].cluster.server = "https://10.1.2.3:6443";
        assert.strictEqual(proxyOf(local, { ...env, no_proxy: "10.0.0.0/8" }), undefined, "a CIDR");
        const socks = YAML.parse(KUBECONFIG);
        socks.clusters[0].cluster["proxy-url"] = "socks5://u:secret@proxy.corp:1080";
        assert.strictEqual(
            connectionError(() => resolveConnection({ kubeconfig: YAML.stringify(socks) }, "/p", {})),
            "the current context \"lab\" reaches its server https://api.lab.example:6443 through the cluster's proxy-url (socks5://proxy.corp:1080), a proxy that is not http://: this program's own reads cannot go that way (they read the lab before anything is registered, and never anonymously; an http:// proxy is used by CONNECT); use a context without it, or reach the server directly (set NO_PROXY=api.lab.example); nothing was deployed",
        );
    });
    it("$KUBECONFIG naming no existing file is named", () => {
        assert.strictEqual(
            connectionError(() => resolveConnection({}, "/p", { KUBECONFIG: "/nope/a:/nope/b" })),
            '$KUBECONFIG is "/nope/a:/nope/b": none of its files exists (set kubernetes:kubeconfig, or fix $KUBECONFIG); nothing was deployed',
        );
    });
});

describe("live: API paths", () => {
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
