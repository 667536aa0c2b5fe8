/**
 * The live-cluster room: the one connection the stack names, the reads of the objects it declares,
 * and what follows from them, all done before the first resource is registered. index.ts composes
 * it; components/ never imports it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { labObjects, VppLabArgs } from "../components/lab";
import { describeRef } from "../components/names";
import { declaredStateWins, LiveState, OwnershipError, ownershipProblems, preflight } from "./guard";
import { Connection, ConnectionError, describeConnection, KubeconfigSettings, resolveConnection } from "./kubeconfig";
import { namespaceDeletionHook, planNamespace } from "./namespace";
import { LiveCluster, liveCluster } from "./reader";

export { Connection, ConnectionError, describeConnection, KubeconfigSettings, resolveConnection } from "./kubeconfig";
export { declaredStateWins, LiveState, OwnershipError } from "./guard";
export { LiveCluster, liveCluster } from "./reader";

/** The stack's `kubernetes:kubeconfig` and `kubernetes:context`, as Pulumi hands them to the program. */
export function stackKubeconfigSettings(): KubeconfigSettings {
    const kubernetes = new pulumi.Config("kubernetes");
    return {
        kubeconfig: kubernetes.get("kubeconfig"),
        context: kubernetes.get("context"),
        kubeconfigSecret: isConfigSecret("kubernetes:kubeconfig"),
    };
}

/** Whether a config key holds a secret: the SDK's runtime says so (internal in its typings, public in its module). */
function isConfigSecret(key: string): boolean {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
    return typeof runtime.isConfigSecret === "function" ? runtime.isConfigSecret(key) : true;
}

/** The kubernetes provider on the stack's connection. */
export function clusterProvider(name: string, c: Connection): k8s.Provider {
    return new k8s.Provider(name, {
        // Undefined: the provider's SDK passes $KUBECONFIG, as it resolved here (one file).
        kubeconfig: c.providerKubeconfig === undefined ? undefined : pulumi.secret(c.providerKubeconfig),
        context: c.context,
        // ConfigMaps are updated in place (the pod template's config digest rolls the pod).
        enableConfigMapMutable: true,
    });
}

/** What a lab needs of its cluster, by kind, and what to do when the cluster does not serve it. */
const NEEDED_KINDS: Record<string, string> = {
    PodMonitor:
        "which vpp-server:metrics \"cluster\" needs: turn on the cluster's monitoring of user workloads (OpenShift: enableUserWorkload in the cluster-monitoring-config ConfigMap) or install the Prometheus operator's CRDs; or set vpp-server:metrics to none or vlan (accepted: none, vlan, cluster)",
    SecurityContextConstraints: "OpenShift's: this program deploys to OpenShift",
    NetworkAttachmentDefinition: "Multus': the lab's macvlan0 is a Multus network",
};

/** The cluster does not serve a kind the lab declares: stopped before anything is registered. */
export class ClusterKindsError extends pulumi.RunError {
    constructor(
        readonly connection: Connection,
        readonly kinds: readonly { apiVersion: string; kind: string }[],
    ) {
        super(
            [
                `context ${connection.context} (server ${connection.server}) does not serve what this stack declares; nothing was changed:`,
                ...kinds.map(
                    (k) => `  - ${k.kind} (${k.apiVersion}), ${NEEDED_KINDS[k.kind] ?? "which the lab declares"}`,
                ),
            ].join("\n"),
        );
        this.name = "ClusterKindsError";
    }
}

/** What the program needs from the cluster to build the lab. */
export interface LiveLab {
    readonly connection: Connection;
    readonly cluster: LiveCluster;
    /** The lab's arguments with the namespace decided: created and owned, or used. */
    readonly args: VppLabArgs;
    readonly transformation: pulumi.ResourceTransformation;
    readonly state: LiveState;
    /** Lines for the engineer: the target, the namespace's fate, adopted objects. */
    readonly notes: readonly string[];
    /** One warning per object that could not be read. */
    readonly warnings: readonly string[];
}

/**
 * Connects to the stack's cluster and reads what the lab would touch. Throws a ConnectionError when
 * the cluster cannot be reached as configured, and an OwnershipError when the lab would take objects
 * another stack, or nobody, made: in both cases before anything is registered.
 */
export async function connectLab(
    args: VppLabArgs,
    settings: KubeconfigSettings,
    projectRoot: string,
    adopt: boolean,
): Promise<LiveLab> {
    const connection = resolveConnection(settings, projectRoot);
    const cluster = liveCluster(connection);
    try {
        await cluster.version();
    } catch (e) {
        throw new ConnectionError(
            `context ${connection.context} (server ${connection.server}, kubeconfig ${connection.source}) does not answer: ${e instanceof Error ? e.message : String(e)}`,
        );
    }
    const state = await preflight(cluster, labObjects({ ...args, createNamespace: true }));
    const notServed = new Map<string, { apiVersion: string; kind: string }>();
    for (const r of state.results) {
        if ("error" in r && r.notServed) {
            notServed.set(`${r.ref.apiVersion}/${r.ref.kind}`, { apiVersion: r.ref.apiVersion, kind: r.ref.kind });
        }
    }
    if (notServed.size > 0) {
        throw new ClusterKindsError(connection, [...notServed.values()]);
    }
    const { problems, adopted } = ownershipProblems(state, { stack: args.stack, adopt });
    if (problems.length > 0) {
        throw new OwnershipError(problems);
    }
    const nsRead = state.get({ apiVersion: "v1", kind: "Namespace", name: args.namespace });
    const ns = planNamespace(nsRead, args.stack, args.namespace);
    const warnings = state.results.flatMap((r) =>
        "error" in r ? [`cannot read ${describeRef(r.ref)}: ${r.error}; its hand edits are not checked this run`] : [],
    );
    return {
        connection,
        cluster,
        state,
        args: {
            ...args,
            createNamespace: ns.create,
            namespaceOptions: ns.create
                ? {
                      retainOnDelete: true,
                      hooks: { afterDelete: [namespaceDeletionHook(cluster, args.stack)] },
                  }
                : undefined,
        },
        transformation: declaredStateWins(state),
        notes: [
            describeConnection(connection),
            ns.reason,
            ...adopted.map((ref) => `adopting ${describeRef(ref)} (vpp-server:adopt is true): this stack now owns it`),
        ],
        warnings,
    };
}
