/**
 * npm runs a dependency's install script only when package.json's allowScripts says so (npm
 * blocks undeclared ones, or warns today): every dependency that has one is declared.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));

describe("install scripts are declared (allowScripts)", () => {
    const withScripts = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)
        .filter(([, p]) => p.hasInstallScript)
        .map(([where]) => where.replace(/^.*node_modules\//, ""))
        .sort();

    it("the lockfile's packages with install scripts are exactly node, @pulumi/kubernetes and protobufjs", () => {
        assert.deepStrictEqual(withScripts, ["@pulumi/kubernetes", "node", "protobufjs"]);
    });
    it("every one of them has an allowScripts entry", () => {
        for (const name of withScripts) {
            assert.strictEqual(typeof pkg.allowScripts?.[name], "boolean", `package.json allowScripts lacks ${name}`);
        }
    });
    it("node's preinstall, which puts Node 22 in node_modules/.bin, is allowed", () => {
        assert.strictEqual(pkg.allowScripts.node, true);
    });
    it("@pulumi/kubernetes's plugin download and protobufjs's version-scheme check are not needed", () => {
        assert.deepStrictEqual([pkg.allowScripts["@pulumi/kubernetes"], pkg.allowScripts.protobufjs], [false, false]);
    });
});
