/**
 * Renders the Kubernetes objects the program would create for one stack's configuration,
 * offline: the program's own components under Pulumi's mocks, with no CLI, cluster, credentials
 * or state. The stack's generated MAC cannot be known before its first deployment: it is
 * rendered as GENERATED_MAC and shown as such.
 */
import * as pulumi from "@pulumi/pulumi";
import { labObjects } from "../components/lab";
import { describeRef, ObjectRef } from "../components/names";
import { buildLab, labArgs } from "../stacks/compose";
import { parseStackConfig, RawConfig } from "../stacks/config";

/** What a generated MAC is rendered as. */
export const GENERATED_MAC = "(generated at the first deployment)";
/** The mocked random bytes: their MAC stands for the generated one and is replaced by GENERATED_MAC. */
const MOCK_HEX = "000000000000";
const MOCK_MAC = "02:00:00:00:00:00";

/** One object as the program declares it. */
export interface RenderedObject {
    /**
     * What identifies it on a cluster: `apiVersion/kind/namespace/name` (no namespace when it is
     * cluster-scoped). Two objects of one render never share it.
     */
    readonly id: string;
    /**
     * What identifies it to Pulumi: its type and the program's name for it (stable across
     * configurations). An object whose `id` changes while this stays is one Pulumi replaces.
     */
    readonly resource: string;
    /** `Kind namespace/name`, as the cluster names it. */
    readonly name: string;
    readonly kind: string;
    readonly spec: Record<string, unknown>;
}

/** `apiVersion/kind/namespace/name`, or `apiVersion/kind/name` for a cluster-scoped object. */
export function objectId(ref: ObjectRef): string {
    return [ref.apiVersion, ref.kind, ref.namespace, ref.name].filter((p) => p !== undefined).join("/");
}

interface Registration {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
}
const registered: Registration[] = [];
let ready: Promise<void> | undefined;

function mocks(): Promise<void> {
    return (ready ??= pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type === "random:index/randomId:RandomId") state.hex = MOCK_HEX;
                return { id: `${args.name}-id`, state };
            },
            call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
        },
        "vpp-server",
        "review",
        true,
    ));
}

let renders = 0;

/**
 * The objects of `stack` with `raw` configuration, in the order the lab declares them
 * (labObjects); throws StackConfigError when the configuration is invalid.
 */
export async function renderStack(raw: RawConfig, stack: string): Promise<RenderedObject[]> {
    const config = parseStackConfig(raw);
    await mocks();
    const prefix = `r${++renders}`;
    const before = registered.length;
    const args = labArgs(config, stack);
    const lab = buildLab(prefix, args);
    await new Promise<void>((resolve) =>
        pulumi.all([lab.vppctl, lab.macAddress, lab.sccName, lab.nadName]).apply(() => resolve()),
    );
    await new Promise((r) => setTimeout(r, 20));
    const generated = config.macAddress.kind === "random";
    const objects = registered
        .slice(before)
        .filter((r) => r.type.startsWith("kubernetes:") && r.name.startsWith(`${prefix}-`))
        .map((r): RenderedObject => {
            const text = JSON.stringify(r.inputs);
            const spec = JSON.parse(generated ? text.split(MOCK_MAC).join(GENERATED_MAC) : text);
            const meta = (spec.metadata ?? {}) as { name?: string; namespace?: string };
            const ref: ObjectRef = {
                apiVersion: String(spec.apiVersion),
                kind: String(spec.kind),
                namespace: meta.namespace,
                name: String(meta.name),
            };
            return {
                id: objectId(ref),
                resource: `${r.type}::${r.name.slice(prefix.length + 1)}`,
                kind: ref.kind,
                name: describeRef(ref),
                spec,
            };
        });
    const seen = new Map<string, RenderedObject>();
    for (const o of objects) {
        const twin = seen.get(o.id);
        if (twin) throw new Error(`the program declares ${o.name} twice (${twin.resource} and ${o.resource})`);
        seen.set(o.id, o);
    }
    const order = labObjects(args).map(objectId);
    const rank = (o: RenderedObject) => (order.includes(o.id) ? order.indexOf(o.id) : order.length);
    return objects.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}
