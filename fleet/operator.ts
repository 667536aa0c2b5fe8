/**
 * npm run fleet -- render-operator: for each lab, the Pulumi Kubernetes Operator's resources that
 * run the lab's stack inside its own cluster: a `Stack` (pulumi.com/v1), the ServiceAccount its
 * workspace pod runs as, the RBAC that lets that account manage exactly the lab's objects, and the
 * kubeconfig the program reads there (the lab's own cluster entry, the account's token). One folder
 * per cluster, so each is applied with `oc apply -f <folder>` by whoever administers that cluster.
 *
 * `operatorManifests` makes the objects from what `readLab` reads of each lab (its stack file, its
 * cluster as the program resolves it) and of its stack's outputs (cli.ts reads them through the
 * Automation API).
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { mergedKubeconfig, resolveConnection } from "../live/kubeconfig";
import { boundedName, DEFAULT_NAMESPACE, instanceName, sccClusterRoleName, stackInstance } from "../components/names";
import { git } from "../review/git";
import { stackFileValue } from "../review/review";
import { parseDns1123Label, parseDns1123Subdomain } from "../stacks/rules";
import { labSelection, listValue, readFlags, UsageError } from "./args";

/** The operator's limit on a Stack's name (its workspace's StatefulSet and pod names are made from it). */
export const STACK_NAME_LIMIT = 42;
/** Where the workspace pod finds the lab's kubeconfig. */
export const KUBECONFIG_DIR = "/var/run/vpp-server";
export const KUBECONFIG_PATH = `${KUBECONFIG_DIR}/kubeconfig`;
/** The service account token every pod of the account gets (projected, rotated by the kubelet). */
export const TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export interface OperatorOptions {
    /** The program's git repository, as the workspace clones it. */
    readonly repo: string;
    /** The commit the operator deploys: 40 hex digits, never a branch that moves under a review. */
    readonly commit: string;
    /** The project's folder in the repository, when it is not the root. */
    readonly repoDir?: string;
    /** Where the stacks' state is: s3://…, azblob://…, gs://…, file://… */
    readonly backend: string;
    /** The namespace of the Stack resources and their workspace pods, on every cluster. */
    readonly namespace: string;
    /** The workspace image: Node.js, Pulumi, its plugins and an offline npm cache (Containerfile.workspace). */
    readonly workspaceImage: string;
    readonly resyncSeconds: number;
    /** remediate: every resync runs refresh and up, so a hand edit is put back; off: only a new commit runs. */
    readonly drift: "remediate" | "off";
    readonly destroyOnFinalize: boolean;
    /** The Secret in `namespace` whose keys become the workspace's environment (the passphrase, cloud credentials). */
    readonly secretName: string;
    readonly secretKeys: readonly string[];
}

export const OPERATOR_DEFAULTS = {
    namespace: "vpp-server-fleet",
    resyncSeconds: 600,
    drift: "remediate",
    secretName: "vpp-server-fleet",
    secretKeys: ["PULUMI_CONFIG_PASSPHRASE"],
} as const;

/** What render-operator knows of one lab. */
export interface OperatorLab {
    readonly stack: string;
    /** The lab's settings as Pulumi holds them: JSON strings for lists and maps. */
    readonly config: Readonly<
        Record<string, { readonly value: string; readonly secret: boolean; readonly structured?: boolean }>
    >;
    /** The instance of a deployed stack (its `instance` output); a new stack's is computed. */
    readonly instance?: string;
    /** The lab's context, and its kubeconfig merged (kubectl's order), as the program resolves them. */
    readonly context: string;
    readonly server: string;
    /** The context's cluster entry, file references made data. */
    readonly cluster: Readonly<Record<string, unknown>>;
}

export interface RenderedFile {
    /** `<cluster folder>/<file>`. */
    readonly path: string;
    readonly objects: readonly Record<string, unknown>[];
}

/** A lab's Stack (and its account's) name: the lab's, within the operator's limit (components/names.ts). */
export function stackObjectName(lab: string): string {
    return boundedName(lab, STACK_NAME_LIMIT);
}

/** A cluster's folder: its server's host and port, as a file name. */
export function clusterFolder(server: string): string {
    const u = new URL(server);
    return `${u.hostname}-${u.port || (u.protocol === "http:" ? "80" : "443")}`.replace(/[^A-Za-z0-9.-]/g, "-");
}

/** The lab's namespace, as the program takes it: its setting, else Pulumi.yaml's default. */
export function labNamespace(lab: OperatorLab): string {
    return lab.config["vpp-server:namespace"]?.value || DEFAULT_NAMESPACE;
}

/**
 * Settings the operator sets in the workspace (`pulumi config set`, strings): the lab's own, but
 * the cluster's are the pod's. Secrets, lists and maps are not set here: the workspace reads them
 * from the repository's Pulumi.<stack>.yaml at the pinned commit (secrets stay encrypted there, and
 * a list set as a string would fail Pulumi.yaml's type check).
 */
export function inlineConfig(lab: OperatorLab): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(lab.config).sort(([a], [b]) => a.localeCompare(b))) {
        // Secrets stay encrypted in the repository's Pulumi.<stack>.yaml; the passphrase or KMS
        // credentials reach the workspace through envRefs.
        if (v.secret || v.structured) continue;
        if (k === "kubernetes:kubeconfig" || k === "kubernetes:context") continue;
        out[k] = v.value;
    }
    out["kubernetes:kubeconfig"] = KUBECONFIG_PATH;
    out["kubernetes:context"] = lab.context;
    return out;
}

/**
 * The kubeconfig of the workspace pod: the lab's own cluster entry (same server, same certificate
 * authority, so the program and the provider see the cluster the stack has always deployed to), and
 * the pod's service account token, which the kubelet rotates in the file.
 */
export function workspaceKubeconfig(lab: OperatorLab, user: string): string {
    const cluster = Object.fromEntries(Object.entries(lab.cluster).filter(([k]) => k !== "proxy-url"));
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: lab.context, cluster }],
        users: [{ name: user, user: { tokenFile: TOKEN_FILE } }],
        contexts: [{ name: lab.context, context: { cluster: lab.context, user } }],
        "current-context": lab.context,
    });
}

const ALL = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ = ["get", "list", "watch"];

/**
 * The rights of one lab's account, in the lab's namespace: the kinds the program declares, and
 * what the provider reads while it waits for them (a Deployment's replica sets, pods and claims,
 * a Service's endpoints, their events).
 */
export function namespacedRules(): Record<string, unknown>[] {
    return [
        { apiGroups: [""], resources: ["configmaps", "serviceaccounts", "services"], verbs: ALL },
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ALL },
        { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ALL },
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ALL },
        { apiGroups: ["k8s.cni.cncf.io"], resources: ["network-attachment-definitions"], verbs: ALL },
        { apiGroups: ["monitoring.coreos.com"], resources: ["podmonitors"], verbs: ALL },
        { apiGroups: [""], resources: ["pods", "endpoints", "events", "persistentvolumeclaims"], verbs: READ },
        { apiGroups: ["apps"], resources: ["replicasets"], verbs: READ },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ },
    ];
}

/**
 * The cluster-scoped rights of one lab's account. Kubernetes cannot limit `create` by name, so the
 * account may create SecurityContextConstraints and ClusterRoles; changing and deleting are limited
 * to the lab's own (its instance), and `use` of the lab's SCC is what lets it grant that use, and no
 * other, to the lab's pod (RBAC refuses a role that grants more than its creator holds). `list` and
 * `watch` cover the whole kind, read-only: the provider waits for a deletion on an informer of the
 * kind (pulumi-kubernetes' DeletionSource), which a name cannot narrow; without them `destroy` hung
 * on the e2e API server after the objects were gone.
 */
export function clusterRules(instance: string, namespace: string): Record<string, unknown>[] {
    return [
        {
            apiGroups: ["security.openshift.io"],
            resources: ["securitycontextconstraints"],
            verbs: ["create", "list", "watch"],
        },
        {
            apiGroups: ["security.openshift.io"],
            resources: ["securitycontextconstraints"],
            resourceNames: [instance],
            verbs: ["get", "update", "patch", "delete", "use"],
        },
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["create", "list", "watch"] },
        {
            apiGroups: ["rbac.authorization.k8s.io"],
            resources: ["clusterroles"],
            resourceNames: [sccClusterRoleName(instance)],
            verbs: ["get", "update", "patch", "delete"],
        },
        { apiGroups: [""], resources: ["namespaces"], resourceNames: [namespace], verbs: ["get"] },
    ];
}

const HARDENED = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/**
 * The workspace pod, as a strategic-merge patch of the operator's. The operator's `restricted`
 * profile pins uid and gid 1000, which OpenShift's restricted-v2 SCC refuses (it admits only the
 * namespace's range); `baseline` pins no uid, so restricted-v2 admits the pod with the namespace's
 * uid, and this template adds back what `restricted` would have: non-root, no privilege escalation,
 * no capabilities, the runtime's seccomp profile. No SCC is granted to the workspace. The lab's
 * kubeconfig is mounted read-only.
 */
export function workspaceTemplate(image: string, kubeconfigMap: string): Record<string, unknown> {
    return {
        spec: {
            image,
            imagePullPolicy: "IfNotPresent",
            securityProfile: "baseline",
            podTemplate: {
                spec: {
                    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                    initContainers: [
                        { name: "bootstrap", securityContext: HARDENED },
                        { name: "fetch", securityContext: HARDENED },
                    ],
                    containers: [
                        {
                            name: "pulumi",
                            securityContext: HARDENED,
                            volumeMounts: [
                                { name: "vpp-server-kubeconfig", mountPath: KUBECONFIG_DIR, readOnly: true },
                            ],
                        },
                    ],
                    volumes: [{ name: "vpp-server-kubeconfig", configMap: { name: kubeconfigMap } }],
                },
            },
        },
    };
}

/** The objects of one lab on its cluster, and its Stack. */
export function labManifests(lab: OperatorLab, o: OperatorOptions): Record<string, unknown>[] {
    const name = stackObjectName(lab.stack);
    const ns = labNamespace(lab);
    const instance = lab.instance ?? instanceName(lab.stack, ns);
    const rbacName = `vpp-server-fleet:${o.namespace}:${name}`;
    const labels = {
        "app.kubernetes.io/name": "vpp-server",
        "app.kubernetes.io/managed-by": "pulumi-kubernetes-operator",
        "app.kubernetes.io/part-of": "vpp-server-fleet",
        "vpp-server/lab": name,
    };
    const account = { kind: "ServiceAccount", name, namespace: o.namespace };
    const kubeconfigMap = `${name}-kubeconfig`;
    const stack: Record<string, unknown> = {
        apiVersion: "pulumi.com/v1",
        kind: "Stack",
        metadata: { name, namespace: o.namespace, labels },
        spec: {
            stack: lab.stack,
            projectRepo: o.repo,
            commit: o.commit,
            ...(o.repoDir ? { repoDir: o.repoDir } : {}),
            backend: o.backend,
            envRefs: Object.fromEntries(
                o.secretKeys.map((k) => [k, { type: "Secret", secret: { name: o.secretName, key: k } }]),
            ),
            config: inlineConfig(lab),
            refresh: true,
            destroyOnFinalize: o.destroyOnFinalize,
            resyncFrequencySeconds: o.resyncSeconds,
            continueResyncOnCommitMatch: o.drift === "remediate",
            serviceAccountName: name,
            workspaceTemplate: workspaceTemplate(o.workspaceImage, kubeconfigMap),
        },
    };
    return [
        // The lab's namespace exists before its stack runs, so its Role can be bound there: the
        // stack then uses it and never deletes it.
        // Unlabelled: a lab's namespace that its stack made (and marked) before keeps being its.
        { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: o.namespace, labels } },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: kubeconfigMap, namespace: o.namespace, labels },
            data: { kubeconfig: workspaceKubeconfig(lab, `system:serviceaccount:${o.namespace}:${name}`) },
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: rbacName, namespace: ns, labels },
            rules: namespacedRules(),
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: rbacName, namespace: ns, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: rbacName },
            subjects: [account],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: rbacName, labels },
            rules: clusterRules(instance, ns),
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: rbacName, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: rbacName },
            subjects: [account],
        },
        // The workspace's agent checks who calls it (TokenReview, SubjectAccessReview): the
        // operator's documented minimum for a Stack's account.
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: `${rbacName}:auth-delegator`, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
            subjects: [account],
        },
        stack,
    ];
}

/** Every file render-operator writes: per cluster, its namespace and one file per lab. */
export function operatorManifests(labs: readonly OperatorLab[], o: OperatorOptions): RenderedFile[] {
    const problems: string[] = [];
    const byName = new Map<string, string>();
    for (const lab of labs) {
        const name = stackObjectName(lab.stack);
        const other = byName.get(`${lab.server} ${name}`);
        if (other) problems.push(`labs ${other} and ${lab.stack} would share the Stack name ${name} on ${lab.server}`);
        byName.set(`${lab.server} ${name}`, lab.stack);
    }
    const namespaces = new Map<string, string>();
    for (const lab of labs) {
        const key = `${lab.server} ${labNamespace(lab)}`;
        const other = namespaces.get(key);
        if (other) {
            problems.push(
                `labs ${other} and ${lab.stack} both use namespace ${labNamespace(lab)} on ${lab.server} (a namespace is one lab's)`,
            );
        }
        namespaces.set(key, lab.stack);
        if (labNamespace(lab) === o.namespace) {
            problems.push(
                `lab ${lab.stack}'s namespace is ${o.namespace}, the operator's namespace (--namespace): give one of them another`,
            );
        }
    }
    if (problems.length > 0) throw new Error(problems.join("; "));
    const files: RenderedFile[] = [];
    const clusters = [...new Set(labs.map((l) => l.server))].sort();
    for (const server of clusters) {
        const folder = clusterFolder(server);
        files.push({
            path: `${folder}/00-namespace.yaml`,
            objects: [
                {
                    apiVersion: "v1",
                    kind: "Namespace",
                    metadata: { name: o.namespace, labels: { "app.kubernetes.io/part-of": "vpp-server-fleet" } },
                },
            ],
        });
        for (const lab of labs.filter((l) => l.server === server).sort((a, b) => a.stack.localeCompare(b.stack))) {
            files.push({ path: `${folder}/${stackObjectName(lab.stack)}.yaml`, objects: labManifests(lab, o) });
        }
    }
    return files;
}

/** A file's YAML: its objects as documents. */
export function fileText(f: RenderedFile): string {
    return f.objects.map((o) => YAML.stringify(o, { lineWidth: 0 })).join("---\n");
}

/** render-operator's arguments. */
export interface RenderOptions extends OperatorOptions {
    readonly stacks?: readonly string[];
    readonly out: string;
    readonly dir: string;
}

export const RENDER_USAGE = `usage: npm run fleet -- render-operator (--stacks a,b | --all) --out <dir> --repo <git url> --backend <url>
       --workspace-image <image> [--commit <sha>] [--repo-dir <dir>] [--namespace ${OPERATOR_DEFAULTS.namespace}]
       [--resync ${OPERATOR_DEFAULTS.resyncSeconds}] [--drift remediate|off] [--destroy-on-finalize]
       [--secret ${OPERATOR_DEFAULTS.secretName}] [--secret-keys ${OPERATOR_DEFAULTS.secretKeys.join(",")}] [--dir <project>]

Writes, per cluster (a folder named by its API server), the operator's namespace and, per lab, its
Stack, ServiceAccount, RBAC and kubeconfig, for 'oc apply -f <folder>'. --commit defaults to the
project's HEAD (its work tree must be clean); --workspace-image is required (Containerfile.workspace
builds it).`;

/** Parses render-operator's arguments (after the operation). Throws an Error naming the option, the value and what is accepted. */
export function parseRenderArgs(
    argv: readonly string[],
    defaultDir: string,
    head: (dir: string) => string,
): RenderOptions {
    const { values: v, on } = readFlags(
        argv,
        [
            "--stacks",
            "--out",
            "--repo",
            "--commit",
            "--repo-dir",
            "--backend",
            "--namespace",
            "--workspace-image",
            "--resync",
            "--drift",
            "--secret",
            "--secret-keys",
            "--dir",
        ],
        ["--all", "--destroy-on-finalize"],
    );
    const stacks = labSelection(v["--stacks"], on.has("--all"));
    const destroyOnFinalize = on.has("--destroy-on-finalize");
    for (const required of ["--out", "--repo", "--backend", "--workspace-image"]) {
        if (!v[required]) throw new UsageError(`${required} is required`);
    }
    const dir = v["--dir"] ?? defaultDir;
    const commit = v["--commit"] ?? head(dir);
    if (!/^[0-9a-f]{40}$/.test(commit)) {
        throw new UsageError(
            `--commit is ${JSON.stringify(commit)}; expected a full commit id (40 hex digits), which never moves`,
        );
    }
    const resync = v["--resync"] ?? String(OPERATOR_DEFAULTS.resyncSeconds);
    if (!/^[1-9]\d*$/.test(resync) || Number(resync) < 60 || Number(resync) > 86400) {
        throw new UsageError(`--resync is ${JSON.stringify(resync)}; expected whole seconds from 60 to 86400`);
    }
    const drift = v["--drift"] ?? OPERATOR_DEFAULTS.drift;
    if (drift !== "remediate" && drift !== "off") {
        throw new UsageError(`--drift is ${JSON.stringify(drift)}; expected remediate or off`);
    }
    const namespace = v["--namespace"] ?? OPERATOR_DEFAULTS.namespace;
    if (!parseDns1123Label(namespace).ok) {
        throw new UsageError(
            `--namespace is ${JSON.stringify(namespace)}; expected a DNS label (a-z, 0-9, -; at most 63)`,
        );
    }
    const secretName = v["--secret"] ?? OPERATOR_DEFAULTS.secretName;
    if (!parseDns1123Subdomain(secretName).ok) {
        throw new UsageError(`--secret is ${JSON.stringify(secretName)}; expected a Secret's name (a DNS subdomain)`);
    }
    const secretKeys =
        v["--secret-keys"] === undefined ? [...OPERATOR_DEFAULTS.secretKeys] : listValue(v["--secret-keys"]);
    const badKey = secretKeys.find((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
    if (badKey !== undefined || secretKeys.length === 0) {
        throw new UsageError(
            `--secret-keys is ${JSON.stringify(v["--secret-keys"])}; expected environment variable names, comma-separated`,
        );
    }
    if (!/^(s3|azblob|gs|file):\/\/./.test(v["--backend"])) {
        throw new UsageError(
            `--backend is ${JSON.stringify(v["--backend"])}; expected a self-managed backend URL: s3://, azblob://, gs:// or file:// (the workspace pod has no login)`,
        );
    }
    return {
        stacks,
        out: path.resolve(v["--out"]),
        dir: path.resolve(dir),
        repo: v["--repo"],
        commit,
        repoDir: v["--repo-dir"],
        backend: v["--backend"],
        namespace,
        workspaceImage: v["--workspace-image"],
        resyncSeconds: Number(resync),
        drift,
        destroyOnFinalize,
        secretName,
        secretKeys,
    };
}

/** The project's HEAD commit, refused when the work tree has changes the operator would not see. */
export function gitHead(dir: string): string {
    const head = git(dir, "rev-parse", "HEAD");
    if (head.status !== 0) throw new UsageError(`${dir} is not a git work tree with a commit: give --commit <sha>`);
    const dirty = git(dir, "status", "--porcelain", "--untracked-files=no").out.trim();
    if (dirty) {
        throw new UsageError(
            `${dir} has uncommitted changes the operator would not see (${dirty.split("\n").length} file(s), e.g. ${dirty.split("\n")[0].slice(3)}): commit and push them, or give --commit <sha>`,
        );
    }
    return head.out.trim();
}

/**
 * One lab as render-operator needs it: its settings from Pulumi.<stack>.yaml (secrets left encrypted),
 * its cluster as the program resolves it, and its instance: a deployed stack's (its outputs, as
 * `stackInstance` reads them, older versions' `sccName` too), else the one its first deployment
 * will take.
 */
export function readLab(
    dir: string,
    stack: string,
    outputs: Record<string, unknown> | undefined,
    env = process.env,
): OperatorLab {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`lab ${stack}: no ${file}`);
    const doc = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config = Object.fromEntries(Object.entries(doc.config ?? {}).map(([k, v]) => [k, stackFileValue(v)]));
    const kc = config["kubernetes:kubeconfig"];
    if (kc?.secret) {
        throw new Error(
            `lab ${stack}: kubernetes:kubeconfig is a secret, so render-operator cannot read its cluster; name the cluster by a kubeconfig file and kubernetes:context`,
        );
    }
    const c = resolveConnection({ kubeconfig: kc?.value, context: config["kubernetes:context"]?.value }, dir, env);
    const merged = YAML.parse(mergedKubeconfig(c.files)) as {
        clusters: { name: string; cluster: Record<string, unknown> }[];
        contexts: { name: string; context: { cluster?: string } }[];
    };
    const clusterName = merged.contexts.find((x) => x.name === c.context)?.context.cluster;
    const entry = { ...(merged.clusters.find((x) => x.name === clusterName)?.cluster ?? {}) };
    if (typeof entry["certificate-authority"] === "string") {
        entry["certificate-authority-data"] = fs.readFileSync(entry["certificate-authority"]).toString("base64");
        delete entry["certificate-authority"];
    }
    return {
        stack,
        config,
        instance: outputs ? stackInstance(outputs) : undefined,
        context: c.context,
        server: c.server,
        cluster: entry,
    };
}

/** Writes the files; returns their paths. */
export function writeManifests(out: string, files: readonly RenderedFile[]): string[] {
    return files.map((f) => {
        const p = path.join(out, f.path);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, fileText(f));
        return p;
    });
}

interface StackCondition {
    readonly type?: string;
    readonly status?: string;
    readonly reason?: string;
    readonly message?: string;
}

/**
 * One line on a lab's Stack resource, from the operator's conditions: Ready, Reconciling (and why)
 * or Stalled (why, and what it said), with the last update's state and commit.
 */
export function stackStatus(stack: Record<string, unknown> | undefined): string {
    if (!stack) return "no Stack";
    const status = (stack.status ?? {}) as {
        conditions?: StackCondition[];
        lastUpdate?: { type?: string; state?: string; lastSuccessfulCommit?: string; lastAttemptedCommit?: string };
    };
    const on = (type: string) => status.conditions?.find((c) => c.type === type && c.status === "True");
    const last = status.lastUpdate;
    const commit = (last?.state === "succeeded" ? last.lastSuccessfulCommit : last?.lastAttemptedCommit)?.slice(0, 12);
    const lastText = last?.state ? `; last ${last.type ?? "update"} ${last.state}${commit ? ` at ${commit}` : ""}` : "";
    const stalled = on("Stalled");
    if (stalled) return `Stalled: ${stalled.reason ?? "?"}${stalled.message ? `: ${stalled.message}` : ""}${lastText}`;
    const reconciling = on("Reconciling");
    if (reconciling) return `Reconciling: ${reconciling.reason ?? "?"}${lastText}`;
    if (on("Ready")) return `Ready${lastText}`;
    return `no status yet${lastText}`;
}
