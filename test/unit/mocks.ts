/**
 * Pulumi mocks for the unit tests: every registered resource is recorded with its inputs, and
 * random.RandomId returns fixed bytes, so specs can be asserted field by field.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

/** The bytes the mocked RandomId returns: MAC c6:b4:b5:74:11:88 once made local and unicast. */
export const MOCK_RANDOM_HEX = "c7b4b5741188";
export const MOCK_RANDOM_MAC = "c6:b4:b5:74:11:88";

export const registered: Registered[] = [];

/** Resolves once the mocks are installed: await it before registering resources. */
export const mocksReady: Promise<void> = pulumi.runtime.setMocks(
    {
        newResource(args: pulumi.runtime.MockResourceArgs) {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            const state: Record<string, unknown> = { ...args.inputs };
            if (args.type === "random:index/randomId:RandomId") {
                state.hex = MOCK_RANDOM_HEX;
            }
            if (args.type === "pulumi:pulumi:StackReference") {
                state.outputs = {}; // the stack's reference to its own last outputs: never deployed
            }
            return { id: `${args.name}-id`, state };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            return args.inputs;
        },
    },
    "vpp-server",
    "lab",
    false,
);

/** An Output's value (mocks resolve them all). */
export function valueOf<T>(o: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** Waits until the resources registered so far have settled. */
export async function settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
}

/** The one resource of `type` whose name starts with `prefix`; fails naming what exists. */
export function findResource(prefix: string, type: string): Registered {
    const found = registered.filter((r) => r.type === type && r.name.startsWith(prefix));
    if (found.length !== 1) {
        const have = registered.map((r) => `${r.type} ${r.name}`).join("\n  ");
        throw new Error(`expected one ${type} named ${prefix}*, found ${found.length}; registered:\n  ${have}`);
    }
    return found[0];
}
