/**
 * One lab: the namespace, the macvlan network, the security policy and the VPP server,
 * wired together from a validated stack configuration.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    labels as stackLabels,
    sccClusterRoleName,
    identityOf,
    StackIdentity,
    selectorLabels,
    CONFIG_MAP,
    CONTAINER,
    DEPLOYMENT,
    METRICS_NETWORK_POLICY,
    METRICS_SERVICE,
    NAD_NAME,
    NETWORK_POLICY,
    POD_MONITOR,
    ObjectRef,
    ROLE_BINDING,
    SERVICE_ACCOUNT,
    VPP_UID,
} from "./names";
import { ClusterMetrics } from "./metrics";
import { MacvlanNetwork } from "./network";
import { SecurityPolicy } from "./security";
import { PodResources } from "./pod";
import { VppServer, VppSettings } from "./server";
import { macFromRandomHex, metricsUrl, vppctlCommand } from "./vppConfig";

/** Where the MAC of macvlan0 and VPP's host-macvlan0 comes from. */
export type MacChoice =
    { readonly kind: "random" } | { readonly kind: "kernel" } | { readonly kind: "pinned"; readonly mac: string };

/** One lab, in the components' own terms (the composition root maps the stack's configuration). */
export interface VppLabArgs {
    /** The stack's name: it makes the cluster-scoped names unique. */
    readonly stack: string;
    /**
     * The stack's mark and the name of its cluster-scoped objects, once deployed (kept across a
     * stack rename and a namespace change). @default instanceName(stack, namespace)
     */
    readonly instance?: string;
    /** Everything namespaced lives in it. */
    readonly namespace: string;
    /**
     * Create the namespace (and own it), or use one that exists (never owned: the stack neither
     * creates nor deletes it). @default true
     */
    readonly createNamespace?: boolean;
    /** Options for the Namespace the lab creates (deletion hooks, retainOnDelete). @default {} */
    readonly namespaceOptions?: Pick<pulumi.CustomResourceOptions, "hooks" | "retainOnDelete">;
    /** The worker's interface macvlan0 is a slave of. */
    readonly macvlanMaster: string;
    readonly macvlanMode: string;
    /** Chain the CNI tuning plugin to disable IPv6 on macvlan0. */
    readonly disableIpv6: boolean;
    /** random: generated once and kept in the stack's state; kernel: read at pod start; pinned: as given. */
    readonly mac: MacChoice;
    readonly image: string;
    /** Exactly the image's file capabilities. */
    readonly imageCapabilities: readonly string[];
    /** VPP's configuration; `ipCidr` is address/prefix on host-macvlan0.<vlanId>. */
    readonly vpp: VppSettings;
    /** VPP worker threads, pinned at start to the container's CPUs. */
    readonly workers: number;
    readonly resources: PodResources;
    /** @default the cluster's default RuntimeClass */
    readonly runtimeClassName?: string;
    /** A deny-all NetworkPolicy for the pod's cluster network. */
    readonly denyClusterNetwork: boolean;
    readonly nodeSelector: Readonly<Record<string, string>>;
}

export class VppLab extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    /** The stack's mark on every object (the instance label's value) and its SCC's name. */
    public readonly instance: string;
    public readonly nadName: pulumi.Output<string>;
    public readonly sccName: pulumi.Output<string>;
    public readonly deploymentName: pulumi.Output<string>;
    /** The pinned MAC, or a note that the kernel picks one at every pod start. */
    public readonly macAddress: pulumi.Output<string>;
    public readonly url: string;
    /** Where VPP's counters are scraped (on the lab VLAN, or by the cluster's monitoring), or how to turn them on. */
    public readonly metricsUrl: string;
    public readonly vppctl: pulumi.Output<string>;

    constructor(name: string, args: VppLabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vpp-server:lab:VppLab", name, {}, opts);

        const who = labIdentity(args);
        this.instance = who.instance;
        const labels = stackLabels(who);
        const child = { parent: this };

        let pinnedMac: pulumi.Output<string> | undefined;
        if (args.mac.kind === "random") {
            // Generated once, then kept in the stack's state: stable across pod restarts.
            const bytes = new random.RandomId(`${name}-mac`, { byteLength: 6 }, child);
            pinnedMac = bytes.hex.apply(macFromRandomHex);
        } else if (args.mac.kind === "pinned") {
            pinnedMac = pulumi.output(args.mac.mac);
        }

        const ns =
            (args.createNamespace ?? true)
                ? new k8s.core.v1.Namespace(
                      `${name}-namespace`,
                      { metadata: { name: args.namespace, labels } },
                      { ...args.namespaceOptions, parent: this },
                  )
                : undefined;
        // Plain names (not the Namespace's outputs) keep every name known at preview time, for
        // reviewers, for the policy pack and for the live checks; dependsOn keeps the order.
        const nsDeps = ns ? [ns] : [];
        const inNamespace = { parent: this, dependsOn: nsDeps };

        const network = new MacvlanNetwork(
            `${name}-network`,
            {
                namespace: args.namespace,
                master: args.macvlanMaster,
                mode: args.macvlanMode,
                macCapability: pinnedMac !== undefined,
                disableIpv6: args.disableIpv6,
                labels,
            },
            inNamespace,
        );
        const security = new SecurityPolicy(
            `${name}-security`,
            {
                namespace: args.namespace,
                sccName: who.instance,
                capabilities: args.imageCapabilities,
                uid: VPP_UID,
                labels,
                denyClusterNetworkFor: args.denyClusterNetwork ? selectorLabels(who) : undefined,
            },
            inNamespace,
        );
        const server = new VppServer(
            `${name}-server`,
            {
                namespace: args.namespace,
                serviceAccountName: security.serviceAccountName,
                nadName: network.nadName,
                image: args.image,
                capabilities: args.imageCapabilities,
                uid: VPP_UID,
                ...args.vpp,
                workers: args.workers,
                pinnedMac,
                networkConfig: network.config,
                ipv6DisabledByCni: args.disableIpv6,
                resources: args.resources,
                runtimeClassName: args.runtimeClassName,
                nodeSelector: { ...args.nodeSelector },
                labels,
                selectorLabels: selectorLabels(who),
            },
            // The pod must be admitted under this SCC: the grant exists before the pod does.
            { parent: this, dependsOn: [...nsDeps, security, network] },
        );

        if (args.vpp.metrics === "cluster") {
            new ClusterMetrics(
                `${name}-metrics`,
                { namespace: args.namespace, podSelector: selectorLabels(who), labels },
                inNamespace,
            );
        }

        this.namespace = ns ? ns.metadata.name : pulumi.output(args.namespace);
        this.nadName = network.nadName;
        this.sccName = security.sccName;
        this.deploymentName = server.deploymentName;
        this.macAddress = pinnedMac ?? pulumi.output("kernel (a new MAC at every pod start)");
        this.url = `http://${args.vpp.ipCidr.split("/")[0]}/index.html`;
        this.metricsUrl = metricsUrl(args.vpp.metrics, args.vpp.ipCidr, args.namespace);
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
            metricsUrl: this.metricsUrl,
            vppctl: this.vppctl,
        });
    }
}

/** The lab's stack identity: its name and its instance (kept from its first deployment). */
export function labIdentity(args: Pick<VppLabArgs, "stack" | "instance" | "namespace">): StackIdentity {
    return args.instance ? { stack: args.stack, instance: args.instance } : identityOf(args.stack, args.namespace);
}

/**
 * Every Kubernetes object the lab declares, as the cluster names it, from its arguments alone: the
 * live checks read these before anything is registered. A unit test holds it equal to what the
 * components register.
 */
export function labObjects(args: VppLabArgs): ObjectRef[] {
    const ns = args.namespace;
    const scc = labIdentity(args).instance;
    return [
        ...((args.createNamespace ?? true) ? [{ apiVersion: "v1", kind: "Namespace", name: ns }] : []),
        { apiVersion: "k8s.cni.cncf.io/v1", kind: "NetworkAttachmentDefinition", namespace: ns, name: NAD_NAME },
        { apiVersion: "security.openshift.io/v1", kind: "SecurityContextConstraints", name: scc },
        { apiVersion: "v1", kind: "ServiceAccount", namespace: ns, name: SERVICE_ACCOUNT },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: sccClusterRoleName(scc) },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", namespace: ns, name: ROLE_BINDING },
        ...(args.denyClusterNetwork
            ? [{ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", namespace: ns, name: NETWORK_POLICY }]
            : []),
        { apiVersion: "v1", kind: "ConfigMap", namespace: ns, name: CONFIG_MAP },
        { apiVersion: "apps/v1", kind: "Deployment", namespace: ns, name: DEPLOYMENT },
        ...(args.vpp.metrics === "cluster"
            ? [
                  { apiVersion: "v1", kind: "Service", namespace: ns, name: METRICS_SERVICE },
                  { apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", namespace: ns, name: POD_MONITOR },
                  {
                      apiVersion: "networking.k8s.io/v1",
                      kind: "NetworkPolicy",
                      namespace: ns,
                      name: METRICS_NETWORK_POLICY,
                  },
              ]
            : []),
    ];
}
