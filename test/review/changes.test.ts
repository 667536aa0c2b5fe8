/**
 * What a pull request does to stacks beyond a changed value, as the review says it: a removed
 * stack file (its objects stay; the review fails until acknowledged), a renamed one (a new stack;
 * the old one stays deployed and may collide), a project in a subfolder of its repository, and
 * errors: an invalid side is said, anything unexpected fails the review naming the file.
 */
import * as assert from "assert";
import { describeRef } from "../../components/names";
import { labObjects } from "../../components/lab";
import { reviewChanges } from "../../review/changes";
import { failed, format } from "../../review/format";
import { renderStack } from "../../review/render";
import { readStackFile } from "../../review/review";
import { labArgs } from "../../stacks/compose";
import { parseStackConfig } from "../../stacks/config";
import { LAB, LAB2, repo, review, section } from "./fixtures";

const objectsOf = (file: string, text: string, stack: string) =>
    labObjects(labArgs(parseStackConfig(readStackFile(file, text).raw), stack)).map(describeRef);

describe("npm run review: removed and renamed stack files", function () {
    this.timeout(60_000);

    describe("a removed stack file", () => {
        let dir: string;
        before(() => {
            dir = repo({ "Pulumi.lab.yaml": LAB, "Pulumi.lab2.yaml": LAB2 }, { "Pulumi.lab2.yaml": undefined });
        });
        it("says that its objects stay until the stack is destroyed, lists them, and fails unacknowledged", () => {
            const r = review(dir, "--base", "HEAD");
            assert.strictEqual(r.status, 1, r.out);
            assert.deepStrictEqual(section(r.out, "Pulumi.lab2.yaml (removed)"), [
                "- stack file removed; its objects stay until pulumi destroy --run-program --stack lab2:",
                ...objectsOf("Pulumi.lab2.yaml", LAB2, "lab2").map((o) => `  - ${o}`),
                "- not acknowledged: this fails the review; once the stack is destroyed, or kept on purpose, run it with --allow-removed lab2",
            ]);
            assert.doesNotMatch(r.out, /removed: |pod does not restart/);
        });
        it("--allow-removed <stack> acknowledges it: exit 0", () => {
            const r = review(dir, "--base", "HEAD", "--allow-removed", "lab2");
            assert.strictEqual(r.status, 0, r.out);
            assert.strictEqual(
                section(r.out, "Pulumi.lab2.yaml (removed)").at(-1),
                "- acknowledged with --allow-removed lab2",
            );
        });
        it("--allow-removed of another stack acknowledges nothing, and is named", () => {
            const r = review(dir, "--base", "HEAD", "--allow-removed", "lab");
            assert.strictEqual(r.status, 1, r.out);
            assert.deepStrictEqual(section(r.out, "Acknowledgements that match no removed stack file"), [
                "- --allow-removed lab: the base has no Pulumi.lab.yaml that this change removes",
            ]);
        });
    });

    describe("a renamed stack file (git's rename detection, not staged)", () => {
        let r: { status: number | null; out: string };
        before(() => {
            const dir = repo({ "Pulumi.lab.yaml": LAB }, { "Pulumi.lab.yaml": undefined, "Pulumi.lab3.yaml": LAB });
            r = review(dir, "--base", "HEAD", "--allow-removed", "lab");
        });
        it("is a new stack: new SCC and ClusterRole names, every object created, the old stack left deployed", () => {
            assert.deepStrictEqual(section(r.out, "Pulumi.lab3.yaml (renamed)"), [
                "- renamed from Pulumi.lab.yaml: a new stack, lab3, whose first deployment creates new objects (SCC vpp-server-lab3, ClusterRole system:openshift:scc:vpp-server-lab3); the stack lab and its objects stay until pulumi destroy --run-program --stack lab",
                ...objectsOf("Pulumi.lab3.yaml", LAB, "lab3").map((o) => `- added: ${o}`),
                "- first deployment: creates these 9 objects (a namespace that exists and no stack made is used, never owned or deleted), then the pod starts: VPP holds 192.168.123.150/24 on VLAN 123 over macvlan0 on eno8403np1, with a MAC generated then and kept in the stack's state",
                "- acknowledged with --allow-removed lab",
            ]);
            assert.doesNotMatch(r.out, /^== Pulumi\.lab\.yaml/m, "not reviewed apart as removed");
        });
        it("collides with the old stack, still deployed: same namespace, same address on the VLAN; exit 1", () => {
            assert.strictEqual(r.status, 1, r.out);
            assert.deepStrictEqual(section(r.out, "Collisions: 2"), [
                "- namespace vpp-server on the current context: Pulumi.lab.yaml (removed, still deployed), Pulumi.lab3.yaml",
                "- address 192.168.123.150 on VLAN 123 on the current context: Pulumi.lab.yaml (removed, still deployed), Pulumi.lab3.yaml",
            ]);
        });
        it("renamed with a namespace and an address of its own, it collides with nothing and passes once acknowledged", () => {
            const moved = LAB.replace("150/24", "151/24") + "  vpp-server:namespace: lab3\n";
            const dir = repo({ "Pulumi.lab.yaml": LAB }, { "Pulumi.lab.yaml": undefined, "Pulumi.lab3.yaml": moved });
            const acknowledged = review(dir, "--base", "HEAD", "--allow-removed", "lab");
            assert.strictEqual(acknowledged.status, 0, acknowledged.out);
            assert.match(acknowledged.out, /^== Collisions: none$/m);
            assert.match(acknowledged.out, /^== Pulumi\.lab3\.yaml \(renamed\)$/m);
            assert.strictEqual(review(dir, "--base", "HEAD").status, 1, "the old stack's objects need acknowledging");
        });
    });

    it("a project in a subfolder of its repository: only the changed file is reviewed, as changed", () => {
        const dir = repo(
            { "Pulumi.lab.yaml": LAB, "Pulumi.lab2.yaml": LAB2, "Pulumi.yaml": "name: vpp-server\n" },
            { "Pulumi.lab.yaml": LAB.replace("vlanId: 123", "vlanId: 124") },
            { subdir: "infra/vpp-server" },
        );
        const r = review(dir, "--base", "HEAD");
        assert.strictEqual(r.status, 0, r.out);
        assert.deepStrictEqual(
            r.out.split("\n").filter((l) => l.startsWith("== ")),
            ["== Validation: every stack file is valid", "== Collisions: none", "== Pulumi.lab.yaml (changed)"],
        );
        assert.deepStrictEqual(
            section(r.out, "Pulumi.lab.yaml (changed)").filter((l) => l.startsWith("- ")),
            [
                "- updated: ConfigMap vpp-server/vpp-server-config",
                "- updated: Deployment vpp-server/vpp-server",
                "- the pod restarts: its template changes (vpp-server/config-sha256 names the configuration)",
            ],
        );
    });

    it("a base whose file is invalid: said in the file's section, with the base's error", () => {
        const dir = repo({ "Pulumi.lab.yaml": LAB.replace("vlanId: 123", "vlanId: 5000") }, { "Pulumi.lab.yaml": LAB });
        const r = review(dir, "--base", "HEAD");
        assert.strictEqual(r.status, 0, r.out);
        assert.deepStrictEqual(section(r.out, "Pulumi.lab.yaml (changed)"), [
            "- no object changes shown: the base's file is invalid:",
            "  | invalid stack configuration (1 problem); nothing was deployed:",
            '  |   - vpp-server:vlanId is "5000"; expected an integer from 1 to 4094 (802.1Q reserves 0 and 4095)',
        ]);
    });
});

describe("review of changes: an unexpected error fails the review, an invalid file does not hide", () => {
    const set = (before: Record<string, string>, after: Record<string, string>) => ({
        before: new Map(Object.entries(before)),
        after: new Map(Object.entries(after)),
        renames: new Map<string, string>(),
        allowRemoved: new Set<string>(),
    });
    const render = async (file: string, text: string) => {
        const f = readStackFile(file, text);
        return renderStack(f.raw, f.stack);
    };

    it("an error rendering one file: that file's section names it and shows the error; the review fails", async () => {
        const reviews = await reviewChanges(
            set(
                { "Pulumi.a.yaml": LAB, "Pulumi.b.yaml": LAB2 },
                { "Pulumi.a.yaml": LAB + "# x\n", "Pulumi.b.yaml": LAB2 + "# y\n" },
            ),
            async (file, text) => {
                if (file === "Pulumi.b.yaml")
                    throw new TypeError("Cannot read properties of undefined (reading 'metadata')");
                return render(file, text);
            },
        );
        assert.deepStrictEqual(
            reviews.map((r) => [r.file, r.error?.message]),
            [
                ["Pulumi.a.yaml", undefined],
                ["Pulumi.b.yaml", "Cannot read properties of undefined (reading 'metadata')"],
            ],
        );
        const review = { stacks: 2, problems: [], collisions: [], reviews, unusedAcknowledgements: [] };
        assert.ok(failed(review), "the review fails");
        const lines = format(review, false).split("\n");
        const at = lines.indexOf("== Pulumi.b.yaml (changed; the review failed)");
        assert.ok(at > 0, format(review, false));
        assert.strictEqual(
            lines[at + 1],
            "- error: the review could not finish Pulumi.b.yaml: Cannot read properties of undefined (reading 'metadata')",
        );
        assert.strictEqual(lines[at + 2], "  | TypeError: Cannot read properties of undefined (reading 'metadata')");
        assert.match(lines[at + 3], /^ {2}\| +at .*changes\.test\.ts/, lines.slice(at).join("\n"));
    });

    it("a renamed file that is invalid: still a rename, its old stack still to acknowledge", async () => {
        const [r] = await reviewChanges(
            {
                ...set({ "Pulumi.lab.yaml": LAB }, { "Pulumi.lab3.yaml": LAB.replace("vlanId: 123", "vlanId: 5000") }),
                renames: new Map([["Pulumi.lab3.yaml", "Pulumi.lab.yaml"]]),
            },
            render,
        );
        assert.deepStrictEqual(
            format({ stacks: 1, problems: [], collisions: [], reviews: [r], unusedAcknowledgements: [] }, false)
                .split("\n")
                .slice(3),
            [
                "== Pulumi.lab3.yaml (renamed)",
                // Its SCC's name follows its namespace, which an invalid file does not tell.
                "- renamed from Pulumi.lab.yaml: a new stack, lab3, whose first deployment creates new objects; the stack lab and its objects stay until pulumi destroy --run-program --stack lab",
                "- no object changes shown: this file is invalid (see Validation)",
                "- not acknowledged: this fails the review; once the stack is destroyed, or kept on purpose, run it with --allow-removed lab",
                "",
            ],
        );
        assert.deepStrictEqual(r.removedStack, { stack: "lab", acknowledged: false });
    });

    it("an invalid file is not an error: its section says so and the review does not fail for it", async () => {
        const reviews = await reviewChanges(
            set({ "Pulumi.a.yaml": LAB }, { "Pulumi.a.yaml": LAB.replace("vlanId: 123", "vlanId: [") }),
            render,
        );
        assert.strictEqual(reviews[0].error, undefined);
        assert.deepStrictEqual(reviews[0].entries, [
            { note: ["no object changes shown: this file is invalid (see Validation)"] },
        ]);
        assert.ok(!failed({ stacks: 1, problems: [], collisions: [], reviews, unusedAcknowledgements: [] }));
    });
});
