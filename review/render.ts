/**
 * Renders the Kubernetes objects the program would create for one stack's configuration,
 * offline: the program's own components under Pulumi's mocks, with no CLI, cluster, credentials
 * or state. The stack's generated MAC cannot be known before its first deployment: it is
 * rendered as GENERATED_MAC and shown as such.
 */
import * as pulumi from "@pulumi/pulumi";
import { buildLab, labArgs } from "../stacks/compose";
import { parseStackConfig, RawConfig } from "../stacks/config";

/** What a generated MAC is rendered as. */
export const GENERATED_MAC = "(generated at the first deployment)";
/** The mocked random bytes: their MAC stands for the generated one and is replaced by GENERATED_MAC. */
const MOCK_HEX = "000000000000";
const MOCK_MAC = "02:00:00:00:00:00";

/** One object as the program declares it. */
export interface RenderedObject {
    /** The program's name for it (stable across configurations): its identity in a diff. */
    readonly resource: string;
    /** Kind namespace/name, as the cluster names it. */
    readonly name: string;
    readonly kind: string;
    readonly spec: Record<string, unknown>;
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

/** The objects of `stack` with `raw` configuration; throws StackConfigError when it is invalid. */
export async function renderStack(raw: RawConfig, stack: string): Promise<RenderedObject[]> {
    const config = parseStackConfig(raw);
    await mocks();
    const prefix = `r${++renders}`;
    const before = registered.length;
    const lab = buildLab(prefix, labArgs(config, stack));
    await new Promise<void>((resolve) =>
        pulumi.all([lab.vppctl, lab.macAddress, lab.sccName, lab.nadName]).apply(() => resolve()),
    );
    await new Promise((r) => setTimeout(r, 20));
    const generated = config.macAddress.kind === "random";
    return registered
        .slice(before)
        .filter((r) => r.type.startsWith("kubernetes:") && r.name.startsWith(`${prefix}-`))
        .map((r) => {
            const text = JSON.stringify(r.inputs);
            const spec = JSON.parse(generated ? text.split(MOCK_MAC).join(GENERATED_MAC) : text);
            const meta = (spec.metadata ?? {}) as { name?: string; namespace?: string };
            return {
                resource: r.name.slice(prefix.length + 1),
                kind: String(spec.kind),
                name: `${spec.kind} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name}`,
                spec,
            };
        })
        .sort((a, b) => a.resource.localeCompare(b.resource));
}
