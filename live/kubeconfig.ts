/**
 * The one connection of a stack: which kubeconfig, which context, which API server. Resolved once,
 * before anything is registered, and handed to the kubernetes provider, to the live reader and to
 * the review's collision check, so the three always mean the same cluster.
 *
 * The order is the provider's and kubectl's: the stack's `kubernetes:kubeconfig` (a path, relative
 * to the project, or the file's content), else $KUBECONFIG (its files merged, the first wins per
 * name), else ~/.kube/config; the stack's `kubernetes:context`, else the current context.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ipaddr from "ipaddr.js";
import * as YAML from "yaml";

export interface KubeconfigSettings {
    /** `kubernetes:kubeconfig`: a kubeconfig file's path or its content; undefined: $KUBECONFIG or ~/.kube/config. */
    readonly kubeconfig?: string;
    /** `kubernetes:context`; undefined: the kubeconfig's current context. */
    readonly context?: string;
    /** `kubernetes:kubeconfig` is a secret (`config set --secret`): no message shows its value. */
    readonly kubeconfigSecret?: boolean;
}

/** One kubeconfig file's text, where it came from, and the directory its relative paths are relative to. */
export interface KubeconfigFile {
    readonly text: string;
    readonly dir: string;
    /** The file's path, or "kubernetes:kubeconfig (content)". */
    readonly name: string;
}

/** How to reach the API server, as the chosen context's cluster and user say. */
export interface ClusterAccess {
    readonly server: string;
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly token?: string;
    /** Basic auth, as the user's `username` and `password` give it. */
    readonly username?: string;
    readonly password?: string;
    /** Impersonation (`as`, `as-uid`, `as-groups`), sent as kubectl sends it. */
    readonly impersonate?: string;
    readonly impersonateUid?: string;
    readonly impersonateGroups?: readonly string[];
    /** An http:// proxy the requests go through (CONNECT), from proxy-url or $HTTPS_PROXY. */
    readonly proxy?: string;
    /** The cluster's `tls-server-name`: the name the server's certificate is checked against. */
    readonly serverName?: string;
    readonly insecure: boolean;
}

/** The stack's cluster, resolved. */
export interface Connection {
    /** Where the kubeconfig came from, for messages: `kubernetes:kubeconfig /x`, `$KUBECONFIG /a:/b`, `~/.kube/config`. */
    readonly source: string;
    readonly files: readonly KubeconfigFile[];
    /** The context used: the stack's `kubernetes:context` or the current one. */
    readonly context: string;
    /** The context's cluster's API server URL. */
    readonly server: string;
    /** Direct access (certificates, token), or "delegate" for exec-plugin and auth-provider users. */
    readonly access: ClusterAccess | "delegate";
    /** With "delegate": how the user authenticates, for messages (`exec plugin <command>`, `auth provider <name>`). */
    readonly delegatedAuth?: string;
    /** The settings as resolved: an absolute path or the content, and the context; for @kubernetes/client-node. */
    readonly settings: KubeconfigSettings;
    /**
     * The kubernetes provider's `kubeconfig` input: the stack's path made absolute, or its content;
     * undefined when it comes from the environment (the provider's SDK then passes $KUBECONFIG, as it
     * always has, so an existing stack's provider is updated, not replaced).
     */
    readonly providerKubeconfig?: string;
}

/** A connection that cannot be made: names the setting, the file and the context. Nothing is registered. */
export class ConnectionError extends pulumi.RunError {
    constructor(message: string) {
        super(`${message}; nothing was deployed`);
        this.name = "ConnectionError";
    }
}

const LOOKS_LIKE_CONTENT = /^\s*(apiVersion|clusters|kind|contexts|current-context|users|preferences)\s*:/m;

/**
 * Whether `kubernetes:kubeconfig` holds a kubeconfig's content rather than a path, as the provider
 * takes it: YAML, or JSON (`oc config view --raw -o json`), or anything on more than one line (no
 * path is). Content may hold tokens and keys, so no message ever shows it.
 */
export function isKubeconfigContent(value: string): boolean {
    return LOOKS_LIKE_CONTENT.test(value) || /^\s*[{[]/.test(value) || /[\r\n]/.test(value.trim());
}
const CONTENT_NAME = "kubernetes:kubeconfig (content)";

/**
 * Whether a value could be a file's path, and so may be shown: short, on one line, of the
 * characters paths are written with. A base64 kubeconfig or a token is not.
 */
export function looksLikePath(value: string): boolean {
    const v = value.trim();
    return v.length <= 200 && !/[\s"'=]/.test(v.replace(/ /g, "")) && !/^[A-Za-z0-9+/_-]{60,}={0,2}$/.test(v);
}

/** A value that may hold a credential, as a message shows it: its first 6 characters and its length. */
export function maskedValue(value: string): string {
    const v = value.trim();
    return `${JSON.stringify(`${v.slice(0, 6)}...`)} (${v.length} characters, not shown: it may hold a credential)`;
}

/** Whether a value is a kubeconfig encoded in base64 (as a CI secret often holds one). */
function isBase64Kubeconfig(value: string): boolean {
    const v = value.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return false;
    return isKubeconfigContent(Buffer.from(v, "base64").toString("utf8"));
}

/** `~/x` as the provider expands it. */
function expandHome(p: string): string {
    return p === "~" ? os.homedir() : p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p;
}

/**
 * The kubeconfig files to read, in kubectl's order, and where they came from. `projectRoot` anchors
 * a relative `kubernetes:kubeconfig` (Pulumi runs the program in bin/). A file the stack names must
 * exist; $KUBECONFIG's missing files are skipped, as kubectl skips them, unless none exists.
 */
export function kubeconfigFiles(
    settings: KubeconfigSettings,
    projectRoot: string,
    env: NodeJS.ProcessEnv = process.env,
): { files: KubeconfigFile[]; source: string; providerKubeconfig?: string; resolved?: string } {
    const read = (f: string): KubeconfigFile => ({
        text: fs.readFileSync(f, "utf8"),
        dir: path.dirname(f),
        name: f,
    });
    const given = settings.kubeconfig;
    if (given !== undefined && given.trim() !== "") {
        if (isKubeconfigContent(given)) {
            return {
                files: [{ text: given, dir: projectRoot, name: CONTENT_NAME }],
                source: CONTENT_NAME,
                providerKubeconfig: given,
                resolved: given,
            };
        }
        const file = path.resolve(projectRoot, expandHome(given.trim()));
        if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
            const accepted = "a path relative to the project, ~/, absolute, or the kubeconfig's content, YAML or JSON";
            if (settings.kubeconfigSecret) {
                throw new ConnectionError(
                    `kubernetes:kubeconfig (a secret; its value is not shown) is neither a kubeconfig nor the path of a file that exists (${accepted})`,
                );
            }
            if (!looksLikePath(given)) {
                // Not a path any file has: maybe a credential (a base64 kubeconfig, a token). Never shown whole.
                const base64 = isBase64Kubeconfig(given);
                throw new ConnectionError(
                    `kubernetes:kubeconfig is ${maskedValue(given)}, ${base64 ? "a base64-encoded kubeconfig" : "neither a kubeconfig nor the path of a file"} (${accepted}); ${base64 ? "decode it and " : ""}set it as a secret: pulumi config set --secret kubernetes:kubeconfig "$(${base64 ? "base64 -d <file>" : "cat <kubeconfig file>"})"`,
                );
            }
            throw new ConnectionError(
                `kubernetes:kubeconfig is ${JSON.stringify(given)}: no file ${file} (${accepted})`,
            );
        }
        return {
            files: [read(file)],
            source: `kubernetes:kubeconfig ${file}`,
            providerKubeconfig: file,
            resolved: file,
        };
    }
    const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
    if (listed.length > 0) {
        const existing = listed.map((f) => path.resolve(expandHome(f))).filter((f) => fs.existsSync(f));
        if (existing.length === 0) {
            throw new ConnectionError(
                `$KUBECONFIG is ${JSON.stringify(env.KUBECONFIG)}: none of its files exists (set kubernetes:kubeconfig, or fix $KUBECONFIG)`,
            );
        }
        const files = existing.map(read);
        // Several files: the provider cannot take a list, so it gets the merged content (a secret).
        const merged = files.length > 1 ? mergedKubeconfig(files) : undefined;
        return {
            files,
            source: `$KUBECONFIG ${existing.join(path.delimiter)}`,
            providerKubeconfig: merged,
            resolved: merged ?? existing[0],
        };
    }
    const home = path.join(os.homedir(), ".kube", "config");
    if (!fs.existsSync(home)) {
        throw new ConnectionError(
            `no kubeconfig: kubernetes:kubeconfig is not set, $KUBECONFIG is empty and ${home} does not exist (log in to the cluster, or pulumi config set kubernetes:kubeconfig <path>)`,
        );
    }
    return { files: [read(home)], source: home, resolved: home };
}

type Entry = Record<string, unknown>;
type Named = { name?: string; [field: string]: unknown };

/** The entries of the files merged first-wins per name, each remembering its file's directory. */
function merge(files: readonly KubeconfigFile[]) {
    const clusters = new Map<string, Entry>();
    const users = new Map<string, Entry>();
    const contexts = new Map<string, Entry>();
    let current: string | undefined;
    for (const f of files) {
        let doc: Record<string, unknown>;
        try {
            doc = (YAML.parse(f.text) ?? {}) as Record<string, unknown>;
        } catch (e) {
            throw new ConnectionError(
                `the kubeconfig ${f.name} is not YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
            );
        }
        if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
            throw new ConnectionError(`the kubeconfig ${f.name} is not a kubeconfig (a YAML mapping)`);
        }
        const add = (into: Map<string, Entry>, list: unknown, field: string) => {
            for (const e of (Array.isArray(list) ? list : []) as Named[]) {
                if (e && e.name && !into.has(e.name)) into.set(e.name, { ...(e[field] as object), dir: f.dir });
            }
        };
        add(clusters, doc.clusters, "cluster");
        add(users, doc.users, "user");
        add(contexts, doc.contexts, "context");
        current ??=
            typeof doc["current-context"] === "string" && doc["current-context"] ? doc["current-context"] : undefined;
    }
    return { clusters, users, contexts, current };
}

/** Several kubeconfig files as one, merged as kubectl merges them (`kubectl config view --flatten` without the flattening). */
export function mergedKubeconfig(files: readonly KubeconfigFile[]): string {
    const m = merge(files);
    const strip = (e: Entry) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== "dir"));
    // Relative file references stay valid only as absolute paths.
    const absolute = (e: Entry, keys: string[]) => {
        const out = strip(e);
        for (const k of keys) if (typeof out[k] === "string") out[k] = path.resolve(String(e.dir), out[k] as string);
        return out;
    };
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": m.current ?? "",
        clusters: [...m.clusters].map(([name, c]) => ({ name, cluster: absolute(c, ["certificate-authority"]) })),
        users: [...m.users].map(([name, u]) => ({
            name,
            user: absolute(u, ["client-certificate", "client-key", "tokenFile"]),
        })),
        contexts: [...m.contexts].map(([name, c]) => ({ name, context: strip(c) })),
    });
}

/** How a user the program hands to @kubernetes/client-node authenticates: `exec plugin <command>` or `auth provider <name>`. */
function delegatedAuth(user: Entry): string {
    const exec = user.exec as { command?: unknown } | undefined;
    if (exec) return `exec plugin ${typeof exec.command === "string" ? exec.command : "(no command)"}`;
    const provider = user["auth-provider"] as { name?: unknown } | undefined;
    return `auth provider ${typeof provider?.name === "string" ? provider.name : "(unnamed)"}`;
}

/**
 * The context to use, its server and its access ("delegate" when its user authenticates by an exec
 * plugin or an auth provider). Throws a ConnectionError naming the source and the context when the
 * files cannot serve it.
 */
export function clusterAccess(
    files: readonly KubeconfigFile[],
    context?: string,
    source = files.map((f) => f.name).join(path.delimiter),
    env: NodeJS.ProcessEnv = process.env,
): { context: string; server: string; access: ClusterAccess | "delegate"; delegatedAuth?: string } {
    const { clusters, users, contexts, current } = merge(files);
    const name = context ?? current;
    if (!name) {
        throw new ConnectionError(
            `the kubeconfig (${source}) has no current-context and kubernetes:context is not set (pulumi config set kubernetes:context <context>; contexts: ${[...contexts.keys()].join(", ") || "none"})`,
        );
    }
    const setting = context
        ? `kubernetes:context is ${JSON.stringify(context)}`
        : `the current context ${JSON.stringify(name)}`;
    const ctx = contexts.get(name);
    if (!ctx) {
        throw new ConnectionError(
            `${setting}, but the kubeconfig (${source}) has no such context; it has: ${[...contexts.keys()].join(", ") || "none"}`,
        );
    }
    const cluster = clusters.get(String(ctx.cluster));
    if (!cluster || typeof cluster.server !== "string" || cluster.server === "") {
        throw new ConnectionError(
            `${setting}, but its cluster ${JSON.stringify(ctx.cluster ?? "")} has no server in the kubeconfig (${source})`,
        );
    }
    const server = cluster.server.replace(/\/+$/, "");
    const user = users.get(String(ctx.user)) ?? {};
    if (user.exec || user["auth-provider"])
        return { context: name, server, access: "delegate", delegatedAuth: delegatedAuth(user) };
    const bytes = (o: Entry, data: string, file: string): Buffer | undefined =>
        typeof o[data] === "string"
            ? Buffer.from(o[data] as string, "base64")
            : typeof o[file] === "string"
              ? fs.readFileSync(path.resolve(String(o.dir), o[file] as string))
              : undefined;
    const tokenFile = typeof user.tokenFile === "string" ? path.resolve(String(user.dir), user.tokenFile) : undefined;
    // What the program's own reads cannot do as the provider would: stop, naming the field, rather
    // than read anonymously or around it.
    // The proxy, as kubectl picks it: the cluster's proxy-url, else $HTTPS_PROXY (unless $NO_PROXY
    // names the server). An HTTP proxy is used through CONNECT; any other kind stops the run.
    const proxyVariable = proxyFor(server, env);
    const proxy =
        typeof cluster["proxy-url"] === "string" && cluster["proxy-url"]
            ? { url: cluster["proxy-url"], from: "the cluster's proxy-url" }
            : proxyVariable
              ? { url: String(env[proxyVariable]), from: `$${proxyVariable}` }
              : undefined;
    const unsupported = [
        ...(proxy && !/^http:\/\/[^/]+\/?$/i.test(proxy.url)
            ? [`${proxy.from} (${redactUrl(proxy.url)}), a proxy that is not http://`]
            : []),
        ...(proxy && server.startsWith("http:") ? [`${proxy.from}: a proxy for an http:// server`] : []),
        ...(user["as-user-extra"] ? ["the user's as-user-extra"] : []),
    ];
    if (unsupported.length > 0) {
        throw new ConnectionError(
            `${setting} reaches its server ${server} through ${unsupported.join(" and ")}: this program's own reads cannot go that way (they read the lab before anything is registered, and never anonymously; an http:// proxy is used by CONNECT); use a context without it, or reach the server directly (set NO_PROXY=${new URL(server).hostname})`,
        );
    }
    const groups = user["as-groups"];
    return {
        context: name,
        server,
        access: defined({
            server,
            proxy: proxy?.url,
            username: typeof user.username === "string" ? user.username : undefined,
            password: typeof user.password === "string" ? user.password : undefined,
            impersonate: typeof user.as === "string" && user.as ? user.as : undefined,
            impersonateUid: typeof user["as-uid"] === "string" && user["as-uid"] ? user["as-uid"] : undefined,
            impersonateGroups: Array.isArray(groups) ? groups.map(String) : undefined,
            serverName:
                typeof cluster["tls-server-name"] === "string" && cluster["tls-server-name"]
                    ? cluster["tls-server-name"]
                    : undefined,
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
        }),
    };
}

/** The object without its undefined fields. */
function defined<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The stack's connection, or a ConnectionError that names what is wrong. */
export function resolveConnection(
    settings: KubeconfigSettings,
    projectRoot: string,
    env: NodeJS.ProcessEnv = process.env,
): Connection {
    const { files, source, providerKubeconfig, resolved } = kubeconfigFiles(settings, projectRoot, env);
    const context = settings.context?.trim() ? settings.context.trim() : undefined;
    const found = clusterAccess(files, context, source, env);
    return {
        source,
        files,
        context: found.context,
        server: found.server,
        access: found.access,
        ...(found.delegatedAuth ? { delegatedAuth: found.delegatedAuth } : {}),
        settings: { kubeconfig: resolved, context: found.context },
        providerKubeconfig,
    };
}

/** One line for the engineer: where this stack deploys. */
export function describeConnection(c: Connection): string {
    return `target cluster: context ${c.context}, server ${c.server} (kubeconfig: ${c.source})`;
}

/** A proxy URL without its credentials, for a message. */
function redactUrl(u: string): string {
    try {
        const url = new URL(u);
        url.username = "";
        url.password = "";
        return url.toString().replace(/\/$/, "");
    } catch {
        return "not a URL";
    }
}

/**
 * The environment variable whose proxy a request to `server` would go through, as Go's
 * http.ProxyFromEnvironment (the provider's and kubectl's) decides: HTTPS_PROXY (or HTTP_PROXY for
 * an http:// server), unless NO_PROXY names the host, a domain it ends in, its IP or `*`. Loopback
 * is never proxied.
 */
export function proxyFor(server: string, env: NodeJS.ProcessEnv): string | undefined {
    let url: URL;
    try {
        url = new URL(server);
    } catch {
        return undefined;
    }
    const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    if (host === "localhost" || /^127\./.test(host) || host === "::1") return undefined;
    const names = url.protocol === "http:" ? ["HTTP_PROXY", "http_proxy"] : ["HTTPS_PROXY", "https_proxy"];
    const variable = names.find((n) => env[n]);
    if (!variable) return undefined;
    const noProxy = (env.NO_PROXY ?? env.no_proxy ?? "")
        .split(",")
        .map((e) => e.trim().toLowerCase())
        .filter(Boolean);
    const port = url.port || (url.protocol === "http:" ? "80" : "443");
    for (const entry of noProxy) {
        if (entry === "*") return undefined;
        const [h, p] = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(entry)?.slice(1) ?? [entry];
        if (p && p !== port) continue;
        const bare = h.replace(/^\*?\./, "");
        if (host === bare || host.endsWith(`.${bare}`)) return undefined;
        if (h.includes("/") && inCidr(host, h)) return undefined;
    }
    return variable;
}

function inCidr(host: string, cidr: string): boolean {
    try {
        const addr = ipaddr.parse(host);
        const range = ipaddr.parseCIDR(cidr);
        return addr.kind() === range[0].kind() && addr.match(range);
    } catch {
        return false;
    }
}
