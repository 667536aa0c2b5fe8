/**
 * The end-to-end harness: the tools `npm run tools` built (Pulumi CLI, language host,
 * providers, Kubernetes control plane), a control plane on 127.0.0.1 started and stopped by
 * process id, a working copy of the project, and a Pulumi runner that times every command.
 */
import { execFileSync, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LAB_CONFIG } from "../fixtures/lab";

export const ROOT = path.join(__dirname, "..", "..");

/** The tools' cache directory for the current versions (scripts/tools/path.sh). */
export function toolsDir(): string {
    return execFileSync(path.join(ROOT, "scripts", "tools", "path.sh"), { encoding: "utf8" }).trim();
}

/** The environment `<tools>/env.sh` sets up (PATH, PULUMI_HOME, no downloads, no update checks). */
export function toolsEnv(tools: string): NodeJS.ProcessEnv {
    const envFile = path.join(tools, "env.sh");
    if (!fs.existsSync(envFile)) {
        throw new Error(`${envFile} is missing: run 'npm run tools' first`);
    }
    const out = execFileSync("bash", ["-c", `set -a; . "${envFile}"; env -0`], { encoding: "utf8", env: process.env });
    const env: NodeJS.ProcessEnv = {};
    for (const entry of out.split("\0")) {
        const eq = entry.indexOf("=");
        if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    // Node 22 (the `node` devDependency) first: @pulumi/pulumi 3.259 needs it.
    env.PATH = `${path.join(ROOT, "node_modules", ".bin")}:${env.PATH}`;
    return env;
}

/** The kinds of object the program creates, as kubectl names them. */
const PROGRAM_KINDS =
    "namespaces,network-attachment-definitions.k8s.cni.cncf.io,securitycontextconstraints,serviceaccounts,clusterroles,rolebindings,networkpolicies,configmaps,deployments";

/** A control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) on loopback. */
export class ControlPlane {
    readonly kubeconfig: string;
    constructor(
        readonly dir: string,
        private readonly env: NodeJS.ProcessEnv,
    ) {
        this.kubeconfig = path.join(dir, "kubeconfig");
    }

    start(): void {
        execFileSync(path.join(ROOT, "scripts", "tools", "cluster.sh"), ["start", this.dir], {
            env: this.env,
            stdio: "inherit",
        });
    }

    stop(): void {
        spawnSync(path.join(ROOT, "scripts", "tools", "cluster.sh"), ["stop", this.dir], {
            env: this.env,
            stdio: "inherit",
        });
    }

    /** kubectl against this control plane; throws with kubectl's stderr on failure. */
    kubectl(...args: string[]): string {
        const r = spawnSync("kubectl", ["--kubeconfig", this.kubeconfig, ...args], { env: this.env, encoding: "utf8" });
        if (r.status !== 0) {
            throw new Error(`kubectl ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
        }
        return r.stdout;
    }

    /** Objects of a stack's instance label, of the kinds the program creates, across namespaces. */
    objectsOf(instance: string): string[] {
        return this.kubectl("get", PROGRAM_KINDS, "-A", "-l", `app.kubernetes.io/instance=${instance}`, "-o", "name")
            .split("\n")
            .filter(Boolean);
    }

    /**
     * The same objects as `Kind/namespace/name@resourceVersion`, sorted, in one read: unchanged
     * means untouched.
     */
    versionsOf(instance: string): string[] {
        return this.kubectl(
            "get",
            PROGRAM_KINDS,
            "-A",
            "-l",
            `app.kubernetes.io/instance=${instance}`,
            "-o",
            'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}@{.metadata.resourceVersion}{"\\n"}{end}',
        )
            .split("\n")
            .filter(Boolean)
            .sort();
    }

    /** The object as JSON, or undefined when it does not exist. */
    get(kind: string, name: string, namespace?: string): any | undefined {
        const args = ["get", kind, name, "-o", "json", ...(namespace ? ["-n", namespace] : [])];
        const r = spawnSync("kubectl", ["--kubeconfig", this.kubeconfig, ...args], { env: this.env, encoding: "utf8" });
        if (r.status !== 0) {
            if (/NotFound|not found/.test(r.stderr)) return undefined;
            throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr}`);
        }
        return JSON.parse(r.stdout);
    }
}

export interface Timing {
    readonly step: string;
    readonly command: string;
    readonly seconds: number;
}

export interface PulumiResult extends Pick<SpawnSyncReturns<string>, "status" | "stdout" | "stderr"> {
    readonly seconds: number;
}

/**
 * A working copy of the project (sources copied, node_modules linked) with its own file
 * backend, so the e2e stacks never write into the repository.
 */
export class Workspace {
    readonly project: string;
    readonly state: string;
    readonly timings: Timing[] = [];

    constructor(
        readonly dir: string,
        readonly env: NodeJS.ProcessEnv,
    ) {
        this.project = path.join(dir, "project");
        this.state = path.join(dir, "state");
        fs.mkdirSync(this.state, { recursive: true });
        copyProject(this.project);
    }

    /** The environment of every Pulumi command. */
    pulumiEnv(kubeconfig: string): NodeJS.ProcessEnv {
        return {
            ...this.env,
            KUBECONFIG: kubeconfig,
            PULUMI_BACKEND_URL: `file://${this.state}`,
            PULUMI_CONFIG_PASSPHRASE: "e2e",
        };
    }

    /**
     * Runs pulumi in the working copy and records its wall time under `step`. `bin` is another
     * pulumi to run: the one next to Pulumi's own language host, for the cross-check.
     */
    pulumi(step: string, kubeconfig: string, args: string[], cwd = this.project, bin = "pulumi"): PulumiResult {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(bin, [...args, "--non-interactive"], {
            cwd,
            env: this.pulumiEnv(kubeconfig),
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
            timeout: 15 * 60 * 1000,
        });
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        this.timings.push({ step, command: `${path.basename(bin)} ${args.join(" ")}`, seconds });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds };
    }

    /** Like pulumi(), but fails the test with pulumi's output when the command fails. */
    ok(step: string, kubeconfig: string, args: string[], cwd?: string, bin?: string): PulumiResult {
        const r = this.pulumi(step, kubeconfig, args, cwd, bin);
        if (r.status !== 0) {
            throw new Error(
                `step "${step}": pulumi ${args.join(" ")} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
            );
        }
        return r;
    }

    /**
     * Sets each key of `config` on `stack` (kubernetes:* keys as given, the others in the project's
     * namespace); a key with an index (`imageCapabilities[0]`) is a path into a list.
     */
    configure(stack: string, kubeconfig: string, config: Record<string, string>): void {
        for (const [k, v] of Object.entries(config)) {
            const asPath = k.includes("[") ? ["--path"] : [];
            this.ok(`config ${stack}`, kubeconfig, ["config", "set", "--stack", stack, ...asPath, k, v]);
        }
    }

    /** `stack init` and every key of `config` on top of the reference lab's. */
    newStack(stack: string, kubeconfig: string, config: Record<string, string>): void {
        this.ok(`stack init ${stack}`, kubeconfig, ["stack", "init", stack]);
        this.configure(stack, kubeconfig, { ...LAB_CONFIG, ...config });
    }

    /** `up --yes --skip-preview`, its result kept for the test to judge. */
    up(stack: string, kubeconfig: string): PulumiResult {
        return this.pulumi(`up ${stack}`, kubeconfig, ["up", "--stack", stack, "--yes", "--skip-preview"]);
    }

    /** `destroy --run-program`, which must succeed. */
    destroy(stack: string, kubeconfig: string): PulumiResult {
        return this.ok(`destroy ${stack}`, kubeconfig, [
            "destroy",
            "--stack",
            stack,
            "--yes",
            "--skip-preview",
            "--run-program",
        ]);
    }

    /** `npm run fleet -- <args>` on the working copy (its --dir), as the project's CLI runs it. */
    fleet(kubeconfig: string, ...args: string[]): PulumiResult {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(
            path.join(ROOT, "node_modules", ".bin", "node"),
            [
                "-r",
                "ts-node/register/transpile-only",
                path.join(ROOT, "fleet", "cli.ts"),
                ...args,
                "--dir",
                this.project,
            ],
            { cwd: ROOT, env: this.pulumiEnv(kubeconfig), encoding: "utf8", timeout: 20 * 60 * 1000 },
        );
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        this.timings.push({ step: `fleet ${args[0]}`, command: `npm run fleet -- ${args.join(" ")}`, seconds });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds };
    }

    /** Starts pulumi in the background (for the interrupt step). */
    spawnPulumi(kubeconfig: string, args: string[]) {
        return spawn("pulumi", [...args, "--non-interactive"], {
            cwd: this.project,
            env: this.pulumiEnv(kubeconfig),
            stdio: ["ignore", "pipe", "pipe"],
        });
    }

    /** The timings as a table, as the benchmark prints them. */
    table(): string {
        const w = Math.max(...this.timings.map((t) => t.step.length), 4);
        const rows = this.timings.map((t) => `${t.step.padEnd(w)}  ${t.seconds.toFixed(2).padStart(8)}  ${t.command}`);
        return [`${"step".padEnd(w)}  ${"seconds".padStart(8)}  command`, ...rows].join("\n");
    }
}

/** The files a Pulumi run of this project needs (bin/ as built); node_modules is linked, not copied. */
export function copyProject(dest: string, extra: readonly string[] = []): void {
    fs.mkdirSync(dest, { recursive: true });
    for (const entry of [
        "index.ts",
        "Pulumi.yaml",
        "package.json",
        "tsconfig.json",
        "components",
        "stacks",
        "live",
        "policy",
        "bin",
        ...extra,
    ]) {
        fs.cpSync(path.join(ROOT, entry), path.join(dest, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dest, "node_modules"));
}

/** `scripts/sandbox.sh <args>` in a copy of the project, as a user runs it from there. */
export function runSandbox(
    project: string,
    env: NodeJS.ProcessEnv,
    args: readonly string[],
    timeoutMs = 15 * 60 * 1000,
) {
    return spawnSync("bash", [path.join(project, "scripts", "sandbox.sh"), ...args], {
        cwd: project,
        env,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: timeoutMs,
    });
}

export function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The Prometheus operator release whose PodMonitor CRD the e2e cluster installs (a Go module on the proxy). */
export const PROMETHEUS_OPERATOR = "github.com/prometheus-operator/prometheus-operator@v0.94.1";

/** A file of a Go module, downloaded once into the Go module cache: its path. */
export function goModuleFile(module: string, file: string): string {
    const go = fs.existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";
    const r = spawnSync(go, ["mod", "download", "-json", module], {
        encoding: "utf8",
        cwd: os.tmpdir(),
        env: { ...process.env, GOFLAGS: "-mod=mod" },
    });
    let dir: string | undefined;
    try {
        dir = (JSON.parse(r.stdout) as { Dir?: string }).Dir;
    } catch {
        // reported below
    }
    if (r.status !== 0 || !dir) {
        throw new Error(`go mod download ${module} failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
    }
    const p = path.join(dir, file);
    if (!fs.existsSync(p)) throw new Error(`${p} is missing from ${module}`);
    return p;
}

/**
 * The Prometheus operator's PodMonitor CRD, as OpenShift's monitoring installs it: from the
 * operator's Go module (its example/prometheus-operator-crd/). Returns the file's path.
 */
export function podMonitorCrd(): string {
    return goModuleFile(PROMETHEUS_OPERATOR, "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml");
}

/**
 * The newest Pulumi Kubernetes Operator release whose Go module the proxy serves here (its v2
 * modules are refused), for its Stack CRD.
 */
export const PULUMI_OPERATOR = "github.com/pulumi/pulumi-kubernetes-operator@v1.16.0";

/** The operator's Stack CRD (pulumi.com/v1), from its Go module. */
export function stackCrd(): string {
    return goModuleFile(PULUMI_OPERATOR, "deploy/crds/pulumi.com_stacks.yaml");
}

/** The operator's Program CRD (pulumi.com/v1), which it watches beside Stacks. */
export function programCrd(): string {
    return goModuleFile(PULUMI_OPERATOR, "deploy/crds/pulumi.com_programs.yaml");
}
