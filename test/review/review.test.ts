/**
 * npm run review on fixture repositories in temporary git repositories, run as a reviewer runs
 * it (a child process, offline): a valid change with its objects and the pod's restart, a bad
 * stack, a collision, a namespace change (replacement), an added stack with every object, and the
 * markdown format. Removed, renamed and subfolder cases are in changes.test.ts.
 */
import * as assert from "assert";
import * as path from "path";
import { labObjects } from "../../components/lab";
import { describeRef } from "../../components/names";
import { readStackFile } from "../../review/review";
import { labArgs } from "../../stacks/compose";
import { parseStackConfig } from "../../stacks/config";
import { LAB, LAB2, repo, review, reviewWith, section, stackFile } from "./fixtures";

describe("npm run review, offline", function () {
    this.timeout(60_000);

    describe("collisions are found by the cluster the program would deploy to, not by the context's name", () => {
        let r: { status: number | null; out: string };
        before(() => {
            const kubeconfig = [
                "current-context: a",
                "clusters:",
                "  - { name: lab, cluster: { server: https://api.lab.example:6443 } }",
                "  - { name: other, cluster: { server: https://api.other.example:6443 } }",
                "contexts:",
                "  - { name: a, context: { cluster: lab } }",
                "  - { name: b, context: { cluster: lab } }",
                "  - { name: c, context: { cluster: other } }",
                "",
            ].join("\n");
            const dir = repo(
                { "Pulumi.yaml": "name: vpp-server\n", "Pulumi.lab.yaml": LAB, kubeconfig: kubeconfig },
                {
                    // Another context name for the same API server as the current context (a).
                    "Pulumi.twin.yaml": LAB + "  kubernetes:context: b\n",
                    "Pulumi.elsewhere.yaml": LAB + "  kubernetes:context: c\n",
                },
            );
            r = reviewWith({ KUBECONFIG: path.join(dir, "kubeconfig") }, dir);
        });
        it("two contexts of one API server collide; a third on another server does not", () => {
            assert.strictEqual(r.status, 1, r.out);
            assert.match(
                r.out,
                /^- namespace vpp-server on https:\/\/api\.lab\.example:6443: Pulumi\.lab\.yaml, Pulumi\.twin\.yaml$/m,
            );
            assert.doesNotMatch(r.out, /Pulumi\.elsewhere\.yaml/);
        });
    });

    describe("a repository with a valid change, a namespace change, a bad stack and two colliding stacks", () => {
        let r: { status: number | null; out: string };
        before(() => {
            const dir = repo(
                {
                    "Pulumi.lab.yaml": LAB,
                    "Pulumi.lab2.yaml": LAB2,
                    "Pulumi.yaml": "name: vpp-server\n",
                },
                {
                    "Pulumi.lab.yaml": LAB.replace("vlanId: 123", "vlanId: 124"),
                    "Pulumi.lab2.yaml": stackFile({
                        macvlanMaster: "ens1f0",
                        vlanId: 200,
                        ipAddress: "10.20.0.5/24",
                        namespace: "lab3",
                    }),
                    "Pulumi.bad.yaml": stackFile({
                        macvlanMaster: "ens1f0",
                        vlanId: 5000,
                        ipAddress: "10.30.0.5/24",
                        namespace: "bad",
                    }),
                    // Same address on the same VLAN as lab, and lab's namespace: both collide on the current context.
                    "Pulumi.twin.yaml": LAB.replace("vlanId: 123", "vlanId: 124"),
                    // The same values on another cluster collide with nothing.
                    "Pulumi.elsewhere.yaml": LAB + "  kubernetes:context: lab-cluster-2\n",
                    // Nor does a render stack with lab's values: it never deploys (docs/operations.md's example).
                    "Pulumi.render.yaml": LAB + "  vpp-server:renderDir: rendered\n",
                },
            );
            r = review(dir, "--base", "HEAD");
        });

        it("exits 1: a bad stack and collisions", () => assert.strictEqual(r.status, 1, r.out));
        it("names the bad stack file and the key, with the program's own message", () => {
            assert.match(
                r.out,
                /^- Pulumi\.bad\.yaml: vpp-server:vlanId is "5000"; expected an integer from 1 to 4094 \(802\.1Q reserves 0 and 4095\)$/m,
            );
        });
        it("names both colliding stacks, for the namespace and for the address on the VLAN, and not the other cluster's", () => {
            assert.match(
                r.out,
                /^- namespace vpp-server on the current context: Pulumi\.lab\.yaml, Pulumi\.twin\.yaml$/m,
            );
            assert.match(
                r.out,
                /^- address 192\.168\.123\.150 on VLAN 124 on the current context: Pulumi\.lab\.yaml, Pulumi\.twin\.yaml$/m,
            );
            assert.doesNotMatch(r.out, /elsewhere\.yaml,|, Pulumi\.elsewhere\.yaml/);
            assert.doesNotMatch(r.out, /render\.yaml,|, Pulumi\.render\.yaml/, "a render stack collides with nothing");
        });
        it("a valid change: the ConfigMap's lines and the Deployment's digest, and the pod restarts", () => {
            const section = r.out.split("== Pulumi.lab.yaml (changed)\n")[1].split("\n== ")[0];
            assert.match(section, /^- updated: ConfigMap vpp-server\/vpp-server-config$/m);
            assert.match(section, /^ {6}- create sub-interfaces host-macvlan0 123$/m);
            assert.match(section, /^ {6}\+ create sub-interfaces host-macvlan0 124$/m);
            assert.match(section, /^- updated: Deployment vpp-server\/vpp-server$/m);
            assert.match(
                section,
                /^ {2}- spec\.template\.metadata\.annotations\.vpp-server\/config-sha256: "[0-9a-f]{64}" → "[0-9a-f]{64}"$/m,
            );
            assert.match(section, /^- the pod restarts: its template changes/m);
            assert.doesNotMatch(section, /replaced|SecurityContextConstraints|NetworkAttachmentDefinition/);
        });
        it("the generated MAC is shown as known only at the first deployment", () => {
            assert.ok(
                r.out.includes(String.raw`\"mac\":\"(generated at the first deployment)\"`),
                "the pod's network selection names the generated MAC",
            );
        });
        it("a namespace change replaces the namespaced objects, naming the field", () => {
            const section = r.out.split("== Pulumi.lab2.yaml (changed)\n")[1].split("\n== ")[0];
            assert.match(section, /^- replaced: Namespace lab3$/m);
            assert.match(section, /^ {2}- metadata\.name: "lab2" → "lab3"$/m);
            assert.match(section, /^- replaced: Deployment lab3\/vpp-server$/m);
            assert.match(section, /^ {2}- metadata\.namespace: "lab2" → "lab3"$/m);
        });
        it("an added stack lists every object the program makes (labObjects), then what its first deployment does", () => {
            const text = LAB.replace("vlanId: 123", "vlanId: 124");
            const objects = labObjects(labArgs(parseStackConfig(readStackFile("Pulumi.twin.yaml", text).raw), "twin"));
            assert.strictEqual(objects.length, 9, "the reference lab's objects, the ClusterRole among them");
            assert.deepStrictEqual(section(r.out, "Pulumi.twin.yaml (added)"), [
                ...objects.map((o) => `- added: ${describeRef(o)}`),
                "- first deployment: creates these 9 objects (a namespace that exists and no stack made is used, never owned or deleted), then the pod starts: VPP holds 192.168.123.150/24 on VLAN 124 over macvlan0 on eno8403np1, with a MAC generated then and kept in the stack's state",
            ]);
        });
    });

    it("a valid repository exits 0; --format markdown prints the same as a pull request comment", () => {
        const dir = repo({ "Pulumi.lab.yaml": LAB }, { "Pulumi.lab.yaml": LAB.replace("123", "124") });
        const r = review(dir, "--base", "HEAD", "--format", "markdown");
        assert.strictEqual(r.status, 0, r.out);
        const lines = r.out.split("\n");
        assert.deepStrictEqual(lines.slice(0, 4), [
            "## vpp-server: review of 1 stack file",
            "### Validation: every stack file is valid",
            "### Collisions: none",
            "### Pulumi.lab.yaml (changed)",
        ]);
        assert.ok(lines.includes("- updated: `Deployment vpp-server/vpp-server`"), r.out);
        assert.ok(lines.includes("    - `+ create sub-interfaces host-macvlan0 124`"), r.out);
    });

    it("stack files git ignores (the sandbox's) are not the repository's: not reviewed", () => {
        const dir = repo(
            { "Pulumi.lab.yaml": LAB, ".gitignore": "/Pulumi.sandbox.yaml\n" },
            { "Pulumi.sandbox.yaml": LAB },
        );
        const r = review(dir);
        assert.strictEqual(r.status, 0, r.out);
        assert.match(r.out, /^vpp-server: review of 1 stack file$/m);
    });

    it("a base that is not a commit is a usage error (exit 2)", () => {
        const dir = repo({ "Pulumi.lab.yaml": LAB }, {});
        const r = review(dir, "--base", "no-such-ref");
        assert.strictEqual(r.status, 2);
        assert.match(r.out, /^review: --base 'no-such-ref' is not a commit of /m);
    });
});
