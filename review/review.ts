/**
 * The review of a repository's stack files, offline: every `Pulumi.<stack>.yaml` validated with
 * the program's own rules, stacks that would collide on one cluster, and, for each stack file that
 * differs from a base, what its objects would become. Pure functions over file contents; cli.ts
 * reads git and prints.
 *
 * A stack names its cluster with `kubernetes:kubeconfig` and `kubernetes:context`, resolved as the
 * program resolves them (live/kubeconfig.ts): stacks whose contexts reach the same API server share
 * a cluster, whatever the contexts are called. Where the kubeconfig cannot be read here (a CI
 * machine has none), a stack's cluster is its context's name, or "the current context".
 */
import * as YAML from "yaml";
import { CONFIG_HASH_ANNOTATION } from "../components/server";
import { resolveConnection } from "../live/kubeconfig";
import {
    ConfigProblem,
    formatProblem,
    parseStackConfig,
    RawConfig,
    StackConfig,
    StackConfigError,
} from "../stacks/config";
import { PROJECT } from "../stacks/schema";
import { RenderedObject } from "./render";

/** `Pulumi.<stack>.yaml` -> stack; undefined for any other file name. */
export function stackOfFile(file: string): string | undefined {
    const m = /^Pulumi\.(.+)\.yaml$/.exec(file);
    return m ? m[1] : undefined;
}

export interface StackFile {
    readonly file: string;
    readonly stack: string;
    /** This project's keys, as Pulumi hands them to the program (arrays as JSON). */
    readonly raw: RawConfig;
    /** `kubernetes:context`, or undefined for the kubeconfig's current context. */
    readonly cluster?: string;
    /** `kubernetes:kubeconfig`, or undefined for $KUBECONFIG or ~/.kube/config. */
    readonly kubeconfig?: string;
}

/**
 * The cluster a stack deploys to, as the program would resolve it: the context's API server; or,
 * where the kubeconfig cannot be read here, the context's name.
 */
export function clusterOf(f: StackFile, projectRoot: string, env: NodeJS.ProcessEnv = process.env): string {
    try {
        return resolveConnection({ kubeconfig: f.kubeconfig, context: f.cluster }, projectRoot, env).server;
    } catch {
        return f.cluster ? `context ${f.cluster}` : "the current context";
    }
}

/** A stack file's contents; throws with the file's name when it is not YAML. */
export function readStackFile(file: string, text: string): StackFile {
    const stack = stackOfFile(file);
    if (!stack) throw new Error(`${file} is not a stack file (Pulumi.<stack>.yaml)`);
    let doc: { config?: Record<string, unknown> } | null;
    try {
        doc = YAML.parse(text) as { config?: Record<string, unknown> } | null;
    } catch (e) {
        throw new Error(`${file} is not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
    }
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc?.config ?? {})) {
        if (!key.startsWith(`${PROJECT}:`)) continue;
        const isSecret = typeof value === "object" && value !== null && "secure" in value;
        raw[key.slice(PROJECT.length + 1)] = isSecret
            ? "(secret)"
            : typeof value === "string"
              ? value
              : JSON.stringify(value);
    }
    const context = doc?.config?.["kubernetes:context"];
    const kubeconfig = doc?.config?.["kubernetes:kubeconfig"];
    return {
        file,
        stack,
        raw,
        cluster: typeof context === "string" ? context : undefined,
        kubeconfig: typeof kubeconfig === "string" ? kubeconfig : undefined,
    };
}

export interface StackProblem {
    readonly file: string;
    /** The key's problem as the program reports it: `vpp-server:<key> is ...; expected ...`. */
    readonly message: string;
}

/** Every problem of every stack file, each naming the file and the key. */
export function validate(files: readonly StackFile[]): {
    valid: Map<StackFile, StackConfig>;
    problems: StackProblem[];
} {
    const valid = new Map<StackFile, StackConfig>();
    const problems: StackProblem[] = [];
    for (const f of files) {
        try {
            valid.set(f, parseStackConfig(f.raw));
        } catch (e) {
            if (!(e instanceof StackConfigError)) throw e;
            problems.push(...e.problems.map((p: ConfigProblem) => ({ file: f.file, message: formatProblem(p) })));
        }
    }
    return { valid, problems };
}

export interface Collision {
    readonly what: string;
    readonly files: readonly string[];
    readonly cluster: string;
}

/** Stacks on one cluster that would share a namespace, an address on a VLAN, or a pinned MAC. */
export function collisions(
    valid: ReadonlyMap<StackFile, StackConfig>,
    cluster: (f: StackFile) => string = (f) => (f.cluster ? `context ${f.cluster}` : "the current context"),
): Collision[] {
    const out: Collision[] = [];
    const byCluster = new Map<string, [StackFile, StackConfig][]>();
    for (const entry of valid) {
        const key = cluster(entry[0]);
        byCluster.set(key, [...(byCluster.get(key) ?? []), entry]);
    }
    for (const [cluster, stacks] of byCluster) {
        const facets: [string, (c: StackConfig) => string | undefined][] = [
            ["namespace", (c) => `namespace ${c.namespace}`],
            ["address", (c) => `address ${c.ipAddress.address} on VLAN ${c.vlanId}`],
            ["mac", (c) => (c.macAddress.kind === "pinned" ? `MAC ${c.macAddress.mac}` : undefined)],
        ];
        for (const [, facet] of facets) {
            const seen = new Map<string, string[]>();
            for (const [f, c] of stacks) {
                const v = facet(c);
                if (v !== undefined) seen.set(v, [...(seen.get(v) ?? []), f.file]);
            }
            for (const [what, files] of seen) {
                if (files.length > 1) out.push({ what, files: files.sort(), cluster });
            }
        }
    }
    return out;
}

export interface FieldChange {
    readonly path: string;
    readonly before: unknown;
    readonly after: unknown;
}

export interface ObjectChange {
    readonly resource: string;
    /** The object as the cluster names it (after the change, or before when removed). */
    readonly name: string;
    readonly change: "added" | "removed" | "updated" | "replaced";
    readonly fields: readonly FieldChange[];
}

/** Fields whose change makes the kubernetes provider replace an object instead of updating it. */
const REPLACING = [/^metadata\.name$/, /^metadata\.namespace$/, /^spec\.selector\b/, /^roleRef\b/];

function leaves(v: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
    if (Array.isArray(v) && v.length > 0) {
        v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
    } else if (typeof v === "object" && v !== null && Object.keys(v).length > 0) {
        for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
    } else {
        out.set(path, v);
    }
    return out;
}

/** What changes between two renders of one stack, object by object and field by field. */
export function diffObjects(before: readonly RenderedObject[], after: readonly RenderedObject[]): ObjectChange[] {
    const old = new Map(before.map((o) => [o.resource, o]));
    const now = new Map(after.map((o) => [o.resource, o]));
    const changes: ObjectChange[] = [];
    for (const resource of [...new Set([...old.keys(), ...now.keys()])].sort()) {
        const a = old.get(resource);
        const b = now.get(resource);
        if (!a || !b) {
            changes.push({ resource, name: (b ?? a)!.name, change: b ? "added" : "removed", fields: [] });
            continue;
        }
        const la = leaves(a.spec, "", new Map());
        const lb = leaves(b.spec, "", new Map());
        const fields: FieldChange[] = [];
        for (const path of [...new Set([...la.keys(), ...lb.keys()])].sort()) {
            if (JSON.stringify(la.get(path)) !== JSON.stringify(lb.get(path))) {
                fields.push({ path, before: la.get(path), after: lb.get(path) });
            }
        }
        if (fields.length > 0) {
            const replaced = fields.some((f) => REPLACING.some((re) => re.test(f.path)));
            changes.push({ resource, name: b.name, change: replaced ? "replaced" : "updated", fields });
        }
    }
    return changes;
}

/** The pod restarts when its template changes; the configuration digest names why. */
export function podRestarts(changes: readonly ObjectChange[]): boolean {
    return changes.some(
        (c) => c.name.startsWith("Deployment ") && c.fields.some((f) => f.path.startsWith("spec.template.")),
    );
}

export interface StackReview {
    readonly file: string;
    /** added: a new stack file; removed: gone from the working tree; changed: differs. */
    readonly status: "added" | "removed" | "changed";
    readonly changes: readonly ObjectChange[];
    readonly podRestarts: boolean;
}

export interface Review {
    readonly stacks: number;
    readonly problems: readonly StackProblem[];
    readonly collisions: readonly Collision[];
    readonly reviews: readonly StackReview[];
}

const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));

/** The review as text (`markdown`: a pull request comment). */
export function format(r: Review, markdown: boolean): string {
    const out: string[] = [];
    const h = (t: string) => out.push(markdown ? `### ${t}` : `== ${t}`);
    const code = (t: string) => (markdown ? `\`${t}\`` : t);
    out.push(
        markdown
            ? `## vpp-server: review of ${r.stacks} stack file${r.stacks === 1 ? "" : "s"}`
            : `vpp-server: review of ${r.stacks} stack file${r.stacks === 1 ? "" : "s"}`,
    );
    h(
        r.problems.length === 0
            ? "Validation: every stack file is valid"
            : `Validation: ${r.problems.length} problem(s)`,
    );
    for (const p of r.problems) out.push(`- ${code(p.file)}: ${p.message}`);
    h(r.collisions.length === 0 ? "Collisions: none" : `Collisions: ${r.collisions.length}`);
    for (const c of r.collisions) out.push(`- ${c.what} on ${c.cluster}: ${c.files.map(code).join(", ")}`);
    for (const s of r.reviews) {
        h(`${s.file} (${s.status})`);
        if (s.changes.length === 0) out.push("- no object changes");
        for (const c of s.changes) {
            out.push(`- ${c.change}: ${code(c.name)}`);
            for (const f of c.fields) {
                const lines = (v: unknown) => (typeof v === "string" && v.includes("\n") ? v.split("\n") : undefined);
                const [a, b] = [lines(f.before), lines(f.after)];
                if (a && b) {
                    // A file in a ConfigMap: the lines that go and come, not the whole text twice.
                    out.push(`  - ${code(f.path)}:`);
                    const line = (sign: string, l: string) =>
                        markdown ? `    - \`${sign} ${l}\`` : `      ${sign} ${l}`;
                    for (const l of a.filter((x) => !b.includes(x))) out.push(line("-", l));
                    for (const l of b.filter((x) => !a.includes(x))) out.push(line("+", l));
                } else {
                    out.push(`  - ${code(f.path)}: ${code(show(f.before))} → ${code(show(f.after))}`);
                }
            }
        }
        if (s.changes.length > 0) {
            out.push(
                s.podRestarts
                    ? `- the pod restarts: its template changes (${CONFIG_HASH_ANNOTATION} names the configuration)`
                    : "- the pod does not restart",
            );
        }
    }
    return out.join("\n") + "\n";
}
