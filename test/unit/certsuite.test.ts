/**
 * The certsuite configuration in the repository names what the program deploys: the default
 * namespace, a label the pod carries, and the Deployment certsuite must not scale.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DEPLOYMENT, labels } from "../../components/names";
import { KEYS } from "../../stacks/schema";

const config = YAML.parse(
    fs.readFileSync(path.join(__dirname, "..", "..", "certsuite", "certsuite_config.yml"), "utf8"),
);

describe("certsuite configuration", () => {
    it("targets the default namespace", () => {
        assert.deepStrictEqual(config.targetNameSpaces, [{ name: KEYS.namespace.default }]);
    });
    it("selects the pods by a label every stack's pod carries", () => {
        assert.deepStrictEqual(config.podsUnderTestLabels, ["app.kubernetes.io/name: vpp-server"]);
        const [key, value] = (config.podsUnderTestLabels[0] as string).split(": ");
        assert.strictEqual(labels("any-stack")[key], value);
    });
    it("skips the scaling test for the Deployment: one IP and MAC on the VLAN", () => {
        assert.deepStrictEqual(config.skipScalingTestDeployments, [
            { name: DEPLOYMENT, namespace: KEYS.namespace.default },
        ]);
    });
});
