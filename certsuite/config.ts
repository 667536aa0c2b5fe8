/**
 * certsuite's configuration for one stack (redhat-best-practices-for-k8s/certsuite): the namespace
 * the stack deploys into, a label its pod carries, and its Deployment, which certsuite must not
 * scale. Built from the stack's validated configuration, so it names what `pulumi up` deploys.
 */
import * as YAML from "yaml";
import { DEPLOYMENT, labels } from "../components/names";
import type { StackConfig } from "../stacks/config";

/** The label certsuite selects the pod by: every stack's pod carries it. */
export const POD_LABEL = "app.kubernetes.io/name";

/**
 * `certsuite run` for a configuration file, whole: certsuite's own defaults are no test at all
 * (`--label-filter none`) and `config/tnf_config.yml`.
 */
export function certsuiteCommand(configFile: string, outputDir: string): string {
    return `certsuite run --config-file ${configFile} --label-filter all --output-dir ${outputDir}`;
}

/**
 * The configuration file's text for `stack`. `configFile` is where it is written (the command in
 * its header names it).
 */
export function certsuiteConfig(stack: string, c: StackConfig, configFile: string): string {
    const pod = labels(stack)[POD_LABEL];
    const list = (v: unknown) => YAML.stringify(v, { indent: 4 }).replace(/^/gm, "    ").trimEnd();
    return [
        `# certsuite (redhat-best-practices-for-k8s/certsuite) configuration for stack ${stack}`,
        `# (Pulumi.${stack}.yaml: namespace ${c.namespace}), written by`,
        `#   npm run certsuite-config -- --stack ${stack} --output ${configFile}`,
        "# certsuite tests the kubeconfig's current context: make it the stack's cluster, then",
        `#   ${certsuiteCommand(configFile, `certsuite-results/${stack}`)}`,
        '# docs/openshift.md, "certsuite", says, check by check, what passes and why the rest',
        "# cannot.",
        "targetNameSpaces:",
        list([{ name: c.namespace }]),
        "podsUnderTestLabels:",
        list([`${POD_LABEL}: ${pod}`]),
        "# Scaling the Deployment to two would put two pods with one IP address and one MAC on the VLAN:",
        "# the very state its Recreate strategy exists to prevent.",
        "skipScalingTestDeployments:",
        list([{ name: DEPLOYMENT, namespace: c.namespace }]),
        "",
    ].join("\n");
}
