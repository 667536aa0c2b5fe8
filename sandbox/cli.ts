/**
 * The sandbox's real-node helpers, for scripts/sandbox.sh (`npm run sandbox -- --node`):
 *
 *   node -r ts-node/register/transpile-only sandbox/cli.ts image <dir> [<vpp prefix>]
 *       assembles the lab's image root filesystem in <dir> (sandbox/image.ts) with the vpp binary's
 *       file capabilities NET_ADMIN, NET_RAW and IPC_LOCK; prints the root filesystem's path
 *   node -r ts-node/register/transpile-only sandbox/cli.ts client <node netns> <client netns> <trunk> <vlan> <server cidr> <dir>
 *       the lab's VLAN: <trunk> in the node's namespace, a tagged client behind it (sandbox/vlan.ts)
 *       on the first host address of the server's subnet that is not the server's; prints that address
 */
import * as ipaddr from "ipaddr.js";
import { assembleImage } from "./image";
import { vlanClient } from "./vlan";

/** The client's address: the first host address of the server's subnet that is not the server's. */
export function clientCidr(serverCidr: string): string {
    const [addr, prefix] = ipaddr.IPv4.parseCIDR(serverCidr);
    const net = ipaddr.IPv4.networkAddressFromCIDR(serverCidr).toByteArray();
    const n = ((net[0] << 24) | (net[1] << 16) | (net[2] << 8) | net[3]) >>> 0;
    const server = addr.toString();
    for (const offset of [1, 2]) {
        const v = n + offset;
        const ip = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
        if (ip !== server) return `${ip}/${prefix}`;
    }
    throw new Error(`no client address in ${serverCidr}`);
}

/** The capabilities the assembled image's vpp carries: the three VPP needs on AF_PACKET. */
export const SANDBOX_IMAGE_CAPABILITIES = ["NET_ADMIN", "NET_RAW", "IPC_LOCK"];

function main(argv: string[]): void {
    const [cmd, ...args] = argv;
    if (cmd === "image" && (args.length === 1 || args.length === 2)) {
        console.log(assembleImage(args[0], args[1], args[1] ? SANDBOX_IMAGE_CAPABILITIES : []));
        return;
    }
    if (cmd === "client" && args.length === 6) {
        const [nodeNetns, client, trunk, vlan, server, dir] = args;
        const cidr = clientCidr(server);
        vlanClient(nodeNetns, client, trunk, Number(vlan), cidr, dir);
        console.log(cidr);
        return;
    }
    throw new Error(
        `usage: sandbox/cli.ts image <dir> [<vpp prefix>] | client <node netns> <client netns> <trunk> <vlan> <server cidr> <dir> (got: ${argv.join(" ")})`,
    );
}

if (require.main === module) {
    try {
        main(process.argv.slice(2));
    } catch (e) {
        console.error(`sandbox: error: ${(e as Error).message}`);
        process.exit(1);
    }
}
