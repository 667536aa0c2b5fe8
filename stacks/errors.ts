/**
 * What the program throws reaches Pulumi in a form Node can print.
 *
 * Pulumi's Node.js runtime prints every error the program throws with `util.inspect(err, { colors:
 * true })`. In Node up to 22.23.3 and 24.18 that call never ends on a stack frame whose path ends
 * right after a `node_modules` folder, or after a scoped one (`node_modules/@pulumi/resource.ts:1:1`):
 * it adds colour codes to the same line until the heap is gone (nodejs/node#64011, fixed by #64022).
 * source-map-support, which Pulumi registers, maps @pulumi/pulumi's own frames to exactly such
 * paths, so every refused run (a bad setting, another stack's object, another cluster) took about a
 * minute and 3.4 GB of memory before it said why, measured here, and would die of it where memory
 * is short.
 */
import * as pulumi from "@pulumi/pulumi";

/** A frame Node cannot colour: nothing but a file name after `node_modules/` or `node_modules/@scope/`. */
const UNPRINTABLE_FRAME = /node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]*$/;

/**
 * The error as Pulumi should get it: a RunError (all Pulumi shows of it is its message) with no
 * frames; any other Error without the frames Node cannot print (the SDK's, mapped to paths that do
 * not exist; the program's own stay); anything else as it is.
 */
export function printable(e: unknown): unknown {
    if (!(e instanceof Error)) return e;
    const frames: string | undefined = e.stack;
    // A RunError is structurally an Error, so the guard is not used to narrow.
    const runError: boolean = pulumi.RunError.isInstance(e as unknown);
    const stack = runError
        ? `${e.name}: ${e.message}`
        : frames
              ?.split("\n")
              .filter((line) => !UNPRINTABLE_FRAME.test(line))
              .join("\n");
    if (stack !== undefined) Object.defineProperty(e, "stack", { value: stack, writable: true, configurable: true });
    return e;
}
