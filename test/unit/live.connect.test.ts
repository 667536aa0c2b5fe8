/**
 * connectLab, the program's one step before anything is registered, against a real HTTPS server
 * answering as an API server: the version asked first; every object the lab declares read once;
 * another stack's object an OwnershipError; an unreadable object an UnreadError; a kind the cluster
 * does not serve (PodMonitor, with metrics cluster) a ClusterKindsError; each of these, on a stack
 * whose state holds anything, a problem for the hooks instead; a copy's object by its stack id; a
 * new server than the last deployment's a ClusterChangedError; the namespace's plan in the lab's
 * arguments; the target named in the notes.
 */
import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { labArgs } from "../../stacks/compose";
import { parseStackConfig } from "../../stacks/config";
import {
    ClusterChangedError,
    ClusterKindsError,
    ClusterRecreatedError,
    connectLab,
    ConnectionError,
    OwnershipError,
    UnreadError,
} from "../../live";
import { LAB_CONFIG } from "../fixtures/lab";
import { FakeApiServer } from "./apiserver";

const DISCOVERY: Record<string, { name: string; kind: string; namespaced: boolean }[]> = {
    "/api/v1": [
        { name: "namespaces", kind: "Namespace", namespaced: false },
        { name: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
        { name: "configmaps", kind: "ConfigMap", namespaced: true },
        { name: "services", kind: "Service", namespaced: true },
    ],
    "/apis/apps/v1": [{ name: "deployments", kind: "Deployment", namespaced: true }],
    "/apis/rbac.authorization.k8s.io/v1": [
        { name: "clusterroles", kind: "ClusterRole", namespaced: false },
        { name: "rolebindings", kind: "RoleBinding", namespaced: true },
    ],
    "/apis/networking.k8s.io/v1": [{ name: "networkpolicies", kind: "NetworkPolicy", namespaced: true }],
    "/apis/k8s.cni.cncf.io/v1": [
        { name: "network-attachment-definitions", kind: "NetworkAttachmentDefinition", namespaced: true },
    ],
    "/apis/security.openshift.io/v1": [
        { name: "securitycontextconstraints", kind: "SecurityContextConstraints", namespaced: false },
    ],
};

describe("live: connectLab against an API server", function () {
    const api = new FakeApiServer();
    let kubeconfig: string;
    const args = () => labArgs(parseStackConfig({ ...LAB_CONFIG, namespace: "lab-b" }), "lab-b");
    const connect = () => connectLab(args(), { kubeconfig }, "/unused", false);

    before(async () => {
        await api.start();
        kubeconfig = api.kubeconfig("lab-b-cluster");
    });
    after(() => api.stop());
    beforeEach(() => {
        api.routes.clear();
        api.seen.length = 0;
        api.routes.set("GET /version", [200, '{"gitVersion":"v1.35.4"}']);
        for (const [p, resources] of Object.entries(DISCOVERY)) {
            api.routes.set(`GET ${p}`, [200, JSON.stringify({ resources })]);
        }
    });

    it("a new lab: the version, then each declared object once; the namespace is created and owned", async () => {
        const live = await connect();
        assert.strictEqual(api.seen[0], "GET /version");
        const reads = api.seen.filter((s) => !Object.keys(DISCOVERY).includes(s.slice(4)) && s !== "GET /version");
        assert.deepStrictEqual(reads.sort(), [
            "GET /api/v1/namespaces/kube-system",
            "GET /api/v1/namespaces/lab-b",
            "GET /api/v1/namespaces/lab-b/configmaps/vpp-server-config",
            "GET /api/v1/namespaces/lab-b/serviceaccounts/vpp-server",
            "GET /apis/apps/v1/namespaces/lab-b/deployments/vpp-server",
            "GET /apis/k8s.cni.cncf.io/v1/namespaces/lab-b/network-attachment-definitions/macvlan0",
            "GET /apis/networking.k8s.io/v1/namespaces/lab-b/networkpolicies/vpp-server-deny-cluster-network",
            "GET /apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Aopenshift%3Ascc%3Avpp-server-lab-b.lab-b",
            "GET /apis/rbac.authorization.k8s.io/v1/namespaces/lab-b/rolebindings/vpp-server-scc",
            "GET /apis/security.openshift.io/v1/securitycontextconstraints/vpp-server-lab-b.lab-b",
        ]);
        assert.strictEqual(live.args.createNamespace, true);
        assert.strictEqual(live.args.namespaceOptions?.retainOnDelete, true);
        assert.strictEqual(live.args.namespaceOptions?.hooks?.afterDelete?.[0].name, "vpp-server-namespace-if-empty");
        assert.deepStrictEqual(live.notes, [
            `target cluster: context lab-b-cluster, server ${api.access.server} (kubeconfig: kubernetes:kubeconfig ${kubeconfig})`,
            "namespace lab-b does not exist: this stack creates and owns it",
        ]);
        assert.deepStrictEqual(live.warnings, []);
        assert.deepStrictEqual([live.connection.context, live.connection.server], ["lab-b-cluster", api.access.server]);
    });

    it("another stack's objects: an OwnershipError naming each, before anything is registered", async () => {
        const a = (kind: string, name: string) =>
            JSON.stringify({ kind, metadata: { name, labels: { "app.kubernetes.io/instance": "vpp-server-lab-a" } } });
        api.routes.set("GET /api/v1/namespaces/lab-b", [200, a("Namespace", "lab-b")]);
        api.routes.set("GET /api/v1/namespaces/lab-b/configmaps/vpp-server-config", [
            200,
            a("ConfigMap", "vpp-server-config"),
        ]);
        await assert.rejects(connect(), (e: Error) => {
            assert.ok(e instanceof OwnershipError, String(e));
            assert.deepStrictEqual(e.problems, [
                'Namespace lab-b belongs to stack "lab-a" (label app.kubernetes.io/instance=vpp-server-lab-a): choose another namespace (pulumi config set vpp-server:namespace <name> --stack lab-b)',
                'ConfigMap lab-b/vpp-server-config belongs to stack "lab-a" (label app.kubernetes.io/instance=vpp-server-lab-a): choose another namespace (pulumi config set vpp-server:namespace <name> --stack lab-b)',
            ]);
            return true;
        });
    });

    it("a namespace made by hand is used: not declared, no hook", async () => {
        api.routes.set("GET /api/v1/namespaces/lab-b", [
            200,
            JSON.stringify({ kind: "Namespace", metadata: { name: "lab-b" } }),
        ]);
        const live = await connect();
        assert.strictEqual(live.args.createNamespace, false);
        assert.strictEqual(live.args.namespaceOptions, undefined);
        assert.strictEqual(
            live.notes[1],
            "namespace lab-b exists and no stack made it: this stack uses it and never deletes it",
        );
    });

    it("an object that cannot be read, on a stack never deployed: an UnreadError naming it, before anything is registered", async () => {
        api.routes.set("GET /apis/apps/v1/namespaces/lab-b/deployments/vpp-server", [
            403,
            '{"message":"deployments.apps \\"vpp-server\\" is forbidden"}',
        ]);
        await assert.rejects(connect(), (e: Error) => {
            assert.ok(e instanceof UnreadError, String(e));
            assert.deepStrictEqual(e.unread, [
                `Deployment lab-b/vpp-server could not be read (GET ${api.access.server}/apis/apps/v1/namespaces/lab-b/deployments/vpp-server: HTTP 403: deployments.apps "vpp-server" is forbidden), so whose it is is not known`,
            ]);
            return true;
        });
    });

    it("on a stack that deployed before, the same problems do not throw (destroy must run): up's hooks refuse, preview warns", async () => {
        api.routes.set("GET /apis/apps/v1/namespaces/lab-b/deployments/vpp-server", [403, '{"message":"forbidden"}']);
        const other = JSON.stringify({
            kind: "ConfigMap",
            metadata: { name: "vpp-server-config", labels: { "app.kubernetes.io/instance": "vpp-server-lab-a" } },
        });
        api.routes.set("GET /api/v1/namespaces/lab-b/configmaps/vpp-server-config", [200, other]);
        api.routes.set("GET /api/v1/namespaces/lab-b", [403, '{"message":"forbidden"}']);
        const live = await connectLab(args(), { kubeconfig }, "/unused", false, {
            deployed: true,
            server: api.access.server,
        });
        assert.strictEqual(live.problems.length, 2, live.problems.join("\n"));
        assert.match(live.problems[0], /ConfigMap lab-b\/vpp-server-config belongs to stack "lab-a"/);
        assert.match(live.problems[1], /Deployment lab-b\/vpp-server could not be read/);
        assert.match(live.problems[1], /Namespace lab-b could not be read/);
        assert.strictEqual(live.args.createNamespace, true, "an unreadable namespace stays declared");
        assert.ok(
            live.warnings.every((w) =>
                w.startsWith("pulumi up will refuse to create or change any object of this stack"),
            ),
        );
    });

    it("a second copy of the project with a stack of the same name (another id): its preview stops before anything is registered; its up's hooks refuse", async () => {
        const first = (kind: string, name: string) =>
            JSON.stringify({
                kind,
                metadata: {
                    name,
                    labels: { "app.kubernetes.io/instance": "vpp-server-lab-b.lab-b" },
                    annotations: { "vpp-server/stack-id": "aaaa0001" },
                },
            });
        api.routes.set("GET /api/v1/namespaces/lab-b", [200, first("Namespace", "lab-b")]);
        api.routes.set("GET /apis/security.openshift.io/v1/securitycontextconstraints/vpp-server-lab-b.lab-b", [
            200,
            first("SecurityContextConstraints", "vpp-server-lab-b.lab-b"),
        ]);
        const copy = (id: pulumi.Output<string>) =>
            connectLab(args(), { kubeconfig }, "/unused", false, { deployed: false }, {}, id);
        // Its preview: its stack id is not made yet (unknown), nothing is in its state: it throws.
        await assert.rejects(copy(pulumi.output(pulumi.unknown as unknown as string)), (e: Error) => {
            assert.ok(e instanceof OwnershipError, String(e));
            assert.strictEqual(e.problems.length, 2);
            assert.match(
                e.problems[1],
                /^SecurityContextConstraints vpp-server-lab-b\.lab-b carries this stack's mark .* \(stack id aaaa0001\): another copy of this project, or another backend, deploys a stack "lab-b" to this cluster/,
            );
            return true;
        });
        // Its up (the id made) or its destroy (the id in its state): the same problems, for the hooks.
        const up = await copy(pulumi.output("bbbb0002"));
        assert.strictEqual(up.problems.length, 1);
        assert.match(up.problems[0], /\(stack id aaaa0001, this stack's is bbbb0002\)/);
        // The first copy itself: its id, so its own.
        const own = await connectLab(
            args(),
            { kubeconfig },
            "/unused",
            false,
            { deployed: true, server: api.access.server, stackId: "aaaa0001" },
            {},
            pulumi.output("aaaa0001"),
        );
        assert.deepStrictEqual(own.problems, []);
    });

    it("a deployed stack whose context now resolves to another server stops, naming both and how to move; VPP_SERVER_MOVE_TO confirms", async () => {
        const previous = { deployed: true, server: "https://api.old.example:6443", context: "old" };
        await assert.rejects(connectLab(args(), { kubeconfig }, "/unused", false, previous, {}), (e: Error) => {
            assert.ok(e instanceof ClusterChangedError, String(e));
            assert.strictEqual(
                e.message,
                [
                    `stack lab-b last deployed to server https://api.old.example:6443 (context old), but now resolves to server ${api.access.server} (context lab-b-cluster, kubeconfig kubernetes:kubeconfig ${kubeconfig}); nothing was changed.`,
                    "  - to keep the lab where it is: pulumi config set kubernetes:context old --stack lab-b (a stack with kubernetes:context never follows the current context)",
                    `  - to move the lab (it is created on ${api.access.server}, then deleted from https://api.old.example:6443): VPP_SERVER_MOVE_TO=${api.access.server} pulumi up --stack lab-b`,
                ].join("\n"),
            );
            return true;
        });
        assert.deepStrictEqual(
            api.seen,
            ["GET /version", "GET /api/v1", "GET /api/v1/namespaces/kube-system"],
            "of the new cluster, only what says which cluster it is is read; nothing is written",
        );
        const moved = await connectLab(args(), { kubeconfig }, "/unused", false, previous, {
            VPP_SERVER_MOVE_TO: api.access.server,
        });
        assert.strictEqual(moved.connection.server, api.access.server);
        // A stack deployed before it had an identifier: the move takes the new cluster's (no kube-system here: its server).
        assert.deepStrictEqual(moved.target, {
            clusterIdentifier: api.access.server,
            clusterUid: undefined,
            notes: [
                `VPP_SERVER_MOVE_TO confirms the move: the lab is created on server ${api.access.server}, then deleted from server https://api.old.example:6443`,
            ],
        });
    });

    describe("which cluster it is: the kube-system namespace's uid, the provider's clusterIdentifier", () => {
        const KUBE_SYSTEM = "GET /api/v1/namespaces/kube-system";
        const uid = (u: string) =>
            api.routes.set(KUBE_SYSTEM, [200, JSON.stringify({ metadata: { name: "kube-system", uid: u } })]);
        const deployedOn = (server: string, u?: string) => ({
            deployed: true,
            server,
            context: "lab-b-cluster",
            stackId: "aaaa0001",
            ...(u ? { clusterUid: u, clusterIdentifier: `kube-system/${u}` } : {}),
        });
        const connectAs = (previous: ReturnType<typeof deployedOn>, env: NodeJS.ProcessEnv = {}) =>
            connectLab(args(), { kubeconfig }, "/unused", false, previous, env, pulumi.output("aaaa0001"));

        it("a new stack takes the uid as its identifier", async () => {
            uid("11111111-1111-1111-1111-111111111111");
            const live = await connect();
            assert.deepStrictEqual(live.target, {
                clusterIdentifier: "kube-system/11111111-1111-1111-1111-111111111111",
                clusterUid: "11111111-1111-1111-1111-111111111111",
                notes: [],
            });
        });

        it("a user who may not read kube-system: the server stands in, and the stack stays on its server", async () => {
            api.routes.set(KUBE_SYSTEM, [
                403,
                '{"kind":"Status","message":"namespaces \\"kube-system\\" is forbidden"}',
            ]);
            assert.deepStrictEqual((await connect()).target, {
                clusterIdentifier: api.access.server,
                clusterUid: undefined,
                notes: [],
            });
            // Deployed when it could read it: the identifier is kept (never changed on the same cluster).
            const kept = await connectAs(deployedOn(api.access.server, "u0"));
            assert.strictEqual(kept.target.clusterIdentifier, "kube-system/u0");
        });

        it("another server that reaches the same cluster (same uid): the lab stays, the identifier is kept, the run says so", async () => {
            uid("u1");
            const live = await connectAs(deployedOn("https://alias.example:6443", "u1"));
            assert.deepStrictEqual(live.target, {
                clusterIdentifier: "kube-system/u1",
                clusterUid: "u1",
                notes: [
                    `server ${api.access.server} is the cluster this stack deployed to through server https://alias.example:6443 (its kube-system namespace has the same uid, u1): the lab stays where it is`,
                ],
            });
            assert.ok(live.notes.includes(live.target.notes[0]), live.notes.join("\n"));
        });

        it("a stack deployed before it had an identifier takes one on its own server; on another server it stops as before", async () => {
            uid("u1");
            const old = { deployed: true, server: api.access.server, context: "lab-b-cluster", stackId: "aaaa0001" };
            assert.strictEqual((await connectAs(old)).target.clusterIdentifier, "kube-system/u1");
            await assert.rejects(connectAs({ ...old, server: "https://alias.example:6443" }), ClusterChangedError);
        });

        it("the same server, another cluster (re-created): stops, naming both uids and the way; VPP_SERVER_MOVE_TO=kube-system/<uid> keeps the identifier", async () => {
            uid("u1");
            await assert.rejects(connectAs(deployedOn(api.access.server, "u0")), (e: Error) => {
                assert.ok(e instanceof ClusterRecreatedError, String(e));
                assert.strictEqual(
                    e.message,
                    [
                        `stack lab-b deployed to the cluster at server ${api.access.server} whose kube-system namespace has uid u0, but the cluster there now has uid u1 (context lab-b-cluster, kubeconfig kubernetes:kubeconfig ${kubeconfig}): it was re-created or replaced, and the lab's objects went with the old one; nothing was changed.`,
                        "  - to deploy the lab on this cluster: pulumi refresh --yes --stack lab-b (drops the old cluster's objects from the state), then VPP_SERVER_MOVE_TO=kube-system/u1 pulumi up --stack lab-b",
                        "  - if the old cluster still runs elsewhere: point the stack at it (pulumi config set kubernetes:context <its context> --stack lab-b)",
                    ].join("\n"),
                );
                return true;
            });
            // A server URL does not confirm it: the cluster is named by its uid.
            await assert.rejects(
                connectAs(deployedOn(api.access.server, "u0"), { VPP_SERVER_MOVE_TO: api.access.server }),
                ClusterRecreatedError,
            );
            const live = await connectAs(deployedOn(api.access.server, "u0"), { VPP_SERVER_MOVE_TO: "kube-system/u1" });
            assert.strictEqual(
                live.target.clusterIdentifier,
                "kube-system/u0",
                "the old provider reaches the new cluster: not replaced",
            );
            assert.strictEqual(live.target.clusterUid, "u1");
        });

        it("another server and another cluster: a ClusterChangedError; the confirmed move takes the new cluster's identifier", async () => {
            uid("u2");
            const previous = deployedOn("https://api.old.example:6443", "u0");
            await assert.rejects(connectAs(previous), ClusterChangedError);
            const moved = await connectAs(previous, { VPP_SERVER_MOVE_TO: api.access.server });
            assert.strictEqual(moved.target.clusterIdentifier, "kube-system/u2");
        });
    });

    it("metrics cluster on a cluster that serves no PodMonitor: a ClusterKindsError naming the kind, the setting and the fixes", async () => {
        const cluster = labArgs(parseStackConfig({ ...LAB_CONFIG, namespace: "lab-b", metrics: "cluster" }), "lab-b");
        await assert.rejects(connectLab(cluster, { kubeconfig }, "/unused", false), (e: Error) => {
            assert.ok(e instanceof ClusterKindsError, String(e));
            assert.strictEqual(
                e.message,
                [
                    `context lab-b-cluster (server ${api.access.server}) does not serve what this stack declares; nothing was changed:`,
                    `  - PodMonitor (monitoring.coreos.com/v1), which vpp-server:metrics "cluster" needs: turn on the cluster's monitoring of user workloads (OpenShift: enableUserWorkload in the cluster-monitoring-config ConfigMap) or install the Prometheus operator's CRDs; or set vpp-server:metrics to none or vlan (accepted: none, vlan, cluster)`,
                ].join("\n"),
            );
            return true;
        });
    });

    it("metrics cluster where PodMonitor is served: the Service, the PodMonitor and the monitoring NetworkPolicy are read too", async () => {
        api.routes.set("GET /apis/monitoring.coreos.com/v1", [
            200,
            JSON.stringify({ resources: [{ name: "podmonitors", kind: "PodMonitor", namespaced: true }] }),
        ]);
        const cluster = labArgs(parseStackConfig({ ...LAB_CONFIG, namespace: "lab-b", metrics: "cluster" }), "lab-b");
        const live = await connectLab(cluster, { kubeconfig }, "/unused", false);
        assert.deepStrictEqual(live.warnings, []);
        for (const p of [
            "GET /api/v1/namespaces/lab-b/services/vpp-server-metrics",
            "GET /apis/monitoring.coreos.com/v1/namespaces/lab-b/podmonitors/vpp-server",
            "GET /apis/networking.k8s.io/v1/namespaces/lab-b/networkpolicies/vpp-server-allow-monitoring",
        ]) {
            assert.ok(api.seen.includes(p), `${p} not read: ${api.seen.join(", ")}`);
        }
    });

    it("an API server that refuses the credentials: a ConnectionError naming the context, server and kubeconfig", async () => {
        api.routes.set("GET /version", [403, '{"message":"forbidden: User \\"system:anonymous\\""}']);
        await assert.rejects(connect(), (e: Error) => {
            assert.ok(e instanceof ConnectionError, String(e));
            assert.strictEqual(
                e.message,
                `context lab-b-cluster (server ${api.access.server}, kubeconfig kubernetes:kubeconfig ${kubeconfig}) does not answer: GET ${api.access.server}/version: HTTP 403: forbidden: User "system:anonymous"; nothing was deployed`,
            );
            return true;
        });
        assert.deepStrictEqual(api.seen, ["GET /version"], "nothing else is read");
    });

    it("a relative kubernetes:kubeconfig is the project's", async () => {
        const live = await connectLab(
            args(),
            { kubeconfig: path.basename(kubeconfig) },
            path.dirname(kubeconfig),
            false,
        );
        assert.strictEqual(live.connection.providerKubeconfig, kubeconfig);
    });
});
