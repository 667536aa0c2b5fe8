/**
 * VPP's counters for the cluster's monitoring (`metrics: cluster`): a Service over the metrics
 * container's port, a PodMonitor that makes OpenShift's user-workload monitoring (or any
 * Prometheus operator) scrape it, and a NetworkPolicy that admits the monitoring namespaces, and
 * only them, on that port; the deny-all policy keeps everything else out.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { METRICS_NETWORK_POLICY, METRICS_SERVICE, POD_MONITOR } from "./names";
import { EXPORTER_PATH, METRICS_PORT, METRICS_PORT_NAME } from "./vppConfig";

/**
 * OpenShift labels its monitoring namespaces (openshift-monitoring, openshift-user-workload-monitoring)
 * with this; its documentation's "allow-from-openshift-monitoring" NetworkPolicy selects it.
 */
export const MONITORING_NAMESPACE_LABELS = { "network.openshift.io/policy-group": "monitoring" } as const;

/** How often Prometheus scrapes, and how long a scrape may take. */
export const SCRAPE = { interval: "30s", scrapeTimeout: "10s" } as const;

/** The ingress the monitoring namespaces get: the metrics port, nothing else. */
export function allowMonitoringPolicySpec(
    podSelector: Record<string, string>,
): k8s.types.input.networking.v1.NetworkPolicySpec {
    return {
        podSelector: { matchLabels: { ...podSelector } },
        policyTypes: ["Ingress"],
        ingress: [
            {
                from: [{ namespaceSelector: { matchLabels: { ...MONITORING_NAMESPACE_LABELS } } }],
                ports: [{ protocol: "TCP", port: METRICS_PORT }],
            },
        ],
    };
}

/** The PodMonitor's spec: the pods of this lab, their metrics port. */
export function podMonitorSpec(podSelector: Record<string, string>): Record<string, unknown> {
    return {
        selector: { matchLabels: { ...podSelector } },
        podMetricsEndpoints: [{ port: METRICS_PORT_NAME, path: EXPORTER_PATH, scheme: "http", ...SCRAPE }],
    };
}

export interface ClusterMetricsArgs {
    readonly namespace: pulumi.Input<string>;
    /** The pod's labels, which the Service, the PodMonitor and the NetworkPolicy select. */
    readonly podSelector: Record<string, string>;
    /** Labels for every object. @default {} */
    readonly labels?: Record<string, string>;
}

export class ClusterMetrics extends pulumi.ComponentResource {
    public readonly service: k8s.core.v1.Service;
    public readonly podMonitor: k8s.apiextensions.CustomResource;
    public readonly networkPolicy: k8s.networking.v1.NetworkPolicy;

    constructor(name: string, args: ClusterMetricsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vpp-server:metrics:ClusterMetrics", name, {}, opts);
        const labels = args.labels ?? {};
        const child = { parent: this };
        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: METRICS_SERVICE, namespace: args.namespace, labels },
                spec: {
                    type: "ClusterIP",
                    selector: { ...args.podSelector },
                    ports: [
                        { name: METRICS_PORT_NAME, port: METRICS_PORT, targetPort: METRICS_PORT_NAME, protocol: "TCP" },
                    ],
                },
            },
            // The provider's await logic waits for endpoints; the exporter is ready only once VPP is.
            { ...child, customTimeouts: { create: "10m", update: "10m" } },
        );
        this.podMonitor = new k8s.apiextensions.CustomResource(
            `${name}-podmonitor`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PodMonitor",
                metadata: { name: POD_MONITOR, namespace: args.namespace, labels },
                spec: podMonitorSpec(args.podSelector),
            },
            child,
        );
        this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
            `${name}-allow-monitoring`,
            {
                metadata: { name: METRICS_NETWORK_POLICY, namespace: args.namespace, labels },
                spec: allowMonitoringPolicySpec(args.podSelector),
            },
            child,
        );
        this.registerOutputs({});
    }
}
