/**
 * What the stack may take: the ownership of each object read (by mark and stack id), the problems
 * that stop an update (naming the object, the other stack and the fix), adoption (never of the
 * POC's Deployment, whose selector differs), the namespace's plan, what keeps a namespace from
 * being deleted, the after-delete hook (by the deleted namespace's name and uid), and the hooks
 * that refuse or claim before each create and update.
 */
import * as assert from "assert";
import { LiveState, OwnershipError, ownershipOf, ownershipProblems, stackOfMark } from "../../live/guard";
import { foreignObjects, namespaceDeletionHook, planNamespace } from "../../live/namespace";
import { ObjectRef, stackScopedName } from "../../components/names";
import type { LiveCluster, LiveObject, ObjectSummary } from "../../live/reader";
import * as pulumi from "@pulumi/pulumi";
import { guardHooks } from "../../live";

const NS: ObjectRef = { apiVersion: "v1", kind: "Namespace", name: "precious" };
const CM: ObjectRef = { apiVersion: "v1", kind: "ConfigMap", namespace: "precious", name: "vpp-server-config" };
const SCC: ObjectRef = {
    apiVersion: "security.openshift.io/v1",
    kind: "SecurityContextConstraints",
    name: "vpp-server-b",
};
const marked = (instance?: string): LiveObject => ({
    metadata: {
        name: "x",
        labels: instance ? { "app.kubernetes.io/instance": instance } : ({ team: "a" } as Record<string, string>),
    },
});

describe("live: who owns an existing object", () => {
    it("absent, ours, unmarked, or another stack's, by the app.kubernetes.io/instance label", () => {
        assert.deepStrictEqual(ownershipOf(undefined, "lab"), { kind: "absent" });
        assert.deepStrictEqual(ownershipOf(marked("vpp-server-lab"), "lab"), { kind: "ours" });
        assert.deepStrictEqual(ownershipOf(marked(), "lab"), { kind: "unmarked" });
        assert.deepStrictEqual(ownershipOf(marked("vpp-server-lab-a"), "lab"), {
            kind: "other",
            mark: "vpp-server-lab-a",
        });
    });
    it("a folded stack name's mark is compared as the program writes it", () => {
        assert.deepStrictEqual(ownershipOf(marked(stackScopedName("Lab_A")), "Lab_A"), { kind: "ours" });
        assert.match(stackScopedName("Lab_A"), /^vpp-server-lab-a-[0-9a-f]{8}$/);
        assert.deepStrictEqual(ownershipOf(marked("vpp-server-lab-a"), "Lab_A").kind, "other");
        assert.strictEqual(stackOfMark("vpp-server-lab-a"), "lab-a");
        assert.strictEqual(stackOfMark("vpp-server-lab-a.team-x"), "lab-a", "the namespace part is not the stack's");
    });
});

describe("live: who this stack is: its mark and its id", () => {
    const withId = (mark: string, id?: string): LiveObject => ({
        metadata: {
            labels: { "app.kubernetes.io/instance": mark },
            annotations: id ? { "vpp-server/stack-id": id } : ({} as Record<string, string>),
        },
    });
    const me = { stack: "lab", instance: "vpp-server-lab", id: "aaaa0001", legacy: false };
    it("this stack's mark and id: ours; its mark with another id: a copy's (another project or backend)", () => {
        assert.deepStrictEqual(ownershipOf(withId("vpp-server-lab", "aaaa0001"), me), { kind: "ours" });
        assert.deepStrictEqual(ownershipOf(withId("vpp-server-lab", "bbbb0002"), me), {
            kind: "copy",
            mark: "vpp-server-lab",
            id: "bbbb0002",
        });
    });
    it("its mark and no id: its own only on a stack deployed before it had one (legacy)", () => {
        assert.deepStrictEqual(ownershipOf(withId("vpp-server-lab"), { ...me, legacy: true }), { kind: "ours" });
        assert.deepStrictEqual(ownershipOf(withId("vpp-server-lab"), me), { kind: "copy", mark: "vpp-server-lab" });
        assert.deepStrictEqual(ownershipOf(withId("vpp-server-lab", "bbbb0002"), { ...me, legacy: true }).kind, "copy");
    });
    it("a new stack's preview (no id yet) owns nothing that carries its mark", () => {
        const fresh = { stack: "lab", instance: "vpp-server-lab", legacy: false };
        assert.strictEqual(ownershipOf(withId("vpp-server-lab", "bbbb0002"), fresh).kind, "copy");
        assert.strictEqual(ownershipOf(withId("vpp-server-lab"), fresh).kind, "copy");
    });
    it("the problems name the copy, both ids and the fix; a copy's object is never adopted, one with no id may be", () => {
        const state = new LiveState([
            { ref: NS, live: withId("vpp-server-lab", "bbbb0002") },
            { ref: SCC, live: withId("vpp-server-lab", "bbbb0002") },
            { ref: CM, live: withId("vpp-server-lab") },
        ]);
        const o = { ...me, adopt: false };
        assert.deepStrictEqual(ownershipProblems(state, o).problems, [
            "Namespace precious carries this stack's mark (app.kubernetes.io/instance=vpp-server-lab) but belongs to another stack of the same name (stack id bbbb0002, this stack's is aaaa0001): another copy of this project, or another backend, deploys a stack \"lab\" to this cluster. Before this stack's first up, choose another namespace (pulumi config set vpp-server:namespace <name> --stack lab): a new stack's cluster-scoped names follow its stack name and namespace, so two copies in two namespaces never meet; or give it a name of its own (pulumi stack rename <name> --stack lab)",
            "SecurityContextConstraints vpp-server-b carries this stack's mark (app.kubernetes.io/instance=vpp-server-lab) but belongs to another stack of the same name (stack id bbbb0002, this stack's is aaaa0001): another copy of this project, or another backend, deploys a stack \"lab\" to this cluster. Before this stack's first up, choose another namespace (pulumi config set vpp-server:namespace <name> --stack lab): a new stack's cluster-scoped names follow its stack name and namespace, so two copies in two namespaces never meet; or give it a name of its own (pulumi stack rename <name> --stack lab)",
            "ConfigMap precious/vpp-server-config carries this stack's mark (app.kubernetes.io/instance=vpp-server-lab) but no stack id: a stack of the same name made it with an older version of this program, maybe from another copy of the project. If it is this lab's, set vpp-server:adopt true to take it over; otherwise choose another namespace (pulumi config set vpp-server:namespace <name> --stack lab)",
        ]);
        const adopting = ownershipProblems(state, { ...o, adopt: true });
        assert.strictEqual(adopting.problems.length, 2, "the copy's objects are never adopted");
        assert.deepStrictEqual(adopting.adopted, [CM]);
    });
});

describe("live: what stops an update", () => {
    const opts = { stack: "lab-b", adopt: false };

    it("another stack's object: named with the other stack and the fix", () => {
        const state = new LiveState([{ ref: CM, live: marked("vpp-server-lab-a") }]);
        assert.deepStrictEqual(ownershipProblems(state, opts), {
            problems: [
                'ConfigMap precious/vpp-server-config belongs to stack "lab-a" (label app.kubernetes.io/instance=vpp-server-lab-a): choose another namespace (pulumi config set vpp-server:namespace <name> --stack lab-b)',
            ],
            adopted: [],
        });
    });
    it("another stack's namespace is a problem too: two labs in one namespace delete each other's objects", () => {
        const state = new LiveState([{ ref: NS, live: marked("vpp-server-lab-a") }]);
        assert.match(ownershipProblems(state, opts).problems[0], /^Namespace precious belongs to stack "lab-a"/);
    });
    it("another stack's cluster-scoped object: the fix is another namespace or stack name, before the first up", () => {
        const state = new LiveState([{ ref: SCC, live: marked("vpp-server-other.lab-x") }]);
        assert.deepStrictEqual(ownershipProblems(state, opts).problems, [
            'SecurityContextConstraints vpp-server-b belongs to stack "other" (label app.kubernetes.io/instance=vpp-server-other.lab-x): before this stack\'s first up, choose another namespace (pulumi config set vpp-server:namespace <name> --stack lab-b) or give it another name (pulumi stack rename <name> --stack lab-b): its cluster-scoped names follow both',
        ]);
    });
    it("an object no stack made stops the update unless adopt is set", () => {
        const state = new LiveState([{ ref: CM, live: marked() }]);
        assert.deepStrictEqual(ownershipProblems(state, opts).problems, [
            "ConfigMap precious/vpp-server-config exists and no stack made it (no app.kubernetes.io/instance label): set vpp-server:adopt true to take it over (this stack then owns it, and pulumi destroy deletes it), or choose another namespace (pulumi config set vpp-server:namespace <name> --stack lab-b)",
        ]);
        assert.deepStrictEqual(ownershipProblems(state, { ...opts, adopt: true }), { problems: [], adopted: [CM] });
    });
    it("adopt: the POC's Deployment (selector app=vpp-server) cannot be adopted in place; named, with the one command that clears the way", () => {
        const DEP: ObjectRef = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            namespace: "vpp-server",
            name: "vpp-server",
        };
        const poc = { metadata: { name: "vpp-server" }, spec: { selector: { matchLabels: { app: "vpp-server" } } } };
        const ours = { "app.kubernetes.io/name": "vpp-server", "app.kubernetes.io/instance": "vpp-server-lab-b" };
        const state = new LiveState([
            { ref: CM, live: marked() },
            { ref: DEP, live: poc },
        ]);
        assert.deepStrictEqual(ownershipProblems(state, { ...opts, adopt: true, deploymentSelector: ours }), {
            problems: [
                "Deployment vpp-server/vpp-server exists and no stack made it, and its selector (app=vpp-server) is not this stack's: a Deployment's selector cannot change, so it cannot be adopted in place. Delete it first, then run up again (the lab's address is down until up has run): kubectl delete deployment vpp-server -n vpp-server",
            ],
            adopted: [CM],
        });
        // The same selector, in another order: adopted.
        const same = {
            spec: {
                selector: {
                    matchLabels: {
                        "app.kubernetes.io/instance": "vpp-server-lab-b",
                        "app.kubernetes.io/name": "vpp-server",
                    },
                },
            },
        };
        assert.deepStrictEqual(
            ownershipProblems(new LiveState([{ ref: DEP, live: same }]), {
                ...opts,
                adopt: true,
                deploymentSelector: ours,
            }),
            { problems: [], adopted: [DEP] },
        );
    });
    it("adopt never takes another stack's object", () => {
        const state = new LiveState([{ ref: CM, live: marked("vpp-server-lab-a") }]);
        assert.strictEqual(ownershipProblems(state, { ...opts, adopt: true }).problems.length, 1);
    });
    it("an unmarked namespace is used, not a problem; absent, own and unreadable objects are not problems", () => {
        const state = new LiveState([
            { ref: NS, live: marked() },
            { ref: CM },
            { ref: SCC, live: marked("vpp-server-lab-b") },
            { ref: { ...CM, name: "other" }, error: "HTTP 403" },
        ]);
        assert.deepStrictEqual(ownershipProblems(state, opts), { problems: [], adopted: [] });
    });
    it("the error lists every problem and says nothing was changed", () => {
        assert.strictEqual(
            new OwnershipError(["a", "b"]).message,
            "this stack would take objects it did not create (2); nothing was changed:\n  - a\n  - b",
        );
    });
});

describe("live: the namespace's plan", () => {
    it("absent: created and owned", () => {
        assert.deepStrictEqual(planNamespace({ ref: NS }, "lab", "precious"), {
            create: true,
            reason: "namespace precious does not exist: this stack creates and owns it",
        });
    });
    it("made by this stack: owned", () => {
        assert.strictEqual(planNamespace({ ref: NS, live: marked("vpp-server-lab") }, "lab", "precious").create, true);
    });
    it("made by hand: used, never declared, so destroy cannot delete it", () => {
        assert.deepStrictEqual(planNamespace({ ref: NS, live: marked() }, "lab", "precious"), {
            create: false,
            reason: "namespace precious exists and no stack made it: this stack uses it and never deletes it",
        });
    });
    it("unreadable: stays declared, so the state decides (the before-create hook refuses a create)", () => {
        assert.deepStrictEqual(planNamespace({ ref: NS, error: "HTTP 403: forbidden" }, "lab", "precious"), {
            create: true,
            reason: "namespace precious could not be read (HTTP 403: forbidden): it stays as the stack's state has it, and nothing is created",
        });
    });
});

describe("live: what keeps a namespace from being deleted", () => {
    const o = (kind: string, name: string, extra: Partial<ObjectSummary> = {}): ObjectSummary => ({
        apiVersion: "v1",
        kind,
        name,
        labels: {},
        owned: false,
        ...extra,
    });
    it("a team's ConfigMap is foreign; the stack's own, owned, and Kubernetes' and OpenShift's defaults are not", () => {
        const objects = [
            o("ConfigMap", "team-data"),
            o("ConfigMap", "vpp-server-config", { labels: { "app.kubernetes.io/instance": "vpp-server-lab" } }),
            o("Pod", "vpp-server-6d4f-x", { owned: true }),
            o("Event", "vpp-server.17a"),
            o("ServiceAccount", "default"),
            o("ServiceAccount", "builder"),
            o("ConfigMap", "kube-root-ca.crt"),
            o("ConfigMap", "openshift-service-ca.crt"),
            o("RoleBinding", "system:image-pullers"),
            o("Secret", "default-dockercfg-7x2kq"),
            o("Secret", "db-password"),
            o("ConfigMap", "other-lab", { labels: { "app.kubernetes.io/instance": "vpp-server-lab-a" } }),
        ];
        assert.deepStrictEqual(
            foreignObjects(objects, "lab").map((x) => `${x.kind} ${x.name}`),
            ["ConfigMap team-data", "Secret db-password", "ConfigMap other-lab"],
        );
    });
});

describe("live: the namespace's after-delete hook", () => {
    const MARK = { "app.kubernetes.io/instance": "vpp-server-lab" };
    /**
     * A cluster with one namespace `ns` (uid `uid`, `labels`) that holds `objects`, and that
     * finalizes a deleted namespace after `reads` further reads.
     */
    const cluster = (
        objects: ObjectSummary[] | Error,
        o: {
            reads?: number;
            uid?: string;
            labels?: Record<string, string>;
            exists?: boolean;
            annotations?: Record<string, string>;
            unmark?: Error;
        } = {},
    ) => {
        const calls: string[] = [];
        let left = o.reads ?? 2;
        let deleted = false;
        const c: LiveCluster = {
            read: async (ref) => {
                calls.push(`read ${ref.name}`);
                if (o.exists === false || (deleted && left-- <= 0)) return undefined;
                return {
                    kind: "Namespace",
                    metadata: {
                        name: ref.name,
                        uid: o.uid ?? "uid-a",
                        labels: o.labels ?? MARK,
                        annotations: o.annotations ?? {},
                    },
                };
            },
            version: async () => "v1.35.4",
            createNamespace: async () => undefined,
            listNamespace: async (ns) => {
                calls.push(`list ${ns}`);
                if (objects instanceof Error) throw objects;
                return objects;
            },
            deleteNamespace: async (ns, uid) => {
                calls.push(`delete ${ns} if uid ${uid}`);
                deleted = true;
            },
            unmarkNamespace: async (ns, uid, labels, annotations) => {
                calls.push(
                    `unmark ${ns} if uid ${uid}: labels ${labels.join(",")}; annotations ${annotations.join(",")}`,
                );
                if (o.unmark) throw o.unmark;
            },
        };
        return { c, calls };
    };
    /** The hook as the engine calls it after deleting Namespace `name` (uid `uid`) from the state. */
    const run = (h: ReturnType<typeof namespaceDeletionHook>, name = "a", uid = "uid-a") =>
        h.callback({
            urn: "urn",
            id: name,
            name: "vpp-server-namespace",
            type: "kubernetes:core/v1:Namespace",
            oldOutputs: { metadata: { name, ...(uid ? { uid } : {}), labels: MARK } },
        });
    const ours = {
        apiVersion: "v1",
        kind: "ConfigMap",
        name: "vpp-server-config",
        owned: false,
        labels: MARK,
    };

    it("nothing foreign: deletes the namespace the engine deleted (by its old outputs, uid as precondition) and waits until it is gone", async () => {
        const { c, calls } = cluster([ours]);
        const hook = namespaceDeletionHook(c, "lab");
        assert.strictEqual(
            hook.name,
            "vpp-server-namespace-if-empty",
            "a fixed name: a renamed stack's state names it too",
        );
        assert.deepStrictEqual(hook.opts, { ignoreErrors: true });
        await run(hook, "a", "uid-a");
        assert.deepStrictEqual(calls, ["read a", "list a", "delete a if uid uid-a", "read a", "read a", "read a"]);
    });
    it("a namespace of the same name made again (another uid): kept, never listed or deleted", async () => {
        const { c, calls } = cluster([ours], { uid: "uid-new" });
        await assert.rejects(
            Promise.resolve(run(namespaceDeletionHook(c, "lab"), "a", "uid-a")),
            /^Error: namespace a is kept: it is not the namespace this stack made \(uid uid-new, the stack's was uid-a\), so it was made again by someone else$/,
        );
        assert.deepStrictEqual(calls, ["read a"]);
    });
    it("a namespace that lost this stack's mark: kept", async () => {
        const { c, calls } = cluster([ours], { labels: { "app.kubernetes.io/instance": "vpp-server-other" } });
        await assert.rejects(
            Promise.resolve(run(namespaceDeletionHook(c, "lab"))),
            /^Error: namespace a is kept: it no longer carries this stack's mark \(app\.kubernetes\.io\/instance=vpp-server-lab\)$/,
        );
        assert.deepStrictEqual(calls, ["read a"]);
    });
    it("no name or uid in the old outputs: kept, nothing read or deleted", async () => {
        const { c, calls } = cluster([ours]);
        await assert.rejects(
            Promise.resolve(run(namespaceDeletionHook(c, "lab"), "a", "")),
            /^Error: namespace a is kept: the engine did not say which namespace it deleted \(no name and uid in its old outputs\)/,
        );
        assert.deepStrictEqual(calls, []);
    });
    it("already gone: nothing to do", async () => {
        const { c, calls } = cluster([ours], { exists: false });
        await run(namespaceDeletionHook(c, "lab"));
        assert.deepStrictEqual(calls, ["read a"]);
    });
    it("something foreign: keeps the namespace and says what is in it", async () => {
        const { c, calls } = cluster([
            ours,
            { apiVersion: "v1", kind: "ConfigMap", name: "notes", owned: false, labels: {} },
        ]);
        await assert.rejects(
            Promise.resolve(run(namespaceDeletionHook(c, "lab"))),
            /^Error: namespace a is kept: it holds objects this stack did not make \(ConfigMap notes\); this stack's own objects were deleted; its mark is removed, so a later up uses it as a namespace made by hand and never deletes it$/,
        );
        assert.deepStrictEqual(calls, [
            "read a",
            "list a",
            "unmark a if uid uid-a: labels app.kubernetes.io/instance; annotations ",
        ]);
    });
    it("kept: every label of the stack's and its id annotation go, and only those, while the uid is the stack's", async () => {
        const { c, calls } = cluster([{ apiVersion: "v1", kind: "Secret", name: "team", owned: false, labels: {} }], {
            labels: {
                ...MARK,
                "app.kubernetes.io/name": "vpp-server",
                "app.kubernetes.io/managed-by": "pulumi",
                "team.example/owner": "net",
            },
            annotations: { "vpp-server/stack-id": "aaaa0001", "openshift.io/description": "lab" },
        });
        await assert.rejects(Promise.resolve(run(namespaceDeletionHook(c, "lab"))), /its mark is removed/);
        assert.strictEqual(
            calls[2],
            "unmark a if uid uid-a: labels app.kubernetes.io/name,app.kubernetes.io/instance,app.kubernetes.io/managed-by; annotations vpp-server/stack-id",
        );
    });
    it("its objects cannot be listed: kept, with the reason; the mark cannot be removed either: the command that does it", async () => {
        const { c, calls } = cluster(new Error("HTTP 403: forbidden"), {
            unmark: new Error("HTTP 403: patch forbidden"),
        });
        await assert.rejects(
            Promise.resolve(run(namespaceDeletionHook(c, "lab"))),
            /^Error: namespace a is kept: its objects could not be listed \(HTTP 403: forbidden\); delete it by hand once it holds nothing you need; its mark could not be removed \(HTTP 403: patch forbidden\): before this stack's next up, kubectl label namespace a app\.kubernetes\.io\/instance-$/,
        );
        assert.deepStrictEqual(calls.slice(0, 2), ["read a", "list a"]);
    });
    it("a namespace that never finalizes: named, with where to look", async () => {
        const { c } = cluster([], { reads: 1_000_000 });
        await assert.rejects(
            Promise.resolve(run(namespaceDeletionHook(c, "lab", undefined, 100))),
            /namespace a was deleted but is still terminating after 0.1 s: check its finalizers \(kubectl get namespace a -o yaml\)/,
        );
    });
});

describe("live: the hooks every object gets (before create, before update)", () => {
    const MARK = { "app.kubernetes.io/instance": "vpp-server-lab" };
    /** A cluster holding `objects` by name; createNamespace adds one unless it exists. */
    const cluster = (objects: Record<string, LiveObject>) => {
        const calls: string[] = [];
        const c: LiveCluster = {
            read: async (ref) => {
                calls.push(`read ${ref.kind} ${ref.name}`);
                return objects[`${ref.kind} ${ref.name}`];
            },
            version: async () => "v1.35.4",
            createNamespace: async (ns, labels) => {
                calls.push(`create Namespace ${ns}`);
                objects[`Namespace ${ns}`] ??= { metadata: { name: ns, labels } };
            },
            listNamespace: async () => [],
            deleteNamespace: async () => undefined,
            unmarkNamespace: async () => undefined,
        };
        return { c, calls };
    };
    /** The hooks the transformation gives a resource of `type`. */
    const hooksOf = (t: pulumi.ResourceTransformation, type: string) => {
        const r = t({ type, name: "x", props: {}, opts: {} } as pulumi.ResourceTransformationArgs);
        return r?.opts.hooks;
    };
    const create = (hooks: ReturnType<typeof hooksOf>, kind: string, name: string) =>
        Promise.resolve(
            (hooks!.beforeCreate![0] as pulumi.ResourceHook).callback({
                urn: "urn",
                id: "",
                name: "x",
                type: `kubernetes:core/v1:${kind}`,
                newInputs: {
                    apiVersion: "v1",
                    kind,
                    metadata: { name, namespace: kind === "Namespace" ? undefined : "lab", labels: MARK },
                },
            }),
        );

    it("a Kubernetes object gets the claim before create and the stop before update; providers and components get nothing", () => {
        const t = guardHooks(cluster({}).c, "lab", false, []);
        const hooks = hooksOf(t, "kubernetes:core/v1:ConfigMap");
        assert.deepStrictEqual(
            [
                hooks?.beforeCreate?.map((h) => (h as pulumi.ResourceHook).name),
                hooks?.beforeUpdate?.map((h) => (h as pulumi.ResourceHook).name),
            ],
            [["vpp-server-claim-before-create"], ["vpp-server-stop-before-change"]],
        );
        assert.strictEqual(hooksOf(t, "pulumi:providers:kubernetes"), undefined);
        assert.strictEqual(hooksOf(t, "vpp-server:index:VppLab"), undefined);
    });
    it("with problems, create and update are refused, naming them", async () => {
        const hooks = hooksOf(
            guardHooks(cluster({}).c, "lab", false, ['ConfigMap lab/x belongs to stack "b"']),
            "kubernetes:core/v1:ConfigMap",
        );
        await assert.rejects(
            create(hooks, "ConfigMap", "x"),
            /this stack changes nothing on the cluster until this is resolved:\nConfigMap lab\/x belongs to stack "b"/,
        );
        await assert.rejects(
            Promise.resolve(
                (hooks!.beforeUpdate![0] as pulumi.ResourceHook).callback({ urn: "u", id: "x", name: "x", type: "t" }),
            ),
            /belongs to stack "b"/,
        );
    });
    it("a namespace is created by a plain create first: made now, it is ours and the create goes on", async () => {
        const { c, calls } = cluster({});
        await create(hooksOf(guardHooks(c, "lab", false, []), "kubernetes:core/v1:Namespace"), "Namespace", "lab");
        assert.deepStrictEqual(calls, ["create Namespace lab", "read Namespace lab"]);
    });
    it("a namespace another stack made since this run read it: the create stops, naming that stack", async () => {
        const { c } = cluster({
            "Namespace lab": {
                metadata: { name: "lab", labels: { "app.kubernetes.io/instance": "vpp-server-other" } },
            },
        });
        await assert.rejects(
            create(hooksOf(guardHooks(c, "lab", false, []), "kubernetes:core/v1:Namespace"), "Namespace", "lab"),
            /^Error: Namespace lab was created by stack "other" after this run read the cluster; nothing of it was changed: run again to see whose it is$/,
        );
    });
    it("an object that appeared unmarked since the read: stops, unless adopt is true", async () => {
        const objects = { "ConfigMap x": { metadata: { name: "x" } } };
        await assert.rejects(
            create(
                hooksOf(guardHooks(cluster(objects).c, "lab", false, []), "kubernetes:core/v1:ConfigMap"),
                "ConfigMap",
                "x",
            ),
            /ConfigMap lab\/x was created by someone else after this run read the cluster/,
        );
        await create(
            hooksOf(guardHooks(cluster(objects).c, "lab", true, []), "kubernetes:core/v1:ConfigMap"),
            "ConfigMap",
            "x",
        );
    });
});
