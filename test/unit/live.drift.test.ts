/**
 * Declared state wins: the comparison of declared and live objects, the reconcile annotation's
 * value, and the transformation that puts both on every Kubernetes object (under mocks, with the
 * reads of a stand-in cluster).
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { findResource, mocksReady, registered, valueOf } from "./mocks";
import type { ObjectRef } from "../../components/names";
import {
    appliedObject,
    appliedValue,
    compareWithLive,
    describeDrift,
    driftOf,
    reconciledValue,
} from "../../live/drift";
import { declaredStateWins, preflight, RECONCILED_PATH } from "../../live/guard";
import type { LiveCluster } from "../../live/reader";

/** A cluster whose every read answers `live` (or fails with it), recording what was read. */
function stubCluster(live: Record<string, unknown> | undefined | Error, reads: ObjectRef[] = []): LiveCluster {
    return {
        read: async (ref) => {
            reads.push(ref);
            if (live instanceof Error) throw live;
            return live;
        },
        version: async () => "v1.35.4",
        listNamespace: async () => [],
        createNamespace: async () => undefined,
        deleteNamespace: async () => undefined,
        unmarkNamespace: async () => undefined,
    };
}

const SCC = {
    apiVersion: "security.openshift.io/v1",
    kind: "SecurityContextConstraints",
    metadata: { name: "vpp-server-lab", labels: { app: "vpp" } },
    allowedCapabilities: ["NET_ADMIN", "NET_RAW", "IPC_LOCK"],
    users: [],
    priority: 0,
};

describe("declared state wins: what counts as a hand edit", () => {
    it("nothing, when the live object holds every declared field", () => {
        const live = {
            ...SCC,
            metadata: { ...SCC.metadata, uid: "u", labels: { app: "vpp", "openshift.io/added": "x" } },
        };
        assert.deepStrictEqual(driftOf(SCC, live), []);
    });
    it("an element appended to a declared list (the provider's pruned diff cannot see it)", () => {
        const live = { ...SCC, allowedCapabilities: [...SCC.allowedCapabilities, "SYS_ADMIN"] };
        assert.deepStrictEqual(driftOf(SCC, live), [
            {
                path: "allowedCapabilities",
                declared: ["NET_ADMIN", "NET_RAW", "IPC_LOCK"],
                live: ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_ADMIN"],
            },
        ]);
    });
    it("a user added to a list declared empty", () => {
        assert.deepStrictEqual(driftOf(SCC, { ...SCC, users: ["system:serviceaccount:default:default"] }), [
            { path: "users", declared: [], live: ["system:serviceaccount:default:default"] },
        ]);
    });
    it("a verb added inside a list's element", () => {
        const role = { rules: [{ apiGroups: ["security.openshift.io"], verbs: ["use"] }] };
        const live = { rules: [{ apiGroups: ["security.openshift.io"], verbs: ["use", "delete"] }] };
        assert.deepStrictEqual(driftOf(role, live), [
            { path: "rules[0].verbs", declared: ["use"], live: ["use", "delete"] },
        ]);
    });
    it("a changed scalar, and a declared label another manager changed", () => {
        assert.deepStrictEqual(driftOf({ spec: { replicas: 1 } }, { spec: { replicas: 2 } }), [
            { path: "spec.replicas", declared: 1, live: 2 },
        ]);
        assert.deepStrictEqual(driftOf(SCC, { ...SCC, metadata: { name: "vpp-server-lab", labels: { app: "x" } } }), [
            { path: "metadata.labels.app", declared: "vpp", live: "x" },
        ]);
    });
    it("a declared field removed", () => {
        assert.deepStrictEqual(driftOf({ data: { a: "1", b: "2" } }, { data: { a: "1" } }), [
            { path: "data.b", declared: "2", live: undefined },
        ]);
    });
    it("an empty declared value matches an absent one; false does not", () => {
        assert.deepStrictEqual(driftOf({ a: [], b: {}, c: "" }, {}), []);
        assert.deepStrictEqual(driftOf({ automount: false }, {}), [
            { path: "automount", declared: false, live: undefined },
        ]);
    });
    it("skips the paths it is told to", () => {
        const declared = { metadata: { annotations: { keep: "1", "vpp-server/reconciled": "a" } } };
        const live = { metadata: { annotations: { keep: "1", "vpp-server/reconciled": "b" } } };
        assert.deepStrictEqual(
            driftOf(declared, live, "", new Set(["metadata.annotations.vpp-server/reconciled"])),
            [],
        );
    });
});

describe("declared state wins: a hand edit is what differs from what the stack last applied", () => {
    const CM = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "cm", annotations: { mine: "x" } },
        data: { vlan: "123" },
    };
    /** The object as the cluster holds it after the stack applied `applied`, with `data`. */
    const liveAfter = (applied: typeof CM, data: Record<string, string>) => ({
        ...applied,
        metadata: {
            ...applied.metadata,
            uid: "u",
            annotations: { ...applied.metadata.annotations, "vpp-server/applied": appliedValue(applied) },
        },
        data,
    });
    it("the applied annotation holds the declared object without this program's own annotations", () => {
        const declared = {
            ...CM,
            metadata: { ...CM.metadata, annotations: { mine: "x", "pulumi.com/patchForce": "true" } },
        };
        assert.deepStrictEqual(appliedObject(liveAfter(declared, {})), CM);
        assert.strictEqual(
            appliedObject({ metadata: { annotations: { "vpp-server/applied": "not gzip" } } }),
            undefined,
        );
    });
    it("a changed setting (vlanId 123 -> 124): drift, so the provider applies it, but no edit to warn of", () => {
        const live = liveAfter(CM, { vlan: "123" });
        const declared = { ...CM, data: { vlan: "124" } };
        assert.deepStrictEqual(compareWithLive(declared, live), {
            drift: [{ path: "data.vlan", declared: "124", live: "123" }],
            edits: [],
        });
    });
    it("a hand edit is one, whatever the stack declares now", () => {
        const live = liveAfter(CM, { vlan: "999" });
        assert.deepStrictEqual(compareWithLive({ ...CM, data: { vlan: "124" } }, live).edits, [
            { path: "data.vlan", declared: "123", live: "999" },
        ]);
        assert.deepStrictEqual(compareWithLive(CM, live).edits, [{ path: "data.vlan", declared: "123", live: "999" }]);
    });
    it("an object applied by an older version (no annotation): every difference counts, as before", () => {
        const live = { ...CM, data: { vlan: "123" } };
        const declared = { ...CM, data: { vlan: "124" } };
        const { drift, edits } = compareWithLive(declared, live);
        assert.deepStrictEqual(edits, drift);
        assert.strictEqual(edits.length, 1);
    });
});

describe("declared state wins: the reconcile annotation", () => {
    const drift = [{ path: "users", declared: [], live: ["x"] }];
    it("keeps the live value while nothing drifted, so a clean stack has no diff", () => {
        assert.strictEqual(reconciledValue("0123456789abcdef", []), "0123456789abcdef");
        assert.strictEqual(reconciledValue(undefined, []), undefined);
    });
    it("takes a new value on drift: 16 hex digits, from the previous value and the drift", () => {
        const v = reconciledValue(undefined, drift);
        assert.match(v!, /^[0-9a-f]{16}$/);
        assert.strictEqual(reconciledValue(undefined, drift), v, "deterministic");
        assert.notStrictEqual(reconciledValue(v, drift), v, "the same edit made again still changes it");
    });
    it("a warning names the object, the field, the live and the declared value", () => {
        const ref: ObjectRef = { apiVersion: "v1", kind: "ConfigMap", namespace: "lab", name: "cm" };
        assert.strictEqual(
            describeDrift(ref, [{ path: "data.x", declared: "1", live: "2" }]),
            'ConfigMap lab/cm was changed on the cluster; this update restores it (data.x: "2" on the cluster, "1" declared)',
        );
    });
});

const CM_REF: ObjectRef = { apiVersion: "v1", kind: "ConfigMap", namespace: "lab", name: "cm" };

describe("declared state wins: the transformation, under mocks", () => {
    let counter = 0;
    /** Registers a ConfigMap through the transformation with `live` as the cluster's copy. */
    async function configMap(live: Record<string, unknown> | undefined | Error, data = { a: "1" }) {
        await mocksReady;
        const k8s = await import("@pulumi/kubernetes");
        const reads: ObjectRef[] = [];
        const state = await preflight(stubCluster(live, reads), [CM_REF]);
        const name = `drift${++counter}`;
        new k8s.core.v1.ConfigMap(
            name,
            { metadata: { name: "cm", namespace: "lab", annotations: { mine: "x" } }, data },
            { transformations: [declaredStateWins(state)] },
        );
        await new Promise((r) => setTimeout(r, 20));
        const inputs = findResource(name, "kubernetes:core/v1:ConfigMap").inputs;
        return { annotations: inputs.metadata.annotations as Record<string, string>, reads };
    }

    it("every Kubernetes object is applied with force, with what is applied kept on it; its own annotations stay", async () => {
        const r = await configMap(undefined);
        assert.deepStrictEqual(Object.keys(r.annotations), ["mine", "pulumi.com/patchForce", "vpp-server/applied"]);
        assert.deepStrictEqual(appliedObject({ metadata: { annotations: r.annotations } }), {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "cm", namespace: "lab", annotations: { mine: "x" } },
            data: { a: "1" },
        });
        assert.deepStrictEqual(r.reads, [{ apiVersion: "v1", kind: "ConfigMap", namespace: "lab", name: "cm" }]);
    });
    /** The cluster's copy of the ConfigMap, with `data`, carrying reconcile value feedfacefeedface. */
    const liveConfigMap = (data: Record<string, string>) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
            name: "cm",
            namespace: "lab",
            annotations: { mine: "x", "pulumi.com/patchForce": "true", "vpp-server/reconciled": "feedfacefeedface" },
        },
        data,
    });
    it("a live object as declared keeps its reconcile value: no diff", async () => {
        const r = await configMap(liveConfigMap({ a: "1" }));
        assert.strictEqual(r.annotations["vpp-server/reconciled"], "feedfacefeedface");
    });
    it("a live object edited by hand gets a new reconcile value, so the provider applies it", async () => {
        const r = await configMap(liveConfigMap({ a: "edited" }));
        assert.match(r.annotations["vpp-server/reconciled"], /^[0-9a-f]{16}$/);
        assert.notStrictEqual(r.annotations["vpp-server/reconciled"], "feedfacefeedface");
    });
    it("an object that cannot be read is declared with force, and its reconcile value is the state's (ignoreChanges)", async () => {
        const r = await configMap(new Error("HTTP 503: etcd leader changed"));
        assert.deepStrictEqual(Object.keys(r.annotations), ["mine", "pulumi.com/patchForce", "vpp-server/applied"]);
        const state = await preflight(stubCluster(new Error("HTTP 503")), [CM_REF]);
        const result = declaredStateWins(state)({
            type: "kubernetes:core/v1:ConfigMap",
            name: "cm",
            props: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "lab" } },
            opts: { ignoreChanges: ["data"] },
            resource: undefined as unknown as pulumi.Resource,
        });
        assert.deepStrictEqual(result?.opts.ignoreChanges, ["data", RECONCILED_PATH]);
        assert.strictEqual(RECONCILED_PATH, 'metadata.annotations["vpp-server/reconciled"]');
    });
    it("an object that was read plans from its check: no ignoreChanges is added", async () => {
        const state = await preflight(stubCluster(undefined), [CM_REF]);
        const result = declaredStateWins(state)({
            type: "kubernetes:core/v1:ConfigMap",
            name: "cm",
            props: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "lab" } },
            opts: {},
            resource: undefined as unknown as pulumi.Resource,
        });
        assert.strictEqual(result?.opts.ignoreChanges, undefined);
    });
    it("resources of other providers are left alone", async () => {
        await mocksReady;
        const random = await import("@pulumi/random");
        const before = registered.length;
        new random.RandomId("drift-random", { byteLength: 6 }, { transformations: [declaredStateWins()] });
        await new Promise((r) => setTimeout(r, 10));
        const id = registered.slice(before).find((r) => r.name === "drift-random");
        assert.deepStrictEqual(id?.inputs, { byteLength: 6 });
    });
    it("without a reader (no cluster to read), only the force annotation", async () => {
        await mocksReady;
        const k8s = await import("@pulumi/kubernetes");
        const ns = new k8s.core.v1.Namespace(
            "drift-ns",
            { metadata: { name: "lab" } },
            { transformations: [declaredStateWins()] },
        );
        assert.deepStrictEqual(await valueOf(ns.metadata.annotations), { "pulumi.com/patchForce": "true" });
    });
});
