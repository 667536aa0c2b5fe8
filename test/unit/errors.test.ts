/**
 * stacks/errors.ts: what the program throws reaches Pulumi in a form Node prints at once. The
 * frames below are the ones source-map-support gives @pulumi/pulumi's code in a refused run; on
 * Node 22.23.3 `util.inspect(err, { colors: true })` of an error holding one loops until the heap
 * is gone (nodejs/node#64011).
 */
import * as assert from "assert";
import * as util from "util";
import * as pulumi from "@pulumi/pulumi";
import { printable } from "../../stacks/errors";

const PROGRAM = "    at program (/home/me/vpp-server/index.ts:29:15)";
const SDK_MAPPED = [
    "    at Object.runProgram [as init] (/home/me/vpp-server/node_modules/@pulumi/cmd/run/run.ts:577:70)",
    "    at Stack.initializeAndRegisterOutputs (/home/me/vpp-server/node_modules/@pulumi/resource.ts:1598:22)",
];
const UNPRINTABLE = [
    "    at Stack.initializeAndRegisterOutputs (/home/me/vpp-server/node_modules/@pulumi/resource.ts:1598:22)",
    "    at f (/app/node_modules/foo.js:1:1)",
];
const PRINTABLE = [
    "    at Stack.initialize (/home/me/vpp-server/node_modules/@pulumi/pulumi/runtime/stack.js:78:28)",
    "    at g (/app/node_modules/foo/index.js:1:1)",
];

function withStack<T extends Error>(e: T, frames: readonly string[]): T {
    e.stack = [`${e.name}: ${e.message}`, ...frames].join("\n");
    return e;
}

describe("the program's errors, as Pulumi prints them", () => {
    it("a RunError keeps its message and no frame: Pulumi shows only the message", () => {
        const e = withStack(new pulumi.RunError('vpp-server:vlanId is "5000"'), [PROGRAM, ...SDK_MAPPED]);
        assert.strictEqual(printable(e), e);
        assert.strictEqual(e.stack, 'Error: vpp-server:vlanId is "5000"');
        assert.strictEqual(e.message, 'vpp-server:vlanId is "5000"');
        assert.ok(pulumi.RunError.isInstance(e), "still a RunError");
    });

    it("any other Error loses exactly the frames Node cannot colour, and keeps the program's", () => {
        const e = withStack(new TypeError("boom"), [PROGRAM, ...UNPRINTABLE, ...PRINTABLE]);
        printable(e);
        assert.strictEqual(e.stack, ["TypeError: boom", PROGRAM, ...PRINTABLE].join("\n"));
    });

    it("what it leaves, util.inspect with colours prints whole", () => {
        const e = withStack(new Error("boom"), [PROGRAM, ...UNPRINTABLE, ...PRINTABLE]);
        const text = util.inspect(printable(e), { colors: true });
        assert.ok(text.includes("boom"), text);
        assert.ok(text.includes("runtime/stack.js:78:28"), text);
    });

    it("anything thrown that is not an Error passes as it is", () => {
        assert.strictEqual(printable("text"), "text");
        assert.strictEqual(printable(undefined), undefined);
        const o = { code: 1 };
        assert.strictEqual(printable(o), o);
    });
});
