/**
 * A real HTTPS server on 127.0.0.1 that answers as a Kubernetes API server would for the routes a
 * test gives it: a certificate made by openssl for the test, a bearer token it checks. For the
 * live reader's tests; no mock of the reader itself.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import type { ClusterAccess } from "../../live/kubeconfig";

export const TOKEN = "sha256~test-token";
/** The one basic-auth user the server also accepts. */
export const BASIC = { username: "admin", password: "s3cret" };

/** One answer: status, body and extra headers; "hang" never answers. */
export type Answer = [number, string, Record<string, string>?] | "hang";

export class FakeApiServer {
    /**
     * What the server answers per "METHOD path": one answer, or a list answered in turn (the last
     * one again once the list is used up).
     */
    readonly routes = new Map<string, Answer | Answer[]>();
    /** Every request, as "METHOD path". */
    readonly seen: string[] = [];
    /** Every request's headers and body, in order. */
    readonly requests: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
    private readonly answered = new Map<string, number>();
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-apiserver-"));
    private server?: https.Server;
    access!: ClusterAccess;

    /** `san`: the certificate's subjectAltName (the address by default; a DNS name for tls-server-name). */
    async start(san = "IP:127.0.0.1"): Promise<void> {
        execFileSync(
            "openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=vpp-server test CA"]
                .concat(["-addext", `subjectAltName=${san}`])
                .concat(["-keyout", path.join(this.dir, "key.pem"), "-out", path.join(this.dir, "cert.pem")]),
            { stdio: "ignore" },
        );
        const cert = fs.readFileSync(path.join(this.dir, "cert.pem"));
        this.server = https.createServer({ key: fs.readFileSync(path.join(this.dir, "key.pem")), cert }, (req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                const key = `${req.method} ${req.url}`;
                this.seen.push(key);
                this.requests.push({
                    method: req.method ?? "",
                    url: req.url ?? "",
                    headers: req.headers,
                    body: Buffer.concat(chunks).toString("utf8"),
                });
                const basic = `Basic ${Buffer.from(`${BASIC.username}:${BASIC.password}`).toString("base64")}`;
                if (req.headers.authorization !== `Bearer ${TOKEN}` && req.headers.authorization !== basic) {
                    res.writeHead(401).end('{"kind":"Status","message":"Unauthorized"}');
                    return;
                }
                const routed = this.routes.get(key);
                const n = this.answered.get(key) ?? 0;
                this.answered.set(key, n + 1);
                const route =
                    Array.isArray(routed) && Array.isArray(routed[0])
                        ? (routed as Answer[])[Math.min(n, routed.length - 1)]
                        : (routed as Answer | undefined);
                if (route === "hang") return;
                const [status, body, headers] = route ?? [404, '{"kind":"Status","message":"not found"}'];
                res.writeHead(status, { "Content-Type": "application/json", ...headers }).end(body);
            });
        });
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        const server = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        this.access = { server, ca: cert, token: TOKEN, insecure: false };
    }

    /** A kubeconfig file for this server, its one context named `context`. */
    kubeconfig(context = "test"): string {
        const file = path.join(this.dir, `${context}.kubeconfig`);
        fs.writeFileSync(
            file,
            [
                `current-context: ${context}`,
                "clusters:",
                `  - name: c`,
                `    cluster: { server: "${this.access.server}", certificate-authority: cert.pem }`,
                "users:",
                `  - name: u`,
                `    user: { token: "${TOKEN}" }`,
                "contexts:",
                `  - name: ${context}`,
                "    context: { cluster: c, user: u }",
                "",
            ].join("\n"),
        );
        return file;
    }

    /** Forgets the routes, what was seen, and how often each route answered. */
    reset(): void {
        this.routes.clear();
        this.seen.length = 0;
        this.requests.length = 0;
        this.answered.clear();
    }

    stop(): void {
        this.server?.closeAllConnections();
        this.server?.close();
    }
}
