/**
 * Declared state wins: every Kubernetes object of the stack is applied with force, and a hand
 * edit that the kubernetes provider cannot see is made visible to it.
 *
 * Why an edit can be invisible: under server-side apply the provider diffs the program's inputs
 * against the live object *pruned to the shape of the previous inputs* (`pruneLiveState` in
 * provider/pkg/provider), and a pruned list is cut to the declared length. So an element added
 * to a declared list (SYS_ADMIN appended to an SCC's `allowedCapabilities`, a user added to its
 * empty `users`, a rule appended to a ClusterRole) leaves the diff empty, `pulumi up --refresh`
 * changes nothing, and the edit stays. Every such list in these objects is atomic (the SCC's in
 * openshift/api carry `+listType=atomic`): whoever applies it last owns all of it, so one forced
 * apply of the declared object restores it whole.
 *
 * The mechanism, for every object and every field the program declares, with no case per field:
 * - `pulumi.com/patchForce: "true"`: the provider applies with force, so fields that `kubectl
 *   scale`, `kubectl edit` or `oc adm policy` took over come back to this stack;
 * - the program reads the live object and compares it with what it declares: maps only on the
 *   declared keys (labels and annotations that OpenShift or the API server add stay theirs),
 *   lists whole, scalars exactly. A difference changes the `vpp-server/reconciled` annotation,
 *   which the provider sees, so it applies the whole object and the edit is undone. The
 *   annotation's value is read back from the live object when nothing differs, so a clean
 *   stack never shows a change.
 */
import { createHash } from "crypto";
import { gunzipSync, gzipSync } from "zlib";
import { describeRef, ObjectRef, STACK_ID_ANNOTATION } from "../components/names";

export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";
export const RECONCILED_ANNOTATION = "vpp-server/reconciled";
/**
 * What the stack last applied to the object (gzip, base64, of the declared object without this
 * program's own annotations), as kubectl keeps `last-applied-configuration`: a hand edit is a field
 * whose live value differs from it, so an ordinary change of the stack's settings is not one.
 */
export const APPLIED_ANNOTATION = "vpp-server/applied";

/** The annotations this program sets for itself: never part of what is compared or kept. */
export const OWN_ANNOTATIONS = [PATCH_FORCE_ANNOTATION, RECONCILED_ANNOTATION, APPLIED_ANNOTATION, STACK_ID_ANNOTATION];

/** The declared object as the applied annotation keeps it. */
export function appliedValue(declared: KubeObject): string {
    const annotations = Object.fromEntries(
        Object.entries(declared.metadata?.annotations ?? {}).filter(([k]) => !OWN_ANNOTATIONS.includes(k)),
    );
    const kept = { ...declared, metadata: { ...declared.metadata, annotations } };
    return gzipSync(Buffer.from(JSON.stringify(kept))).toString("base64");
}

/** The object the applied annotation holds, or undefined when it has none or it cannot be read. */
export function appliedObject(live: KubeObject): KubeObject | undefined {
    const value = live.metadata?.annotations?.[APPLIED_ANNOTATION];
    if (!value) return undefined;
    try {
        const o = JSON.parse(gunzipSync(Buffer.from(value, "base64")).toString("utf8")) as unknown;
        return isObject(o) ? (o as KubeObject) : undefined;
    } catch {
        return undefined;
    }
}

type Json = unknown;

/** A Kubernetes object as declared or read: apiVersion, kind, metadata and its other fields. */
export interface KubeObject {
    readonly apiVersion?: unknown;
    readonly kind?: unknown;
    readonly metadata?: { name?: unknown; namespace?: unknown; annotations?: Record<string, string> };
    readonly [field: string]: unknown;
}

export const isObject = (v: Json): v is Record<string, Json> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
const isEmpty = (v: Json) =>
    v === undefined ||
    v === null ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.keys(v).length === 0);

/** One declared field whose live value differs. */
export interface Drift {
    /** The field's path, for example `allowedCapabilities` or `spec.template.spec.containers[0].image`. */
    readonly path: string;
    readonly declared: Json;
    readonly live: Json;
}

/**
 * The declared fields whose live value differs. Maps are compared on the declared keys only;
 * lists must have the declared length and each element compares as declared; scalars must be
 * equal. An empty declared value matches an absent one (the API server drops some empty fields).
 * `skip` names paths that are not compared (the reconcile annotation itself).
 */
export function driftOf(declared: Json, live: Json, path = "", skip: ReadonlySet<string> = new Set()): Drift[] {
    if (skip.has(path)) {
        return [];
    }
    if (isObject(declared)) {
        if (!isObject(live)) {
            return isEmpty(declared) && isEmpty(live) ? [] : [{ path, declared, live }];
        }
        return Object.keys(declared).flatMap((k) => driftOf(declared[k], live[k], path ? `${path}.${k}` : k, skip));
    }
    if (Array.isArray(declared)) {
        if (!Array.isArray(live)) {
            return isEmpty(declared) && isEmpty(live) ? [] : [{ path, declared, live }];
        }
        if (live.length !== declared.length) {
            return [{ path, declared, live }];
        }
        return declared.flatMap((d, i) => driftOf(d, live[i], `${path}[${i}]`, skip));
    }
    if (declared === undefined || (isEmpty(declared) && live === undefined)) {
        return [];
    }
    return declared === live ? [] : [{ path, declared, live }];
}

/**
 * The declared object against the live one: `drift`, every declared field whose live value differs
 * (what makes the provider apply again), and `edits`, the hand edits among them: fields whose live
 * value is not what the stack last applied (the applied annotation). A changed setting of the stack
 * is drift but no edit. Without the annotation (an object applied by an older version) every
 * difference counts as an edit.
 */
export function compareWithLive(declared: KubeObject, live: KubeObject): { drift: Drift[]; edits: Drift[] } {
    const skip = new Set(OWN_ANNOTATIONS.map((a) => `metadata.annotations.${a}`));
    const drift = driftOf(declared, live, "", skip);
    const applied = appliedObject(live);
    return { drift, edits: applied ? driftOf(applied, live, "", skip) : drift };
}

/** The object a resource's inputs declare, as the cluster names it. */
export function objectRef(inputs: KubeObject): ObjectRef | undefined {
    const { apiVersion, kind, metadata } = inputs;
    if (typeof apiVersion !== "string" || typeof kind !== "string" || typeof metadata?.name !== "string") {
        return undefined;
    }
    const namespace = typeof metadata.namespace === "string" ? metadata.namespace : undefined;
    return { apiVersion, kind, namespace, name: metadata.name };
}

/**
 * The `vpp-server/reconciled` annotation's value: the live one while nothing drifted (so a clean
 * stack has no diff), a new one when something did (so the provider applies the object).
 */
export function reconciledValue(liveValue: string | undefined, drift: readonly Drift[]): string | undefined {
    if (drift.length === 0) {
        return liveValue;
    }
    return createHash("sha256")
        .update(JSON.stringify({ previous: liveValue ?? "", drift }))
        .digest("hex")
        .slice(0, 16);
}

/** A short description of the drift, for a Pulumi warning. */
export function describeDrift(ref: ObjectRef, drift: readonly Drift[]): string {
    const where = describeRef(ref);
    const fields = drift.map(
        (d) => `${d.path}: ${JSON.stringify(d.live)} on the cluster, ${JSON.stringify(d.declared)} declared`,
    );
    return `${where} was changed on the cluster; this update restores it (${fields.join("; ")})`;
}
