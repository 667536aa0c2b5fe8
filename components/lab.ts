/**
 * One lab: the namespace, the macvlan network, the security policy and the VPP server,
 * wired together from a validated stack configuration.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { StackConfig } from "../stacks/config";
import { macFromRandomHex } from "../stacks/rules";
import { labels as stackLabels, sccName, selectorLabels, CONTAINER, VPP_UID } from "./names";
import { MacvlanNetwork } from "./network";
import { SecurityPolicy } from "./security";
import { VppServer } from "./server";
import { vppctlCommand } from "./vppConfig";

export interface VppLabArgs {
    /** The validated stack configuration. */
    readonly config: StackConfig;
    /** The stack's name: it makes the cluster-scoped names unique. */
    readonly stack: string;
}

export class VppLab extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly nadName: pulumi.Output<string>;
    public readonly sccName: pulumi.Output<string>;
    public readonly deploymentName: pulumi.Output<string>;
    /** The pinned MAC, or a note that the kernel picks one at every pod start. */
    public readonly macAddress: pulumi.Output<string>;
    public readonly url: string;
    public readonly vppctl: pulumi.Output<string>;

    constructor(name: string, args: VppLabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vpp-server:lab:VppLab", name, {}, opts);
        const c = args.config;
        const labels = stackLabels(args.stack);
        const child = { parent: this };

        let pinnedMac: pulumi.Output<string> | undefined;
        if (c.macAddress.kind === "random") {
            // Generated once, then kept in the stack's state: stable across pod restarts.
            const bytes = new random.RandomId(`${name}-mac`, { byteLength: 6 }, child);
            pinnedMac = bytes.hex.apply(macFromRandomHex);
        } else if (c.macAddress.kind === "pinned") {
            pinnedMac = pulumi.output(c.macAddress.mac);
        }

        const ns = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: c.namespace, labels } }, child);
        // Plain names (not the Namespace's outputs) keep every name known at preview time, for
        // reviewers and for the policy pack; dependsOn keeps the order.
        const inNamespace = { parent: this, dependsOn: [ns] };

        const network = new MacvlanNetwork(
            `${name}-network`,
            {
                namespace: c.namespace,
                master: c.macvlanMaster,
                mode: c.macvlanMode,
                macCapability: pinnedMac !== undefined,
                disableIpv6: c.disableIpv6,
                labels,
            },
            inNamespace,
        );
        const security = new SecurityPolicy(
            `${name}-security`,
            {
                namespace: c.namespace,
                sccName: sccName(args.stack),
                capabilities: c.imageCapabilities,
                uid: VPP_UID,
                labels,
                denyClusterNetworkFor: c.denyClusterNetwork ? selectorLabels(args.stack) : undefined,
            },
            inNamespace,
        );
        const server = new VppServer(
            `${name}-server`,
            {
                namespace: c.namespace,
                serviceAccountName: security.serviceAccountName,
                nadName: network.nadName,
                image: c.image,
                capabilities: c.imageCapabilities,
                uid: VPP_UID,
                vlanId: c.vlanId,
                ipCidr: c.ipAddress.cidr,
                httpCacheSize: c.httpCacheSize,
                afPacketVersion: c.afPacketVersion,
                pollSleepUsec: c.pollSleepUsec,
                adaptiveSessionQueue: c.adaptiveSessionQueue,
                workers: c.workers,
                gratuitousArp: c.gratuitousArp,
                indexHtml: c.indexHtml,
                pinnedMac,
                networkConfig: network.config,
                ipv6DisabledByCni: c.disableIpv6,
                resources: c.resources,
                runtimeClassName: c.runtimeClassName,
                nodeSelector: { ...c.nodeSelector },
                labels,
                selectorLabels: selectorLabels(args.stack),
            },
            // The pod must be admitted under this SCC: the grant exists before the pod does.
            { parent: this, dependsOn: [ns, security, network] },
        );

        this.namespace = ns.metadata.name;
        this.nadName = network.nadName;
        this.sccName = security.sccName;
        this.deploymentName = server.deploymentName;
        this.macAddress = pinnedMac ?? pulumi.output("kernel (a new MAC at every pod start)");
        this.url = `http://${c.ipAddress.address}/index.html`;
        this.vppctl = pulumi
            .all([this.namespace, this.deploymentName])
            .apply(([n, d]) => vppctlCommand(n, d, CONTAINER));
        this.registerOutputs({
            namespace: this.namespace,
            nadName: this.nadName,
            sccName: this.sccName,
            deploymentName: this.deploymentName,
            macAddress: this.macAddress,
            url: this.url,
            vppctl: this.vppctl,
        });
    }
}
