/**
 * The VPP server: a ConfigMap with VPP's configuration templates, the web root and the init
 * and start scripts, and a Deployment whose init container writes the configuration with
 * macvlan0's MAC and whose main container starts VPP rootless, its threads pinned to the
 * container's own CPUs.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_MAP, DEPLOYMENT, VPP_UID } from "./names";
import { CPU_ISOLATION_ANNOTATIONS, PodSpecOptions, SKIP_MULTUS_CONNECTIVITY_LABEL, vppPodSpec } from "./pod";
import {
    AfPacketVersion,
    KERNEL_MAC_TOKEN,
    Metrics,
    RxMode,
    configHash,
    renderNetworkSelection,
    renderStartupConf,
    renderVppConf,
} from "./vppConfig";

/** The init container's script, shipped in the ConfigMap (POSIX sh). */
export const INIT_SCRIPT_PATH = path.join(__dirname, "init.sh");
/**
 * The init container's CPU planner, run by init.sh: adds VPP's cpu section to its configuration
 * (POSIX sh). VPP is the VPP container's first process, so nothing runs before it there.
 */
export const CPUS_SCRIPT_PATH = path.join(__dirname, "vpp-cpus.sh");
/** The metrics container's script (`metrics: cluster`): runs VPP's exporter, follows VPP's restarts. */
export const METRICS_SCRIPT_PATH = path.join(__dirname, "metrics.sh");
/** The pod template annotation holding the digest of everything the pod reads at start. */
export const CONFIG_HASH_ANNOTATION = "vpp-server/config-sha256";
export const NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks";
/**
 * kube-score's container-image-pull-policy wants Always; certsuite's lifecycle-image-pull-policy
 * wants IfNotPresent, so that a node restarts VPP from its cached image when the registry is
 * away. The pod follows certsuite, and says so to kube-score.
 */
export const KUBE_SCORE_IGNORE = { "kube-score/ignore": "container-image-pull-policy" } as const;
/**
 * With `metrics: cluster` a Service selects the pod, and kube-score then wants two replicas and a
 * rolling update. A lab's VPP owns one address and one MAC on the VLAN: one replica, and the old pod
 * goes before the new one starts (Recreate), as the policy pack's single-replica-recreate requires.
 */
export const KUBE_SCORE_IGNORE_WITH_SERVICE = {
    "kube-score/ignore": "container-image-pull-policy,deployment-strategy,deployment-replicas",
} as const;

/** The scripts the pod runs, as the ConfigMap ships them. */
export interface PodScripts {
    readonly init: string;
    readonly cpus: string;
    readonly metrics: string;
}

export function readScripts(): PodScripts {
    return {
        init: fs.readFileSync(INIT_SCRIPT_PATH, "utf8"),
        cpus: fs.readFileSync(CPUS_SCRIPT_PATH, "utf8"),
        metrics: fs.readFileSync(METRICS_SCRIPT_PATH, "utf8"),
    };
}

export interface VppSettings {
    readonly vlanId: number;
    /** address/prefix on host-macvlan0.<vlanId>. */
    readonly ipCidr: string;
    /** VPP memory size syntax. */
    readonly httpCacheSize: string;
    /** The AF_PACKET ring version on macvlan0. */
    readonly afPacketVersion: AfPacketVersion;
    readonly pollSleepUsec: number;
    /**
     * The main thread's sleep, added by the init container's planner only when VPP starts with a worker (with
     * none, the main thread is the data path). 0: none. @default 0
     */
    readonly mainThreadSleepUsec?: number;
    readonly adaptiveSessionQueue: boolean;
    /** host-macvlan0's receive mode. */
    readonly rxMode: RxMode;
    /**
     * vlan: VPP's prom plugin serves its counters at /stats.prom on the lab VLAN; cluster: a second
     * container serves them on the pod network for the cluster's monitoring.
     */
    readonly metrics: Metrics;
    readonly gratuitousArp: boolean;
    /** Served as /index.html. */
    readonly indexHtml: string;
}

/** The ConfigMap's data for a MAC (pinned) or the token the init script replaces with the kernel's MAC. */
export function configMapData(s: VppSettings, mac: string | undefined, scripts: PodScripts): Record<string, string> {
    return {
        "vpp.conf": renderVppConf(s),
        "startup.conf": renderStartupConf({ ...s, mac: mac ?? KERNEL_MAC_TOKEN }),
        "index.html": s.indexHtml,
        "init.sh": scripts.init,
        "vpp-cpus.sh": scripts.cpus,
        ...(s.metrics === "cluster" ? { "metrics.sh": scripts.metrics } : {}),
    };
}

export interface VppServerArgs extends VppSettings {
    readonly namespace: pulumi.Input<string>;
    readonly serviceAccountName: pulumi.Input<string>;
    readonly nadName: pulumi.Input<string>;
    readonly image: string;
    /** Exactly the image's file capabilities. */
    readonly capabilities: readonly string[];
    /** The uid VPP runs as. @default VPP_UID (10000) */
    readonly uid?: number;
    /** VPP worker threads. @default 0 */
    readonly workers?: number;
    /** A pinned MAC for macvlan0 and VPP; undefined: the kernel's, read at pod start. */
    readonly pinnedMac?: pulumi.Input<string>;
    /**
     * The NetworkAttachmentDefinition's CNI config. Multus reads it only when a pod starts, so it
     * is part of the pod template's digest: a change of it (master, mode, IPv6) rolls the pod.
     */
    readonly networkConfig: pulumi.Input<string>;
    /** The network config disables IPv6 on macvlan0. @default false */
    readonly ipv6DisabledByCni?: boolean;
    readonly resources: PodSpecOptions["resources"];
    /** The pod's RuntimeClass. @default none */
    readonly runtimeClassName?: string;
    /** @default {} */
    readonly nodeSelector?: Record<string, string>;
    /** Labels for every object. @default {} */
    readonly labels?: Record<string, string>;
    /** The Deployment's selector; a subset of labels. */
    readonly selectorLabels: Record<string, string>;
}

export class VppServer extends pulumi.ComponentResource {
    public readonly deploymentName: pulumi.Output<string>;
    public readonly configMapName: pulumi.Output<string>;
    /** The digest on the pod template: a change of it rolls the pod. */
    public readonly configHash: pulumi.Output<string>;
    public readonly configMap: k8s.core.v1.ConfigMap;
    public readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: VppServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vpp-server:server:VppServer", name, {}, opts);
        const uid = args.uid ?? VPP_UID;
        const labels = args.labels ?? {};
        const scripts = readScripts();

        const data = pulumi.output(args.pinnedMac).apply((mac) => configMapData(args, mac, scripts));
        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: { name: CONFIG_MAP, namespace: args.namespace, labels }, data },
            { parent: this },
        );
        this.configHash = pulumi
            .all([data, args.pinnedMac, args.networkConfig])
            .apply(([d, mac, network]) =>
                configHash({ ...d, image: args.image, expectedMac: mac ?? "", networkConfig: network }),
            );

        const networks = pulumi
            .all([args.nadName, args.namespace, args.pinnedMac])
            .apply(([nad, ns, mac]) => renderNetworkSelection(nad, ns, mac));

        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: {
                    name: DEPLOYMENT,
                    namespace: args.namespace,
                    labels,
                    annotations: args.metrics === "cluster" ? KUBE_SCORE_IGNORE_WITH_SERVICE : KUBE_SCORE_IGNORE,
                },
                spec: {
                    replicas: 1,
                    // Never two pods with the same address on the VLAN: the old one goes first.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: args.selectorLabels },
                    template: {
                        metadata: {
                            // certsuite: no IPAM on macvlan0, so its Multus ping test cannot apply.
                            labels: { ...labels, [SKIP_MULTUS_CONNECTIVITY_LABEL]: "" },
                            annotations: {
                                [NETWORKS_ANNOTATION]: networks,
                                [CONFIG_HASH_ANNOTATION]: this.configHash,
                                ...(args.resources.dedicated ? CPU_ISOLATION_ANNOTATIONS : {}),
                            },
                        },
                        spec: vppPodSpec({
                            serviceAccountName: args.serviceAccountName,
                            configMapName: this.configMap.metadata.name,
                            image: args.image,
                            capabilities: args.capabilities,
                            uid,
                            ipCidr: args.ipCidr,
                            workers: args.workers ?? 0,
                            mainThreadSleepUsec: args.mainThreadSleepUsec ?? 0,
                            pinnedMac: args.pinnedMac,
                            ipv6DisabledByCni: args.ipv6DisabledByCni,
                            resources: args.resources,
                            runtimeClassName: args.runtimeClassName,
                            nodeSelector: args.nodeSelector,
                            metrics: args.metrics,
                        }),
                    },
                },
            },
            { parent: this },
        );

        this.deploymentName = this.deployment.metadata.name;
        this.configMapName = this.configMap.metadata.name;
        this.registerOutputs({
            deploymentName: this.deploymentName,
            configMapName: this.configMapName,
            configHash: this.configHash,
        });
    }
}
