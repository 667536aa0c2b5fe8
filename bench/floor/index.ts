/** The smallest Pulumi program on the same provider: the benchmark's floor for a no-op preview. */
import * as k8s from "@pulumi/kubernetes";

new k8s.core.v1.ConfigMap("floor", { metadata: { name: "floor", namespace: "default" }, data: { a: "b" } });
