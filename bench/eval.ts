/**
 * Evaluates the program (index.ts) under Pulumi's mocks, with the reference lab's
 * configuration and a render directory (so no cluster is read), and prints {"evalMs", "maxRssKiB"}
 * as one JSON line: the program's own cost, without the engine or a cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import { LAB_CONFIG } from "../test/fixtures/lab";

const t0 = process.hrtime.bigint();
process.env.PULUMI_CONFIG = JSON.stringify(
    Object.fromEntries(
        Object.entries({ ...LAB_CONFIG, renderDir: "bench-render" }).map(([k, v]) => [`vpp-server:${k}`, v]),
    ),
);
let resources = 0;
const mocksReady = pulumi.runtime.setMocks(
    {
        newResource: (args) => {
            resources++;
            return {
                id: `${args.name}-id`,
                state: {
                    ...args.inputs,
                    ...(args.type === "random:index/randomId:RandomId" ? { hex: "c7b4b5741188" } : {}),
                    // The stack's reference to its own last outputs: a stack never deployed.
                    ...(args.type === "pulumi:pulumi:StackReference" ? { outputs: {} } : {}),
                },
            };
        },
        call: (args) => args.inputs,
    },
    "vpp-server",
    "bench",
    false,
);

async function main(): Promise<void> {
    await mocksReady;
    // index.ts is `export = async () => ...`; with esModuleInterop, import() wraps it as `default`.
    const program = (
        (await import("../index")) as unknown as { default: () => Promise<Record<string, pulumi.Output<unknown>>> }
    ).default;
    const outputs = await program();
    await new Promise<void>((resolve) =>
        pulumi.all([outputs.vppctl, outputs.macAddress, outputs.sccName]).apply(() => resolve()),
    );
    await new Promise((r) => setImmediate(r));
    const evalMs = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(JSON.stringify({ evalMs, maxRssKiB: process.resourceUsage().maxRSS, resources }));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
