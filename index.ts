/**
 * vpp-server: a rootless VPP HTTP server on a userspace VLAN, one Pulumi stack per lab.
 * This file only composes: read the stack's configuration, connect to the stack's own cluster (or
 * choose a render directory), build the lab, export what an engineer needs next.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as path from "path";
import {
    clusterProvider,
    connectLab,
    previousDeployment,
    RenderOnDeployedError,
    stackKubeconfigSettings,
} from "./live";
import { staleBuildMessage } from "./stacks/build";
import { buildLab, labArgs } from "./stacks/compose";
import { readStackConfig } from "./stacks/config";
import { printable } from "./stacks/errors";

// Where Pulumi.yaml is: Pulumi runs bin/index.js with bin/ as the working directory, so paths
// in the stack's configuration are resolved against this, not the working directory.
const projectRoot = path.basename(__dirname) === "bin" ? path.dirname(__dirname) : __dirname;

export = async () => {
    try {
        return await program();
    } catch (e) {
        // Pulumi prints it; some stack frames would keep Node printing for a minute (stacks/errors.ts).
        throw printable(e);
    }
};

async function program() {
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
    // What the stack's last deployment said of itself (its outputs): the cluster it is on, and its
    // mark, which it keeps through a `pulumi stack rename`.
    const previous = await previousDeployment();
    const args = { ...labArgs(config, pulumi.getStack()), instance: previous.instance };

    if (config.renderDir) {
        // A stack on a cluster never becomes a render stack: its objects would move to the render
        // provider, which deletes them from the cluster.
        if (previous.server) {
            throw new RenderOnDeployedError(pulumi.getStack(), config.renderDir, previous.server);
        }
        // Manifests only: no cluster is read or written.
        const renderedTo = path.resolve(projectRoot, config.renderDir);
        const provider = new k8s.Provider("render", {
            renderYamlToDirectory: renderedTo,
            // Not the ambient KUBECONFIG: the provider refuses a kubeconfig with a render directory.
            kubeconfig: "",
            enableConfigMapMutable: true,
        });
        return { ...outputs(buildLab("vpp-server", args, { provider })), renderedTo };
    }

    // The stack's own cluster, read before anything is registered: a wrong context, a cluster that
    // does not answer, or objects of another stack stop here, naming what is wrong.
    // The stack's id: made at its first up and kept in its state; on every object, so a copy of
    // this project with a stack of the same name (another team, another backend) is told apart.
    const stackId = new random.RandomId("stack-id", { byteLength: 4 });
    const live = await connectLab(
        args,
        stackKubeconfigSettings(),
        projectRoot,
        config.adopt,
        previous,
        process.env,
        stackId.hex,
    );
    for (const note of live.notes) {
        void pulumi.log.info(note);
    }
    for (const warning of live.warnings) {
        void pulumi.log.warn(warning);
    }
    const lab = buildLab("vpp-server", live.args, {
        provider: clusterProvider("cluster", live.connection, live.target.clusterIdentifier),
        transformations: live.transformations,
    });
    return {
        ...outputs(lab),
        clusterContext: live.connection.context,
        clusterServer: live.connection.server,
        // Which cluster this is (live/index.ts: clusterTarget): the provider's identifier, and the
        // cluster's kube-system uid where it could be read.
        clusterIdentifier: live.target.clusterIdentifier,
        ...(live.target.clusterUid ? { clusterUid: live.target.clusterUid } : {}),
        stackId: stackId.hex,
    };
}

function outputs(lab: ReturnType<typeof buildLab>) {
    return {
        // The stack's mark on the cluster, read back by the next run (live/index.ts: previousDeployment).
        instance: lab.instance,
        namespace: lab.namespace,
        nadName: lab.nadName,
        sccName: lab.sccName,
        deploymentName: lab.deploymentName,
        macAddress: lab.macAddress,
        url: lab.url,
        metricsUrl: lab.metricsUrl,
        vppctl: lab.vppctl,
    };
}
