/**
 * A repository's stack files, offline: every `Pulumi.<stack>.yaml` read and validated with the
 * program's own rules, and the stacks that would collide on one cluster (those of the working tree,
 * and those whose files are gone but whose objects stay deployed). Pure functions over file
 * contents; diff.ts compares two renders, changes.ts reviews each changed file, format.ts prints,
 * git.ts and cli.ts read the repository.
 *
 * A stack names its cluster with `kubernetes:kubeconfig` and `kubernetes:context`, resolved as the
 * program resolves them (live/kubeconfig.ts): stacks whose contexts reach the same API server share
 * a cluster, whatever the contexts are called. Where the kubeconfig cannot be read here (a CI
 * machine has none), a stack's cluster is its context's name, or "the current context".
 */
import * as YAML from "yaml";
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

/** A stack file that cannot be read as one: the file is named, and the reason (may span lines). */
export class StackFileError extends Error {
    constructor(
        readonly file: string,
        message: string,
    ) {
        super(message);
        this.name = "StackFileError";
    }
}

/**
 * One setting of a stack file as Pulumi hands it to a program: a string, lists and maps as JSON;
 * `secret` when it is encrypted (`secure:`, its ciphertext as the value); `structured` for a list
 * or a map.
 */
export function stackFileValue(v: unknown): { value: string; secret: boolean; structured: boolean } {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in v) {
        return { value: String((v as { secure: unknown }).secure), secret: true, structured: false };
    }
    const structured = v !== null && typeof v === "object";
    return { value: typeof v === "string" ? v : JSON.stringify(v), secret: false, structured };
}

/** A stack file's contents; throws a StackFileError naming the file when it is not YAML. */
export function readStackFile(file: string, text: string): StackFile {
    const stack = stackOfFile(file);
    if (!stack) throw new StackFileError(file, `${file} is not a stack file (Pulumi.<stack>.yaml)`);
    let doc: { config?: Record<string, unknown> } | null;
    try {
        doc = YAML.parse(text) as { config?: Record<string, unknown> } | null;
    } catch (e) {
        throw new StackFileError(file, `${file} is not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
    }
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc?.config ?? {})) {
        if (!key.startsWith(`${PROJECT}:`)) continue;
        const v = stackFileValue(value);
        raw[key.slice(PROJECT.length + 1)] = v.secret ? "(secret)" : v.value;
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
    /** The stack files, each with " (removed, still deployed)" when its file is gone but its objects stay. */
    readonly files: readonly string[];
    readonly cluster: string;
}

/** How a stack whose file is gone is named in a collision: its objects are still on the cluster. */
export const STILL_DEPLOYED = " (removed, still deployed)";

/**
 * Stacks on one cluster that would share a namespace, an address on a VLAN, or a pinned MAC: the
 * working tree's stacks (`valid`) among themselves and with `deployed`, the stacks whose files the
 * change removes (or renames) but whose objects stay until they are destroyed. Collisions among
 * `deployed` stacks alone are the base's, not the change's, and are not reported. A render stack
 * (`renderDir`) writes files and never deploys, so it collides with nothing.
 */
export function collisions(
    valid: ReadonlyMap<StackFile, StackConfig>,
    cluster: (f: StackFile) => string = (f) => (f.cluster ? `context ${f.cluster}` : "the current context"),
    deployed: ReadonlyMap<StackFile, StackConfig> = new Map(),
): Collision[] {
    const out: Collision[] = [];
    const byCluster = new Map<string, [string, StackConfig, boolean][]>();
    const add = (f: StackFile, c: StackConfig, gone: boolean) => {
        const key = cluster(f);
        byCluster.set(key, [...(byCluster.get(key) ?? []), [gone ? f.file + STILL_DEPLOYED : f.file, c, gone]]);
    };
    for (const [f, c] of valid) if (!c.renderDir) add(f, c, false);
    for (const [f, c] of deployed) if (!c.renderDir) add(f, c, true);
    for (const [cluster, stacks] of byCluster) {
        const facets: ((c: StackConfig) => string | undefined)[] = [
            (c) => `namespace ${c.namespace}`,
            (c) => `address ${c.ipAddress.address} on VLAN ${c.vlanId}`,
            (c) => (c.macAddress.kind === "pinned" ? `MAC ${c.macAddress.mac}` : undefined),
        ];
        for (const facet of facets) {
            const seen = new Map<string, [string, boolean][]>();
            for (const [file, c, gone] of stacks) {
                const v = facet(c);
                if (v !== undefined) seen.set(v, [...(seen.get(v) ?? []), [file, gone]]);
            }
            for (const [what, files] of seen) {
                if (files.length > 1 && files.some(([, gone]) => !gone)) {
                    out.push({ what, files: files.map(([file]) => file).sort(), cluster });
                }
            }
        }
    }
    return out;
}
