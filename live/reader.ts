/**
 * Reads the stack's cluster through its one connection (live/kubeconfig.ts).
 *
 * Every `pulumi preview` and `up` reads each object once, so the reader is light: a user that holds
 * certificates or a token (what `oc login` and an admin kubeconfig hold) is served over Node's own
 * HTTPS, in milliseconds. A user that authenticates through an exec plugin or an auth provider is
 * handed to @kubernetes/client-node, which runs those, at the cost of loading it (about half a
 * second).
 *
 * Every failure (no answer, a refused connection, a status other than 2xx or 404, a body that is not
 * JSON) rejects the returned promise with a ReadError that says what was asked and what came back;
 * nothing throws outside a promise.
 */
import * as http from "http";
import * as https from "https";
import type * as stream from "stream";
import * as tls from "tls";
import type { ObjectRef } from "../components/names";
import type { ClusterAccess, Connection } from "./kubeconfig";

/** A Kubernetes object as read. */
export type LiveObject = Record<string, unknown> & {
    metadata?: {
        name?: string;
        namespace?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        ownerReferences?: unknown[];
    };
};

/** An object found in a namespace: what identifies it, and its labels and owners. */
export interface ObjectSummary {
    readonly apiVersion: string;
    readonly kind: string;
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly owned: boolean;
}

/** What the program asks of a cluster. */
export interface LiveCluster {
    /** The object, or undefined when it does not exist. */
    read(ref: ObjectRef): Promise<LiveObject | undefined>;
    /** The API server's version (`gitVersion`): proves it answers with these credentials. */
    version(): Promise<string>;
    /**
     * Creates a namespace with these labels by a plain create: resolves whether it was made now or
     * existed (409); rejects on any other failure.
     */
    createNamespace(
        namespace: string,
        labels: Record<string, string>,
        annotations?: Record<string, string>,
    ): Promise<void>;
    /** Every object in a namespace, of every namespaced kind that can be listed. */
    listNamespace(namespace: string): Promise<ObjectSummary[]>;
    /**
     * Deletes a namespace (and, by Kubernetes, what is in it), only while its uid is `uid` (a
     * precondition the API server checks: a namespace made again under the name is left alone).
     */
    deleteNamespace(namespace: string, uid: string): Promise<void>;
    /**
     * Removes labels and annotations from a namespace, only while its uid is `uid` (a JSON patch
     * whose first operation tests the uid): what a kept namespace sheds of the stack's mark.
     */
    unmarkNamespace(
        namespace: string,
        uid: string,
        labels: readonly string[],
        annotations: readonly string[],
    ): Promise<void>;
}

/** The JSON patch that removes these labels and annotations from an object whose uid is `uid`. */
export function unmarkPatch(uid: string, labels: readonly string[], annotations: readonly string[]): unknown[] {
    // JSON pointer: "~" is "~0", "/" is "~1" (RFC 6901).
    const pointer = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");
    return [
        { op: "test", path: "/metadata/uid", value: uid },
        ...labels.map((l) => ({ op: "remove", path: `/metadata/labels/${pointer(l)}` })),
        ...annotations.map((a) => ({ op: "remove", path: `/metadata/annotations/${pointer(a)}` })),
    ];
}

/** A read that failed, with the reason. */
export class ReadError extends Error {
    constructor(
        message: string,
        readonly status?: number,
        /** The answer's Retry-After header, when it had one. */
        readonly retryAfter?: string,
    ) {
        super(message);
        this.name = "ReadError";
    }
}

/** The API server does not serve the object's kind: its CRD is not installed (an answer, not a failure to read). */
export class NotServedError extends ReadError {
    constructor(
        readonly apiVersion: string,
        readonly kind: string,
    ) {
        super(`the API server does not serve ${kind} in ${apiVersion}`, 404);
        this.name = "NotServedError";
    }
}

/** The path of an object in the API, given the resource's plural name and scope (from discovery). */
export function objectPath(ref: ObjectRef, plural: string, namespaced: boolean): string {
    const base = ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const ns = namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : "";
    return `${base}${ns}/${plural}/${encodeURIComponent(ref.name)}`;
}

/** How long one request may take before it counts as failed. */
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * How often a request is tried when the API server answers 429 (too many requests) or 5xx (it is
 * starting, overloaded or between leaders), and how long it waits between tries: the server's
 * Retry-After when it gives one, else 0.25 s doubling; never more than MAX_RETRY_WAIT_MS at once.
 * Any other failure is final at once.
 */
export const REQUEST_ATTEMPTS = 5;
export const MAX_RETRY_WAIT_MS = 10_000;

/** The wait before try `attempt` + 1 (attempt counts from 1), from the answer's Retry-After when it has one. */
export function retryDelayMs(attempt: number, retryAfter: string | undefined): number {
    const seconds = retryAfter !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(retryAfter) ? Number(retryAfter) : undefined;
    const date = retryAfter !== undefined && seconds === undefined ? Date.parse(retryAfter) : NaN;
    const wanted =
        seconds !== undefined ? seconds * 1000 : !Number.isNaN(date) ? date - Date.now() : 250 * 2 ** (attempt - 1);
    return Math.max(0, Math.min(MAX_RETRY_WAIT_MS, wanted));
}

/** The headers that say who asks: a token or basic auth, and impersonation, as kubectl sends them. */
function authHeaders(access: ClusterAccess): Record<string, string | string[]> {
    const h: Record<string, string | string[]> = {};
    if (access.token) h.Authorization = `Bearer ${access.token}`;
    else if (access.username !== undefined)
        h.Authorization = `Basic ${Buffer.from(`${access.username}:${access.password ?? ""}`).toString("base64")}`;
    if (access.impersonate) h["Impersonate-User"] = access.impersonate;
    if (access.impersonateUid) h["Impersonate-Uid"] = access.impersonateUid;
    if (access.impersonateGroups?.length) h["Impersonate-Group"] = [...access.impersonateGroups];
    return h;
}

/**
 * One request against the API server: the body's JSON, or undefined on 404. 429 and 5xx answers
 * are tried again (REQUEST_ATTEMPTS); every other failure rejects with a ReadError at once.
 */
export async function request(
    access: ClusterAccess,
    agent: http.Agent,
    method: "GET" | "DELETE" | "POST" | "PATCH",
    apiPath: string,
    timeoutMs = REQUEST_TIMEOUT_MS,
    body?: unknown,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await requestOnce(access, agent, method, apiPath, timeoutMs, body);
        } catch (e) {
            const retry = e instanceof ReadError && e.status !== undefined && (e.status === 429 || e.status >= 500);
            if (!retry || attempt >= REQUEST_ATTEMPTS) {
                if (retry) (e as ReadError).message += ` (tried ${attempt} times)`;
                throw e;
            }
            await sleep(retryDelayMs(attempt, (e as ReadError).retryAfter));
        }
    }
}

function requestOnce(
    access: ClusterAccess,
    agent: http.Agent,
    method: "GET" | "DELETE" | "POST" | "PATCH",
    apiPath: string,
    timeoutMs: number,
    body: unknown,
): Promise<unknown> {
    const what = `${method} ${access.server}${apiPath}`;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
        let url: URL;
        try {
            url = new URL(access.server + apiPath);
        } catch {
            reject(new ReadError(`${what}: the server is not a URL`));
            return;
        }
        const client = url.protocol === "http:" ? http : https;
        const req = client.request(
            url,
            {
                method,
                agent,
                headers: {
                    Accept: "application/json",
                    ...(payload
                        ? {
                              "Content-Type": method === "PATCH" ? "application/json-patch+json" : "application/json",
                              "Content-Length": String(payload.length),
                          }
                        : {}),
                    ...authHeaders(access),
                },
                ...(url.protocol === "https:"
                    ? {
                          ca: access.ca ?? systemCertificates(),
                          cert: access.cert,
                          key: access.key,
                          rejectUnauthorized: !access.insecure,
                          ...(access.serverName ? { servername: access.serverName } : {}),
                      }
                    : {}),
                timeout: timeoutMs,
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("error", (e) => reject(new ReadError(`${what}: ${e.message}`)));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    const status = res.statusCode ?? 0;
                    if (status === 404) {
                        resolve(undefined);
                        return;
                    }
                    if (status < 200 || status >= 300) {
                        const retryAfter = res.headers["retry-after"];
                        reject(new ReadError(`${what}: HTTP ${status}: ${reason(text)}`, status, retryAfter));
                        return;
                    }
                    try {
                        resolve(JSON.parse(text));
                    } catch {
                        reject(new ReadError(`${what}: HTTP ${status} but the body is not JSON: ${text.slice(0, 80)}`));
                    }
                });
            },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
        req.on("error", (e) => reject(new ReadError(`${what}: ${e.message}`)));
        req.end(payload);
    });
}

/**
 * The CAs to trust when the kubeconfig names none: Node's bundled ones and the system's store
 * (where `update-ca-certificates` puts a corporate CA that `oc login` relies on), as kubectl and
 * the provider (Go's crypto/x509) trust the system's. Node 22.15 and later can read the store.
 */
let systemCas: string[] | undefined;
export function systemCertificates(): string[] | undefined {
    if (systemCas === undefined) {
        const get = (tls as unknown as { getCACertificates?: (type: string) => string[] }).getCACertificates;
        systemCas = typeof get === "function" ? [...new Set([...get("bundled"), ...get("system")])] : [];
    }
    return systemCas.length > 0 ? systemCas : undefined;
}

/** The API server's message from a Status body, else the body's start. */
function reason(body: string): string {
    try {
        const status = JSON.parse(body) as { message?: unknown };
        if (typeof status.message === "string") return status.message;
    } catch {
        // not a Status: show the text
    }
    return body.slice(0, 200) || "(no body)";
}

interface Resource {
    readonly plural: string;
    readonly namespaced: boolean;
    readonly verbs: readonly string[];
}

/**
 * An HTTPS agent whose connections go through an HTTP proxy: a CONNECT to the server's host and
 * port, then TLS inside the tunnel, as kubectl and Go's net/http do for $HTTPS_PROXY and proxy-url.
 */
export class TunnelAgent extends https.Agent {
    constructor(
        private readonly proxy: URL,
        options: https.AgentOptions,
        /** How long the proxy may take to answer CONNECT (the request has no socket, so no timeout of its own, until then). */
        private readonly connectTimeoutMs = REQUEST_TIMEOUT_MS,
    ) {
        super(options);
    }

    override createConnection(
        requestOptions: http.ClientRequestArgs,
        callback?: (err: Error | null, stream: stream.Duplex) => void,
    ): undefined {
        const options = requestOptions as tls.ConnectionOptions & { host?: string; port?: number };
        const done = callback ?? (() => undefined);
        const target = `${options.host}:${options.port}`;
        const auth = this.proxy.username
            ? {
                  "Proxy-Authorization": `Basic ${Buffer.from(
                      `${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`,
                  ).toString("base64")}`,
              }
            : {};
        const shown = `${this.proxy.protocol}//${this.proxy.host}`;
        const req = http.request({
            host: this.proxy.hostname,
            port: this.proxy.port || 80,
            method: "CONNECT",
            path: target,
            headers: { Host: target, ...auth },
        });
        let failed = false;
        const fail = (message: string) => {
            if (failed) return;
            failed = true;
            done(new Error(message), undefined as unknown as stream.Duplex);
        };
        req.setTimeout(this.connectTimeoutMs, () => {
            fail(`the proxy ${shown} did not answer CONNECT ${target} in ${this.connectTimeoutMs / 1000} s`);
            req.destroy();
        });
        req.once("connect", (res, socket) => {
            req.setTimeout(0);
            if (res.statusCode !== 200) {
                socket.destroy();
                fail(`the proxy ${shown} answered CONNECT ${target} with HTTP ${res.statusCode}`);
                return;
            }
            done(null, tls.connect({ ...options, socket }));
        });
        req.once("error", (e) => fail(`the proxy ${shown}: ${e.message}`));
        req.end();
        return undefined;
    }
}

/** A reader over Node's HTTPS for a user with certificates or a token. */
export function directCluster(
    access: ClusterAccess,
    timeoutMs = REQUEST_TIMEOUT_MS,
    sleep?: (ms: number) => Promise<void>,
): LiveCluster {
    // Node's agent unrefs idle keep-alive sockets: they never hold the program open.
    const options = { keepAlive: true, maxSockets: 8 };
    const agent = access.proxy
        ? new TunnelAgent(new URL(access.proxy), options, timeoutMs)
        : access.server.startsWith("http:")
          ? new http.Agent(options)
          : new https.Agent(options);
    const get = (p: string) => request(access, agent, "GET", p, timeoutMs, undefined, sleep);
    const writeNamespace = (method: "DELETE" | "PATCH", namespace: string, body: unknown) =>
        request(access, agent, method, `/api/v1/namespaces/${encodeURIComponent(namespace)}`, timeoutMs, body, sleep);
    const discovery = new Map<string, Promise<Map<string, Resource>>>();
    const resources = (apiVersion: string) => {
        let found = discovery.get(apiVersion);
        if (!found) {
            const p = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
            found = get(p).then((list) => {
                const kinds = new Map<string, Resource>();
                for (const r of ((list as { resources?: Record<string, unknown>[] } | undefined)?.resources ??
                    []) as Record<string, unknown>[]) {
                    if (typeof r.name === "string" && !r.name.includes("/")) {
                        kinds.set(String(r.kind), {
                            plural: r.name,
                            namespaced: r.namespaced === true,
                            verbs: Array.isArray(r.verbs) ? (r.verbs as string[]) : [],
                        });
                    }
                }
                return kinds;
            });
            // A failed discovery is asked again next time, not remembered.
            found.catch(() => discovery.delete(apiVersion));
            discovery.set(apiVersion, found);
        }
        return found;
    };
    return {
        async read(ref) {
            const kind = (await resources(ref.apiVersion)).get(ref.kind);
            if (!kind) throw new NotServedError(ref.apiVersion, ref.kind);
            return (await get(objectPath(ref, kind.plural, kind.namespaced))) as LiveObject | undefined;
        },
        async version() {
            const v = (await get("/version")) as { gitVersion?: unknown } | undefined;
            if (!v || typeof v.gitVersion !== "string") {
                throw new ReadError(`GET ${access.server}/version: no version in the answer`);
            }
            return v.gitVersion;
        },
        async listNamespace(namespace) {
            const groups = (await get("/apis")) as { groups?: { preferredVersion?: { groupVersion?: string } }[] };
            const versions = [
                "v1",
                ...(groups?.groups ?? []).map((g) => g.preferredVersion?.groupVersion).filter((v): v is string => !!v),
            ];
            const out: ObjectSummary[] = [];
            for (const apiVersion of versions) {
                for (const [kind, r] of await resources(apiVersion)) {
                    if (!r.namespaced || !r.verbs.includes("list")) continue;
                    const list = (await get(
                        objectPath({ apiVersion, kind, namespace, name: "" }, r.plural, true).replace(/\/$/, ""),
                    )) as { items?: LiveObject[] } | undefined;
                    for (const item of list?.items ?? []) {
                        out.push({
                            apiVersion,
                            kind,
                            name: String(item.metadata?.name ?? ""),
                            labels: item.metadata?.labels ?? {},
                            owned: (item.metadata?.ownerReferences ?? []).length > 0,
                        });
                    }
                }
            }
            return out;
        },
        async createNamespace(namespace, labels, annotations = {}) {
            try {
                await request(
                    access,
                    agent,
                    "POST",
                    "/api/v1/namespaces",
                    timeoutMs,
                    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels, annotations } },
                    sleep,
                );
            } catch (e) {
                if (!(e instanceof ReadError && e.status === 409)) throw e;
            }
        },
        async deleteNamespace(namespace, uid) {
            await writeNamespace("DELETE", namespace, {
                apiVersion: "v1",
                kind: "DeleteOptions",
                preconditions: { uid },
            });
        },
        async unmarkNamespace(namespace, uid, labels, annotations) {
            await writeNamespace("PATCH", namespace, unmarkPatch(uid, labels, annotations));
        },
    };
}

/** @kubernetes/client-node's reader, for users that authenticate by an exec plugin or an auth provider. */
async function clientNodeCluster(connection: Connection): Promise<LiveCluster> {
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    const text = connection.files.length === 1 ? connection.files[0].text : undefined;
    if (text !== undefined) kc.loadFromString(text);
    else kc.loadFromString(connection.settings.kubeconfig ?? "");
    kc.setCurrentContext(connection.context);
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    const version = kc.makeApiClient(k8s.VersionApi);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
        try {
            return await f();
        } catch (e) {
            const code = (e as { code?: number }).code;
            throw new ReadError(`${what}: ${e instanceof Error ? e.message : String(e)}`, code);
        }
    };
    return {
        async read(ref) {
            const header = {
                apiVersion: ref.apiVersion,
                kind: ref.kind,
                metadata: { name: ref.name, namespace: ref.namespace },
            };
            try {
                return (await api.read(header)) as unknown as LiveObject;
            } catch (e) {
                if ((e as { code?: number }).code === 404) return undefined;
                // client-node's discovery, when the group or the kind is not served.
                if (/^Unrecognized API version and kind/.test(e instanceof Error ? e.message : ""))
                    throw new NotServedError(ref.apiVersion, ref.kind);
                throw new ReadError(
                    `read ${ref.kind} ${ref.name}: ${e instanceof Error ? e.message : String(e)}`,
                    (e as { code?: number }).code,
                );
            }
        },
        version: () => wrap("GET /version", async () => (await version.getCode()).gitVersion),
        // Listing every kind needs discovery, which client-node does not offer as one call: a
        // namespace is then never deleted by this program (live/namespace.ts keeps it and says why).
        listNamespace: async () => {
            throw new ReadError("listing a namespace's objects is not supported for exec-plugin users");
        },
        createNamespace: (namespace, labels, annotations = {}) =>
            wrap(`POST namespace ${namespace}`, async () => {
                try {
                    await core.createNamespace({ body: { metadata: { name: namespace, labels, annotations } } });
                } catch (e) {
                    if ((e as { code?: number }).code !== 409) throw e;
                }
            }),
        deleteNamespace: (namespace, uid) =>
            wrap(`DELETE namespace ${namespace}`, async () => {
                await core.deleteNamespace({ name: namespace, body: { preconditions: { uid } } });
            }),
        unmarkNamespace: (namespace, uid, labels, annotations) =>
            wrap(`PATCH namespace ${namespace}`, async () => {
                await core.patchNamespace(
                    { name: namespace, body: unmarkPatch(uid, labels, annotations) },
                    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
                );
            }),
    };
}

/** The cluster of one connection: direct HTTPS, or client-node for exec and auth-provider users. */
export function liveCluster(connection: Connection, timeoutMs = REQUEST_TIMEOUT_MS): LiveCluster {
    if (connection.access !== "delegate") return directCluster(connection.access, timeoutMs);
    const delegate = clientNodeCluster(connection);
    // client-node sets no timeout: a hung API server (or plugin) would hang every command.
    const by = connection.delegatedAuth ?? "client-node";
    const timed = <T>(what: string, f: (c: LiveCluster) => Promise<T>): Promise<T> => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
            timer = setTimeout(
                () =>
                    reject(
                        new ReadError(
                            `${what} ${connection.server}: no answer in ${timeoutMs / 1000} s (the user authenticates by ${by})`,
                        ),
                    ),
                timeoutMs,
            );
            timer.unref();
        });
        return Promise.race([delegate.then(f), late]).finally(() => clearTimeout(timer));
    };
    return {
        read: (ref) => timed(`GET ${ref.kind} ${ref.name} from`, (c) => c.read(ref)),
        version: () => timed("GET /version from", (c) => c.version()),
        listNamespace: (ns) => timed(`list namespace ${ns} on`, (c) => c.listNamespace(ns)),
        createNamespace: (ns, labels, annotations) =>
            timed(`POST namespace ${ns} to`, (c) => c.createNamespace(ns, labels, annotations)),
        deleteNamespace: (ns, uid) => timed(`DELETE namespace ${ns} on`, (c) => c.deleteNamespace(ns, uid)),
        unmarkNamespace: (ns, uid, labels, annotations) =>
            timed(`PATCH namespace ${ns} on`, (c) => c.unmarkNamespace(ns, uid, labels, annotations)),
    };
}
