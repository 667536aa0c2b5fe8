/**
 * The macvlan network: a NetworkAttachmentDefinition that makes Multus create `macvlan0`, a
 * slave of a worker's interface, in the pod. No IPAM: VPP owns layer 3.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NAD_NAME } from "./names";
import { renderNadConfig } from "./vppConfig";

export interface MacvlanNetworkArgs {
    /** Namespace of the NetworkAttachmentDefinition; the pod must be in the same one. */
    readonly namespace: pulumi.Input<string>;
    /** The worker node's interface macvlan0 is a slave of. */
    readonly master: string;
    /** macvlan mode. @default "bridge" */
    readonly mode?: string;
    /** Declare `capabilities: {mac: true}`, so a MAC requested by the pod is honoured. @default false */
    readonly macCapability?: boolean;
    /** Chain the tuning plugin to disable IPv6 on the pod's macvlan0. @default true */
    readonly disableIpv6?: boolean;
    /** Labels for the object. @default {} */
    readonly labels?: Record<string, string>;
}

export class MacvlanNetwork extends pulumi.ComponentResource {
    /** The NetworkAttachmentDefinition's name, for the pod's network selection. */
    public readonly nadName: pulumi.Output<string>;
    /** The CNI configuration in the NetworkAttachmentDefinition (`spec.config`). */
    public readonly config: string;
    public readonly nad: k8s.apiextensions.CustomResource;

    constructor(name: string, args: MacvlanNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vpp-server:network:MacvlanNetwork", name, {}, opts);
        const mode = args.mode ?? "bridge";
        const macCapability = args.macCapability ?? false;
        const disableIpv6 = args.disableIpv6 ?? true;
        this.config = renderNadConfig({ name: NAD_NAME, master: args.master, mode, macCapability, disableIpv6 });

        this.nad = new k8s.apiextensions.CustomResource(
            `${name}-nad`,
            {
                apiVersion: "k8s.cni.cncf.io/v1",
                kind: "NetworkAttachmentDefinition",
                metadata: { name: NAD_NAME, namespace: args.namespace, labels: args.labels ?? {} },
                spec: { config: this.config },
            },
            { parent: this },
        );
        this.nadName = this.nad.metadata.name;
        this.registerOutputs({ nadName: this.nadName });
    }
}
