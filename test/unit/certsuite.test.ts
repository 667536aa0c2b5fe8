/**
 * certsuite's configuration is generated per stack from the stack's own file (npm run
 * certsuite-config): it names the stack's namespace, a label the pod carries, and the Deployment
 * certsuite must not scale. The committed one is the reference lab's, exactly as generated.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { run } from "../../certsuite/cli";
import { certsuiteConfig } from "../../certsuite/config";
import { DEPLOYMENT, labels } from "../../components/names";
import { readStackFile } from "../../review/review";
import { parseStackConfig } from "../../stacks/config";
import { KEYS } from "../../stacks/schema";

const ROOT = path.join(__dirname, "..", "..");
const COMMITTED = path.join("certsuite", "certsuite_config.yml");
const LAB2 =
    "config:\n  vpp-server:macvlanMaster: ens1f0\n  vpp-server:vlanId: 200\n  vpp-server:ipAddress: 10.20.0.5/24\n  vpp-server:namespace: lab2\n";

/** The command, in this process: its exit status and what it wrote. */
function generate(dir: string, ...args: string[]) {
    let stdout = "";
    let stderr = "";
    const status = run(["--dir", dir, ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { status, stdout, stderr };
}

/** npm run certsuite-config in `dir`, as a lab engineer runs it: a process of its own. */
function generateAsAUser(dir: string, ...args: string[]) {
    const r = spawnSync("npm", ["run", "--silent", "certsuite-config", "--", "--dir", dir, ...args], {
        cwd: ROOT,
        encoding: "utf8",
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("certsuite configuration: the committed one, for the reference lab", () => {
    const text = fs.readFileSync(path.join(ROOT, COMMITTED), "utf8");
    const config = YAML.parse(text);

    it("is exactly what npm run certsuite-config writes for stack lab", () => {
        const lab = readStackFile("Pulumi.lab.yaml", fs.readFileSync(path.join(ROOT, "Pulumi.lab.yaml"), "utf8"));
        assert.strictEqual(text, certsuiteConfig("lab", parseStackConfig(lab.raw), "certsuite/certsuite_config.yml"));
    });
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
    it("its header gives the whole certsuite command", () => {
        assert.match(
            text,
            /^# {3}certsuite run --config-file certsuite\/certsuite_config\.yml --label-filter all --output-dir certsuite-results\/lab$/m,
        );
        assert.doesNotMatch(text, /\.\.\./);
    });
});

describe("npm run certsuite-config -- --stack <stack>: two stacks of one project", function () {
    this.timeout(30_000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-certsuite-"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.lab.yaml"), path.join(dir, "Pulumi.lab.yaml"));
        fs.writeFileSync(path.join(dir, "Pulumi.lab2.yaml"), LAB2);
    });

    for (const [stack, namespace] of [
        ["lab", "vpp-server"],
        ["lab2", "lab2"],
    ]) {
        it(`--stack ${stack}: namespace ${namespace} and its Deployment, written to --output`, () => {
            const out = path.join(dir, "certsuite", `${stack}.yml`);
            const r = generate(dir, "--stack", stack, "--output", out);
            assert.strictEqual(r.status, 0, r.stderr);
            const config = YAML.parse(fs.readFileSync(out, "utf8"));
            assert.deepStrictEqual(config, {
                targetNameSpaces: [{ name: namespace }],
                podsUnderTestLabels: ["app.kubernetes.io/name: vpp-server"],
                skipScalingTestDeployments: [{ name: DEPLOYMENT, namespace }],
            });
            assert.strictEqual(
                r.stderr,
                `certsuite-config: wrote ${out} for stack ${stack}; with the stack's cluster as the current context, run:\n` +
                    `  certsuite run --config-file ${out} --label-filter all --output-dir certsuite-results/${stack}\n`,
            );
        });
    }

    it("without --output it prints the configuration (npm run certsuite-config, a process of its own)", () => {
        const r = generateAsAUser(dir, "--stack", "lab2");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(YAML.parse(r.stdout).targetNameSpaces, [{ name: "lab2" }]);
    });

    it("a stack with no file: exit 1, naming the file looked for and the stacks there", () => {
        const r = generate(dir, "--stack", "lab3");
        assert.strictEqual(r.status, 1);
        assert.strictEqual(
            r.stderr,
            `certsuite-config: --stack lab3: there is no ${path.join(dir, "Pulumi.lab3.yaml")}; the stacks with a file there: lab, lab2\n`,
        );
    });

    it("an invalid stack file: exit 1 with the program's own message", () => {
        fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), LAB2.replace("200", "5000"));
        const r = generate(dir, "--stack", "bad");
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /^certsuite-config: Pulumi\.bad\.yaml: invalid stack configuration \(1 problem\)/);
        assert.match(r.stderr, /vpp-server:vlanId is "5000"; expected an integer from 1 to 4094/);
    });

    it("no --stack: a usage error (exit 2, also as the process's status)", () => {
        const r = generate(dir);
        assert.strictEqual(r.status, 2);
        assert.strictEqual(generateAsAUser(dir).status, 2);
        assert.match(
            r.stderr,
            /^certsuite-config: --stack is required\nusage: npm run certsuite-config -- --stack <stack>/,
        );
    });
});
