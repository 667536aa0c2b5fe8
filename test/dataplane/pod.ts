/**
 * The lab's pod as the program declares it: the reference lab's stack (with any overrides)
 * rendered by the program's own composition under Pulumi's mocks, as the unit tests do. The
 * data-plane tier and its benchmark run exactly this: the ConfigMap's files, the init, VPP and
 * metrics containers' commands, environment, mounts, user, capabilities and probes, the memory limit.
 */
import { mocksReady, registered, valueOf } from "../unit/mocks";
import { parseStackConfig, RawConfig } from "../../stacks/config";
import { buildLab, labArgs } from "../../stacks/compose";
import { LAB_CONFIG } from "../fixtures/lab";

export interface Container {
    readonly name: string;
    readonly command: string[];
    readonly env?: { name: string; value: string }[];
    readonly volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
    readonly securityContext: {
        runAsUser: number;
        runAsGroup: number;
        allowPrivilegeEscalation?: boolean;
        readOnlyRootFilesystem?: boolean;
        capabilities: { drop: string[]; add?: string[] };
    };
    readonly resources: { limits?: Record<string, string>; requests?: Record<string, string> };
    readonly startupProbe?: Probe;
    readonly readinessProbe?: Probe;
    readonly livenessProbe?: Probe;
}

export interface Probe {
    /** The VPP container's probes run a command; the metrics container's ask HTTP. */
    readonly exec?: { command: string[] };
    readonly httpGet?: { path: string; port: string | number; scheme?: string };
    readonly periodSeconds: number;
    readonly timeoutSeconds: number;
    readonly failureThreshold: number;
}

export interface LabPod {
    /** The ConfigMap's files: vpp.conf, startup.conf, index.html, init.sh, vpp-cpus.sh. */
    readonly files: Record<string, string>;
    readonly init: Container;
    readonly vpp: Container;
    /** The metrics container (`metrics: cluster`), with its ports. */
    readonly metrics?: Container & { readonly ports: { name: string; containerPort: number }[] };
    /** Volume name -> "configMap" or "emptyDir". */
    readonly volumes: Record<string, "configMap" | "emptyDir">;
    /** The MAC the stack pins on macvlan0 (the mocks' random bytes). */
    readonly mac: string;
    /** The address on host-macvlan0.<vlanId>, and the VLAN. */
    readonly ipCidr: string;
    readonly vlanId: number;
}

let renders = 0;

/** The reference lab's pod with `overrides` of its stack configuration. */
export async function labPod(overrides: RawConfig = {}): Promise<LabPod> {
    await mocksReady;
    const config = parseStackConfig({ ...LAB_CONFIG, ...overrides });
    const name = `dp${++renders}`;
    const lab = buildLab(name, labArgs(config, "lab"));
    const mac = await valueOf(lab.macAddress);
    await valueOf(lab.vppctl);
    await new Promise((r) => setTimeout(r, 20));
    const mine = registered.filter((r) => r.name.startsWith(`${name}-`));
    const cm = mine.find((r) => r.type === "kubernetes:core/v1:ConfigMap");
    const dep = mine.find((r) => r.type === "kubernetes:apps/v1:Deployment");
    if (!cm || !dep)
        throw new Error(`the lab did not register a ConfigMap and a Deployment: ${mine.map((r) => r.type)}`);
    const spec = dep.inputs.spec.template.spec;
    const volumes: Record<string, "configMap" | "emptyDir"> = {};
    for (const v of spec.volumes as Record<string, unknown>[]) {
        volumes[String(v.name)] = v.configMap ? "configMap" : "emptyDir";
    }
    return {
        files: cm.inputs.data,
        init: spec.initContainers[0],
        vpp: spec.containers[0],
        metrics: spec.containers[1],
        volumes,
        mac,
        ipCidr: config.ipAddress.cidr,
        vlanId: config.vlanId,
    };
}
