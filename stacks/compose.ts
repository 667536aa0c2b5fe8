/**
 * The one composition of a lab, for the program, the review, the benchmark and the tests: the
 * validated stack configuration mapped to the components' own arguments, and the lab built with the
 * transformation every Kubernetes object goes through. What a review or a test sees is what
 * `pulumi up` deploys. components/ never imports stacks/.
 */
import * as pulumi from "@pulumi/pulumi";
import { VppLab, VppLabArgs } from "../components/lab";
import { declaredStateWins } from "../live/guard";
import type { StackConfig } from "./config";

export function labArgs(c: StackConfig, stack: string): VppLabArgs {
    return {
        stack,
        namespace: c.namespace,
        macvlanMaster: c.macvlanMaster,
        macvlanMode: c.macvlanMode,
        disableIpv6: c.disableIpv6,
        mac: c.macAddress,
        image: c.image,
        imageCapabilities: c.imageCapabilities,
        vpp: {
            afPacketVersion: c.afPacketVersion,
            vlanId: c.vlanId,
            ipCidr: c.ipAddress.cidr,
            httpCacheSize: c.httpCacheSize,
            pollSleepUsec: c.pollSleepUsec,
            mainThreadSleepUsec: c.mainThreadSleepUsec,
            adaptiveSessionQueue: c.adaptiveSessionQueue,
            rxMode: c.rxMode,
            metrics: c.metrics,
            gratuitousArp: c.gratuitousArp,
            indexHtml: c.indexHtml,
        },
        workers: c.workers,
        resources: c.resources,
        runtimeClassName: c.runtimeClassName,
        denyClusterNetwork: c.denyClusterNetwork,
        nodeSelector: c.nodeSelector,
    };
}

export interface LabWiring {
    /** The kubernetes provider (the stack's connection, or a render directory). @default the default provider */
    readonly provider?: pulumi.ProviderResource;
    /**
     * The transformations of every Kubernetes object, in order: the live room's, with this run's
     * reads and hooks.
     * @default declaredStateWins() with no reads: applied with force, nothing compared
     */
    readonly transformations?: pulumi.ResourceTransformation[];
}

/** The lab of `args`, as the program deploys it. */
export function buildLab(name: string, args: VppLabArgs, wiring: LabWiring = {}): VppLab {
    return new VppLab(name, args, {
        providers: wiring.provider ? [wiring.provider] : undefined,
        // The legacy transformations, not `transforms`: Pulumi's mocks never call `transforms` (they
        // run in the engine), so the review and the unit tests would not see what is deployed.
        transformations: wiring.transformations ?? [declaredStateWins()],
    });
}
