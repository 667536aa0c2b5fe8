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

describe("documentation: figures are the benchmark's", () => {
    /** The rows of the table bench:dataplane wrote into docs/dataplane.md, by VPP version and profile. */
    const rows = () => {
        const doc = readDoc("docs/dataplane.md");
        const table = doc.slice(
            doc.indexOf("<!-- bench:dataplane begin -->"),
            doc.indexOf("<!-- bench:dataplane end -->"),
        );
        return table
            .split("\n")
            .filter((l) => /^\| (\d+\.\d+|kernel) \|/.test(l))
            .map((l) => l.split("|").map((c) => c.trim()))
            .map((c) => ({ version: c[1], profile: c[2], idle: parseFloat(c[3]), oneConnection: c[6] }));
    };
    const defaults = () => rows().filter((r) => r.profile.startsWith("defaults, shared cores"));

    it("the table holds the defaults' row for each version", () =>
        assert.deepStrictEqual(
            defaults().map((r) => r.version),
            ["24.10", "26.06"],
        ));

    it("the idle CPU the settings' reference and Pulumi.yaml give for the defaults is the table's", () => {
        const range = /VPP idles at ([\d.]+)% to ([\d.]+)% of a core with the defaults/.exec(
            readDoc("docs/configuration.md"),
        );
        assert.ok(range, "docs/configuration.md gives the defaults' idle CPU");
        const [lo, hi] = [Number(range[1]), Number(range[2])];
        for (const r of defaults())
            assert.ok(r.idle >= lo && r.idle <= hi, `VPP ${r.version}'s ${r.idle}% is outside ${lo}-${hi}%`);
        const yaml = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
        assert.ok(
            yaml.includes(`VPP uses ${range[1]}% to ${range[2]}% of a core with the defaults`),
            "Pulumi.yaml says the same",
        );
    });

    it("the page's one line for a user (which VPP, what it buys) quotes the table's one-connection figures", () => {
        const line =
            /With the same settings \(the defaults, shared cores\) it serves one\s+connection at ([\d,]+) req\/s against 24\.10's (\d[\d,]*\d|\d)/.exec(
                readDoc("docs/dataplane.md"),
            );
        assert.ok(line, "docs/dataplane.md says which VPP to run");
        const perSecond = (v: string) =>
            defaults()
                .find((r) => r.version === v)!
                .oneConnection.split(" req/s")[0];
        assert.deepStrictEqual([line[1], line[2]], [perSecond("26.06"), perSecond("24.10")]);
    });
});

describe("documentation: docs/fleet.md's account checks are the e2e test's", () => {
    it("the number of rights checked yes and no is the count in test/e2e/operator.test.ts", () => {
        const source = fs.readFileSync(path.join(ROOT, "test", "e2e", "operator.test.ts"), "utf8");
        const count = (name: string) => {
            const m = new RegExp(`const ${name}: string\\[\\]\\[\\] = \\[([\\s\\S]*?)\\n        \\];`).exec(source);
            assert.ok(m, `test/e2e/operator.test.ts has no list ${name}`);
            return m[1].split("\n").filter((l) => /^\s*\[/.test(l)).length;
        };
        const stated = /yes to (\d+) rights the lab needs, no to (\d+) it must not have/.exec(flat("docs/fleet.md"));
        assert.ok(stated, "docs/fleet.md states the counts");
        assert.deepStrictEqual([Number(stated[1]), Number(stated[2])], [count("yes"), count("no")]);
    });
});
