/**
 * vpp-server: a rootless VPP HTTP server on a userspace VLAN, one Pulumi stack per lab.
 * This file only composes: read the stack's configuration, choose where the manifests go,
 * build the lab, export what an engineer needs next.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { clusterReader, declaredStateWins, VppLab } from "./components";
import { staleBuildMessage } from "./stacks/build";
import { readStackConfig } from "./stacks/config";
import { labArgs } from "./stacks/labArgs";

// Where Pulumi.yaml is: Pulumi runs bin/index.js with bin/ as the working directory, so paths
// in the stack's configuration are resolved against this, not the working directory.
const projectRoot = path.basename(__dirname) === "bin" ? path.dirname(__dirname) : __dirname;

// Compiled into bin/index.js: refuse to run JavaScript older than its sources.
const stale = staleBuildMessage(projectRoot, __filename);
if (stale) {
    throw new pulumi.RunError(stale);
}

// Throws, listing every problem, before any resource is registered.
const config = readStackConfig();
for (const warning of config.warnings) {
    void pulumi.log.warn(warning);
}

// ConfigMaps are updated in place (the pod template's config digest rolls the pod), so a
// configuration change never replaces the ConfigMap under a running pod.
const renderedTo = config.renderDir ? path.resolve(projectRoot, config.renderDir) : undefined;
const provider = renderedTo
    ? new k8s.Provider("render", {
          renderYamlToDirectory: renderedTo,
          // Not the ambient KUBECONFIG: the provider refuses a kubeconfig with a render directory.
          kubeconfig: "",
          enableConfigMapMutable: true,
      })
    : new k8s.Provider("cluster", { enableConfigMapMutable: true });

// Declared state wins on a cluster (not in a render): every object is applied with force, and one
// edited by hand is applied again (components/drift.ts). The reader uses the provider's kubeconfig.
const kubernetes = new pulumi.Config("kubernetes");
const transformations = renderedTo
    ? []
    : [
          declaredStateWins(
              clusterReader({ kubeconfig: kubernetes.get("kubeconfig"), context: kubernetes.get("context") }),
          ),
      ];

const lab = new VppLab("vpp-server", labArgs(config, pulumi.getStack()), { providers: [provider], transformations });

export const namespace = lab.namespace;
export const nadName = lab.nadName;
export const sccName = lab.sccName;
export const deploymentName = lab.deploymentName;
export const macAddress = lab.macAddress;
export const url = lab.url;
export const vppctl = lab.vppctl;
export { renderedTo };
