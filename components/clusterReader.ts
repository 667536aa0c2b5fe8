/**
 * Reads live objects from the cluster the stack deploys to, with the kubeconfig the kubernetes
 * provider uses: the stack's `kubernetes:kubeconfig` (a path or the file's content) and
 * `kubernetes:context`, else $KUBECONFIG (its files merged as kubectl merges them) or
 * ~/.kube/config.
 *
 * Every `pulumi preview` and `up` reads each object once, so the reader is light: a kubeconfig
 * whose user holds certificates or a token (what `oc login` and an admin kubeconfig hold) is read
 * here and served over Node's own HTTPS, in milliseconds. A user that authenticates through an
 * exec plugin or an auth provider is handed to @kubernetes/client-node, which runs those, at the
 * cost of loading it (about half a second).
 */
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import type { LiveReader, ObjectRef } from "./drift";

export interface KubeconfigSettings {
    /** A kubeconfig file's path or its content; undefined: $KUBECONFIG or ~/.kube/config. */
    readonly kubeconfig?: string;
    /** The kubeconfig context; undefined: its current context. */
    readonly context?: string;
}

/** One kubeconfig file's text, and the directory its relative paths are relative to. */
export interface KubeconfigFile {
    readonly text: string;
    readonly dir: string;
}

/** How to reach the API server, as the chosen context's cluster and user say. */
export interface ClusterAccess {
    readonly server: string;
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly token?: string;
    readonly insecure: boolean;
}

type Named = { name?: string; [field: string]: unknown };

/** The kubeconfig files the provider would read, in kubectl's order (the first wins per name). */
export function kubeconfigFiles(settings: KubeconfigSettings, env: NodeJS.ProcessEnv = process.env): KubeconfigFile[] {
    const given = settings.kubeconfig;
    if (given && /^\s*(apiVersion|clusters|kind|contexts|current-context)\s*:/m.test(given)) {
        return [{ text: given, dir: process.cwd() }];
    }
    const paths = given ? [given] : (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
    const files = paths.length > 0 ? paths : [path.join(os.homedir(), ".kube", "config")];
    return files
        .filter((f) => fs.existsSync(f))
        .map((f) => ({ text: fs.readFileSync(f, "utf8"), dir: path.dirname(path.resolve(f)) }));
}

/**
 * The access of `context` (or the current context); "delegate" when its user authenticates by an
 * exec plugin or an auth provider. Throws, naming what is missing, when the files cannot serve.
 */
export function clusterAccess(files: readonly KubeconfigFile[], context?: string): ClusterAccess | "delegate" {
    const clusters = new Map<string, Record<string, unknown>>();
    const users = new Map<string, Record<string, unknown>>();
    const contexts = new Map<string, Record<string, unknown>>();
    let current: string | undefined;
    for (const f of files) {
        const doc = (YAML.parse(f.text) ?? {}) as Record<string, unknown>;
        const add = (into: Map<string, Record<string, unknown>>, list: unknown, field: string) => {
            for (const e of (Array.isArray(list) ? list : []) as Named[]) {
                if (e.name && !into.has(e.name)) into.set(e.name, { ...(e[field] as object), dir: f.dir });
            }
        };
        add(clusters, doc.clusters, "cluster");
        add(users, doc.users, "user");
        add(contexts, doc.contexts, "context");
        current ??=
            typeof doc["current-context"] === "string" && doc["current-context"] ? doc["current-context"] : undefined;
    }
    const name = context ?? current;
    if (!name) throw new Error("the kubeconfig names no context (set kubernetes:context or current-context)");
    const ctx = contexts.get(name);
    if (!ctx) throw new Error(`the kubeconfig has no context ${name}`);
    const cluster = clusters.get(String(ctx.cluster));
    if (!cluster || typeof cluster.server !== "string")
        throw new Error(`context ${name} names no cluster with a server`);
    const user = users.get(String(ctx.user)) ?? {};
    if (user.exec || user["auth-provider"]) return "delegate";
    const bytes = (o: Record<string, unknown>, data: string, file: string): Buffer | undefined =>
        typeof o[data] === "string"
            ? Buffer.from(o[data] as string, "base64")
            : typeof o[file] === "string"
              ? fs.readFileSync(path.resolve(String(o.dir), o[file] as string))
              : undefined;
    const tokenFile = typeof user.tokenFile === "string" ? path.resolve(String(user.dir), user.tokenFile) : undefined;
    return {
        server: cluster.server.replace(/\/+$/, ""),
        ca: bytes(cluster, "certificate-authority-data", "certificate-authority"),
        cert: bytes(user, "client-certificate-data", "client-certificate"),
        key: bytes(user, "client-key-data", "client-key"),
        token:
            typeof user.token === "string"
                ? user.token
                : tokenFile
                  ? fs.readFileSync(tokenFile, "utf8").trim()
                  : undefined,
        insecure: cluster["insecure-skip-tls-verify"] === true,
    };
}

/** The path of an object in the API, given the resource's plural name and scope (from discovery). */
export function objectPath(ref: ObjectRef, plural: string, namespaced: boolean): string {
    const base = ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const ns = namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : "";
    return `${base}${ns}/${plural}/${encodeURIComponent(ref.name)}`;
}

/** A GET against the API server: the body's JSON, or undefined on 404. */
function get(access: ClusterAccess, agent: http.Agent, apiPath: string): Promise<unknown> {
    const url = new URL(access.server + apiPath);
    const client = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
        const req = client.get(
            url,
            {
                agent,
                headers: {
                    Accept: "application/json",
                    ...(access.token ? { Authorization: `Bearer ${access.token}` } : {}),
                },
                ...(url.protocol === "https:"
                    ? { ca: access.ca, cert: access.cert, key: access.key, rejectUnauthorized: !access.insecure }
                    : {}),
                timeout: 15_000,
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => {
                    const body = Buffer.concat(chunks).toString("utf8");
                    if (res.statusCode === 404) resolve(undefined);
                    else if (res.statusCode && res.statusCode < 300) resolve(JSON.parse(body));
                    else reject(new Error(`GET ${apiPath}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
                });
            },
        );
        req.on("timeout", () => req.destroy(new Error(`GET ${apiPath}: no answer in 15 s`)));
        req.on("error", reject);
    });
}

/** The reader for one deployment: the kubeconfig read once, discovery once per API group version. */
export function clusterReader(settings: KubeconfigSettings): LiveReader {
    let delegate: Promise<LiveReader> | undefined;
    let direct: { access: ClusterAccess; agent: http.Agent } | undefined;
    const discovery = new Map<string, Promise<Map<string, { plural: string; namespaced: boolean }>>>();
    const resources = (access: ClusterAccess, agent: http.Agent, apiVersion: string) => {
        if (!discovery.has(apiVersion)) {
            const p = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
            discovery.set(
                apiVersion,
                get(access, agent, p).then((list) => {
                    const kinds = new Map<string, { plural: string; namespaced: boolean }>();
                    for (const r of ((list as { resources?: Named[] } | undefined)?.resources ?? []) as Named[]) {
                        if (r.name && !r.name.includes("/"))
                            kinds.set(String(r.kind), { plural: r.name, namespaced: r.namespaced === true });
                    }
                    return kinds;
                }),
            );
        }
        return discovery.get(apiVersion)!;
    };
    return async (ref) => {
        if (!direct && !delegate) {
            const access = clusterAccess(kubeconfigFiles(settings), settings.context);
            if (access === "delegate") {
                delegate = clientNodeReader(settings);
            } else {
                const Agent = access.server.startsWith("http:") ? http.Agent : https.Agent;
                direct = { access, agent: new Agent({ keepAlive: true, maxSockets: 8 }) };
            }
        }
        if (delegate) return (await delegate)(ref);
        const { access, agent } = direct!;
        const kind = (await resources(access, agent, ref.apiVersion)).get(ref.kind);
        if (!kind) throw new Error(`the API server does not serve ${ref.kind} in ${ref.apiVersion}`);
        return (await get(access, agent, objectPath(ref, kind.plural, kind.namespaced))) as
            Record<string, unknown> | undefined;
    };
}

/** @kubernetes/client-node's reader, for users that authenticate by an exec plugin or an auth provider. */
async function clientNodeReader(settings: KubeconfigSettings): Promise<LiveReader> {
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    const given = settings.kubeconfig;
    if (given && fs.existsSync(given)) kc.loadFromFile(given);
    else if (given) kc.loadFromString(given);
    else kc.loadFromDefault();
    if (settings.context) kc.setCurrentContext(settings.context);
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    return async (ref) => {
        const header = {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, namespace: ref.namespace },
        };
        try {
            return (await api.read(header)) as unknown as Record<string, unknown>;
        } catch (e) {
            if ((e as { code?: number }).code === 404) return undefined;
            throw e;
        }
    };
}
