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
import { CONFIG_MAP, CONTAINER, DEPLOYMENT, INIT_CONTAINER, VPP_UID } from "./names";
import {
    CLI_SOCKET,
    CONF_DIR,
    HOST_INTERFACE,
    KERNEL_MAC_TOKEN,
    WWW_DIR,
    configHash,
    readinessCommand,
    renderNetworkSelection,
    renderStartupConf,
    renderVppConf,
} from "./vppConfig";

/** The init container's script, shipped in the ConfigMap (POSIX sh). */
export const INIT_SCRIPT_PATH = path.join(__dirname, "init.sh");
/** The main container's script: chooses VPP's cores, then execs vpp (POSIX sh). */
export const START_SCRIPT_PATH = path.join(__dirname, "start-vpp.sh");
/** Where the ConfigMap is mounted in the init container. */
export const TEMPLATE_DIR = "/etc/vpp-server";
/** The pod template annotation holding the digest of everything the pod reads at start. */
export const CONFIG_HASH_ANNOTATION = "vpp-server/config-sha256";
export const NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks";

/** The scripts the pod runs, as the ConfigMap ships them. */
export interface PodScripts {
    readonly init: string;
    readonly start: string;
}

export function readScripts(): PodScripts {
    return { init: fs.readFileSync(INIT_SCRIPT_PATH, "utf8"), start: fs.readFileSync(START_SCRIPT_PATH, "utf8") };
}

export interface VppSettings {
    readonly vlanId: number;
    /** address/prefix on host-macvlan0.<vlanId>. */
    readonly ipCidr: string;
    /** VPP memory size syntax. */
    readonly httpCacheSize: string;
    /** The AF_PACKET ring version on macvlan0. */
    readonly afPacketVersion: 2 | 3;
    readonly pollSleepUsec: number;
    readonly adaptiveSessionQueue: boolean;
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
        "start-vpp.sh": scripts.start,
    };
}

export interface PodSpecOptions {
    readonly serviceAccountName: pulumi.Input<string>;
    readonly configMapName: pulumi.Input<string>;
    readonly image: string;
    readonly capabilities: readonly string[];
    readonly uid: number;
    readonly ipCidr: string;
    /** VPP worker threads; the start script pins them and the main thread to the container's CPUs. */
    readonly workers: number;
    /** The pinned MAC the init container must find on macvlan0; undefined: the kernel's. */
    readonly pinnedMac?: pulumi.Input<string>;
    /** The CNI disables IPv6 on macvlan0: the init container reports it when it did not. @default false */
    readonly ipv6DisabledByCni?: boolean;
    readonly resources: { readonly cpuRequest: string; readonly cpuLimit?: string; readonly memory: string };
    readonly nodeSelector?: Record<string, string>;
}

/** The pod: rootless, its capabilities exactly the image's, VPP's files on emptyDirs. */
export function vppPodSpec(o: PodSpecOptions): k8s.types.input.core.v1.PodSpec {
    const containerSecurity = (add: readonly string[]): k8s.types.input.core.v1.SecurityContext => ({
        runAsNonRoot: true,
        runAsUser: o.uid,
        runAsGroup: o.uid,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ["ALL"], ...(add.length > 0 ? { add: [...add] } : {}) },
    });
    const emptyDir = (name: string) => ({ name, emptyDir: { sizeLimit: "64Mi" } });
    return {
        serviceAccountName: o.serviceAccountName,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 10,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: o.uid,
            runAsGroup: o.uid,
            seccompProfile: { type: "RuntimeDefault" },
        },
        ...(o.nodeSelector && Object.keys(o.nodeSelector).length > 0 ? { nodeSelector: { ...o.nodeSelector } } : {}),
        initContainers: [
            {
                name: INIT_CONTAINER,
                image: o.image,
                command: ["/bin/sh", `${TEMPLATE_DIR}/init.sh`],
                env: [
                    { name: "HOST_INTERFACE", value: HOST_INTERFACE },
                    { name: "TEMPLATE_DIR", value: TEMPLATE_DIR },
                    { name: "CONF_DIR", value: CONF_DIR },
                    { name: "WWW_DIR", value: WWW_DIR },
                    ...(o.pinnedMac !== undefined ? [{ name: "EXPECTED_MAC", value: o.pinnedMac }] : []),
                    ...(o.ipv6DisabledByCni ? [{ name: "EXPECT_IPV6_DISABLED", value: "true" }] : []),
                ],
                securityContext: { ...containerSecurity([]), readOnlyRootFilesystem: true },
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
                volumeMounts: [
                    { name: "templates", mountPath: TEMPLATE_DIR, readOnly: true },
                    { name: "conf", mountPath: CONF_DIR },
                    { name: "www", mountPath: WWW_DIR },
                ],
            },
        ],
        containers: [
            {
                name: CONTAINER,
                image: o.image,
                // A shell without capabilities chooses the cores, then execs vpp, which gains the
                // image's file capabilities and keeps the container's first process id.
                command: ["/bin/sh", `${TEMPLATE_DIR}/start-vpp.sh`],
                env: [
                    { name: "VPP_WORKERS", value: String(o.workers) },
                    { name: "VPP_CONF", value: `${CONF_DIR}/vpp.conf` },
                ],
                securityContext: containerSecurity(o.capabilities),
                resources: {
                    requests: { cpu: o.resources.cpuRequest, memory: o.resources.memory },
                    limits: {
                        memory: o.resources.memory,
                        ...(o.resources.cpuLimit ? { cpu: o.resources.cpuLimit } : {}),
                    },
                },
                readinessProbe: {
                    exec: { command: readinessCommand(o.ipCidr) },
                    initialDelaySeconds: 2,
                    periodSeconds: 5,
                    timeoutSeconds: 3,
                    failureThreshold: 3,
                },
                volumeMounts: [
                    { name: "templates", mountPath: TEMPLATE_DIR, readOnly: true },
                    { name: "conf", mountPath: CONF_DIR, readOnly: true },
                    { name: "www", mountPath: WWW_DIR, readOnly: true },
                    { name: "run-vpp", mountPath: path.posix.dirname(CLI_SOCKET) },
                    { name: "run-user", mountPath: "/run/user" },
                ],
            },
        ],
        volumes: [
            { name: "templates", configMap: { name: o.configMapName, defaultMode: 0o444 } },
            emptyDir("conf"),
            emptyDir("www"),
            emptyDir("run-vpp"),
            emptyDir("run-user"),
        ],
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
                metadata: { name: DEPLOYMENT, namespace: args.namespace, labels },
                spec: {
                    replicas: 1,
                    // Never two pods with the same address on the VLAN: the old one goes first.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: args.selectorLabels },
                    template: {
                        metadata: {
                            labels,
                            annotations: { [NETWORKS_ANNOTATION]: networks, [CONFIG_HASH_ANNOTATION]: this.configHash },
                        },
                        spec: vppPodSpec({
                            serviceAccountName: args.serviceAccountName,
                            configMapName: this.configMap.metadata.name,
                            image: args.image,
                            capabilities: args.capabilities,
                            uid,
                            ipCidr: args.ipCidr,
                            workers: args.workers ?? 0,
                            pinnedMac: args.pinnedMac,
                            ipv6DisabledByCni: args.ipv6DisabledByCni,
                            resources: args.resources,
                            nodeSelector: args.nodeSelector,
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
