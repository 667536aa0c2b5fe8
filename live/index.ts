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
    const [server, context, namespace, renderedTo, deploymentName, instance, scc, stackId] = await Promise.all(
        [
            "clusterServer",
            "clusterContext",
            "namespace",
            "renderedTo",
            "deploymentName",
            "instance",
            "sccName",
            "stackId",
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

/** What the program needs from the cluster to build the lab. */
export interface LiveLab {
    readonly connection: Connection;
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
    if (previous.server && previous.server !== connection.server && env[MOVE_TO_ENV] !== connection.server) {
        throw new ClusterChangedError(args.stack, previous, connection);
    }
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
