/**
 * OpenShift's own SCC admission code as an oracle (test/security/sccoracle, built on
 * github.com/openshift/apiserver-library-go's sccmatching): the SCC and the pod template this
 * program renders, judged as admission judges them, against restricted-v2 too.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { labResources } from "./lab";
import { OracleResult, runOracle } from "./sccoracle";
import { Res } from "../../policy/rules";

const HERE = __dirname;
const SCC_TYPE = "kubernetes:security.openshift.io/v1:SecurityContextConstraints";
const DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment";
const restrictedV2 = JSON.parse(fs.readFileSync(path.join(HERE, "fixtures", "restricted-v2.json"), "utf8"));

const find = (rs: Res[], type: string) => {
    const r = rs.find((x) => x.type === type);
    assert.ok(r, `the lab has no ${type}`);
    return JSON.parse(JSON.stringify(r.props));
};

/** The Deployment's pod template, edited by `edit` (a deep copy). */
function podTemplate(deployment: Record<string, any>, edit: (spec: Record<string, any>) => void = () => undefined) {
    const template = JSON.parse(JSON.stringify(deployment.spec.template));
    edit(template.spec);
    return template;
}

describe("OpenShift's SCC admission (sccmatching) judges the rendered SCC and pod", function () {
    this.timeout(15 * 60 * 1000);
    let results: OracleResult[];
    let status: number | null;
    let stdout: string;

    before(async () => {
        const four = await labResources();
        const three = await labResources(["NET_ADMIN", "NET_RAW", "IPC_LOCK"]);
        const scc4 = find(four, SCC_TYPE);
        const scc3 = { ...find(three, SCC_TYPE), metadata: { name: "vpp-server-lab-three-caps" } };
        assert.strictEqual(scc4.metadata.name, "vpp-server-lab");
        const dep4 = find(four, DEPLOYMENT_TYPE);
        const dep3 = find(three, DEPLOYMENT_TYPE);
        const main = (spec: Record<string, any>) => spec.containers[0];

        const restricted = { ...restrictedV2 };
        for (const k of Object.keys(restricted)) if (k.startsWith("_")) delete restricted[k];
        const cases = {
            namespace: { name: "vpp-server" },
            sccs: [scc4, scc3, restricted],
            cases: [
                {
                    name: "lab pod, POC image (4 capabilities)",
                    pod: podTemplate(dep4),
                    expect: {
                        "vpp-server-lab": "admitted",
                        "restricted-v2": "refused",
                        "vpp-server-lab-three-caps": "refused",
                    },
                },
                {
                    name: "lab pod, Containerfile image (3 capabilities)",
                    pod: podTemplate(dep3),
                    expect: {
                        "vpp-server-lab": "admitted",
                        "vpp-server-lab-three-caps": "admitted",
                        "restricted-v2": "refused",
                    },
                },
                {
                    name: "adds SYS_ADMIN",
                    pod: podTemplate(dep4, (s) => main(s).securityContext.capabilities.add.push("SYS_ADMIN")),
                    expect: { "vpp-server-lab": "refused" },
                },
                {
                    name: "3-capability SCC, pod adds NET_BROADCAST",
                    pod: podTemplate(dep4),
                    expect: { "vpp-server-lab-three-caps": "refused" },
                },
                {
                    name: "runs as root",
                    pod: podTemplate(dep4, (s) => {
                        s.securityContext.runAsUser = 0;
                        delete s.securityContext.runAsNonRoot;
                        for (const c of [...s.initContainers, ...s.containers]) {
                            c.securityContext.runAsUser = 0;
                            delete c.securityContext.runAsNonRoot;
                        }
                    }),
                    expect: { "vpp-server-lab": "refused" },
                },
                {
                    name: "privileged",
                    pod: podTemplate(dep4, (s) => {
                        main(s).securityContext.privileged = true;
                        main(s).securityContext.allowPrivilegeEscalation = true;
                    }),
                    expect: { "vpp-server-lab": "refused" },
                },
            ],
        };
        const run = runOracle(cases);
        console.log(run.text.replace(/^/gm, "      "));
        status = run.status;
        stdout = run.stdout;
        results = run.results;
    });

    const verdict = (c: string, scc: string) => {
        const r = results.find((x) => x.case === c && x.scc === scc);
        assert.ok(r, `no result for ${c} by ${scc}`);
        return r;
    };

    it("admits the lab pod (POC image's 4 capabilities) under this SCC", () => {
        assert.strictEqual(verdict("lab pod, POC image (4 capabilities)", "vpp-server-lab").verdict, "admitted");
    });
    it("admits the lab pod with the Containerfile's 3 capabilities under the 3-capability SCC and the 4-capability one", () => {
        assert.strictEqual(
            verdict("lab pod, Containerfile image (3 capabilities)", "vpp-server-lab-three-caps").verdict,
            "admitted",
        );
        assert.strictEqual(
            verdict("lab pod, Containerfile image (3 capabilities)", "vpp-server-lab").verdict,
            "admitted",
        );
    });
    it("restricted-v2 refuses the lab pod: uid 10000 outside the namespace range and the added capabilities", () => {
        const r = verdict("lab pod, POC image (4 capabilities)", "restricted-v2");
        assert.strictEqual(r.verdict, "refused");
        assert.ok(
            r.reasons?.some((x) => /runAsUser: Invalid value: 10000: must be in the ranges/.test(x)),
            JSON.stringify(r.reasons),
        );
        assert.ok(
            r.reasons?.some((x) => /capabilities.add: Invalid value: "NET_ADMIN": capability may not be added/.test(x)),
            JSON.stringify(r.reasons),
        );
    });
    it("refuses a pod that adds SYS_ADMIN", () => {
        const r = verdict("adds SYS_ADMIN", "vpp-server-lab");
        assert.strictEqual(r.verdict, "refused");
        assert.ok(
            r.reasons?.some((x) => /"SYS_ADMIN": capability may not be added/.test(x)),
            JSON.stringify(r.reasons),
        );
    });
    it("the 3-capability SCC refuses a pod that adds NET_BROADCAST", () => {
        const r = verdict("3-capability SCC, pod adds NET_BROADCAST", "vpp-server-lab-three-caps");
        assert.strictEqual(r.verdict, "refused");
        assert.ok(
            r.reasons?.some((x) => /"NET_BROADCAST": capability may not be added/.test(x)),
            JSON.stringify(r.reasons),
        );
    });
    it("refuses a pod that runs as root", () => {
        const r = verdict("runs as root", "vpp-server-lab");
        assert.strictEqual(r.verdict, "refused");
        assert.ok(
            r.reasons?.some((x) => /runAsUser: Invalid value: 0: must be: 10000/.test(x)),
            JSON.stringify(r.reasons),
        );
    });
    it("refuses a privileged pod", () => {
        const r = verdict("privileged", "vpp-server-lab");
        assert.strictEqual(r.verdict, "refused");
        assert.ok(
            r.reasons?.some((x) => /Privileged containers are not allowed/.test(x)),
            JSON.stringify(r.reasons),
        );
    });
    it("every expectation written into the cases matched (oracle exit 0)", () => {
        assert.strictEqual(status, 0, stdout);
    });
});
