/**
 * The lab's Kubernetes objects built under Pulumi's mocks, as the policy pack and the SCC
 * oracle see them: type token, resource name and properties.
 */
import { mocksReady, registered, valueOf } from "../unit/mocks";
import { parseStackConfig } from "../../stacks/config";
import { buildLab, labArgs } from "../../stacks/compose";
import { Res } from "../../policy/rules";
import { LAB_CONFIG } from "../fixtures/lab";

/** The resources of one lab as the policy engine sees them. */
export async function labResources(caps?: readonly string[], raw: Record<string, string> = {}): Promise<Res[]> {
    await mocksReady;
    const name = `policy${registered.length}`;
    const config = parseStackConfig({
        ...LAB_CONFIG,
        ...(caps ? { imageCapabilities: JSON.stringify(caps) } : {}),
        ...raw,
    });
    const lab = buildLab(name, labArgs(config, "lab"));
    await Promise.all([valueOf(lab.vppctl), valueOf(lab.macAddress)]);
    await new Promise((r) => setTimeout(r, 10));
    return registered
        .filter((r) => r.name.startsWith(`${name}-`) && !r.type.startsWith("vpp-server:"))
        .map((r) => ({ type: r.type, name: r.name, props: JSON.parse(JSON.stringify(r.inputs)) }));
}
