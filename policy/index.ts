/**
 * vpp-server-least-privilege: the policy pack that keeps the POC's "fully rootless and with
 * minimum capabilities" claim true on every change. Every rule is mandatory.
 *
 *   pulumi preview --policy-pack policy
 */
import { PolicyPack } from "@pulumi/policy";
import { RULES } from "./rules";

new PolicyPack("vpp-server-least-privilege", {
    enforcementLevel: "mandatory",
    policies: RULES.map((rule) => ({
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
            const resources = args.resources.map((r) => ({ type: r.type, name: r.name, props: r.props }));
            for (const violation of rule.check(resources)) {
                reportViolation(violation);
            }
        },
    })),
});
