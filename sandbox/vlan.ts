/**
 * The lab's VLAN where the kernel has no VLAN module (this project's machines): a tc eBPF program
 * (vlan-tagger.bpf.c) on a client's link tags what it sends with the VLAN's 802.1Q header and
 * strips it from what it receives, as a switch's access port does. The data-plane tier's clients,
 * the node tier's and the sandbox's all go through it.
 */
import { spawnSync } from "child_process";
import * as path from "path";

function run(cmd: string, args: string[]): string {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${(r.stderr ?? "").trim()}`);
    }
    return r.stdout;
}

/** The tagger compiled by clang for `vlanId` into `dir`; returns the object's path. */
export function compileVlanTagger(dir: string, vlanId: number): string {
    const out = path.join(dir, `vlan-tagger-${vlanId}.o`);
    run("clang", [
        "-O2",
        "-target",
        "bpf",
        `-DVLAN_ID=${vlanId}`,
        "-I/usr/include/x86_64-linux-gnu",
        "-c",
        path.join(__dirname, "vlan-tagger.bpf.c"),
        "-o",
        out,
    ]);
    return out;
}

/** Tags what `dev` (in `netns`) sends and untags what it receives, as a VLAN interface would. */
export function attachVlanTagger(netns: string, dev: string, obj: string): void {
    const tc = (...args: string[]) => run("ip", ["netns", "exec", netns, "tc", ...args]);
    tc("qdisc", "add", "dev", dev, "clsact");
    for (const [hook, section] of [
        ["egress", "tc/tag"],
        ["ingress", "tc/untag"],
    ]) {
        tc("filter", "add", "dev", dev, hook, "bpf", "da", "obj", obj, "sec", section);
    }
}

/**
 * A client on the VLAN: `trunk` made in the node's namespace `nodeNetns` (the lab's macvlanMaster),
 * its peer eth0 in the namespace `client` with `clientCidr`, tagged with `vlanId`. Returns an undo.
 */
export function vlanClient(
    nodeNetns: string,
    client: string,
    trunk: string,
    vlanId: number,
    clientCidr: string,
    workdir: string,
): () => void {
    run("ip", ["netns", "add", client]);
    const undo = () => void spawnSync("ip", ["netns", "del", client]);
    try {
        run("ip", ["-n", client, "link", "set", "lo", "up"]);
        run("ip", ["-n", nodeNetns, "link", "add", trunk, "type", "veth", "peer", "name", "eth0", "netns", client]);
        run("ip", ["-n", nodeNetns, "link", "set", trunk, "up"]);
        run("ip", ["-n", client, "addr", "add", clientCidr, "dev", "eth0"]);
        run("ip", ["-n", client, "link", "set", "eth0", "up"]);
        attachVlanTagger(client, "eth0", compileVlanTagger(workdir, vlanId));
    } catch (e) {
        undo();
        throw e;
    }
    return undo;
}
