/**
 * The documentation's Pulumi commands act on the stack they name: in every shell block of the
 * README, docs/, CONTRIBUTING and the CHANGELOG, each
 * `./scripts/pulumi.sh` command that reads or changes a stack names it (`--stack <name>`, or the
 * stack commands' own argument), `destroy` runs the program (its delete hook), and `stack rm`
 * keeps the committed Pulumi.<stack>.yaml.
 */
import * as assert from "assert";
import { fencedBlocks, readDoc, userDocs } from "../fixtures/docs";

const docs = userDocs().map((f) => ({ file: f, text: readDoc(f) }));

/** Every `./scripts/pulumi.sh ...` command of the docs' sh blocks, comments cut, `$(...)` included. */
function pulumiCommands(): string[] {
    const out: string[] = [];
    for (const block of docs.flatMap((d) => fencedBlocks(d.text, "sh"))) {
        for (const line of block.split("\n")) {
            const code = line.replace(/\s+#.*$/, "");
            for (const m of code.matchAll(/\.\/scripts\/pulumi\.sh ([^&|;)"]*)/g)) out.push(m[1].trim());
        }
    }
    return out;
}

/** The stack a command names, or undefined. */
function stackNamed(args: string[]): string | undefined {
    const flag = args.indexOf("--stack");
    if (flag >= 0) return args[flag + 1];
    // `stack init|select|rm` take the stack as their argument.
    if (args[0] === "stack" && ["init", "select", "rm"].includes(args[1])) {
        return args.slice(2).find((a) => !a.startsWith("--"));
    }
    return undefined;
}

/** Commands that do not act on a stack. */
const STACKLESS = ["login", "logout", "whoami", "version", "plugin", "about"];

describe("documentation: every Pulumi command names its stack", () => {
    const commands = pulumiCommands();

    it("finds the deploy, undeploy, render and hand-edit commands", () => {
        assert.ok(commands.length >= 20, commands.join("\n"));
        assert.ok(commands.includes("destroy --run-program --stack mylab"), commands.join("\n"));
        assert.ok(commands.includes("stack rm --preserve-config --stack mylab"), commands.join("\n"));
    });

    it("each command that acts on a stack names it", () => {
        const unnamed = commands.filter((c) => {
            const args = c.split(/\s+/);
            return !STACKLESS.includes(args[0]) && stackNamed(args) === undefined;
        });
        assert.deepStrictEqual(unnamed, []);
    });

    it("destroy runs the program; stack rm keeps the stack's file", () => {
        for (const c of commands) {
            if (c.startsWith("destroy")) assert.match(c, /--run-program/, c);
            if (c.startsWith("stack rm")) assert.match(c, /--preserve-config/, c);
        }
    });

    it("the check finds an unnamed command", () => {
        assert.strictEqual(stackNamed("config set renderDir rendered".split(" ")), undefined);
        assert.strictEqual(stackNamed("up --yes".split(" ")), undefined);
        assert.strictEqual(stackNamed("stack rm --preserve-config lab".split(" ")), "lab");
    });
});
