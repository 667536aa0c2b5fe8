/**
 * The live-cluster room: the one connection the stack names, the reads of the objects it declares,
 * and what follows from them, all done before the first resource is registered. index.ts composes
 * it; components/ never imports it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { labIdentity, labObjects, VppLabArgs } from "../components/lab";
import { describeRef, selectorLabels, STACK_ID_ANNOTATION, StackIdentity, stackInstance } from "../components/names";
import { isObject, KubeObject, objectRef } from "./drift";
import {
    declaredStateWins,
    LiveState,
    OwnershipError,
    ownershipOf,
    ownershipProblems,
    preflight,
    stackOfMark,
} from "./guard";
import { Connection, ConnectionError, describeConnection, KubeconfigSettings, resolveConnection } from "./kubeconfig";
import { NAMESPACE_HOOK, namespaceDeletionHook, planNamespace } from "./namespace";
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

/**
 * The kubernetes provider on the stack's connection, with the cluster's identifier (connectLab's
 * `clusterIdentifier`): the provider is then replaced only when that changes. Without it, any change
 * to the kubeconfig's active cluster entry (its CA embedded instead of named as a file, a
 * `tls-server-name`, a `proxy-url`) replaces the provider, and a replaced provider creates every
 * object again under its name, then deletes the "old" one, which is the same object: the lab is
 * gone and the state still lists it (pulumi/pulumi-kubernetes#4522).
 */
export function clusterProvider(name: string, c: Connection, clusterIdentifier: string): k8s.Provider {
    return new k8s.Provider(name, {
        // Undefined: the provider's SDK passes $KUBECONFIG, as it resolved here (one file).
        kubeconfig: c.providerKubeconfig === undefined ? undefined : pulumi.secret(c.providerKubeconfig),
        context: c.context,
        clusterIdentifier,
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

/**
 * What the stack's last deployment said of itself (its outputs, read through a StackReference to
 * the stack itself before anything is registered): the cluster it deployed to. Undefined fields:
 * never deployed, or deployed by a version that did not say.
 */
export interface PreviousDeployment {
    /** The stack has outputs: it deployed (or rendered) before. */
    readonly deployed: boolean;
    readonly server?: string;
    readonly context?: string;
    readonly namespace?: string;
    readonly renderedTo?: string;
    /** The stack's mark (its `instance` output; older versions said it as `sccName`, the same value). */
    readonly instance?: string;
    /** The stack's id (its `stackId` output); undefined on a stack deployed before it had one. */
    readonly stackId?: string;
    /** The provider's `clusterIdentifier` (its `clusterIdentifier` output); undefined before it had one. */
    readonly clusterIdentifier?: string;
    /** The uid of the cluster's `kube-system` namespace when last read (`clusterUid`): which cluster it is. */
    readonly clusterUid?: string;
}

/**
 * The stack's own outputs from its last deployment, through a StackReference to the stack itself
 * (a read: it never counts as a change, and runs in preview too). A stack never deployed has none.
 */
export async function previousDeployment(): Promise<PreviousDeployment> {
    const self = new pulumi.StackReference("previous-deployment", {
        name: `${organization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    });
    const text = async (key: string): Promise<string | undefined> => {
        const d = await self.getOutputDetails(key);
        const v = d.value ?? d.secretValue;
        return typeof v === "string" && v !== "" ? v : undefined;
    };
    const [server, context, namespace, renderedTo, deploymentName, instance, scc, stackId, identifier, uid] =
        await Promise.all(
            [
                "clusterServer",
                "clusterContext",
                "namespace",
                "renderedTo",
                "deploymentName",
                "instance",
                "sccName",
                "stackId",
                "clusterIdentifier",
                "clusterUid",
            ].map(text),
        );
    return {
        deployed: [server, namespace, renderedTo, deploymentName].some((v) => v !== undefined),
        server,
        context,
        namespace,
        renderedTo,
        instance: stackInstance({ instance, sccName: scc }),
        stackId,
        clusterIdentifier: identifier,
        clusterUid: uid,
    };
}

/** The stack's organization: the engine's, or the file backend's fixed one where none is given (Pulumi's mocks). */
function organization(): string {
    try {
        return pulumi.getOrganization();
    } catch {
        return "organization";
    }
}

/** `renderDir` on a stack that has deployed to a cluster: refused before anything is registered. */
export class RenderOnDeployedError extends pulumi.RunError {
    constructor(stack: string, renderDir: string, server: string) {
        super(
            [
                `vpp-server:renderDir is ${JSON.stringify(renderDir)}, but stack ${stack} is deployed on server ${server}: rendering it would move every object to the render provider, which deletes them from the cluster; nothing was changed.`,
                `  - to keep the lab: pulumi config rm vpp-server:renderDir --stack ${stack}`,
                `  - to render this lab's manifests: a stack of its own, e.g. pulumi stack init ${stack}-render --copy-config-from ${stack}, then pulumi config set vpp-server:renderDir ${renderDir} --stack ${stack}-render and pulumi up --stack ${stack}-render`,
            ].join("\n"),
        );
        this.name = "RenderOnDeployedError";
    }
}

/** The environment variable that confirms, for one `up`, moving a deployed lab to another cluster. */
export const MOVE_TO_ENV = "VPP_SERVER_MOVE_TO";

/** The stack's resolved cluster is not the one it last deployed to: stopped before anything is registered. */
export class ClusterChangedError extends pulumi.RunError {
    constructor(stack: string, previous: PreviousDeployment, connection: Connection) {
        super(
            [
                `stack ${stack} last deployed to server ${previous.server}${previous.context ? ` (context ${previous.context})` : ""}, but now resolves to server ${connection.server} (context ${connection.context}, kubeconfig ${connection.source}); nothing was changed.`,
                `  - to keep the lab where it is: pulumi config set kubernetes:context ${previous.context ?? "<the old cluster's context>"} --stack ${stack} (a stack with kubernetes:context never follows the current context)`,
                `  - to move the lab (it is created on ${connection.server}, then deleted from ${previous.server}): ${MOVE_TO_ENV}=${connection.server} pulumi up --stack ${stack}`,
            ].join("\n"),
        );
        this.name = "ClusterChangedError";
    }
}

/**
 * The cluster behind the stack's server is not the one it deployed to (its `kube-system` namespace
 * has another uid): it was re-created or replaced behind the same URL. Stopped before anything is
 * registered.
 */
export class ClusterRecreatedError extends pulumi.RunError {
    constructor(stack: string, previous: PreviousDeployment, connection: Connection, uid: string) {
        super(
            [
                `stack ${stack} deployed to the cluster at server ${connection.server} whose kube-system namespace has uid ${previous.clusterUid}, but the cluster there now has uid ${uid} (context ${connection.context}, kubeconfig ${connection.source}): it was re-created or replaced, and the lab's objects went with the old one; nothing was changed.`,
                `  - to deploy the lab on this cluster: pulumi refresh --yes --stack ${stack} (drops the old cluster's objects from the state), then ${MOVE_TO_ENV}=${clusterKey(uid)} pulumi up --stack ${stack}`,
                `  - if the old cluster still runs elsewhere: point the stack at it (pulumi config set kubernetes:context <its context> --stack ${stack})`,
            ].join("\n"),
        );
        this.name = "ClusterRecreatedError";
    }
}

/** The provider's `clusterIdentifier` for a cluster whose `kube-system` namespace has this uid. */
export function clusterKey(uid: string): string {
    return `kube-system/${uid}`;
}

/**
 * The uid of the cluster's `kube-system` namespace: what tells one cluster from another, as many
 * tools take it (an IP and a DNS name, or a new load balancer, reach the same cluster; a cluster
 * re-created behind the same URL is another one). Undefined where it cannot be read (a user who may
 * not get namespaces): the server's URL then stands in.
 */
export async function kubeSystemUid(cluster: LiveCluster): Promise<string | undefined> {
    try {
        const ns = await cluster.read({ apiVersion: "v1", kind: "Namespace", name: "kube-system" });
        const uid = (ns?.metadata as { uid?: unknown } | undefined)?.uid;
        return typeof uid === "string" && uid !== "" ? uid : undefined;
    } catch {
        return undefined;
    }
}

/** Which cluster the stack deploys to this run: the provider's identifier, and what to tell the engineer. */
export interface ClusterTarget {
    /** The provider's `clusterIdentifier`: unchanged for as long as the stack stays on its cluster. */
    readonly clusterIdentifier: string;
    /** The cluster's `kube-system` uid, when it could be read. */
    readonly clusterUid?: string;
    readonly notes: readonly string[];
}

/**
 * Decides, from the stack's last deployment and what the cluster says of itself now, whether this
 * is the stack's cluster, and the provider's identifier:
 *
 * - the same cluster (the same `kube-system` uid, or, where either run could not read it, the
 *   same server): the identifier the stack has, so no change of the kubeconfig, the server's
 *   address included, replaces the provider (a replaced provider deletes the lab it re-created);
 * - another server and another cluster: a ClusterChangedError, unless $VPP_SERVER_MOVE_TO names
 *   the new server; the move takes a new identifier, so the provider is replaced (the lab is
 *   created on the new cluster, then deleted from the old one);
 * - the same server, another cluster (re-created): a ClusterRecreatedError, unless
 *   $VPP_SERVER_MOVE_TO names the new cluster (`kube-system/<uid>`); the identifier is kept, since
 *   the old provider reaches the new cluster and its deletes would remove what the new one made.
 *
 * A stack deployed before it had an identifier takes one now (the provider does not replace itself
 * for an identifier added).
 */
export function clusterTarget(
    stack: string,
    previous: PreviousDeployment,
    connection: Connection,
    uid: string | undefined,
    env: NodeJS.ProcessEnv = process.env,
): ClusterTarget {
    const fresh = uid !== undefined ? clusterKey(uid) : connection.server;
    const kept = previous.clusterIdentifier ?? fresh;
    const moveTo = env[MOVE_TO_ENV];
    if (!previous.server) return { clusterIdentifier: kept, clusterUid: uid, notes: [] };
    const sameServer = previous.server === connection.server;
    const same = previous.clusterUid !== undefined && uid !== undefined ? previous.clusterUid === uid : sameServer;
    if (same) {
        const notes = sameServer
            ? []
            : [
                  `server ${connection.server} is the cluster this stack deployed to through server ${previous.server} (its kube-system namespace has the same uid, ${uid}): the lab stays where it is`,
              ];
        return { clusterIdentifier: kept, clusterUid: uid, notes };
    }
    if (sameServer) {
        if (moveTo !== clusterKey(uid!)) throw new ClusterRecreatedError(stack, previous, connection, uid!);
        return {
            clusterIdentifier: kept,
            clusterUid: uid,
            notes: [
                `${MOVE_TO_ENV} names the cluster now at server ${connection.server} (kube-system uid ${uid}): the lab is deployed on it; the objects this stack's state still holds from the old cluster are not created again until pulumi refresh drops them`,
            ],
        };
    }
    if (moveTo !== connection.server) throw new ClusterChangedError(stack, previous, connection);
    return {
        clusterIdentifier: fresh,
        clusterUid: uid,
        notes: [
            `${MOVE_TO_ENV} confirms the move: the lab is created on server ${connection.server}, then deleted from server ${previous.server}`,
        ],
    };
}

/** What the program needs from the cluster to build the lab. */
export interface LiveLab {
    readonly connection: Connection;
    /** The cluster this run deploys to (clusterTarget): the provider's identifier. */
    readonly target: ClusterTarget;
    readonly cluster: LiveCluster;
    /** The lab's arguments with the namespace decided: created and owned, or used. */
    readonly args: VppLabArgs;
    /** Applied in order to every object: the stack id, declared state wins, the hooks. */
    readonly transformations: pulumi.ResourceTransformation[];
    readonly state: LiveState;
    /** Lines for the engineer: the target, the namespace's fate, adopted objects. */
    readonly notes: readonly string[];
    /** Warnings: what `up` will refuse to change, and why. */
    readonly warnings: readonly string[];
    /**
     * What keeps `up` from changing anything: objects of another stack or of nobody, reads that
     * failed, kinds the cluster does not serve. On a stack with anything in its state these do not
     * throw (so `destroy --run-program` always runs): every object's before-create and before-update
     * hook refuses instead, so no object is created or changed.
     */
    readonly problems: readonly string[];
}

/** The hooks' names: fixed, never the stack's (the namespace's is NAMESPACE_HOOK, live/namespace.ts). */
export const STOP_HOOK = "vpp-server-stop-before-change";
export const CLAIM_HOOK = "vpp-server-claim-before-create";

/**
 * Connects to the stack's cluster and reads what the lab would touch, before anything is registered.
 *
 * - The cluster cannot be reached as configured: a ConnectionError.
 * - The stack deployed before to another server: a ClusterChangedError, unless $VPP_SERVER_MOVE_TO
 *   names the new server.
 * - Objects another stack or nobody made (by mark and stack id), reads that fail (after retries),
 *   kinds the cluster does not serve: on a stack with nothing in its state, an OwnershipError,
 *   ClusterKindsError or UnreadError (nothing to destroy, so nothing is lost by stopping);
 *   otherwise `problems`, which every object's before-create and before-update hook enforces, so
 *   `up` changes nothing while `destroy --run-program`, which runs the program too, still deletes
 *   the stack's own objects.
 */
export async function connectLab(
    args: VppLabArgs,
    settings: KubeconfigSettings,
    projectRoot: string,
    adopt: boolean,
    previous: PreviousDeployment = { deployed: false },
    env: NodeJS.ProcessEnv = process.env,
    stackId?: pulumi.Output<string>,
): Promise<LiveLab> {
    const connection = resolveConnection(settings, projectRoot, env);
    const cluster = liveCluster(connection);
    try {
        await cluster.version();
    } catch (e) {
        // A stack that moved to a server that does not answer is told it moved, first (by the
        // server alone: the cluster cannot say which it is).
        clusterTarget(args.stack, previous, connection, undefined, env);
        throw new ConnectionError(
            `context ${connection.context} (server ${connection.server}, kubeconfig ${connection.source}) does not answer: ${e instanceof Error ? e.message : String(e)}`,
        );
    }
    const target = clusterTarget(args.stack, previous, connection, await kubeSystemUid(cluster), env);
    const state = await preflight(cluster, labObjects({ ...args, createNamespace: true }));
    const notServed = new Map<string, { apiVersion: string; kind: string }>();
    for (const r of state.results) {
        if ("error" in r && r.notServed) {
            notServed.set(`${r.ref.apiVersion}/${r.ref.kind}`, { apiVersion: r.ref.apiVersion, kind: r.ref.kind });
        }
    }
    const kindsError = notServed.size > 0 ? new ClusterKindsError(connection, [...notServed.values()]) : undefined;
    // The stack's id, where it is known (not in a new stack's preview: its RandomId is made by up).
    const id = stackId ? await knownValue(stackId) : undefined;
    const who: StackIdentity = {
        ...labIdentity(args),
        ...(stackId ? { id, legacy: previous.deployed && previous.stackId === undefined } : {}),
    };
    const { problems: owned, adopted } = ownershipProblems(state, {
        ...who,
        adopt,
        deploymentSelector: selectorLabels(who),
    });
    const ownershipError = owned.length > 0 ? new OwnershipError(owned) : undefined;
    const unread = state.results.flatMap((r) =>
        "error" in r && !r.notServed
            ? [`${describeRef(r.ref)} could not be read (${r.error}), so whose it is is not known`]
            : [],
    );
    const unreadError = unread.length > 0 ? new UnreadError(unread) : undefined;
    if (!previous.deployed && id === undefined) {
        // A stack with nothing in its state: no outputs, and its stack id not made yet (a RandomId's
        // value is known in a dry run only when the state holds it, and in destroy's run likewise).
        // Nothing for destroy to delete, so stop here, before anything is registered. Otherwise the
        // hooks below refuse every create and update, and destroy still runs.
        if (kindsError) throw kindsError;
        if (ownershipError) throw ownershipError;
        if (unreadError) throw unreadError;
    }
    const problems = [kindsError, ownershipError, unreadError].flatMap((e) => (e ? [e.message] : []));
    const nsRead = state.get({ apiVersion: "v1", kind: "Namespace", name: args.namespace });
    const ns = planNamespace(nsRead, who, args.namespace);
    // Hooks of the namespace's delete, by every name a state may hold: the fixed one, and the one
    // that carried the stack's name before (a namespace deleted this run still names it).
    const legacyHook = `${who.instance}-namespace-if-empty`;
    if (legacyHook !== NAMESPACE_HOOK) namespaceDeletionHook(cluster, who, legacyHook);
    return {
        connection,
        target,
        cluster,
        state,
        problems,
        args: {
            ...args,
            createNamespace: ns.create,
            namespaceOptions: ns.create
                ? {
                      retainOnDelete: true,
                      hooks: { afterDelete: [namespaceDeletionHook(cluster, who, NAMESPACE_HOOK)] },
                  }
                : undefined,
        },
        transformations: [
            ...(stackId ? [stampStackId(stackId)] : []),
            declaredStateWins(state),
            guardHooks(cluster, who, adopt, problems),
        ],
        notes: [
            describeConnection(connection),
            ...target.notes,
            ns.reason,
            ...adopted.map((ref) => `adopting ${describeRef(ref)} (vpp-server:adopt is true): this stack now owns it`),
        ],
        warnings: problems.map(
            (p) => `pulumi up will refuse to create or change any object of this stack until this is resolved: ${p}`,
        ),
    };
}

/** Objects whose reads failed: whose they are is not known, so nothing is taken. */
export class UnreadError extends pulumi.RunError {
    constructor(readonly unread: readonly string[]) {
        super(
            [
                `this stack's objects could not all be read (${unread.length}); nothing was changed, since an object that cannot be read may be another stack's or a team's:`,
                ...unread.map((u) => `  - ${u}`),
                "  Check the cluster's health and your rights (kubectl auth can-i get <kind> -n <namespace>), then run again.",
            ].join("\n"),
        );
        this.name = "UnreadError";
    }
}

/** An Output's value, or undefined while it is unknown (a resource a preview would create). */
async function knownValue<T>(o: pulumi.Output<T>): Promise<T | undefined> {
    // Output's isKnown and promise() are the SDK's own, not in its typings.
    const impl = o as unknown as { isKnown: Promise<boolean>; promise(): Promise<T> };
    return (await impl.isKnown) ? impl.promise() : undefined;
}

/** Every Kubernetes object carries the stack's id (STACK_ID_ANNOTATION). */
function stampStackId(stackId: pulumi.Output<string>): pulumi.ResourceTransformation {
    return ({ type, props, opts }) => {
        if (!type.startsWith("kubernetes:") || !isObject(props.metadata)) return undefined;
        const metadata = props.metadata as { annotations?: pulumi.Input<Record<string, string>> };
        const annotations = pulumi
            .all([metadata.annotations ?? {}, stackId])
            .apply(([a, id]) => ({ ...a, [STACK_ID_ANNOTATION]: id }));
        return { props: { ...props, metadata: { ...props.metadata, annotations } }, opts };
    };
}

/**
 * The hooks every Kubernetes object of the lab gets:
 * - before create and before update: refuse while `problems` is not empty (the engine runs them in
 *   `up` only, never in preview or destroy);
 * - before create, too: claim the object. A Namespace is created here with the stack's mark by a
 *   plain create, which fails when it exists (two stacks racing into one new namespace: the second
 *   stops); any other object is read again, and the create stops when it now exists with another
 *   mark, or none. The provider's create that follows is a server-side apply with force, which
 *   would take over whatever is there.
 */
export function guardHooks(
    cluster: LiveCluster,
    stack: string | StackIdentity,
    adopt: boolean,
    problems: readonly string[],
): pulumi.ResourceTransformation {
    const refuse = () => {
        if (problems.length > 0) {
            throw new Error(
                `this stack changes nothing on the cluster until this is resolved:\n${problems.join("\n")}`,
            );
        }
    };
    const stop = new pulumi.ResourceHook(STOP_HOOK, async () => refuse());
    const claim = new pulumi.ResourceHook(CLAIM_HOOK, async (hookArgs) => {
        refuse();
        const inputs = (hookArgs.newInputs ?? {}) as KubeObject & {
            metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
        };
        const ref = objectRef(inputs);
        if (!ref) return;
        if (ref.kind === "Namespace" && ref.apiVersion === "v1") {
            // Fails with 409 when it exists: then its mark, read below, says whose it is.
            const stamped = inputs.metadata?.annotations?.[STACK_ID_ANNOTATION];
            await cluster.createNamespace(
                ref.name,
                inputs.metadata?.labels ?? {},
                stamped ? { [STACK_ID_ANNOTATION]: stamped } : {},
            );
        }
        const live = await cluster.read(ref);
        const own = ownershipOf(live, stack);
        const isNamespace = ref.kind === "Namespace" && ref.apiVersion === "v1";
        if (
            own.kind === "other" ||
            (own.kind === "copy" && (own.id !== undefined || isNamespace || !adopt)) ||
            (own.kind === "unmarked" && (isNamespace || !adopt))
        ) {
            const by =
                own.kind === "other"
                    ? `stack ${JSON.stringify(stackOfMark(own.mark))}`
                    : own.kind === "copy"
                      ? "another stack of this name"
                      : "someone else";
            throw new Error(
                `${describeRef(ref)} was created by ${by} after this run read the cluster; nothing of it was changed: run again to see whose it is`,
            );
        }
    });
    return ({ type, props, opts }) => {
        if (!type.startsWith("kubernetes:")) return undefined;
        const hooks = opts.hooks ?? {};
        return {
            props,
            opts: {
                ...opts,
                hooks: {
                    ...hooks,
                    beforeCreate: [...(hooks.beforeCreate ?? []), claim],
                    beforeUpdate: [...(hooks.beforeUpdate ?? []), stop],
                },
            },
        };
    };
}
