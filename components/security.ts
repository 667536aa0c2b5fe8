/**
 * Least privilege for the VPP pod: its own SecurityContextConstraints (rootless, the image's
 * capabilities and nothing else), a dedicated ServiceAccount, and RBAC that lets only that
 * ServiceAccount, only in this namespace, `use` only this SCC; and a NetworkPolicy that closes the
 * pod's cluster network.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NETWORK_POLICY, ROLE_BINDING, SERVICE_ACCOUNT, sccClusterRoleName, VPP_UID } from "./names";

/** The volume types the pod uses: emptyDir for VPP's files, configMap for the templates. */
export const POD_VOLUME_TYPES = ["configMap", "emptyDir"] as const;

export interface SccSpecOptions {
    readonly name: string;
    /** Exactly the image's file capabilities: the pod adds all of them, the SCC allows only them. */
    readonly capabilities: readonly string[];
    /** The one uid the pod may run as. */
    readonly uid: number;
    readonly labels?: Record<string, string>;
}

/**
 * The SCC as a plain object (SCCs keep their fields at the top level, not under `spec`).
 * It differs from OpenShift's restricted-v2 only by its capabilities, the pinned uid and
 * fewer volume types.
 */
export function sccSpec(o: SccSpecOptions): Record<string, unknown> {
    return {
        apiVersion: "security.openshift.io/v1",
        kind: "SecurityContextConstraints",
        metadata: {
            name: o.name,
            labels: o.labels ?? {},
            annotations: {
                "kubernetes.io/description": `${o.name} lets the vpp-server pod run VPP as uid ${o.uid} with only ${o.capabilities.join(", ")}: the file capabilities of its image's vpp binary.`,
            },
        },
        allowHostDirVolumePlugin: false,
        allowHostIPC: false,
        allowHostNetwork: false,
        allowHostPID: false,
        allowHostPorts: false,
        allowPrivilegeEscalation: false,
        allowPrivilegedContainer: false,
        allowedCapabilities: [...o.capabilities],
        // The SCC schema requires this field and `priority`; Pulumi does not send nulls, so they
        // are given their null meaning explicitly: no capability added by default, priority 0
        // (OpenShift's SCC ordering reads a null priority as 0).
        defaultAddCapabilities: [],
        requiredDropCapabilities: ["ALL"],
        fsGroup: { type: "MustRunAs" },
        readOnlyRootFilesystem: false,
        runAsUser: { type: "MustRunAs", uid: o.uid },
        seLinuxContext: { type: "MustRunAs" },
        supplementalGroups: { type: "RunAsAny" },
        seccompProfiles: ["runtime/default"],
        volumes: [...POD_VOLUME_TYPES],
        users: [],
        groups: [],
        priority: 0,
    };
}

/** The ClusterRole's one rule: `use` of one SCC, by name. */
export function sccUseRules(scc: string): k8s.types.input.rbac.v1.PolicyRule[] {
    return [
        {
            apiGroups: ["security.openshift.io"],
            resources: ["securitycontextconstraints"],
            resourceNames: [scc],
            verbs: ["use"],
        },
    ];
}

/**
 * A NetworkPolicy that selects the pod and allows nothing, in or out: VPP never uses the pod's
 * cluster network (eth0). NetworkPolicy does not apply to the Multus macvlan0 VPP serves on.
 */
export function denyAllNetworkPolicySpec(
    podSelector: Record<string, string>,
): k8s.types.input.networking.v1.NetworkPolicySpec {
    return { podSelector: { matchLabels: { ...podSelector } }, policyTypes: ["Ingress", "Egress"] };
}

export interface SecurityPolicyArgs {
    readonly namespace: pulumi.Input<string>;
    /** The SCC's name: unique per stack, since SCCs are cluster-scoped. */
    readonly sccName: string;
    /** The image's file capabilities. */
    readonly capabilities: readonly string[];
    /** The uid VPP runs as. @default VPP_UID (10000) */
    readonly uid?: number;
    /** Labels for every object. @default {} */
    readonly labels?: Record<string, string>;
    /** The pod's labels: a deny-all NetworkPolicy selects them. Undefined: no NetworkPolicy. */
    readonly denyClusterNetworkFor?: Record<string, string>;
}

export class SecurityPolicy extends pulumi.ComponentResource {
    public readonly sccName: pulumi.Output<string>;
    public readonly serviceAccountName: pulumi.Output<string>;
    public readonly clusterRoleName: pulumi.Output<string>;
    public readonly scc: k8s.apiextensions.CustomResource;
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;
    public readonly clusterRole: k8s.rbac.v1.ClusterRole;
    public readonly roleBinding: k8s.rbac.v1.RoleBinding;
    public readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;

    constructor(name: string, args: SecurityPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vpp-server:security:SecurityPolicy", name, {}, opts);
        const uid = args.uid ?? VPP_UID;
        const labels = args.labels ?? {};

        this.scc = new k8s.apiextensions.CustomResource(
            `${name}-scc`,
            sccSpec({
                name: args.sccName,
                capabilities: args.capabilities,
                uid,
                labels,
            }) as k8s.apiextensions.CustomResourceArgs,
            { parent: this },
        );
        this.serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: { name: SERVICE_ACCOUNT, namespace: args.namespace, labels },
                automountServiceAccountToken: false,
            },
            { parent: this },
        );
        this.clusterRole = new k8s.rbac.v1.ClusterRole(
            `${name}-scc-use`,
            {
                metadata: { name: sccClusterRoleName(args.sccName), labels },
                rules: sccUseRules(args.sccName),
            },
            { parent: this, dependsOn: [this.scc] },
        );
        this.roleBinding = new k8s.rbac.v1.RoleBinding(
            `${name}-scc-use`,
            {
                metadata: { name: ROLE_BINDING, namespace: args.namespace, labels },
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: sccClusterRoleName(args.sccName),
                },
                subjects: [{ kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace: args.namespace }],
            },
            { parent: this, dependsOn: [this.clusterRole, this.serviceAccount] },
        );

        if (args.denyClusterNetworkFor) {
            this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
                `${name}-deny-cluster-network`,
                {
                    metadata: { name: NETWORK_POLICY, namespace: args.namespace, labels },
                    spec: denyAllNetworkPolicySpec(args.denyClusterNetworkFor),
                },
                { parent: this },
            );
        }

        this.sccName = this.scc.metadata.name;
        this.serviceAccountName = this.serviceAccount.metadata.name;
        this.clusterRoleName = this.clusterRole.metadata.name;
        this.registerOutputs({
            sccName: this.sccName,
            serviceAccountName: this.serviceAccountName,
            clusterRoleName: this.clusterRoleName,
        });
    }
}
