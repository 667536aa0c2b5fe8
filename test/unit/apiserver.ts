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

export class FakeApiServer {
    /** What the server answers per "METHOD path": [status, body]; "hang" never answers. */
    readonly routes = new Map<string, [number, string] | "hang">();
    /** Every request, as "METHOD path". */
    readonly seen: string[] = [];
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-apiserver-"));
    private server?: https.Server;
    access!: ClusterAccess;

    async start(): Promise<void> {
        execFileSync(
            "openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
                .concat(["-addext", "subjectAltName=IP:127.0.0.1"])
                .concat(["-keyout", path.join(this.dir, "key.pem"), "-out", path.join(this.dir, "cert.pem")]),
            { stdio: "ignore" },
        );
        const cert = fs.readFileSync(path.join(this.dir, "cert.pem"));
        this.server = https.createServer({ key: fs.readFileSync(path.join(this.dir, "key.pem")), cert }, (req, res) => {
            this.seen.push(`${req.method} ${req.url}`);
            if (req.headers.authorization !== `Bearer ${TOKEN}`) {
                res.writeHead(401).end('{"kind":"Status","message":"Unauthorized"}');
                return;
            }
            const route = this.routes.get(`${req.method} ${req.url}`);
            if (route === "hang") return;
            const [status, body] = route ?? [404, '{"kind":"Status","message":"not found"}'];
            res.writeHead(status, { "Content-Type": "application/json" }).end(body);
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

    stop(): void {
        this.server?.closeAllConnections();
        this.server?.close();
    }
}
