/**
 * The documentation holds together: every relative link of every markdown file names a file of the
 * repository, every anchor a heading of that file (as GitHub makes its id); nothing points outside
 * the repository; the README stays a short door.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import GithubSlugger from "github-slugger";
import MarkdownIt from "markdown-it";
import { markdownFiles, readDoc, ROOT, userDocs } from "../fixtures/docs";

const md = new MarkdownIt({ html: true });

/** The ids GitHub gives a file's headings (a repeated heading gets -1, -2, ...). */
function anchorsOf(file: string): Set<string> {
    const slugger = new GithubSlugger();
    const ids = new Set<string>();
    const tokens = md.parse(readDoc(file), {});
    tokens.forEach((t, i) => {
        if (t.type !== "heading_open") return;
        const inline = tokens[i + 1];
        const text = (inline.children ?? [])
            .filter((c) => c.type === "text" || c.type === "code_inline")
            .map((c) => c.content)
            .join("");
        ids.add(slugger.slug(text));
    });
    return ids;
}

/** Every link target of a file (markdown links and images), with its line. */
function linksOf(file: string): { href: string; line: number }[] {
    const out: { href: string; line: number }[] = [];
    for (const t of md.parse(readDoc(file), {})) {
        for (const c of t.children ?? []) {
            const href = c.type === "link_open" ? c.attrGet("href") : c.type === "image" ? c.attrGet("src") : null;
            if (typeof href === "string" && href) out.push({ href, line: (t.map?.[0] ?? 0) + 1 });
        }
    }
    return out;
}

describe("documentation: links and anchors", () => {
    const files = markdownFiles();

    it("finds the README, CONTRIBUTING, CHANGELOG and the docs/ pages", () => {
        for (const f of [
            "README.md",
            "CONTRIBUTING.md",
            "CHANGELOG.md",
            "docs/configuration.md",
            "docs/operations.md",
        ]) {
            assert.ok(files.includes(f), `${f} is missing: ${files.join(", ")}`);
        }
        assert.ok(fs.existsSync(path.join(ROOT, "LICENSE")), "LICENSE is missing");
    });

    for (const file of files) {
        it(`${file}: every relative link and anchor resolves, inside the repository`, () => {
            const broken: string[] = [];
            for (const { href, line } of linksOf(file)) {
                if (/^(https?:|mailto:)/.test(href)) continue;
                const [target, anchor] = href.split("#");
                const resolved = target
                    ? path.resolve(path.dirname(path.join(ROOT, file)), decodeURI(target))
                    : path.join(ROOT, file);
                const rel = path.relative(ROOT, resolved);
                if (rel.startsWith("..") || path.isAbsolute(rel)) {
                    broken.push(`${file}:${line}: ${href} points outside the repository`);
                    continue;
                }
                if (!fs.existsSync(resolved)) {
                    broken.push(`${file}:${line}: ${href}: no file ${rel}`);
                    continue;
                }
                if (anchor !== undefined) {
                    if (!rel.endsWith(".md"))
                        broken.push(`${file}:${line}: ${href}: an anchor into a file that is not markdown`);
                    else if (!anchorsOf(rel).has(anchor))
                        broken.push(`${file}:${line}: ${href}: ${rel} has no heading #${anchor}`);
                }
            }
            assert.deepStrictEqual(broken, []);
        });
    }

    it("no page cites a file outside the repository (the team's shared/ folder, absolute paths of a machine)", () => {
        const outside = files.flatMap((f) =>
            readDoc(f)
                .split("\n")
                .map((l, i) => ({ l, i }))
                .filter(({ l }) => /(^|[\s`(])(\.\.\/)?shared\/|\/work\/|\/root\//.test(l))
                .map(({ l, i }) => `${f}:${i + 1}: ${l.trim()}`),
        );
        assert.deepStrictEqual(outside, []);
    });
});

describe("documentation: the README is a door", () => {
    const readme = readDoc("README.md");

    it("at most 200 lines", () => {
        const lines = readme.split("\n").length;
        assert.ok(lines <= 200, `README.md has ${lines} lines`);
    });
    it("links every page of docs/, CONTRIBUTING and the CHANGELOG", () => {
        const linked = new Set(linksOf("README.md").map((l) => l.href.split("#")[0]));
        const missing = userDocs().filter((f) => f !== "README.md" && !linked.has(f));
        assert.deepStrictEqual(missing, [], "pages the README does not link");
    });
    it("no example writes into the committed reference lab (Pulumi.lab.yaml): no command names stack lab", () => {
        const offenders = userDocs().flatMap((f) =>
            readDoc(f)
                .split("\n")
                .filter((l) => /\.\/scripts\/pulumi\.sh config (set|rm)\b.*--stack lab(\s|$)/.test(l))
                .map((l) => `${f}: ${l.trim()}`),
        );
        assert.deepStrictEqual(offenders, []);
    });
});
