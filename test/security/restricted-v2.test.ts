/**
 * This project's SCC against OpenShift's restricted-v2, the SCC every authenticated user gets:
 * it may differ only by its allowed capabilities, the pinned uid and a subset of the volume
 * types. Anything else would mean the project loosened something restricted-v2 holds.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { sccSpec } from "../../components/security";
import { POC_IMAGE_CAPABILITIES } from "../../stacks/schema";

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "restricted-v2.json"), "utf8"));

/**
 * What admission reads from an SCC's fields: no metadata, no fixture notes, null and absent
 * alike; and the values OpenShift gives a null its meaning with: `priority` 0 (its SCC ordering
 * reads null as 0) and `defaultAddCapabilities` [] (nothing added). The project writes those
 * explicitly because the CRD requires both fields and Pulumi does not send nulls.
 */
function fields(scc: Record<string, unknown>): Record<string, unknown> {
    const nullMeans: Record<string, unknown> = { priority: 0, defaultAddCapabilities: [] };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(scc)) {
        if (k === "metadata" || k.startsWith("_")) continue;
        if (v !== null && v !== undefined) out[k] = v;
        else if (k in nullMeans) out[k] = nullMeans[k];
    }
    return out;
}

/** The keys whose values differ between two SCCs. */
function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

describe("this project's SCC compared with OpenShift's restricted-v2", () => {
    const restricted = fields(fixture);

    it("the fixture names its source and is restricted-v2", () => {
        assert.match(
            fixture._source,
            /^openshift\/cluster-kube-apiserver-operator, bindata\/.*restricted-v2\.yaml, at commit [0-9a-f]{40}/,
        );
        assert.strictEqual(fixture.metadata.name, "restricted-v2");
    });

    for (const [label, caps] of [
        ["the POC image's four capabilities", [...POC_IMAGE_CAPABILITIES]],
        ["the Containerfile's three capabilities", ["NET_ADMIN", "NET_RAW", "IPC_LOCK"]],
    ] as const) {
        describe(`with ${label}`, () => {
            const ours = fields(sccSpec({ name: "vpp-server-lab", capabilities: caps, uid: 10000 }));

            it("writes priority 0 and defaultAddCapabilities [] where restricted-v2 has null (the CRD requires both)", () => {
                assert.strictEqual(fixture.priority, null);
                assert.strictEqual(fixture.defaultAddCapabilities, null);
                assert.strictEqual(ours.priority, 0);
                assert.deepStrictEqual(ours.defaultAddCapabilities, []);
            });
            it("differs only in allowedCapabilities, runAsUser and volumes", () => {
                assert.deepStrictEqual(differingKeys(ours, restricted), [
                    "allowedCapabilities",
                    "runAsUser",
                    "volumes",
                ]);
            });
            it("allowedCapabilities: the image's capabilities instead of NET_BIND_SERVICE", () => {
                assert.deepStrictEqual(restricted.allowedCapabilities, ["NET_BIND_SERVICE"]);
                assert.deepStrictEqual(ours.allowedCapabilities, caps);
            });
            it("runAsUser: one pinned uid instead of the namespace's range", () => {
                assert.deepStrictEqual(restricted.runAsUser, { type: "MustRunAsRange" });
                assert.deepStrictEqual(ours.runAsUser, { type: "MustRunAs", uid: 10000 });
            });
            it("volumes: a strict subset of restricted-v2's", () => {
                const mine = ours.volumes as string[];
                const theirs = restricted.volumes as string[];
                assert.deepStrictEqual(
                    mine.filter((v) => !theirs.includes(v)),
                    [],
                    "volume types restricted-v2 does not allow",
                );
                assert.ok(
                    mine.length < theirs.length,
                    `expected fewer volume types than restricted-v2's ${theirs.length}`,
                );
            });
            it("holds every restricted-v2 hardening: drop ALL, no escalation, seccomp runtime/default, SELinux MustRunAs", () => {
                for (const k of [
                    "requiredDropCapabilities",
                    "allowPrivilegeEscalation",
                    "seccompProfiles",
                    "seLinuxContext",
                    "fsGroup",
                    "allowPrivilegedContainer",
                    "allowHostNetwork",
                    "allowHostDirVolumePlugin",
                ]) {
                    assert.deepStrictEqual(ours[k], restricted[k], k);
                }
            });
        });
    }
});
