// Lint: typed rules that catch what Pulumi programs get wrong (an Output in a template string,
// a floating promise) and the usual strictness (eqeqeq, prefer-const, no explicit any in the
// program). Formatting is prettier's job (npm run format).
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", ".sandbox/**", "test/security/sccoracle/**", "eslint.config.mjs"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            eqeqeq: "error",
            "prefer-const": "error",
        },
    },
    {
        // Tests and fixtures read untyped Kubernetes objects and mocks' inputs.
        files: ["test/**/*.ts", "bench/**/*.ts", "policy/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
