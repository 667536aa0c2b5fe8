/**
 * The least-privilege rules of the policy pack, as pure functions over the stack's resources
 * (type token and properties), so each can be tested with a passing and a violating resource
 * without an engine. `index.ts` wires them into a mandatory @pulumi/policy pack.
 */

/** A resource as the policy engine shows it: its type token, its name and its properties. */
export interface Res {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, any>;
}

export interface Rule {
    readonly name: string;
    readonly description: string;
    /** The violations, each naming the resource; empty when the stack complies. */
    readonly check: (resources: readonly Res[]) => string[];
}

/** The capabilities VPP's image may carry: the three it needs and NET_BROADCAST (the POC's). */
export const ALLOWED_CAPABILITIES = ["NET_ADMIN", "NET_RAW", "NET_BROADCAST", "IPC_LOCK"];

const SCC = "kubernetes:security.openshift.io/v1:SecurityContextConstraints";
const WORKLOADS: Record<string, (p: Record<string, any>) => Record<string, any> | undefined> = {
    "kubernetes:core/v1:Pod": (p) => p.spec,
    "kubernetes:apps/v1:Deployment": (p) => p.spec?.template?.spec,
    "kubernetes:apps/v1:ReplicaSet": (p) => p.spec?.template?.spec,
    "kubernetes:apps/v1:StatefulSet": (p) => p.spec?.template?.spec,
    "kubernetes:apps/v1:DaemonSet": (p) => p.spec?.template?.spec,
    "kubernetes:batch/v1:Job": (p) => p.spec?.template?.spec,
};

const sccs = (rs: readonly Res[]) => rs.filter((r) => r.type === SCC);

interface Container {
    readonly where: string;
    readonly c: Record<string, any>;
    readonly pod: Record<string, any>;
}

/** Every pod spec in the stack, with the resource it belongs to. */
function pods(rs: readonly Res[]): { res: Res; pod: Record<string, any> }[] {
    return rs.flatMap((res) => {
        const pod = WORKLOADS[res.type]?.(res.props);
        return pod ? [{ res, pod }] : [];
    });
}

/** Every container, init containers included, named `<resource>/<container>`. */
function containers(rs: readonly Res[]): Container[] {
    return pods(rs).flatMap(({ res, pod }) =>
        [...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((c: Record<string, any>) => ({
            where: `${res.name}/${c.name}`,
            c,
            pod,
        })),
    );
}

const sorted = (xs: readonly string[] | undefined) => [...(xs ?? [])].sort();

export const RULES: readonly Rule[] = [
    {
        name: "scc-least-capabilities",
        description: `SCCs allow only capabilities among ${ALLOWED_CAPABILITIES.join(", ")}, add none by default and require dropping ALL.`,
        check: (rs) =>
            sccs(rs).flatMap((r) => {
                const v: string[] = [];
                const extra = (r.props.allowedCapabilities ?? []).filter(
                    (c: string) => !ALLOWED_CAPABILITIES.includes(c),
                );
                if (extra.length > 0) v.push(`SCC ${r.name} allows ${extra.join(", ")}`);
                if ((r.props.defaultAddCapabilities ?? []).length > 0)
                    v.push(`SCC ${r.name} adds capabilities by default`);
                if (!(r.props.requiredDropCapabilities ?? []).includes("ALL"))
                    v.push(`SCC ${r.name} does not require dropping ALL`);
                return v;
            }),
    },
    {
        name: "scc-capabilities-equal-container-adds",
        description: "An SCC allows exactly the capabilities the containers add, and every container drops ALL.",
        check: (rs) => {
            const cs = containers(rs);
            const added = sorted([...new Set(cs.flatMap(({ c }) => c.securityContext?.capabilities?.add ?? []))]);
            const v = sccs(rs)
                .filter((r) => JSON.stringify(sorted(r.props.allowedCapabilities)) !== JSON.stringify(added))
                .map(
                    (r) =>
                        `SCC ${r.name} allows [${sorted(r.props.allowedCapabilities).join(", ")}] but the containers add [${added.join(", ")}]`,
                );
            for (const { where, c } of cs) {
                if (!(c.securityContext?.capabilities?.drop ?? []).includes("ALL"))
                    v.push(`container ${where} does not drop ALL`);
            }
            return v;
        },
    },
    {
        name: "no-privileged",
        description: "No privileged container, and no SCC that allows one.",
        check: (rs) => [
            ...containers(rs)
                .filter(({ c }) => c.securityContext?.privileged === true)
                .map(({ where }) => `container ${where} is privileged`),
            ...sccs(rs)
                .filter((r) => r.props.allowPrivilegedContainer !== false)
                .map((r) => `SCC ${r.name} allows privileged containers`),
        ],
    },
    {
        name: "no-privilege-escalation",
        description: "Every container sets allowPrivilegeEscalation: false, and no SCC allows escalation.",
        check: (rs) => [
            ...containers(rs)
                .filter(({ c }) => c.securityContext?.allowPrivilegeEscalation !== false)
                .map(({ where }) => `container ${where} does not set allowPrivilegeEscalation: false`),
            ...sccs(rs)
                .filter((r) => r.props.allowPrivilegeEscalation !== false)
                .map((r) => `SCC ${r.name} allows privilege escalation`),
        ],
    },
    {
        name: "no-host-access",
        description: "No host network, ports, PID, IPC or host paths, in pods or SCCs.",
        check: (rs) => {
            const v: string[] = [];
            for (const { res, pod } of pods(rs)) {
                for (const f of ["hostNetwork", "hostPID", "hostIPC"]) {
                    if (pod[f] === true) v.push(`${res.name} sets ${f}`);
                }
                for (const vol of pod.volumes ?? []) {
                    if (vol.hostPath) v.push(`${res.name} mounts hostPath volume ${vol.name}`);
                }
            }
            for (const { where, c } of containers(rs)) {
                if ((c.ports ?? []).some((p: Record<string, any>) => p.hostPort !== undefined))
                    v.push(`container ${where} uses a hostPort`);
            }
            for (const r of sccs(rs)) {
                for (const f of [
                    "allowHostNetwork",
                    "allowHostPorts",
                    "allowHostPID",
                    "allowHostIPC",
                    "allowHostDirVolumePlugin",
                ]) {
                    if (r.props[f] !== false) v.push(`SCC ${r.name} does not set ${f}: false`);
                }
                const vols: string[] = r.props.volumes ?? [];
                if (vols.includes("hostPath") || vols.includes("*")) v.push(`SCC ${r.name} allows hostPath volumes`);
            }
            return v;
        },
    },
    {
        name: "uid-pinned",
        description: "SCCs pin one uid (runAsUser MustRunAs with a uid), and pods run as that uid.",
        check: (rs) => {
            const v: string[] = [];
            const uids = new Set<number>();
            for (const r of sccs(rs)) {
                const ru = r.props.runAsUser ?? {};
                if (ru.type !== "MustRunAs" || typeof ru.uid !== "number")
                    v.push(`SCC ${r.name} does not pin a uid (runAsUser MustRunAs with uid)`);
                else uids.add(ru.uid);
            }
            for (const { where, c, pod } of containers(rs)) {
                const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
                if (uids.size > 0 && !uids.has(uid))
                    v.push(`container ${where} runs as uid ${uid ?? "(unset)"}, not the SCC's ${[...uids].join(", ")}`);
            }
            return v;
        },
    },
    {
        name: "run-as-non-root",
        description: "Every container runs as non-root: runAsNonRoot true and a uid other than 0.",
        check: (rs) =>
            containers(rs).flatMap(({ where, c, pod }) => {
                const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
                const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
                return nonRoot === true && uid !== 0
                    ? []
                    : [`container ${where} may run as root (runAsNonRoot ${nonRoot}, runAsUser ${uid})`];
            }),
    },
    {
        name: "single-replica-recreate",
        description:
            "Deployments run 1 replica with strategy Recreate: two pods must never hold the same address on the VLAN.",
        check: (rs) =>
            rs
                .filter((r) => r.type === "kubernetes:apps/v1:Deployment")
                .flatMap((r) => [
                    ...(r.props.spec?.replicas === 1
                        ? []
                        : [`Deployment ${r.name} has ${r.props.spec?.replicas ?? "default"} replicas, not 1`]),
                    ...(r.props.spec?.strategy?.type === "Recreate"
                        ? []
                        : [
                              `Deployment ${r.name} has strategy ${r.props.spec?.strategy?.type ?? "RollingUpdate (default)"}, not Recreate`,
                          ]),
                ]),
    },
    {
        name: "pod-network-closed",
        description:
            "The pod network stays closed: Services are ClusterIP, and a NetworkPolicy admits only namespaces chosen by label, on named ports, and allows no egress.",
        check: (rs) => {
            const v: string[] = [];
            for (const r of rs.filter((x) => x.type === "kubernetes:core/v1:Service")) {
                const type = r.props.spec?.type ?? "ClusterIP";
                if (type !== "ClusterIP") v.push(`Service ${r.name} is of type ${type}, not ClusterIP`);
            }
            for (const r of rs.filter((x) => x.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")) {
                const spec = r.props.spec ?? {};
                if ((spec.egress ?? []).length > 0) v.push(`NetworkPolicy ${r.name} allows egress`);
                for (const [i, rule] of (spec.ingress ?? []).entries()) {
                    const from: Record<string, any>[] = rule.from ?? [];
                    const bySelector = (f: Record<string, any>) =>
                        Object.keys(f).length === 1 && Object.keys(f.namespaceSelector?.matchLabels ?? {}).length > 0;
                    if (from.length === 0 || !from.every(bySelector))
                        v.push(`NetworkPolicy ${r.name} ingress rule ${i} admits more than namespaces chosen by label`);
                    if ((rule.ports ?? []).length === 0)
                        v.push(`NetworkPolicy ${r.name} ingress rule ${i} admits every port`);
                }
            }
            return v;
        },
    },
    {
        name: "no-cluster-role-binding",
        description: "No ClusterRoleBinding: grants stay in the namespace.",
        check: (rs) =>
            rs
                .filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
                .map((r) => `ClusterRoleBinding ${r.name} grants cluster-wide`),
    },
    {
        name: "scc-granted-to-one-service-account",
        description:
            "An SCC names no users or groups and is granted, through RoleBindings, to exactly one ServiceAccount.",
        check: (rs) => {
            const v: string[] = [];
            for (const scc of sccs(rs)) {
                const sccName: string = scc.props.metadata?.name;
                if ((scc.props.users ?? []).length > 0 || (scc.props.groups ?? []).length > 0)
                    v.push(`SCC ${scc.name} names users or groups`);
                const roles = rs
                    .filter(
                        (r) =>
                            r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole" ||
                            r.type === "kubernetes:rbac.authorization.k8s.io/v1:Role",
                    )
                    .filter((r) =>
                        (r.props.rules ?? []).some(
                            (rule: Record<string, any>) =>
                                (rule.verbs ?? []).includes("use") && (rule.resourceNames ?? []).includes(sccName),
                        ),
                    )
                    .map((r) => r.props.metadata?.name);
                const subjects = rs
                    .filter((r) => r.type.endsWith(":RoleBinding") || r.type.endsWith(":ClusterRoleBinding"))
                    .filter((r) => roles.includes(r.props.roleRef?.name))
                    .flatMap((r) =>
                        (r.props.subjects ?? []).map(
                            (s: Record<string, any>) => `${s.kind} ${s.namespace ?? ""}/${s.name}`,
                        ),
                    );
                if (subjects.length !== 1 || !subjects[0].startsWith("ServiceAccount ")) {
                    v.push(`SCC ${scc.name} is granted to [${subjects.join(", ")}], not to exactly one ServiceAccount`);
                }
            }
            return v;
        },
    },
];
