/**
 * A stack's instance: the mark on its objects and the name of its cluster-scoped ones, from its
 * stack name and namespace (components/names.ts).
 */
import * as assert from "assert";
import { DEFAULT_NAMESPACE, instanceName, sccClusterRoleName } from "../../components/names";
import { KEYS } from "../../stacks/schema";

/** A DNS-1123 subdomain (an SCC's name) that is also a label value (63 characters at most). */
const SUBDOMAIN_AND_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe("names: a stack's instance", () => {
    it("the default namespace is Pulumi.yaml's", () => assert.strictEqual(DEFAULT_NAMESPACE, KEYS.namespace.default));
    it("in the default namespace: vpp-server-<stack>, as stacks deployed before namespaces counted", () =>
        assert.strictEqual(instanceName("lab", "vpp-server"), "vpp-server-lab"));
    it("in any other namespace: vpp-server-<stack>.<namespace>", () => {
        assert.strictEqual(instanceName("lab", "team-a"), "vpp-server-lab.team-a");
        assert.strictEqual(
            sccClusterRoleName(instanceName("lab", "team-a")),
            "system:openshift:scc:vpp-server-lab.team-a",
        );
    });
    it("no two (stack, namespace) pairs meet: the dot is in neither part", () => {
        assert.notStrictEqual(instanceName("lab", "x-y"), instanceName("lab-x", "y"));
        assert.notStrictEqual(instanceName("lab", "vpp-server-x"), instanceName("lab", "x"));
    });
    it("a long namespace is cut to the label's 63 characters, with a hash of it, still a valid name", () => {
        const long = `n${"a".repeat(61)}b`;
        const other = `n${"a".repeat(61)}c`;
        const stack = "s".repeat(40);
        const a = instanceName(stack, long);
        const b = instanceName(stack, other);
        assert.strictEqual(a.length, 63, a);
        assert.match(a, /^vpp-server-s{40}\.na-[0-9a-f]{8}$/);
        assert.notStrictEqual(a, b, "two long namespaces that differ only at the end");
        for (const name of [a, b, instanceName("Lab_A", long), instanceName("lab", long)]) {
            assert.ok(name.length <= 63, `${name}: ${name.length} characters`);
            assert.match(name, SUBDOMAIN_AND_LABEL);
        }
        assert.match(instanceName("lab", long), new RegExp(`^vpp-server-lab\\.n${"a".repeat(38)}-[0-9a-f]{8}$`));
    });
});
