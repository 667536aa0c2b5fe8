/**
 * What npm run fleet's two argument parsers share (fleet.ts's operations, operator.ts's
 * render-operator): the flags read one by one, the labs selected, and the usage error that names
 * the option, the value and what is accepted.
 */

/** A usage error: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {}

/**
 * The flags of `argv`: each of `valued` takes the next word as its value (the last one given wins),
 * each of `switches` stands alone. Anything else is a usage error.
 */
export function readFlags(
    argv: readonly string[],
    valued: readonly string[],
    switches: readonly string[],
): { values: Record<string, string>; on: Set<string> } {
    const values: Record<string, string> = {};
    const on = new Set<string>();
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        if (switches.includes(flag)) on.add(flag);
        else if (valued.includes(flag)) {
            const value = argv[++i];
            if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
            values[flag] = value;
        } else throw new UsageError(`unknown option ${JSON.stringify(flag)}`);
    }
    return { values, on };
}

/** A comma-separated list, its items trimmed, empty ones dropped. */
export function listValue(v: string): string[] {
    return v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
}

/** The labs `--stacks a,b` names, or undefined for `--all`; exactly one of the two. */
export function labSelection(stacks: string | undefined, all: boolean): string[] | undefined {
    if (all === (stacks !== undefined))
        throw new UsageError("name the labs with --stacks a,b, or take them all with --all");
    if (stacks === undefined) return undefined;
    const names = listValue(stacks);
    if (names.length === 0) throw new UsageError("--stacks names no stack");
    return names;
}
