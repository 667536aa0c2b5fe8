/**
 * What changes between two renders of one stack, object by object and field by field. An object
 * is the same object when it has the same identity on the cluster (apiVersion, kind, namespace,
 * name); an object whose name or namespace changes is one Pulumi replaces: it is paired with its
 * old self by its identity in the program (type and logical name).
 */
import { RenderedObject } from "./render";

export interface FieldChange {
    readonly path: string;
    readonly before: unknown;
    readonly after: unknown;
}

export interface ObjectChange {
    /** `Kind namespace/name`: the object as the cluster names it (after the change, or before when removed). */
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

function fieldChanges(a: RenderedObject, b: RenderedObject): FieldChange[] {
    const la = leaves(a.spec, "", new Map());
    const lb = leaves(b.spec, "", new Map());
    const fields: FieldChange[] = [];
    for (const path of [...new Set([...la.keys(), ...lb.keys()])].sort()) {
        if (JSON.stringify(la.get(path)) !== JSON.stringify(lb.get(path))) {
            fields.push({ path, before: la.get(path), after: lb.get(path) });
        }
    }
    return fields;
}

/**
 * The changes from `before` to `after`, in the order of `after` (then what only `before` has):
 * every object either side declares appears once, unless it is unchanged.
 */
export function diffObjects(before: readonly RenderedObject[], after: readonly RenderedObject[]): ObjectChange[] {
    const oldById = new Map(before.map((o) => [o.id, o]));
    const newIds = new Set(after.map((o) => o.id));
    // What is gone from the cluster's view, by its identity in the program: a replacement's old self.
    const goneByResource = new Map(before.filter((o) => !newIds.has(o.id)).map((o) => [o.resource, o]));
    const changes: ObjectChange[] = [];
    for (const b of after) {
        const a = oldById.get(b.id) ?? goneByResource.get(b.resource);
        if (!a) {
            changes.push({ name: b.name, change: "added", fields: [] });
            continue;
        }
        goneByResource.delete(a.resource);
        const fields = fieldChanges(a, b);
        if (fields.length > 0) {
            const replaced = a.id !== b.id || fields.some((f) => REPLACING.some((re) => re.test(f.path)));
            changes.push({ name: b.name, change: replaced ? "replaced" : "updated", fields });
        }
    }
    for (const a of goneByResource.values()) changes.push({ name: a.name, change: "removed", fields: [] });
    return changes;
}

/** The pod restarts when its template changes; the configuration digest names why. */
export function podRestarts(changes: readonly ObjectChange[]): boolean {
    return changes.some(
        (c) => c.name.startsWith("Deployment ") && c.fields.some((f) => f.path.startsWith("spec.template.")),
    );
}
