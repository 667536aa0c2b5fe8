/**
 * Names of the Kubernetes objects. Cluster-scoped objects (the SCC and its ClusterRole) carry the
 * stack's instance, its name and namespace, so two labs can share one cluster, even two copies of
 * the project with one stack name; namespaced ones keep the POC's names.
 */
import { createHash } from "crypto";

export const APP = "vpp-server";
/** The uid (and gid) VPP runs as: the image's user, pinned by the SCC. */
export const VPP_UID = 10000;
export const NAD_NAME = "macvlan0";
export const SERVICE_ACCOUNT = "vpp-server";
export const DEPLOYMENT = "vpp-server";
export const CONTAINER = "vpp-server";
export const INIT_CONTAINER = "init-vpp-server";
export const CONFIG_MAP = "vpp-server-config";
export const ROLE_BINDING = "vpp-server-scc";
export const NETWORK_POLICY = "vpp-server-deny-cluster-network";
/** `metrics: cluster`: the exporter's container, its Service, PodMonitor and NetworkPolicy. */
export const METRICS_CONTAINER = "vpp-metrics";
export const METRICS_SERVICE = "vpp-server-metrics";
export const POD_MONITOR = "vpp-server";
export const METRICS_NETWORK_POLICY = "vpp-server-allow-monitoring";

/** At most this long, so `system:openshift:scc:<name>` and label values stay well within limits. */
const MAX_STACK_PART = 40;

/**
 * `name` as a DNS-1123 label of at most `limit` characters: the name itself when it already is one;
 * otherwise folded (lower case, runs of anything else as one '-'), cut, and a hash of the original
 * appended, so different names never fold onto the same label.
 */
export function boundedName(name: string, limit: number): string {
    const folded = name
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-")
        .replace(/^-|-$/g, "");
    if (folded === name && name.length > 0 && name.length <= limit) return name;
    const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
    const head = folded.slice(0, limit - 9).replace(/-$/, "");
    return head ? `${head}-${hash}` : hash;
}

/**
 * `vpp-server-<stack>`, a DNS-1123 subdomain. When the stack's name is not already one
 * (upper case, underscores, dots, length), it is folded and a hash of the original is
 * appended, so different stacks never fold onto the same name.
 */
export function stackScopedName(stack: string): string {
    return `${APP}-${boundedName(stack, MAX_STACK_PART)}`;
}

/** The namespace a lab uses unless its stack says otherwise: Pulumi.yaml's default, the POC's. */
export const DEFAULT_NAMESPACE = "vpp-server";
/** A label value's limit: the instance is the value of the instance label. */
const MAX_INSTANCE = 63;

/**
 * The instance a stack gets when it first deploys: `vpp-server-<stack>` in the default namespace,
 * `vpp-server-<stack>.<namespace>` in any other. Two labs on one cluster never share a namespace
 * (a namespace is one stack's), so two stacks that can both deploy never share an instance, nor the
 * cluster-scoped names made from it: not even two copies of the project with one stack name in two
 * namespaces. The dot cannot occur in either part, so no two (stack, namespace) pairs meet; a
 * namespace too long for the label's 63 characters is cut and a hash of it appended.
 */
export function instanceName(stack: string, namespace: string): string {
    const base = stackScopedName(stack);
    if (namespace === DEFAULT_NAMESPACE) return base;
    const whole = `${base}.${namespace}`;
    if (whole.length <= MAX_INSTANCE) return whole;
    const hash = createHash("sha256").update(namespace).digest("hex").slice(0, 8);
    const head = namespace.slice(0, MAX_INSTANCE - base.length - 1 - 9).replace(/-+$/, "");
    return head ? `${base}.${head}-${hash}` : `${base}.${hash}`;
}

/** The SecurityContextConstraints a new stack's lab gets: named by its instance. */
export function sccName(stack: string, namespace: string): string {
    return instanceName(stack, namespace);
}

/** OpenShift's convention for the ClusterRole that grants `use` of an SCC. */
export function sccClusterRoleName(scc: string): string {
    return `system:openshift:scc:${scc}`;
}

/** The label that marks every object of one stack: its value is the stack's instance. */
export const INSTANCE_LABEL = "app.kubernetes.io/instance";

/** Where an object lives on the cluster: what identifies it there. */
export interface ObjectRef {
    readonly apiVersion: string;
    readonly kind: string;
    /** Undefined for a cluster-scoped object. */
    readonly namespace?: string;
    readonly name: string;
}

/** `Kind namespace/name`, as a message names an object. */
export function describeRef(ref: ObjectRef): string {
    return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}

/**
 * Who a stack is on its cluster: its name, for messages, and its instance, the mark on every object
 * (the `app.kubernetes.io/instance` label's value) and the name of its cluster-scoped objects. The
 * instance is `instanceName(stack, namespace)` when the stack first deploys and is kept from then
 * on (the stack's `instance` output), so a renamed stack, or one moved to another namespace, still
 * knows its objects (stacks deployed before namespaces were part of it keep `vpp-server-<stack>`).
 */
export interface StackIdentity {
    readonly stack: string;
    readonly instance: string;
    /**
     * The stack's id: random, made at its first deployment and kept in its state (a RandomId), on
     * every object as the STACK_ID_ANNOTATION. Two copies of the project (two teams, two backends)
     * with one stack name share the instance, never the id. Undefined: not known yet (a new
     * stack's preview), or not checked (an identity from a name alone, as the review's).
     */
    readonly id?: string;
    /**
     * The stack deployed before it had an id: its objects carry its mark and no id, and are its own.
     * @default true for an identity from a name alone
     */
    readonly legacy?: boolean;
}

/**
 * A deployed stack's instance, from its outputs: `instance`, or, from versions before that output,
 * `sccName` (the same value). Read by the program's next run and by `npm run check`.
 */
export function stackInstance(outputs: { instance?: unknown; sccName?: unknown }): string | undefined {
    const v = outputs.instance ?? outputs.sccName;
    return typeof v === "string" && v !== "" ? v : undefined;
}

/** The annotation that carries a stack's id on each of its objects. */
export const STACK_ID_ANNOTATION = "vpp-server/stack-id";

/**
 * A stack's identity: as given, or, from its name (and namespace: the default one unless given),
 * the instance it gets when it first deploys.
 */
export function identityOf(who: string | StackIdentity, namespace: string = DEFAULT_NAMESPACE): StackIdentity {
    return typeof who === "string" ? { stack: who, instance: instanceName(who, namespace) } : who;
}

/** Labels on every object of one stack; the selector uses the first two. */
export function labels(who: string | StackIdentity): Record<string, string> {
    return {
        "app.kubernetes.io/name": APP,
        [INSTANCE_LABEL]: identityOf(who).instance,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

export function selectorLabels(who: string | StackIdentity): Record<string, string> {
    const all = labels(who);
    return {
        "app.kubernetes.io/name": all["app.kubernetes.io/name"],
        "app.kubernetes.io/instance": all["app.kubernetes.io/instance"],
    };
}
