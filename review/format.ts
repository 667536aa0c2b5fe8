/**
 * The review as text for a terminal or a CI log, or as markdown for a pull request comment. In
 * markdown every name and value is a code span whose fence outlasts any backtick it holds, prose
 * is escaped, and a text of several lines (a YAML parse error, an error's stack) is a fenced block
 * inside its list item: whatever a stack file holds, the comment keeps its structure.
 */
import { Entry, StackReview, Text } from "./changes";
import { Collision, StackProblem } from "./review";

export interface Review {
    readonly stacks: number;
    readonly problems: readonly StackProblem[];
    readonly collisions: readonly Collision[];
    readonly reviews: readonly StackReview[];
    /** `--allow-removed` values that name no removed stack. */
    readonly unusedAcknowledgements: readonly string[];
}

/** Exit 1 on any problem, collision, unexpected error or unacknowledged removal. */
export function failed(r: Review): boolean {
    return (
        r.problems.length > 0 ||
        r.collisions.length > 0 ||
        r.reviews.some((s) => s.error !== undefined || (s.removedStack !== undefined && !s.removedStack.acknowledged))
    );
}

/** A markdown code span holding `t` as it is (one line). */
export function mdCode(t: string): string {
    const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((run) => run.length));
    const fence = "`".repeat(longest + 1);
    const pad = t.startsWith("`") || t.endsWith("`") || t === "" ? " " : "";
    return `${fence}${pad}${t}${pad}${fence}`;
}

/** Prose in markdown: characters that would open emphasis, code, links or HTML are escaped. */
export function mdText(t: string): string {
    return t.replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`);
}

/** A block of lines, fenced (markdown) or indented (text), under a list item at `indent`. */
function block(text: string, indent: string, markdown: boolean): string[] {
    const lines = text.replace(/^\n+|\n+$/g, "").split("\n");
    if (!markdown) return lines.map((l) => `${indent}  | ${l}`);
    const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    const fence = "`".repeat(Math.max(3, longest + 1));
    return [`${indent}  ${fence}`, ...lines.map((l) => `${indent}  ${l}`), `${indent}  ${fence}`];
}

/**
 * A list item whose text may span lines: its first line on the item, the rest as a block under it.
 */
function item(out: string[], indent: string, first: string, rest: string | undefined, markdown: boolean) {
    out.push(`${indent}- ${first}`);
    if (rest !== undefined && rest.trim() !== "") out.push(...block(rest, indent, markdown));
}

const splitFirst = (t: string): [string, string | undefined] => {
    const i = t.indexOf("\n");
    return i < 0 ? [t, undefined] : [t.slice(0, i), t.slice(i + 1)];
};

const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));

/** The review as text (`markdown`: a pull request comment). */
export function format(r: Review, markdown: boolean): string {
    const out: string[] = [];
    const h = (t: string) => out.push(markdown ? `### ${mdText(t)}` : `== ${t}`);
    const code = (t: string) => (markdown ? mdCode(t) : t);
    const prose = (t: string) => (markdown ? mdText(t) : t);
    const text = (t: Text) =>
        t.map((s) => (typeof s === "string" ? prose(s) : markdown ? mdCode(s.code) : s.code)).join("");
    const files = `${r.stacks} stack file${r.stacks === 1 ? "" : "s"}`;
    out.push(markdown ? `## vpp-server: review of ${files}` : `vpp-server: review of ${files}`);
    h(
        r.problems.length === 0
            ? "Validation: every stack file is valid"
            : `Validation: ${r.problems.length} problem(s)`,
    );
    for (const p of r.problems) {
        const [first, rest] = splitFirst(p.message);
        item(out, "", `${code(p.file)}: ${prose(first)}`, rest, markdown);
    }
    h(r.collisions.length === 0 ? "Collisions: none" : `Collisions: ${r.collisions.length}`);
    for (const c of r.collisions)
        item(out, "", `${prose(`${c.what} on ${c.cluster}`)}: ${c.files.map(code).join(", ")}`, undefined, markdown);
    for (const s of r.reviews) {
        h(`${s.file} (${s.status}${s.error ? "; the review failed" : ""})`);
        for (const e of s.entries) entry(out, e, markdown, code, prose, text);
        if (s.error) {
            const [first] = splitFirst(s.error.message);
            item(
                out,
                "",
                `error: the review could not finish ${code(s.file)}: ${prose(first)}`,
                s.error.detail,
                markdown,
            );
        }
    }
    if (r.unusedAcknowledgements.length > 0) h("Acknowledgements that match no removed stack file");
    for (const a of r.unusedAcknowledgements) {
        out.push(
            `- ${code(`--allow-removed ${a}`)}${prose(`: the base has no Pulumi.${a}.yaml that this change removes`)}`,
        );
    }
    return out.join("\n") + "\n";
}

function entry(
    out: string[],
    e: Entry,
    markdown: boolean,
    code: (t: string) => string,
    prose: (t: string) => string,
    text: (t: Text) => string,
) {
    if ("note" in e) {
        item(out, "", text(e.note), e.detail, markdown);
        for (const i of e.items ?? []) out.push(`  - ${code(i)}`);
        return;
    }
    const c = e.change;
    out.push(`- ${c.change}: ${code(c.name)}`);
    for (const f of c.fields) {
        const lines = (v: unknown) => (typeof v === "string" && v.includes("\n") ? v.split("\n") : undefined);
        const [a, b] = [lines(f.before), lines(f.after)];
        if (a && b) {
            // A file in a ConfigMap: the lines that go and come, not the whole text twice.
            out.push(`  - ${code(f.path)}:`);
            const line = (sign: string, l: string) =>
                markdown ? `    - ${mdCode(`${sign} ${l}`)}` : `      ${sign} ${l}`;
            for (const l of a.filter((x) => !b.includes(x))) out.push(line("-", l));
            for (const l of b.filter((x) => !a.includes(x))) out.push(line("+", l));
        } else {
            out.push(`  - ${code(f.path)}: ${code(show(f.before))} ${prose("→")} ${code(show(f.after))}`);
        }
    }
}
