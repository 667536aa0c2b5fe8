/**
 * The sandbox's real-node helpers that need no node: the client's address on the lab's VLAN, and
 * scripts/sandbox.sh's refusals of arguments it does not take (before anything is built or started).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { clientCidr } from "../../sandbox/cli";

const ROOT = path.join(__dirname, "..", "..");
const sandbox = (...args: string[]) =>
    spawnSync("bash", [path.join(ROOT, "scripts", "sandbox.sh"), ...args], { encoding: "utf8" });

describe("sandbox: the client on the VLAN", () => {
    it("takes the first host address of the server's subnet", () => {
        assert.strictEqual(clientCidr("192.168.123.150/24"), "192.168.123.1/24");
        assert.strictEqual(clientCidr("10.20.30.40/16"), "10.20.0.1/16");
    });
    it("takes the second when the first is the server's", () => {
        assert.strictEqual(clientCidr("192.168.123.1/24"), "192.168.123.2/24");
        assert.strictEqual(clientCidr("10.0.0.1/30"), "10.0.0.2/30");
    });
});

describe("sandbox: its arguments", () => {
    it("refuses an unknown argument, naming it and what it takes", () => {
        const r = sandbox("--nodes");
        assert.strictEqual(r.status, 1);
        assert.strictEqual(
            r.stderr,
            "sandbox: error: unknown argument '--nodes'; expected up, status or down, and --node\n",
        );
    });
    it("refuses --node with down or status: they find the node by themselves", () => {
        for (const cmd of ["down", "status"]) {
            const r = sandbox(cmd, "--node");
            assert.strictEqual(r.status, 1, cmd);
            assert.strictEqual(
                r.stderr,
                "sandbox: error: --node goes with up (status and down find the node by themselves)\n",
            );
        }
    });
});
