/**
 * Quantities in the API server's canonical form (apimachinery's CanonicalizeBytes): each row is
 * what a kube-apiserver stores for the value typed; the e2e suite reads them back from a real one.
 */
import * as assert from "assert";
import { canonicalQuantity } from "../../stacks/quantity";

const CASES: [string, string][] = [
    ["0.5", "500m"],
    ["1000m", "1"],
    ["1.5", "1500m"],
    ["0.1", "100m"],
    ["0.001", "1m"],
    ["0.0001", "100u"],
    ["1500", "1500"],
    ["2000", "2k"],
    ["1000k", "1M"],
    ["1000M", "1G"],
    ["2048Mi", "2Gi"],
    ["1024Mi", "1Gi"],
    ["0.5Gi", "512Mi"],
    ["1.5Gi", "1536Mi"],
    ["1796Mi", "1796Mi"],
    ["1000Mi", "1000Mi"],
    ["1Ki", "1Ki"],
    ["0.5Ki", "512"],
    ["512", "512"],
    ["0", "0"],
];

describe("quantities as the API server stores them", () => {
    for (const [typed, stored] of CASES) {
        it(`${typed} is stored as ${stored}`, () => {
            assert.strictEqual(canonicalQuantity(typed), stored);
        });
    }
    it("a canonical value is its own canonical form", () => {
        for (const [, stored] of CASES) assert.strictEqual(canonicalQuantity(stored), stored, stored);
    });
    it("a form the project does not accept is refused, named", () => {
        assert.throws(() => canonicalQuantity("1e3"), /^Error: not a Kubernetes quantity this project accepts: "1e3"$/);
    });
});
