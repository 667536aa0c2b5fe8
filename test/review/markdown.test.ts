/**
 * `npm run review --format markdown` is a pull request comment: whatever a stack file holds (a
 * YAML error over several lines, backticks, asterisks, angle brackets), every kind of finding
 * renders as a heading or a list item, names and values as code spans that close, and text of
 * several lines as a fenced block inside its item.
 */
import * as assert from "assert";
import { reviewChanges } from "../../review/changes";
import { format, mdCode, Review } from "../../review/format";
import { renderStack } from "../../review/render";
import { collisions, readStackFile, StackFile, StackProblem, validate } from "../../review/review";
import { LAB, LAB2 } from "./fixtures";

/**
 * What breaks the markdown this review writes, line by line: a line that is neither a heading, a
 * list item nor inside a fence; a list item indented past its parent; a fence not under an item,
 * not closed, or whose lines leave the item; a code span that does not close; markup characters
 * left unescaped outside code spans.
 */
export function markdownProblems(md: string): string[] {
    const problems: string[] = [];
    const lines = md.replace(/\n$/, "").split("\n");
    let fence: { indent: string; marker: string; from: number } | undefined;
    let lastItemIndent = -2;
    lines.forEach((line, i) => {
        const at = `line ${i + 1} (${JSON.stringify(line)})`;
        if (fence) {
            if (line === fence.indent + fence.marker) fence = undefined;
            else if (line.trim() !== "" && !line.startsWith(fence.indent)) problems.push(`${at} leaves its fence`);
            return;
        }
        const open = /^( *)(`{3,})$/.exec(line);
        if (open) {
            if (open[1].length !== lastItemIndent + 2) problems.push(`${at}: a fence not under the item above`);
            fence = { indent: open[1], marker: open[2], from: i + 1 };
            return;
        }
        let inline: string;
        const heading = /^#{2,3} (.*)$/.exec(line);
        const listItem = /^( *)- (.*)$/.exec(line);
        if (heading) {
            inline = heading[1];
            lastItemIndent = -2;
        } else if (listItem) {
            const indent = listItem[1].length;
            if (indent % 2 !== 0 || indent > lastItemIndent + 2)
                problems.push(`${at}: a list item indented past its parent`);
            lastItemIndent = indent;
            inline = listItem[2];
        } else {
            problems.push(`${at} is neither a heading, a list item nor inside a fence`);
            return;
        }
        // Code spans close (a run of n backticks closes at the next run of exactly n); outside them
        // every markup character is escaped.
        for (let j = 0; j < inline.length;) {
            if (inline[j] === "\\") {
                j += 2;
            } else if (inline[j] === "`") {
                const run = /^`+/.exec(inline.slice(j))![0];
                const close = new RegExp(`(?<!\`)${run}(?!\`)`, "g");
                close.lastIndex = j + run.length;
                const m = close.exec(inline);
                if (!m) {
                    problems.push(`${at}: a code span does not close`);
                    break;
                }
                j = m.index + run.length;
            } else {
                if ("*_[]<>|~".includes(inline[j])) problems.push(`${at}: ${inline[j]} outside a code span`);
                j++;
            }
        }
    });
    if (fence) problems.push(`the fence opened at line ${fence.from} does not close`);
    return problems;
}

describe("npm run review --format markdown", function () {
    this.timeout(60_000);
    let md: string;
    let lines: string[];

    before(async () => {
        // Every kind of finding, from the review's own functions.
        const bad = "config:\n  vpp-server:vlanId: 123: 4\n";
        const ticked = LAB.replace("192.168.123.150/24", '"`10.0.0.1`/24 *<b>*"');
        const problems: StackProblem[] = [];
        try {
            readStackFile("Pulumi.bad.yaml", bad);
        } catch (e) {
            problems.push({ file: "Pulumi.bad.yaml", message: (e as Error).message });
        }
        const files: StackFile[] = [
            readStackFile("Pulumi.ticked.yaml", ticked),
            readStackFile("Pulumi.lab.yaml", LAB),
            readStackFile("Pulumi.twin.yaml", LAB),
        ];
        const v = validate(files);
        problems.push(...v.problems);
        const deployed = validate([readStackFile("Pulumi.old.yaml", LAB)]).valid;
        const html = (t: string) => `  vpp-server:indexHtml: ${JSON.stringify(t)}\n`;
        const reviews = await reviewChanges(
            {
                before: new Map([
                    ["Pulumi.lab.yaml", LAB + html("<h1>``Welcome``</h1>\n<p>old</p>")],
                    ["Pulumi.gone.yaml", LAB2],
                    ["Pulumi.old.yaml", LAB],
                    ["Pulumi.broken.yaml", LAB.replace("123", "5000")],
                    ["Pulumi.crash.yaml", LAB],
                ]),
                after: new Map([
                    ["Pulumi.lab.yaml", LAB + html("<h1>``Welcome``</h1>\n<p>*new* `one`</p>")],
                    ["Pulumi.new.yaml", LAB2],
                    ["Pulumi.renamed.yaml", LAB],
                    ["Pulumi.broken.yaml", LAB],
                    ["Pulumi.crash.yaml", LAB + "# changed\n"],
                ]),
                renames: new Map([["Pulumi.renamed.yaml", "Pulumi.old.yaml"]]),
                allowRemoved: new Set(["old"]),
            },
            async (file, text) => {
                if (file === "Pulumi.crash.yaml")
                    throw new Error("render failed\n  at `somewhere` *here*\n```\nfenced");
                const f = readStackFile(file, text);
                return renderStack(f.raw, f.stack);
            },
        );
        const review: Review = {
            stacks: 5,
            problems,
            collisions: collisions(v.valid, undefined, deployed),
            reviews,
            unusedAcknowledgements: ["nothing`here"],
        };
        md = format(review, true);
        lines = md.split("\n");
    });

    it("the check finds what breaks markdown (as the review printed a YAML error before)", () => {
        assert.deepStrictEqual(
            markdownProblems(
                [
                    "- `Pulumi.bad.yaml`: not valid YAML at line 2:",
                    "",
                    "  vpp-server:vlanId: 123: 4",
                    "- `a` ``b` *c*",
                    "  ```",
                ].join("\n"),
            ),
            [
                'line 2 ("") is neither a heading, a list item nor inside a fence',
                'line 3 ("  vpp-server:vlanId: 123: 4") is neither a heading, a list item nor inside a fence',
                'line 4 ("- `a` ``b` *c*"): a code span does not close',
                "the fence opened at line 5 does not close",
            ],
        );
        assert.deepStrictEqual(markdownProblems("- a *b*"), [
            'line 1 ("- a *b*"): * outside a code span',
            'line 1 ("- a *b*"): * outside a code span',
        ]);
    });

    it("holds every kind of finding", () => {
        for (const heading of [
            "### Validation: 2 problem(s)",
            "### Collisions: 2",
            "### Pulumi.broken.yaml (changed)",
            "### Pulumi.crash.yaml (changed; the review failed)",
            "### Pulumi.gone.yaml (removed)",
            "### Pulumi.lab.yaml (changed)",
            "### Pulumi.new.yaml (added)",
            "### Pulumi.renamed.yaml (renamed)",
            "### Acknowledgements that match no removed stack file",
        ]) {
            assert.ok(lines.includes(heading), `${heading}\n${md}`);
        }
    });

    it("is well-formed: headings and list items only, code spans closed, markup escaped, fences closed inside their items", () => {
        assert.deepStrictEqual(markdownProblems(md), [], md);
    });

    it("a YAML error over several lines: its first line on the item, the code frame fenced under it", () => {
        const at = lines.indexOf(
            "- `Pulumi.bad.yaml`: Pulumi.bad.yaml is not valid YAML: Nested mappings are not allowed in compact mappings at line 2, column 22:",
        );
        assert.ok(at >= 0, md);
        assert.deepStrictEqual(lines.slice(at + 1, at + 5), [
            "  ```",
            "    vpp-server:vlanId: 123: 4",
            "                       ^",
            "  ```",
        ]);
    });

    it("a value with backticks, asterisks and angle brackets: escaped in prose, whole in a code span", () => {
        assert.ok(
            lines.includes(
                '- `Pulumi.ticked.yaml`: vpp-server:ipAddress is "\\`10.0.0.1\\`/24 \\*\\<b\\>\\*"; expected an IPv4 address/prefix such as 192.168.123.150/24: a unicast host address of its subnet (not the network or broadcast address), prefix 1 to 32',
            ),
            md,
        );
        assert.ok(lines.includes("    - ``+ <p>*new* `one`</p>``"), md);
        assert.strictEqual(mdCode("``x"), "``` ``x ```");
    });

    it("an error with a fence in its text: fenced by a longer fence", () => {
        const at = lines.indexOf("- error: the review could not finish `Pulumi.crash.yaml`: render failed");
        assert.ok(at >= 0, md);
        assert.strictEqual(lines[at + 1], "  ````");
        assert.strictEqual(lines[at + 2], "  Error: render failed");
    });
});
