/**
 * The live reader's HTTP paths against a real HTTPS server on 127.0.0.1 (a certificate made by
 * openssl for the test, a bearer token checked by the server): an object found, 404, 403, 5xx and
 * 429 tried again, a body that is not JSON, no answer, discovery of an API group, a namespace
 * listed, what the preflight keeps of each failure; basic auth, impersonation, tls-server-name, the
 * system's CA store, and a real CONNECT proxy. No mock of the reader itself.
 */
import * as assert from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import * as YAML from "yaml";
import { clusterAccess, resolveConnection } from "../../live/kubeconfig";
import * as tls from "tls";
import { preflight } from "../../live/guard";
import { directCluster, liveCluster, NotServedError, ReadError, retryDelayMs } from "../../live/reader";
import type { ClusterAccess } from "../../live/kubeconfig";
import { BASIC, FakeApiServer, TOKEN } from "./apiserver";

const NS_REF = { apiVersion: "v1", kind: "ConfigMap", namespace: "lab", name: "vpp-server-config" };

/** No wait between tries: the tests count them instead. */
const noWait = async () => undefined;

describe("live: the reader over HTTPS", function () {
    const api = new FakeApiServer();
    const { routes, seen } = api;
    let access: ClusterAccess;

    before(async () => {
        await api.start();
        access = api.access;
    });
    after(() => api.stop());
    beforeEach(() => {
        api.reset();
        routes.set("GET /api/v1", [
            200,
            JSON.stringify({
                resources: [
                    { name: "configmaps", kind: "ConfigMap", namespaced: true, verbs: ["get", "list"] },
                    { name: "configmaps/status", kind: "ConfigMap", namespaced: true, verbs: ["get"] },
                    { name: "namespaces", kind: "Namespace", namespaced: false, verbs: ["get", "list", "delete"] },
                ],
            }),
        ]);
    });

    it("an object found: its JSON, through the group's discovery, with the token", async () => {
        routes.set("GET /api/v1/namespaces/lab/configmaps/vpp-server-config", [
            200,
            '{"kind":"ConfigMap","data":{"a":"1"}}',
        ]);
        const live = await directCluster(access).read(NS_REF);
        assert.deepStrictEqual(live, { kind: "ConfigMap", data: { a: "1" } });
        assert.deepStrictEqual(seen, ["GET /api/v1", "GET /api/v1/namespaces/lab/configmaps/vpp-server-config"]);
    });
    it("404: the object does not exist (undefined)", async () => {
        assert.strictEqual(await directCluster(access).read(NS_REF), undefined);
    });
    it("403: a ReadError with the status and the API server's message", async () => {
        routes.set("GET /api/v1/namespaces/lab/configmaps/vpp-server-config", [
            403,
            '{"kind":"Status","message":"configmaps \\"vpp-server-config\\" is forbidden: User \\"dev\\" cannot get resource"}',
        ]);
        await assert.rejects(directCluster(access).read(NS_REF), (e: ReadError) => {
            assert.ok(e instanceof ReadError);
            assert.strictEqual(e.status, 403);
            assert.strictEqual(
                e.message,
                `GET ${access.server}/api/v1/namespaces/lab/configmaps/vpp-server-config: HTTP 403: configmaps "vpp-server-config" is forbidden: User "dev" cannot get resource`,
            );
            return true;
        });
    });
    it("5xx with a body that is not a Status: the body's start, after every try", async () => {
        routes.set("GET /api/v1/namespaces/lab/configmaps/vpp-server-config", [503, "upstream connect error"]);
        await assert.rejects(
            directCluster(access, undefined, noWait).read(NS_REF),
            /HTTP 503: upstream connect error \(tried 5 times\)$/,
        );
        assert.strictEqual(seen.filter((s) => s.endsWith("/vpp-server-config")).length, 5);
    });
    it("429 and 5xx are tried again, honouring Retry-After; the answer that follows wins", async () => {
        routes.set("GET /api/v1/namespaces/lab/configmaps/vpp-server-config", [
            [429, '{"message":"too many requests"}', { "Retry-After": "2" }],
            [500, '{"message":"etcdserver: leader changed"}'],
            [200, '{"kind":"ConfigMap"}'],
        ]);
        const waits: number[] = [];
        const live = await directCluster(access, undefined, async (ms) => void waits.push(ms)).read(NS_REF);
        assert.deepStrictEqual(live, { kind: "ConfigMap" });
        assert.deepStrictEqual(waits, [2000, 500], "Retry-After's 2 s, then the second backoff step");
    });
    it("403 and 401 are final at once: never tried again", async () => {
        routes.set("GET /api/v1/namespaces/lab/configmaps/vpp-server-config", [403, '{"message":"forbidden"}']);
        const waits: number[] = [];
        await assert.rejects(
            directCluster(access, undefined, async (ms) => void waits.push(ms)).read(NS_REF),
            /HTTP 403/,
        );
        assert.deepStrictEqual(waits, []);
    });
    it("the backoff: Retry-After in seconds or as a date, else 0.25 s doubling, never over 10 s", () => {
        assert.deepStrictEqual(
            [1, 2, 3, 4, 7].map((n) => retryDelayMs(n, undefined)),
            [250, 500, 1000, 2000, 10000],
        );
        assert.strictEqual(retryDelayMs(1, "3"), 3000);
        assert.strictEqual(retryDelayMs(1, "600"), 10000);
        const soon = retryDelayMs(1, new Date(Date.now() + 4000).toUTCString());
        assert.ok(soon > 2000 && soon <= 4000, String(soon));
        assert.strictEqual(retryDelayMs(2, "soon"), 500, "an unreadable Retry-After: the backoff");
    });
    it("basic auth and impersonation are sent as kubectl sends them", async () => {
        routes.set("GET /version", [200, '{"gitVersion":"v1.35.4"}']);
        const basic = { ...access, token: undefined, ...BASIC, impersonate: "lab-bot", impersonateGroups: ["a", "b"] };
        assert.strictEqual(await directCluster(basic).version(), "v1.35.4");
        const h = api.requests[0].headers;
        assert.strictEqual(h.authorization, `Basic ${Buffer.from("admin:s3cret").toString("base64")}`);
        assert.strictEqual(h["impersonate-user"], "lab-bot");
        assert.strictEqual(h["impersonate-group"], "a, b");
        await assert.rejects(directCluster({ ...basic, password: "wrong" }).version(), /HTTP 401: Unauthorized$/);
    });
    it("a DELETE carries its body (a namespace's uid precondition)", async () => {
        routes.set("DELETE /api/v1/namespaces/a", [200, '{"kind":"Namespace"}']);
        await directCluster(access).deleteNamespace("a", "uid-a");
        assert.deepStrictEqual(JSON.parse(api.requests[0].body), {
            apiVersion: "v1",
            kind: "DeleteOptions",
            preconditions: { uid: "uid-a" },
        });
        assert.strictEqual(api.requests[0].headers["content-type"], "application/json");
    });
    it("unmarking a namespace is a JSON patch that tests the uid first, with keys escaped as JSON pointers", async () => {
        routes.set("PATCH /api/v1/namespaces/a", [200, '{"kind":"Namespace"}']);
        await directCluster(access).unmarkNamespace(
            "a",
            "uid-a",
            ["app.kubernetes.io/instance"],
            ["vpp-server/stack-id"],
        );
        assert.strictEqual(api.requests[0].headers["content-type"], "application/json-patch+json");
        assert.deepStrictEqual(JSON.parse(api.requests[0].body), [
            { op: "test", path: "/metadata/uid", value: "uid-a" },
            { op: "remove", path: "/metadata/labels/app.kubernetes.io~1instance" },
            { op: "remove", path: "/metadata/annotations/vpp-server~1stack-id" },
        ]);
    });
    it("2xx with a body that is not JSON: rejected, never thrown outside the promise", async () => {
        routes.set("GET /api/v1/namespaces/lab/configmaps/vpp-server-config", [200, "<html>proxy login</html>"]);
        await assert.rejects(
            directCluster(access).read(NS_REF),
            /HTTP 200 but the body is not JSON: <html>proxy login<\/html>$/,
        );
    });
    it("no answer within the timeout: rejected with the time", async () => {
        routes.set("GET /api/v1/namespaces/lab/configmaps/vpp-server-config", "hang");
        await assert.rejects(directCluster(access, 300).read(NS_REF), /: no answer in 0.3 s$/);
    });
    it("a kind the API server does not serve is named: a NotServedError", async () => {
        await assert.rejects(directCluster(access).read({ apiVersion: "v1", kind: "Gadget", name: "x" }), (e) => {
            assert.ok(e instanceof NotServedError, String(e));
            assert.strictEqual(String(e), "NotServedError: the API server does not serve Gadget in v1");
            return true;
        });
    });
    it("a group the API server does not serve (its discovery answers 404): a NotServedError naming the kind", async () => {
        const ref = {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            namespace: "lab",
            name: "vpp-server",
        };
        await assert.rejects(directCluster(access).read(ref), (e) => {
            assert.ok(e instanceof NotServedError, String(e));
            assert.deepStrictEqual([e.apiVersion, e.kind], ["monitoring.coreos.com/v1", "PodMonitor"]);
            return true;
        });
        assert.deepStrictEqual(seen, ["GET /apis/monitoring.coreos.com/v1"]);
    });
    it("a failed discovery is asked again on the next read", async () => {
        routes.set("GET /api/v1", [500, "boom"]);
        const cluster = directCluster(access, undefined, noWait);
        await assert.rejects(cluster.read(NS_REF), /HTTP 500: boom/);
        routes.set("GET /api/v1", [200, '{"resources":[{"name":"configmaps","kind":"ConfigMap","namespaced":true}]}']);
        assert.strictEqual(await cluster.read(NS_REF), undefined);
    });
    it("a wrong token: 401, named", async () => {
        await assert.rejects(directCluster({ ...access, token: "wrong" }).version(), /HTTP 401: Unauthorized$/);
    });
    it("a server that is not the one the CA signed: a TLS error, rejected", async () => {
        const other = execFileSync(
            "openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=x", "-keyout", "/dev/null"],
            {
                encoding: "utf8",
                stdio: ["ignore", "pipe", "ignore"],
            },
        );
        await assert.rejects(
            directCluster({ ...access, ca: Buffer.from(other) }).version(),
            /self[- ]signed|unable to verify/,
        );
    });
    it("the version: the gitVersion; a refused connection is a ReadError", async () => {
        routes.set("GET /version", [200, '{"gitVersion":"v1.35.4"}']);
        assert.strictEqual(await directCluster(access).version(), "v1.35.4");
        await assert.rejects(
            directCluster({ ...access, server: "https://127.0.0.1:1" }).version(),
            /^ReadError: GET https:\/\/127.0.0.1:1\/version: connect ECONNREFUSED 127.0.0.1:1$/,
        );
    });
    it("a namespace listed: every listable namespaced kind, with labels and owners", async () => {
        routes.set("GET /apis", [200, '{"groups":[]}']);
        routes.set("GET /api/v1/namespaces/lab/configmaps", [
            200,
            JSON.stringify({
                items: [
                    { metadata: { name: "team-data" } },
                    { metadata: { name: "mine", labels: { "app.kubernetes.io/instance": "vpp-server-lab" } } },
                    { metadata: { name: "child", ownerReferences: [{ kind: "Deployment" }] } },
                ],
            }),
        ]);
        assert.deepStrictEqual(await directCluster(access).listNamespace("lab"), [
            { apiVersion: "v1", kind: "ConfigMap", name: "team-data", labels: {}, owned: false },
            {
                apiVersion: "v1",
                kind: "ConfigMap",
                name: "mine",
                labels: { "app.kubernetes.io/instance": "vpp-server-lab" },
                owned: false,
            },
            { apiVersion: "v1", kind: "ConfigMap", name: "child", labels: {}, owned: true },
        ]);
    });
    it("the preflight keeps each object's failure as its reason, and reads the others", async () => {
        routes.set("GET /api/v1/namespaces/lab/configmaps/vpp-server-config", [
            500,
            '{"message":"etcdserver: timeout"}',
        ]);
        routes.set("GET /api/v1/namespaces/lab", [200, '{"kind":"Namespace","metadata":{"name":"lab"}}']);
        const state = await preflight(directCluster(access, undefined, noWait), [
            NS_REF,
            { apiVersion: "v1", kind: "Namespace", name: "lab" },
        ]);
        assert.deepStrictEqual(state.results, [
            {
                ref: NS_REF,
                error: `GET ${access.server}/api/v1/namespaces/lab/configmaps/vpp-server-config: HTTP 500: etcdserver: timeout (tried 5 times)`,
            },
            {
                ref: { apiVersion: "v1", kind: "Namespace", name: "lab" },
                live: { kind: "Namespace", metadata: { name: "lab" } },
            },
        ]);
    });
});

describe("live: the reader's TLS as kubectl's", function () {
    this.timeout(20_000);
    it("tls-server-name: a certificate for the cluster's name, reached at an address", async () => {
        const api = new FakeApiServer();
        await api.start("DNS:api.lab.example");
        try {
            api.routes.set("GET /version", [200, '{"gitVersion":"v1.35.4"}']);
            await assert.rejects(directCluster(api.access).version(), /altnames|Hostname\/IP does not match/);
            assert.strictEqual(
                await directCluster({ ...api.access, serverName: "api.lab.example" }).version(),
                "v1.35.4",
            );
        } finally {
            api.stop();
        }
    });
    it("no CA in the kubeconfig: the system's store is trusted (a CA that only the system holds)", async () => {
        const api = new FakeApiServer();
        await api.start();
        try {
            api.routes.set("GET /version", [200, '{"gitVersion":"v1.35.4"}']);
            // A fresh Node whose system store (OpenSSL's, as SSL_CERT_FILE points a machine's) holds the
            // test's CA, and a kubeconfig-less access: no ca. It is read once per process.
            const script = `require("ts-node").register({ transpileOnly: true });
                const { directCluster } = require(${JSON.stringify(require.resolve("../../live/reader"))});
                directCluster({ server: ${JSON.stringify(api.access.server)}, token: ${JSON.stringify(api.access.token)}, insecure: false })
                    .version().then((v) => console.log("version " + v), (e) => console.log("failed " + e.message));`;
            const run = (env: NodeJS.ProcessEnv) =>
                new Promise<string>((resolve) => {
                    const child = spawn(process.execPath, ["-e", script], { env });
                    let out = "";
                    child.stdout.on("data", (c: Buffer) => (out += c));
                    child.stderr.on("data", (c: Buffer) => (out += c));
                    child.on("close", () => resolve(out.trim()));
                });
            const trusted = await run({ ...process.env, SSL_CERT_FILE: `${api.dir}/cert.pem` });
            const supported = typeof (tls as { getCACertificates?: unknown }).getCACertificates === "function";
            if (supported) assert.strictEqual(trusted, "version v1.35.4");
            const untrusted = await run({ ...process.env, SSL_CERT_FILE: "/nonexistent" });
            assert.match(untrusted, /^failed .*(self[- ]signed|unable to verify)/);
        } finally {
            api.stop();
        }
    });
});

describe("live: the reader through an HTTP proxy (CONNECT), as kubectl goes through proxy-url or $HTTPS_PROXY", function () {
    const api = new FakeApiServer();
    let proxy: http.Server;
    let proxyUrl: string;
    /** What the proxy was asked: "CONNECT host:port" and the Proxy-Authorization it got. */
    const asked: { line: string; auth?: string }[] = [];
    /** The answer to a CONNECT: 200 opens the tunnel; anything else refuses. */
    let answer = 200;

    before(async () => {
        await api.start();
        proxy = http.createServer((_req, res) => res.writeHead(405).end());
        proxy.on("connect", (req: http.IncomingMessage, client: net.Socket) => {
            asked.push({ line: `CONNECT ${req.url}`, auth: req.headers["proxy-authorization"] });
            if (answer !== 200) {
                client.end(`HTTP/1.1 ${answer} Refused\r\n\r\n`);
                return;
            }
            const [host, port] = String(req.url).split(":");
            const upstream = net.connect(Number(port), host, () => {
                client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
                upstream.pipe(client);
                client.pipe(upstream);
            });
            upstream.on("error", () => client.destroy());
            client.on("error", () => upstream.destroy());
        });
        await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
        proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    });
    after(() => {
        api.stop();
        proxy.closeAllConnections();
        proxy.close();
    });
    beforeEach(() => {
        api.reset();
        asked.length = 0;
        answer = 200;
        api.routes.set("GET /version", [200, '{"gitVersion":"v1.35.4"}']);
    });

    it("reads through the proxy's tunnel, TLS checked end to end with the cluster's CA", async () => {
        assert.strictEqual(await directCluster({ ...api.access, proxy: proxyUrl }).version(), "v1.35.4");
        const port = new URL(api.access.server).port;
        assert.deepStrictEqual(asked, [{ line: `CONNECT 127.0.0.1:${port}`, auth: undefined }]);
        assert.deepStrictEqual(api.seen, ["GET /version"], "the API server answered it");
    });
    it("the proxy's user and password go as Proxy-Authorization, never to the API server", async () => {
        const withUser = proxyUrl.replace("http://", "http://lab%40corp:p%3Ass@");
        await directCluster({ ...api.access, proxy: withUser }).version();
        assert.strictEqual(asked[0].auth, `Basic ${Buffer.from("lab@corp:p:ss").toString("base64")}`);
        assert.strictEqual(api.requests[0].headers["proxy-authorization"], undefined);
    });
    it("a proxy that refuses the tunnel: the read fails naming the proxy and its answer (no credentials shown)", async () => {
        answer = 407;
        const withUser = proxyUrl.replace("http://", "http://lab:secret@");
        await assert.rejects(directCluster({ ...api.access, proxy: withUser }).version(), (e: Error) => {
            assert.match(
                e.message,
                new RegExp(`the proxy ${proxyUrl} answered CONNECT 127\\.0\\.0\\.1:\\d+ with HTTP 407$`),
            );
            assert.ok(!e.message.includes("secret"));
            return true;
        });
    });
    it("a proxy that never answers CONNECT: the read fails within the timeout, naming the proxy", async () => {
        const hung = net.createServer(() => undefined);
        await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
        const hungUrl = `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`;
        try {
            const t0 = Date.now();
            await assert.rejects(
                directCluster({ ...api.access, proxy: hungUrl }, 400, async () => undefined).version(),
                (e: Error) => {
                    assert.match(
                        e.message,
                        new RegExp(`: the proxy ${hungUrl} did not answer CONNECT 127\\.0\\.0\\.1:\\d+ in 0\\.4 s$`),
                    );
                    return true;
                },
            );
            assert.ok(Date.now() - t0 < 5000, `it took ${Date.now() - t0} ms`);
        } finally {
            hung.close();
        }
    });
    it("from a kubeconfig: proxy-url, and $HTTPS_PROXY unless $NO_PROXY names the server", () => {
        const kc = YAML.parse(fs.readFileSync(api.kubeconfig("p"), "utf8"));
        const dir = api.dir;
        const files = (doc: unknown) => [{ text: YAML.stringify(doc), dir, name: "kc" }];
        kc.clusters[0].cluster["proxy-url"] = proxyUrl;
        const fromUrl = clusterAccess(files(kc), undefined, "kc", {}).access;
        assert.ok(fromUrl !== "delegate" && fromUrl.proxy === proxyUrl);
        delete kc.clusters[0].cluster["proxy-url"];
        // The server is 127.0.0.1: loopback is never proxied, as Go's ProxyFromEnvironment decides.
        const local = clusterAccess(files(kc), undefined, "kc", { HTTPS_PROXY: proxyUrl }).access;
        assert.ok(local !== "delegate" && local.proxy === undefined);
        kc.clusters[0].cluster["proxy-url"] = "socks5://127.0.0.1:1080";
        assert.throws(
            () => clusterAccess(files(kc), undefined, "kc", {}),
            /through the cluster's proxy-url \(socks5:\/\/127\.0\.0\.1:1080\), a proxy that is not http:\/\/: this program's own reads cannot go that way/,
        );
    });
});

describe("live: the reader for an exec-plugin user (client-node), against an API server that hangs", function () {
    this.timeout(20_000);
    const api = new FakeApiServer();
    before(() => api.start());
    after(() => api.stop());

    /** A kubeconfig whose user runs `script` (node) as its exec plugin. */
    const withPlugin = (script: string) => {
        const plugin = path.join(api.dir, `plugin-${Math.random().toString(16).slice(2)}.js`);
        fs.writeFileSync(plugin, script);
        const kc = YAML.parse(fs.readFileSync(api.kubeconfig("x"), "utf8"));
        kc.clusters[0].cluster["certificate-authority"] = path.join(api.dir, "cert.pem");
        kc.users[0].user = {
            exec: {
                apiVersion: "client.authentication.k8s.io/v1",
                command: process.execPath,
                args: [plugin],
                interactiveMode: "Never",
            },
        };
        return resolveConnection({ kubeconfig: YAML.stringify(kc), context: "x" }, api.dir, {});
    };
    const CREDENTIAL = `process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: ${JSON.stringify(TOKEN)} } }))`;

    it("answers through the plugin's credential", async () => {
        api.routes.set("GET /version", [200, '{"gitVersion":"v1.35.4"}']);
        assert.strictEqual(await liveCluster(withPlugin(CREDENTIAL), 5000).version(), "v1.35.4");
    });
    it("an API server that never answers: the read fails within the timeout, naming the server and the plugin", async () => {
        api.routes.set("GET /version", "hang");
        const c = withPlugin(CREDENTIAL);
        const t0 = Date.now();
        await assert.rejects(liveCluster(c, 1500).version(), (e: Error) => {
            assert.ok(e instanceof ReadError, String(e));
            assert.strictEqual(
                e.message,
                `GET /version from ${api.access.server}: no answer in 1.5 s (the user authenticates by exec plugin ${process.execPath})`,
            );
            return true;
        });
        assert.ok(Date.now() - t0 < 5000, `it took ${Date.now() - t0} ms`);
    });
    it("a plugin that does not return in time: the same, within the timeout", async () => {
        api.routes.set("GET /version", [200, '{"gitVersion":"v1.35.4"}']);
        await assert.rejects(
            liveCluster(withPlugin("setTimeout(() => process.exit(1), 4000)"), 1500).version(),
            /^ReadError: GET \/version from https:\/\/127\.0\.0\.1:\d+: no answer in 1\.5 s \(the user authenticates by exec plugin /,
        );
    });
});
