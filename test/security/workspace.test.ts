/**
 * The Pulumi Kubernetes Operator's workspace pod under OpenShift's restricted-v2, judged by
 * OpenShift's own SCC admission code (test/security/sccoracle): as the operator builds it with its
 * default `restricted` profile (uid and gid 1000), and with render-operator's template merged
 * (baseline, no uid, the restricted settings added back). The operator's pod is written here as
 * its 2.x source builds it (operator/internal/controller/auto/workspace_controller.go: the
 * `bootstrap` and `fetch` init containers on the operator's image, the `pulumi` container on the
 * workspace image, a `share` emptyDir; the profiles in operator/internal/webhook/auto/v1alpha1).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { workspaceTemplate } from "../../fleet/operator";
import { OracleResult, runOracle } from "./sccoracle";

const HERE = __dirname;
const restrictedV2 = JSON.parse(fs.readFileSync(path.join(HERE, "fixtures", "restricted-v2.json"), "utf8"));
const OPERATOR_IMAGE = "pulumi/pulumi-kubernetes-operator:v2.3.0";
const WORKSPACE_IMAGE = "registry.example.com/lab/vpp-server-workspace:0.1.0";

type Obj = Record<string, any>;

/** The operator's workspace pod for a security profile, before any podTemplate. */
function operatorPod(profile: "restricted" | "baseline"): Obj {
    const hardened =
        profile === "restricted"
            ? { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } }
            : undefined;
    const share = [{ name: "share", mountPath: "/share" }];
    const container = (name: string, image: string, command: string[]) => ({
        name,
        image,
        command,
        volumeMounts: share,
        ...(hardened ? { securityContext: hardened } : {}),
    });
    return {
        metadata: { labels: { "auto.pulumi.com/workspace-name": "op2" } },
        spec: {
            serviceAccountName: "op2",
            securityContext: {
                seccompProfile: { type: "RuntimeDefault" },
                ...(profile === "restricted" ? { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 } : {}),
            },
            initContainers: [
                container("bootstrap", OPERATOR_IMAGE, ["cp", "/agent", "/tini", "/share/"]),
                container("fetch", OPERATOR_IMAGE, ["sh", "-c", "/share/agent init -t /share/source"]),
            ],
            containers: [container("pulumi", WORKSPACE_IMAGE, ["/share/tini", "/share/agent", "--", "serve"])],
            volumes: [{ name: "share", emptyDir: {} }],
        },
    };
}

/** A strategic merge of a pod spec patch: maps merged, containers by name, volumes by name, mounts by path. */
function merge(base: Obj, patch: Obj): Obj {
    const byKey =
        (key: string) =>
        (a: Obj[] = [], b: Obj[] = []) => {
            const out = a.map((x) => ({ ...x }));
            for (const p of b) {
                const i = out.findIndex((x) => x[key] === p[key]);
                if (i >= 0) out[i] = merge(out[i], p);
                else out.push(p);
            }
            return out;
        };
    const lists: Record<string, (a?: Obj[], b?: Obj[]) => Obj[]> = {
        containers: byKey("name"),
        initContainers: byKey("name"),
        volumes: byKey("name"),
        volumeMounts: byKey("mountPath"),
    };
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(patch)) {
        if (lists[k]) out[k] = lists[k](base[k], v);
        else if (v && typeof v === "object" && !Array.isArray(v) && base[k] && typeof base[k] === "object")
            out[k] = merge(base[k], v);
        else out[k] = v;
    }
    return out;
}

describe("the operator's workspace pod under OpenShift's restricted-v2 (sccmatching)", function () {
    this.timeout(15 * 60 * 1000);
    let results: OracleResult[];

    before(() => {
        const template = workspaceTemplate(WORKSPACE_IMAGE, "op2-kubeconfig").spec as Obj;
        assert.strictEqual(template.securityProfile, "baseline");
        const rendered = merge(operatorPod("baseline"), { spec: template.podTemplate.spec });
        const restricted = { ...restrictedV2 };
        for (const k of Object.keys(restricted)) if (k.startsWith("_")) delete restricted[k];
        const cases = {
            // A namespace as OpenShift makes it: its uid range, MCS level and groups.
            namespace: {
                name: "vpp-server-fleet",
                annotations: {
                    "openshift.io/sa.scc.uid-range": "1000680000/10000",
                    "openshift.io/sa.scc.supplemental-groups": "1000680000/10000",
                    "openshift.io/sa.scc.mcs": "s0:c26,c5",
                },
            },
            sccs: [restricted],
            cases: [
                { name: "operator's restricted profile", pod: operatorPod("restricted") },
                { name: "render-operator's template", pod: rendered },
            ].map((c) => ({ ...c, serviceAccount: "op2" })),
        };
        results = runOracle(cases).results;
    });

    const verdict = (c: string) => {
        const r = results.find((x) => x.case === c && x.scc === "restricted-v2");
        assert.ok(r, `no result for ${c}`);
        return r;
    };

    it("refuses the operator's default: uid 1000 is outside the namespace's range", () => {
        const r = verdict("operator's restricted profile");
        assert.strictEqual(r.verdict, "refused");
        assert.ok(
            r.reasons?.some((x) =>
                /runAsUser: Invalid value: 1000: must be in the ranges: \[1000680000, 1000689999\]/.test(x),
            ),
            JSON.stringify(r.reasons),
        );
    });
    it("admits the pod with render-operator's template: no SCC beyond restricted-v2 is needed", () => {
        const r = verdict("render-operator's template");
        assert.strictEqual(r.verdict, "admitted", JSON.stringify(r.reasons));
    });
});
