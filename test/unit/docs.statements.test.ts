/**
 * What the documentation says the program prints, it prints: each quoted message is made here by
 * the code that makes it, from the example's own values, and found in the page word for word; each
 * label selector uses a label the program sets; each line of the sandbox quoted in docs/ is one its
 * script can print.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { INSTANCE_LABEL, labels, ObjectRef } from "../../components/names";
import { describeDrift } from "../../live/drift";
import { LiveState, ownershipProblems } from "../../live/guard";
import { fencedBlocks, readDoc, ROOT, userDocs } from "../fixtures/docs";

/** A page's text with its line breaks and indents as one space: a quote may wrap in the source. */
const flat = (file: string) => readDoc(file).replace(/\s*\n\s*/g, " ");

describe("documentation: quoted messages are the program's", () => {
    it("operations: another stack's namespace, as ownershipProblems words it", () => {
        const ns: ObjectRef = { apiVersion: "v1", kind: "Namespace", name: "lab-a" };
        const state = new LiveState([
            { ref: ns, live: { metadata: { name: "lab-a", labels: { [INSTANCE_LABEL]: "vpp-server-lab-a" } } } },
        ]);
        const [message] = ownershipProblems(state, { stack: "lab-b", adopt: false }).problems;
        assert.ok(flat("docs/operations.md").includes(`\`${message}\``), `docs/operations.md quotes:\n${message}`);
    });

    it("troubleshooting: a hand edit's warning, as describeDrift words it", () => {
        const message = describeDrift({ apiVersion: "v1", kind: "ConfigMap", namespace: "lab", name: "x" }, [
            { path: "data.k", live: "a", declared: "b" },
        ]);
        const quoted = /`\.\.\. (was changed on the cluster; this update restores it)`/.exec(
            flat("docs/troubleshooting.md"),
        );
        assert.ok(quoted, "docs/troubleshooting.md quotes the warning");
        assert.ok(message.includes(` ${quoted[1]} (`), `the program says: ${message}`);
    });
});

describe("documentation: label selectors use the program's labels", () => {
    const set = labels({ stack: "lab", instance: "vpp-server-lab" });
    for (const file of userDocs()) {
        it(`${file}: every -l selector names a label the program sets, with a value it can have`, () => {
            const wrong: string[] = [];
            for (const m of readDoc(file).matchAll(/-l ([\w./-]+)=([^\n]*)/g)) {
                const [key, rest] = [m[1], m[2]];
                const value = /^\S+?(?=[\s`,]|$)/.exec(rest)?.[0] ?? "";
                if (!(key in set)) wrong.push(`${m[0]}: the program sets no label ${key}`);
                else if (key === INSTANCE_LABEL && !rest.startsWith("$(pulumi stack output instance "))
                    wrong.push(`${m[0]}: the instance is the stack's \`instance\` output, not its name`);
                else if (key !== INSTANCE_LABEL && value !== set[key])
                    wrong.push(`${m[0]}: the program sets ${set[key]}`);
            }
            assert.deepStrictEqual(wrong, []);
        });
    }
});

describe("documentation: the sandbox's quoted lines are its script's", () => {
    const script = fs.readFileSync(path.join(ROOT, "scripts", "sandbox.sh"), "utf8");
    /** Each say/die/printf format of the script as a pattern: its variables and commands match anything. */
    const formats = [...script.matchAll(/(?:say|die) "((?:[^"\\]|\\.)*)"|printf 'sandbox: ([^']*)\\n'/g)].map((m) => {
        const text = m[1] !== undefined ? m[1] : m[2];
        const prefix = m[0].startsWith("die") ? "sandbox: error: " : m[1] !== undefined ? "sandbox: " : "sandbox: ";
        const parts = (prefix + text).replace(/\\"/g, '"').split(/\$\([^)]*\)|\$\{[^}]*\}|\$\w+|%s/);
        return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".+")}$`);
    });
    it("finds the script's messages", () => assert.ok(formats.length >= 15, String(formats.length)));
    for (const file of userDocs()) {
        it(`${file}: each sandbox line in a plain block is one the script prints`, () => {
            const lines = fencedBlocks(readDoc(file), "")
                .flatMap((b) => b.split("\n"))
                .filter((l) => l.startsWith("sandbox: "));
            const unknown = lines.filter((l) => !formats.some((f) => f.test(l)));
            assert.deepStrictEqual(unknown, []);
            if (file === "docs/sandbox.md")
                assert.ok(lines.length >= 3, `docs/sandbox.md quotes ${lines.length} lines`);
        });
    }
});
