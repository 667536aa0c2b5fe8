/**
 * What the stack may touch on its cluster, decided before anything is registered.
 *
 * Every object the lab declares is read once (`preflight`). Then:
 * - an object that carries another stack's mark (the `app.kubernetes.io/instance` label) stops the
 *   update, naming the object, the other stack and the fix;
 * - an object with no mark (made by hand, or by the proof of concept's `make deploy`) stops it too,
 *   unless the stack says `adopt: true`;
 * - a namespace that exists without this stack's mark is used, never owned (live/namespace.ts);
 * - an object with this stack's mark but another stack id (a copy of the project with a stack of the
 *   same name) stops it, and one with the mark and no id too, unless adopted;
 * - each object read is compared with what the stack declares and what it last applied
 *   (live/drift.ts); an object that could not be read keeps the state's reconcile value (no change
 *   planned from its check), and its failed read, like a kind the API server does not serve
 *   (`notServed`), is one of the problems live/index.ts stops on, or has the hooks refuse.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    describeRef,
    identityOf,
    INSTANCE_LABEL,
    ObjectRef,
    STACK_ID_ANNOTATION,
    StackIdentity,
} from "../components/names";
import {
    APPLIED_ANNOTATION,
    appliedValue,
    compareWithLive,
    describeDrift,
    isObject,
    KubeObject,
    objectRef,
    PATCH_FORCE_ANNOTATION,
    RECONCILED_ANNOTATION,
    reconciledValue,
} from "./drift";
import { NotServedError } from "./reader";
import type { LiveCluster, LiveObject } from "./reader";

/**
 * One object's read: the live object (undefined: it does not exist), or why it could not be read
 * (`notServed`: the API server does not serve its kind at all).
 */
export type ReadResult =
    | { readonly ref: ObjectRef; readonly live?: LiveObject }
    | { readonly ref: ObjectRef; readonly error: string; readonly notServed?: boolean };

/** The reads of one run, by object. */
export class LiveState {
    private readonly byKey = new Map<string, ReadResult>();
    constructor(results: readonly ReadResult[]) {
        for (const r of results) this.byKey.set(refKey(r.ref), r);
    }
    get(ref: ObjectRef): ReadResult | undefined {
        return this.byKey.get(refKey(ref));
    }
    get results(): ReadResult[] {
        return [...this.byKey.values()];
    }
}

export function refKey(ref: ObjectRef): string {
    return `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ""}|${ref.name}`;
}

/** Reads every object once, in parallel; a failed read is kept with its reason, never thrown. */
export async function preflight(cluster: LiveCluster, refs: readonly ObjectRef[]): Promise<LiveState> {
    const results = await Promise.all(
        refs.map(async (ref): Promise<ReadResult> => {
            try {
                return { ref, live: await cluster.read(ref) };
            } catch (e) {
                return {
                    ref,
                    error: e instanceof Error ? e.message : String(e),
                    ...(e instanceof NotServedError ? { notServed: true } : {}),
                };
            }
        }),
    );
    return new LiveState(results);
}

/** Who an existing object belongs to, by its mark. */
export type Ownership =
    | { readonly kind: "absent" }
    | { readonly kind: "ours" }
    | { readonly kind: "unmarked"; readonly copy?: undefined }
    | { readonly kind: "other"; readonly mark: string; readonly copy?: undefined }
    /**
     * This stack's mark, but another stack's id (`id`), or none on a stack that has one (`id`
     * undefined): another copy of the project with the same stack name, or an older deployment.
     */
    | { readonly kind: "copy"; readonly mark: string; readonly id?: string };

export function ownershipOf(live: LiveObject | undefined, who: string | StackIdentity): Ownership {
    if (!live) return { kind: "absent" };
    const mark = live.metadata?.labels?.[INSTANCE_LABEL];
    if (mark === undefined || mark === "") return { kind: "unmarked" };
    const me = identityOf(who);
    if (mark !== me.instance) return { kind: "other", mark };
    const id = live.metadata?.annotations?.[STACK_ID_ANNOTATION];
    // An identity without an id and not marked new (a name alone, as the review's) checks marks only.
    const unchecked = me.id === undefined && me.legacy !== false;
    if (id) return id === me.id || unchecked ? { kind: "ours" } : { kind: "copy", mark, id };
    return me.legacy !== false ? { kind: "ours" } : { kind: "copy", mark };
}

/** The stack a mark names, as far as it can be told (a folded name carries a hash instead). */
export function stackOfMark(mark: string): string {
    const stack = mark.startsWith("vpp-server-") ? mark.slice("vpp-server-".length) : mark;
    // `.<namespace>`: the namespace a stack first deployed to (components/names.ts: instanceName).
    return stack.split(".")[0];
}

/** An update that would take what is not the stack's: it stops before anything is changed. */
export class OwnershipError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(
            [
                `this stack would take objects it did not create (${problems.length}); nothing was changed:`,
                ...problems.map((p) => `  - ${p}`),
            ].join("\n"),
        );
        this.name = "OwnershipError";
    }
}

export interface OwnershipOptions {
    readonly stack: string;
    /** The stack's id and whether it deployed before it had one (StackIdentity). */
    readonly id?: string;
    readonly legacy?: boolean;
    /** The stack's mark, when it is not stackScopedName(stack) (a renamed stack keeps its first one). */
    readonly instance?: string;
    /** Take over existing objects that carry no stack's mark. */
    readonly adopt: boolean;
    /**
     * The Deployment's selector as the stack declares it: an adopted Deployment with another one
     * (the proof of concept's `app: vpp-server`) cannot be changed in place, since a selector is
     * immutable, and would fail the update halfway, after the other objects were adopted.
     */
    readonly deploymentSelector?: Readonly<Record<string, string>>;
}

/**
 * The problems with the objects read (each a sentence naming the object, its owner and the fix), and
 * the objects to adopt. A namespace is judged by live/namespace.ts, except another stack's, which
 * is a problem here: two labs in one namespace would delete each other's objects.
 */
export function ownershipProblems(state: LiveState, o: OwnershipOptions): { problems: string[]; adopted: ObjectRef[] } {
    const problems: string[] = [];
    const adopted: ObjectRef[] = [];
    const fixNamespace = `choose another namespace (pulumi config set vpp-server:namespace <name> --stack ${o.stack})`;
    for (const r of state.results) {
        if ("error" in r) continue;
        const own = ownershipOf(
            r.live,
            o.instance ? { stack: o.stack, instance: o.instance, id: o.id, legacy: o.legacy } : o.stack,
        );
        const isNamespace = r.ref.kind === "Namespace" && r.ref.apiVersion === "v1";
        if (own.kind === "copy" && own.id !== undefined) {
            problems.push(
                `${describeRef(r.ref)} carries this stack's mark (${INSTANCE_LABEL}=${own.mark}) but belongs to another stack of the same name (stack id ${own.id}${o.id ? `, this stack's is ${o.id}` : ""}): another copy of this project, or another backend, deploys a stack ${JSON.stringify(o.stack)} to this cluster. Before this stack's first up, ${fixNamespace}: a new stack's cluster-scoped names follow its stack name and namespace, so two copies in two namespaces never meet; or give it a name of its own (pulumi stack rename <name> --stack ${o.stack})`,
            );
            continue;
        }
        if (own.kind === "copy" && !isNamespace) {
            // This stack's mark, no id, on a stack that has one: made by a same-named stack of an
            // older version (this project's or a copy's). Taken only when the stack says so.
            if (o.adopt) adopted.push(r.ref);
            else
                problems.push(
                    `${describeRef(r.ref)} carries this stack's mark (${INSTANCE_LABEL}=${own.mark}) but no stack id: a stack of the same name made it with an older version of this program, maybe from another copy of the project. If it is this lab's, set vpp-server:adopt true to take it over; otherwise ${fixNamespace}`,
                );
            continue;
        }
        if (own.kind === "other") {
            const label = `${INSTANCE_LABEL}=${own.mark}`;
            const fix =
                r.ref.namespace || isNamespace
                    ? fixNamespace
                    : `before this stack's first up, ${fixNamespace} or give it another name (pulumi stack rename <name> --stack ${o.stack}): its cluster-scoped names follow both`;
            problems.push(
                `${describeRef(r.ref)} belongs to stack ${JSON.stringify(stackOfMark(own.mark))} (label ${label}): ${fix}`,
            );
        } else if (own.kind === "unmarked" && !isNamespace) {
            const selector = (r.live?.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)
                ?.selector?.matchLabels;
            const immutable =
                r.ref.kind === "Deployment" &&
                o.deploymentSelector !== undefined &&
                JSON.stringify(sortedEntries(selector ?? {})) !== JSON.stringify(sortedEntries(o.deploymentSelector));
            if (o.adopt && immutable) {
                const shown = Object.entries(selector ?? {})
                    .map(([k, v]) => `${k}=${v}`)
                    .join(",");
                problems.push(
                    `${describeRef(r.ref)} exists and no stack made it, and its selector (${shown || "none"}) is not this stack's: a Deployment's selector cannot change, so it cannot be adopted in place. Delete it first, then run up again (the lab's address is down until up has run): kubectl delete deployment ${r.ref.name} -n ${r.ref.namespace}`,
                );
            } else if (o.adopt) {
                adopted.push(r.ref);
            } else {
                problems.push(
                    `${describeRef(r.ref)} exists and no stack made it (no ${INSTANCE_LABEL} label): set vpp-server:adopt true to take it over (this stack then owns it, and pulumi destroy deletes it), or ${fixNamespace}`,
                );
            }
        }
    }
    return { problems, adopted };
}

function sortedEntries(o: Readonly<Record<string, string>>): [string, string][] {
    return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

/** Where `ignoreChanges` finds the reconcile annotation. */
export const RECONCILED_PATH = `metadata.annotations["${RECONCILED_ANNOTATION}"]`;

/**
 * The transformation for the stack's Kubernetes objects: every object is applied with force
 * (`pulumi.com/patchForce`), and, given the reads of this run, an object that drifted gets a new
 * `vpp-server/reconciled` value so the provider applies it again. An object that could not be read
 * keeps the value in the stack's state (ignoreChanges): no change is planned from its check.
 */
export function declaredStateWins(state?: LiveState): pulumi.ResourceTransformation {
    return ({ type, props, opts }) => {
        if (!type.startsWith("kubernetes:") || !isObject(props.metadata)) {
            return undefined;
        }
        const ref = objectRef(props as KubeObject);
        const read = ref && state ? state.get(ref) : undefined;
        const annotations = pulumi.output(props as KubeObject).apply((declared: KubeObject) => {
            const forced = { ...(declared.metadata?.annotations ?? {}), [PATCH_FORCE_ANNOTATION]: "true" };
            // What is applied now is kept on the object, for the next run's hand-edit check. Only
            // where the cluster is read (not in a review or a render, which show the declared object).
            const own = state && ref ? { ...forced, [APPLIED_ANNOTATION]: appliedValue(declared) } : forced;
            if (!read || "error" in read || !read.live || !ref) {
                return own;
            }
            const live = read.live as KubeObject;
            const { drift, edits } = compareWithLive(declared, live);
            if (edits.length > 0) {
                void pulumi.log.warn(describeDrift(ref, edits));
            }
            const value = reconciledValue(live.metadata?.annotations?.[RECONCILED_ANNOTATION], drift);
            return value === undefined ? own : { ...own, [RECONCILED_ANNOTATION]: value };
        });
        const keep = read && "error" in read ? { ignoreChanges: [...(opts.ignoreChanges ?? []), RECONCILED_PATH] } : {};
        return { props: { ...props, metadata: { ...props.metadata, annotations } }, opts: { ...opts, ...keep } };
    };
}
