/**
 * The policy pack's rules: the lab's own resources (built under mocks) pass every rule, and for
 * each rule one violating resource fails it with a message naming the resource.
 */
import * as assert from "assert";
import { labResources } from "./lab";
import { Res, RULES } from "../../policy/rules";

const T = {
    scc: "kubernetes:security.openshift.io/v1:SecurityContextConstraints",
    deployment: "kubernetes:apps/v1:Deployment",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    crb: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    service: "kubernetes:core/v1:Service",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
};

/** A deep copy of `rs` with `edit` applied to the first resource of `type`. */
function mutate(rs: readonly Res[], type: string, edit: (props: Record<string, any>) => void): Res[] {
    const copy = JSON.parse(JSON.stringify(rs)) as Res[];
    const target = copy.find((r) => r.type === type);
    assert.ok(target, `no ${type} to mutate`);
    edit(target.props);
    return copy;
}

const rule = (name: string) => {
    const r = RULES.find((x) => x.name === name);
    assert.ok(r, `no rule ${name}`);
    return r;
};
const mainContainer = (p: Record<string, any>) => p.spec.template.spec.containers[0];

describe("policy pack rules", () => {
    let lab: Res[];
    before(async () => {
        lab = await labResources();
    });

    it("the pack has the eleven rules, each with a description", () => {
        assert.deepStrictEqual(
            RULES.map((r) => r.name),
            [
                "scc-least-capabilities",
                "scc-capabilities-equal-container-adds",
                "no-privileged",
                "no-privilege-escalation",
                "no-host-access",
                "uid-pinned",
                "run-as-non-root",
                "single-replica-recreate",
                "pod-network-closed",
                "no-cluster-role-binding",
                "scc-granted-to-one-service-account",
            ],
        );
        for (const r of RULES) assert.ok(r.description.length > 20, `${r.name} needs a description`);
    });

    it("the lab with the POC image's capabilities passes every rule", () => {
        for (const r of RULES) assert.deepStrictEqual(r.check(lab), [], `rule ${r.name}`);
    });

    it("the lab with metrics cluster (a second container, a Service, a second NetworkPolicy) passes every rule", async () => {
        const metrics = await labResources(undefined, { metrics: "cluster" });
        assert.ok(metrics.some((r) => r.type === T.service));
        for (const r of RULES) assert.deepStrictEqual(r.check(metrics), [], `rule ${r.name}`);
    });

    it("pod-network-closed refuses a NodePort Service, an open ingress rule, an ingress rule on every port and egress", async () => {
        const metrics = await labResources(undefined, { metrics: "cluster" });
        const check = rule("pod-network-closed").check;
        const allow = (rs: Res[]) =>
            rs.find((r) => r.type === T.networkPolicy && r.props.metadata.name === "vpp-server-allow-monitoring")!;
        const copy = () => JSON.parse(JSON.stringify(metrics)) as Res[];
        const nodePort = copy();
        nodePort.find((r) => r.type === T.service)!.props.spec.type = "NodePort";
        assert.deepStrictEqual(check(nodePort), [
            `Service ${nodePort.find((r) => r.type === T.service)!.name} is of type NodePort, not ClusterIP`,
        ]);
        const open = copy();
        allow(open).props.spec.ingress[0].from = [{}];
        assert.deepStrictEqual(check(open), [
            `NetworkPolicy ${allow(open).name} ingress rule 0 admits more than namespaces chosen by label`,
        ]);
        const everyPort = copy();
        delete allow(everyPort).props.spec.ingress[0].ports;
        assert.deepStrictEqual(check(everyPort), [
            `NetworkPolicy ${allow(everyPort).name} ingress rule 0 admits every port`,
        ]);
        const egress = copy();
        allow(egress).props.spec.egress = [{}];
        assert.deepStrictEqual(check(egress), [`NetworkPolicy ${allow(egress).name} allows egress`]);
    });

    it("the lab with the Containerfile's three capabilities passes every rule", async () => {
        const three = await labResources(["NET_ADMIN", "NET_RAW", "IPC_LOCK"]);
        for (const r of RULES) assert.deepStrictEqual(r.check(three), [], `rule ${r.name}`);
    });

    const cases: [string, string, (p: Record<string, any>) => void, RegExp][] = [
        [
            "scc-least-capabilities",
            T.scc,
            (p) => p.allowedCapabilities.push("SYS_ADMIN"),
            /^SCC policy\d+-security-scc allows SYS_ADMIN$/,
        ],
        ["scc-least-capabilities", T.scc, (p) => (p.requiredDropCapabilities = []), /does not require dropping ALL$/],
        [
            "scc-capabilities-equal-container-adds",
            T.scc,
            (p) => p.allowedCapabilities.pop(),
            /allows \[IPC_LOCK, NET_ADMIN, NET_RAW\] but the containers add \[IPC_LOCK, NET_ADMIN, NET_BROADCAST, NET_RAW\]$/,
        ],
        [
            "scc-capabilities-equal-container-adds",
            T.deployment,
            (p) => (mainContainer(p).securityContext.capabilities.drop = []),
            /^container policy\d+-server-deployment\/vpp-server does not drop ALL$/,
        ],
        [
            "no-privileged",
            T.deployment,
            (p) => (mainContainer(p).securityContext.privileged = true),
            /^container policy\d+-server-deployment\/vpp-server is privileged$/,
        ],
        ["no-privileged", T.scc, (p) => (p.allowPrivilegedContainer = true), /^SCC .* allows privileged containers$/],
        [
            "no-privilege-escalation",
            T.deployment,
            (p) => delete mainContainer(p).securityContext.allowPrivilegeEscalation,
            /^container .*\/vpp-server does not set allowPrivilegeEscalation: false$/,
        ],
        [
            "no-host-access",
            T.deployment,
            (p) => (p.spec.template.spec.hostNetwork = true),
            /^policy\d+-server-deployment sets hostNetwork$/,
        ],
        [
            "no-host-access",
            T.deployment,
            (p) => p.spec.template.spec.volumes.push({ name: "root", hostPath: { path: "/" } }),
            /mounts hostPath volume root$/,
        ],
        [
            "no-host-access",
            T.deployment,
            (p) => (mainContainer(p).ports = [{ containerPort: 80, hostPort: 80 }]),
            /\/vpp-server uses a hostPort$/,
        ],
        ["no-host-access", T.scc, (p) => (p.allowHostPID = true), /^SCC .* does not set allowHostPID: false$/],
        ["uid-pinned", T.scc, (p) => (p.runAsUser = { type: "RunAsAny" }), /^SCC .* does not pin a uid/],
        [
            "uid-pinned",
            T.deployment,
            (p) => (mainContainer(p).securityContext.runAsUser = 20000),
            /\/vpp-server runs as uid 20000, not the SCC's 10000$/,
        ],
        [
            "run-as-non-root",
            T.deployment,
            (p) => (mainContainer(p).securityContext.runAsUser = 0),
            /\/vpp-server may run as root \(runAsNonRoot true, runAsUser 0\)$/,
        ],
        [
            "run-as-non-root",
            T.deployment,
            (p) => {
                mainContainer(p).securityContext.runAsNonRoot = false;
            },
            /\/vpp-server may run as root \(runAsNonRoot false, runAsUser 10000\)$/,
        ],
        [
            "single-replica-recreate",
            T.deployment,
            (p) => (p.spec.replicas = 2),
            /^Deployment .* has 2 replicas, not 1$/,
        ],
        [
            "single-replica-recreate",
            T.deployment,
            (p) => delete p.spec.strategy,
            /has strategy RollingUpdate \(default\), not Recreate$/,
        ],
        [
            "scc-granted-to-one-service-account",
            T.scc,
            (p) => (p.groups = ["system:authenticated"]),
            /^SCC .* names users or groups$/,
        ],
        [
            "scc-granted-to-one-service-account",
            T.roleBinding,
            (p) => p.subjects.push({ kind: "ServiceAccount", name: "default", namespace: "vpp-server" }),
            /is granted to \[ServiceAccount vpp-server\/vpp-server, ServiceAccount vpp-server\/default\], not to exactly one ServiceAccount$/,
        ],
    ];
    for (const [name, type, edit, message] of cases) {
        it(`${name} refuses: ${message.source.slice(0, 70)}`, () => {
            const violations = rule(name).check(mutate(lab, type, edit));
            assert.strictEqual(violations.length, 1, `expected one violation, got ${JSON.stringify(violations)}`);
            assert.match(violations[0], message);
        });
    }

    it("no-cluster-role-binding refuses a ClusterRoleBinding", () => {
        const withCrb = [...lab, { type: T.crb, name: "grant-all", props: { roleRef: { name: "x" }, subjects: [] } }];
        assert.deepStrictEqual(rule("no-cluster-role-binding").check(withCrb), [
            "ClusterRoleBinding grant-all grants cluster-wide",
        ]);
    });
});
