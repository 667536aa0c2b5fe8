/**
 * The composition root's one mapping: the validated stack configuration into the components'
 * own arguments. components/ never imports stacks/; the program, the tests and the benchmark
 * build a lab through this function.
 */
import type { VppLabArgs } from "../components/lab";
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
            adaptiveSessionQueue: c.adaptiveSessionQueue,
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
