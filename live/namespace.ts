/**
 * The namespace: used when it exists, owned only when this stack made it, and deleted only when
 * nothing but this stack's objects is left in it.
 *
 * - It does not exist, or carries this stack's mark: the stack declares it (creates it, owns it).
 * - It exists with no mark (made by hand, by the proof of concept, by a team): the stack uses it and
 *   never declares it, so `pulumi destroy` cannot delete it or what it holds.
 * - It carries another stack's mark: live/guard.ts stops the update.
 *
 * A namespace the stack owns is declared with `retainOnDelete` (the provider never deletes it) and
 * an after-delete hook: once destroy has deleted the stack's objects, the hook lists what is left in
 * the namespace and deletes it only when nothing is there that the stack did not make; otherwise
 * it keeps it and says what is in it. Delete hooks make `pulumi destroy` require `--run-program`
 * (the engine refuses to destroy without the program that defines them), which is also what gives
 * the hook this stack's connection.
 */
import * as pulumi from "@pulumi/pulumi";
import { identityOf, INSTANCE_LABEL, labels, STACK_ID_ANNOTATION, StackIdentity } from "../components/names";
import type { ReadResult } from "./guard";
import { ownershipOf } from "./guard";
import type { LiveCluster, LiveObject, ObjectSummary } from "./reader";

/** Whether the stack declares its namespace, and why, for the log. */
export interface NamespacePlan {
    readonly create: boolean;
    readonly reason: string;
}

export function planNamespace(
    read: ReadResult | undefined,
    stack: string | StackIdentity,
    namespace: string,
): NamespacePlan {
    if (!read || "error" in read) {
        // Not known. Declared all the same, so the stack's state decides: a namespace the stack owns
        // stays declared (left out, the engine would delete it and run its hook), and one it does not
        // own would be a create, which the before-create hook refuses while a read has failed.
        return {
            create: true,
            reason: `namespace ${namespace} could not be read (${read && "error" in read ? read.error : "not read"}): it stays as the stack's state has it, and nothing is created`,
        };
    }
    const own = ownershipOf(read.live, stack);
    switch (own.kind) {
        case "absent":
            return { create: true, reason: `namespace ${namespace} does not exist: this stack creates and owns it` };
        case "ours":
            return { create: true, reason: `namespace ${namespace} was made by this stack: it owns it` };
        case "unmarked":
            return {
                create: false,
                reason: `namespace ${namespace} exists and no stack made it: this stack uses it and never deletes it`,
            };
        case "copy":
            return {
                create: false,
                reason: `namespace ${namespace} carries this stack's mark but ${own.id ? "another stack's id" : "no stack id"}`,
            };
        default:
            return { create: false, reason: `namespace ${namespace} belongs to another stack` };
    }
}

/**
 * What keeps a namespace from being deleted: objects that neither this stack nor Kubernetes made.
 * Objects with this stack's mark are its own; objects with an owner (pods of its Deployment,
 * events' sources, tokens of a ServiceAccount) go with their owner; events, and what Kubernetes and
 * OpenShift put in every namespace, are not anyone's data.
 */
export function foreignObjects(objects: readonly ObjectSummary[], stack: string | StackIdentity): ObjectSummary[] {
    const mark = identityOf(stack).instance;
    return objects.filter((o) => {
        if (o.labels[INSTANCE_LABEL] === mark || o.owned) return false;
        if (o.kind === "Event") return false;
        if (o.kind === "ServiceAccount" && ["default", "builder", "deployer", "pipeline"].includes(o.name))
            return false;
        if (o.kind === "ConfigMap" && ["kube-root-ca.crt", "openshift-service-ca.crt"].includes(o.name)) return false;
        if (o.kind === "RoleBinding" && o.name.startsWith("system:")) return false;
        // OpenShift's token and pull secrets for the default service accounts.
        if (o.kind === "Secret" && /^(default|builder|deployer|pipeline)-(token|dockercfg)-[a-z0-9]+$/.test(o.name))
            return false;
        return true;
    });
}

/** Removes the stack's labels and id annotation from namespace `live` (uid `uid`), as far as it carries them. */
async function unmark(cluster: LiveCluster, live: LiveObject, uid: string, stack: string | StackIdentity) {
    const has = live.metadata?.labels ?? {};
    const stackLabels = Object.entries(labels(stack))
        .filter(([k, v]) => has[k] === v)
        .map(([k]) => k);
    const annotations = STACK_ID_ANNOTATION in (live.metadata?.annotations ?? {}) ? [STACK_ID_ANNOTATION] : [];
    await cluster.unmarkNamespace(String(live.metadata?.name), uid, stackLabels, annotations);
}

/** The hook's name: fixed, never the stack's, so a renamed stack's state still names a hook this run registers. */
export const NAMESPACE_HOOK = "vpp-server-namespace-if-empty";

/** How long the hook waits for a deleted namespace to be finalized (its objects deleted by Kubernetes). */
export const NAMESPACE_FINALIZE_TIMEOUT_MS = 5 * 60 * 1000;

/** The namespace the engine deleted from the stack's state: its name and uid, from the hook's old outputs. */
export function deletedNamespace(args: pulumi.ResourceHookArgs): { name: string; uid: string } | undefined {
    const metadata = (args.oldOutputs as { metadata?: { name?: unknown; uid?: unknown } } | undefined)?.metadata;
    return typeof metadata?.name === "string" && metadata.name && typeof metadata.uid === "string" && metadata.uid
        ? { name: metadata.name, uid: metadata.uid }
        : undefined;
}

/**
 * The after-delete hook of the namespace a stack owns. It acts on the namespace the engine deleted
 * from the stack's state (the hook's old outputs: name and uid), never on the one this run declares:
 * after `namespace` changes from a to b, the engine replaces the Namespace and runs this hook for a,
 * while b holds the lab. Before deleting it checks, on the cluster, that the namespace is still that
 * very object (same uid) with this stack's mark, and that nothing foreign is in it; the DELETE itself
 * carries the uid as a precondition, so a namespace made again under the same name is never deleted.
 * It then waits until Kubernetes has finalized it, as the provider's own delete waited. When it
 * keeps the namespace, its error is the reason, shown as a warning (`ignoreErrors`): the stack's
 * objects are deleted and the update or destroy succeeds.
 */
export function namespaceDeletionHook(
    cluster: LiveCluster,
    stack: string | StackIdentity,
    name = NAMESPACE_HOOK,
    finalizeTimeoutMs = NAMESPACE_FINALIZE_TIMEOUT_MS,
): pulumi.ResourceHook {
    const hook = async (args: pulumi.ResourceHookArgs) => {
        const deleted = deletedNamespace(args);
        if (!deleted) {
            throw new Error(
                `namespace ${args.id || args.name} is kept: the engine did not say which namespace it deleted (no name and uid in its old outputs); delete it by hand once it holds nothing you need`,
            );
        }
        const { name: namespace, uid } = deleted;
        const ref = { apiVersion: "v1", kind: "Namespace", name: namespace };
        const live = await cluster.read(ref).catch((e: unknown) => {
            throw new Error(
                `namespace ${namespace} is kept: it could not be read (${e instanceof Error ? e.message : String(e)}); delete it by hand once it holds nothing you need`,
            );
        });
        if (!live) {
            void pulumi.log.info(`namespace ${namespace} is already gone`);
            return;
        }
        const liveUid = (live.metadata as { uid?: unknown } | undefined)?.uid;
        if (liveUid !== uid) {
            throw new Error(
                `namespace ${namespace} is kept: it is not the namespace this stack made (uid ${String(liveUid)}, the stack's was ${uid}), so it was made again by someone else`,
            );
        }
        const own = ownershipOf(live, stack);
        if (own.kind !== "ours") {
            throw new Error(
                `namespace ${namespace} is kept: it no longer carries this stack's mark (${INSTANCE_LABEL}=${identityOf(stack).instance})`,
            );
        }
        // A namespace kept from here on is no longer the stack's: its mark goes, so the next up of
        // this stack (a new stack id after a destroy) uses it as a namespace made by hand, instead of
        // refusing it as another copy's.
        const keep = async (why: string): Promise<never> => {
            const released = await unmark(cluster, live, uid, stack).then(
                () => `; its mark is removed, so a later up uses it as a namespace made by hand and never deletes it`,
                (e: unknown) =>
                    `; its mark could not be removed (${e instanceof Error ? e.message : String(e)}): before this stack's next up, kubectl label namespace ${namespace} ${INSTANCE_LABEL}-`,
            );
            throw new Error(`namespace ${namespace} is kept: ${why}${released}`);
        };
        let objects: ObjectSummary[];
        try {
            objects = await cluster.listNamespace(namespace);
        } catch (e) {
            return keep(
                `its objects could not be listed (${e instanceof Error ? e.message : String(e)}); delete it by hand once it holds nothing you need`,
            );
        }
        const foreign = foreignObjects(objects, stack);
        if (foreign.length > 0) {
            const names = foreign.map((o) => `${o.kind} ${o.name}`);
            return keep(
                `it holds objects this stack did not make (${names.join(", ")}); this stack's own objects were deleted`,
            );
        }
        await cluster.deleteNamespace(namespace, uid);
        for (
            const t0 = Date.now();
            ((await cluster.read(ref))?.metadata as { uid?: unknown } | undefined)?.uid === uid;
        ) {
            if (Date.now() - t0 > finalizeTimeoutMs) {
                throw new Error(
                    `namespace ${namespace} was deleted but is still terminating after ${finalizeTimeoutMs / 1000} s: check its finalizers (kubectl get namespace ${namespace} -o yaml)`,
                );
            }
            await new Promise((r) => setTimeout(r, 500));
        }
        void pulumi.log.info(`namespace ${namespace} deleted: nothing but this stack's objects was in it`);
    };
    return new pulumi.ResourceHook(name, hook, { ignoreErrors: true });
}
