/**
 * What each stack file a change touches does on a cluster, from the base's and the working tree's
 * contents: objects updated or replaced (a changed file), created by a first deployment (an added
 * file, or a renamed one, which is a new stack), and objects left deployed (a removed file, the
 * old name of a renamed one): deleting or renaming a file destroys nothing. Rendering is passed
 * in (render.ts in the review, anything in a test); an invalid side is said, any other error is
 * kept and fails the review.
 */
import { CONFIG_HASH_ANNOTATION } from "../components/server";
import { sccClusterRoleName, sccName } from "../components/names";
import { parseStackConfig, StackConfig, StackConfigError } from "../stacks/config";
import { diffObjects, ObjectChange, podRestarts } from "./diff";
import { RenderedObject } from "./render";
import { readStackFile, stackOfFile, StackFileError } from "./review";

/** Text with code spans: a string is prose, `{ code }` a name, a command or a value. */
export type Text = readonly (string | { readonly code: string })[];
const code = (c: string) => ({ code: c });

/** One line of a stack file's review: an object's change, or a note (with names under it, or a block of text). */
export type Entry =
    | { readonly change: ObjectChange }
    | { readonly note: Text; readonly items?: readonly string[]; readonly detail?: string };

export interface StackReview {
    /** The working tree's file, or the base's when it is removed. */
    readonly file: string;
    /** added: a new file; removed: gone; renamed: a new file git pairs with a removed one; changed: differs. */
    readonly status: "added" | "removed" | "renamed" | "changed";
    /** renamed: the base's file it was. */
    readonly from?: string;
    readonly entries: readonly Entry[];
    /** A stack whose file is gone while its objects stay: the review fails unless it is acknowledged. */
    readonly removedStack?: { readonly stack: string; readonly acknowledged: boolean };
    /** An unexpected error while rendering or comparing: the review fails. */
    readonly error?: { readonly message: string; readonly detail: string };
}

/** A stack file's objects: throws StackFileError or StackConfigError when it is invalid. */
export type Render = (file: string, text: string) => Promise<readonly RenderedObject[]>;

export interface ChangeSet {
    /** The base's stack files: file -> content. */
    readonly before: ReadonlyMap<string, string>;
    /** The working tree's stack files. */
    readonly after: ReadonlyMap<string, string>;
    /** New file -> the base's file it was renamed from (git's rename detection). */
    readonly renames: ReadonlyMap<string, string>;
    /** The stacks whose removal the reviewer acknowledged (`--allow-removed <stack>`). */
    readonly allowRemoved: ReadonlySet<string>;
}

const isInvalid = (e: unknown): e is Error => e instanceof StackConfigError || e instanceof StackFileError;
const destroyCommand = (stack: string) => code(`pulumi destroy --run-program --stack ${stack}`);

/** What the first `pulumi up` of a new stack does, in the reviewer's words. */
export function firstDeployment(c: StackConfig, objects: number): Entry {
    const mac =
        c.macAddress.kind === "random"
            ? "a MAC generated then and kept in the stack's state"
            : c.macAddress.kind === "kernel"
              ? "a MAC the kernel picks at every pod start"
              : `the pinned MAC ${c.macAddress.mac}`;
    return {
        note: [
            `first deployment: creates these ${objects} objects (a namespace that exists and no stack made is used, never owned or deleted), then the pod starts: VPP holds `,
            code(c.ipAddress.cidr),
            ` on VLAN ${c.vlanId} over macvlan0 on `,
            code(c.macvlanMaster),
            `, with ${mac}`,
        ],
    };
}

function removal(stack: string, allowRemoved: ReadonlySet<string>): Entry {
    return allowRemoved.has(stack)
        ? { note: ["acknowledged with ", code(`--allow-removed ${stack}`)] }
        : {
              note: [
                  "not acknowledged: this fails the review; once the stack is destroyed, or kept on purpose, run it with ",
                  code(`--allow-removed ${stack}`),
              ],
          };
}

async function reviewFile(file: string, set: ChangeSet, render: Render): Promise<StackReview> {
    const from = set.renames.get(file);
    const a = set.before.get(file);
    const b = set.after.get(file);
    const stack = stackOfFile(file)!;
    const status = from !== undefined ? "renamed" : a === undefined ? "added" : b === undefined ? "removed" : "changed";
    const entries: Entry[] = [];
    const review = (extra: Partial<StackReview> = {}): StackReview => ({ file, status, from, entries, ...extra });
    const oldStack = from !== undefined ? stackOfFile(from)! : stack;
    const removedStack =
        status === "removed" || status === "renamed"
            ? { stack: oldStack, acknowledged: set.allowRemoved.has(oldStack) }
            : undefined;
    try {
        if (status === "removed") {
            const note: Text = ["stack file removed; its objects stay until ", destroyCommand(stack)];
            try {
                const objects = await render(file, a!);
                entries.push({ note: [...note, ":"], items: objects.map((o) => o.name) });
            } catch (e) {
                if (!isInvalid(e)) throw e;
                entries.push({
                    note: [...note, " (the base's file is invalid, so they cannot be listed):"],
                    detail: e.message,
                });
            }
            entries.push(removal(stack, set.allowRemoved));
            return review({ removedStack });
        }
        if (status === "renamed") {
            // The new stack's SCC is named by its stack and namespace: named when the file is valid.
            let scc: string | undefined;
            try {
                scc = sccName(stack, parseStackConfig(readStackFile(file, b!).raw).namespace);
            } catch (e) {
                if (!isInvalid(e)) throw e;
            }
            const names: Text = scc ? [" (SCC ", code(scc), ", ClusterRole ", code(sccClusterRoleName(scc)), ")"] : [];
            entries.push({
                note: [
                    "renamed from ",
                    code(from!),
                    `: a new stack, ${stack}, whose first deployment creates new objects`,
                    ...names,
                    `; the stack ${oldStack} and its objects stay until `,
                    destroyCommand(oldStack),
                ],
            });
        }
        let after: readonly RenderedObject[];
        try {
            after = await render(file, b!);
        } catch (e) {
            if (!isInvalid(e)) throw e;
            entries.push({ note: ["no object changes shown: this file is invalid (see Validation)"] });
            if (status === "renamed") entries.push(removal(oldStack, set.allowRemoved));
            return review({ removedStack });
        }
        if (status === "added" || status === "renamed") {
            entries.push(...diffObjects([], after).map((change) => ({ change })));
            entries.push(firstDeployment(parseStackConfig(readStackFile(file, b!).raw), after.length));
            if (status === "renamed") entries.push(removal(oldStack, set.allowRemoved));
            return review({ removedStack });
        }
        let before: readonly RenderedObject[];
        try {
            before = await render(file, a!);
        } catch (e) {
            if (!isInvalid(e)) throw e;
            entries.push({ note: ["no object changes shown: the base's file is invalid:"], detail: e.message });
            return review();
        }
        const changes = diffObjects(before, after);
        entries.push(...changes.map((change) => ({ change })));
        if (changes.length === 0) entries.push({ note: ["no object changes"] });
        else if (podRestarts(changes)) {
            entries.push({
                note: [
                    "the pod restarts: its template changes (",
                    code(CONFIG_HASH_ANNOTATION),
                    " names the configuration)",
                ],
            });
        } else entries.push({ note: ["the pod does not restart"] });
        return review();
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const detail = e instanceof Error && e.stack ? e.stack : message;
        return review({ removedStack, error: { message, detail } });
    }
}

/**
 * The review of every stack file that differs between the base and the working tree, in file
 * order; a renamed file is reviewed once, under its new name.
 */
export async function reviewChanges(set: ChangeSet, render: Render): Promise<StackReview[]> {
    const renamedAway = new Set(set.renames.values());
    const files = [...new Set([...set.before.keys(), ...set.after.keys()])]
        .sort()
        .filter((f) => set.before.get(f) !== set.after.get(f) && !renamedAway.has(f));
    // Every file's renders at once: they wait on the mocks, not on each other.
    return Promise.all(files.map((f) => reviewFile(f, set, render)));
}

/** The stacks the change leaves deployed without a file: removed, or renamed away. */
export function removedFiles(set: ChangeSet): string[] {
    return [...set.before.keys()].filter((f) => !set.after.has(f)).sort();
}
