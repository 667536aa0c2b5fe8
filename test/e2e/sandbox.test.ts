/**
 * End to end: `npm run sandbox` as a newcomer runs it, in a copy of the project: up (a control
 * plane of its own, the reference lab deployed), status, up again (nothing changes), a reboot
 * (every control-plane process killed) then up (restarted on its data, nothing changes), another
 * reboot then down (nothing left, not even Pulumi.sandbox.yaml), up over a settings file an
 * older down left behind (one config: block), and down (no object, no process and no state left).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { labObjects } from "../../components/lab";
import { labArgs } from "../../stacks/compose";
import { parseStackConfig } from "../../stacks/config";
import { copyProject, ROOT, runSandbox, tempDir, toolsDir, toolsEnv } from "./harness";

/**
 * What the stack holds: the lab's Kubernetes objects, the VppLab component and its three
 * (MacvlanNetwork, SecurityPolicy, VppServer), the RandomId of its MAC, the kubernetes provider of
 * the stack's connection, the default random provider, the stack itself, its reference to its own
 * last outputs (a StackReference) with the default pulumi provider that reads it, and the RandomId
 * of its stack id.
 */
function expectedResources(): number {
    const lab = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.lab.yaml"), "utf8")).config as Record<
        string,
        unknown
    >;
    const raw = Object.fromEntries(Object.entries(lab).map(([k, v]) => [k.replace(/^vpp-server:/, ""), String(v)]));
    return labObjects(labArgs(parseStackConfig(raw), "sandbox")).length + 4 + 1 + 2 + 1 + 2 + 1;
}

describe("end to end: npm run sandbox", function () {
    this.timeout(20 * 60 * 1000);
    const RESOURCES = expectedResources();
    /**
     * Pulumi's summary (created, unchanged, deleted) leaves out default providers (random's and
     * pulumi's) and the StackReference's read.
     */
    const SUMMARY = RESOURCES - 3;
    let project: string;
    let pids: { name: string; pid: number }[] = [];
    const started: number[] = [];

    /** The environment of a fresh shell: nothing of the suite's Pulumi or cluster settings. */
    const env: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !/^(PULUMI_|KUBECONFIG$|VPP_)/.test(k)),
    );
    const sandbox = (...args: string[]) => {
        const r = runSandbox(project, env, args);
        assert.strictEqual(r.status, 0, `sandbox ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
        return r.stdout;
    };
    const kubectl = (...args: string[]) => {
        const r = spawnSync(
            path.join(toolsDir(), "bin", "kubectl"),
            ["--kubeconfig", path.join(project, ".sandbox", "cluster", "kubeconfig"), ...args],
            { encoding: "utf8" },
        );
        assert.strictEqual(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };
    /** The process runs: it exists and is not a zombie (this machine's PID 1 may not reap). */
    const alive = (pid: number) => {
        try {
            const state = fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
            return state !== "Z" && state !== "X";
        } catch {
            return false;
        }
    };
    const readPids = () => {
        pids = fs
            .readFileSync(path.join(project, ".sandbox", "cluster", "pids"), "utf8")
            .trim()
            .split("\n")
            .map((l) => l.split(/\s+/))
            .map(([name, pid]) => ({ name, pid: Number(pid) }));
        started.push(...pids.map((p) => p.pid));
        return pids;
    };
    /** A reboot, as far as the sandbox can tell: every control-plane process gone at once. */
    const reboot = async () => {
        for (const { pid } of readPids()) if (alive(pid)) process.kill(pid, "SIGKILL");
        for (let i = 0; i < 100 && pids.some((p) => alive(p.pid)); i++) await new Promise((r) => setTimeout(r, 100));
        assert.deepStrictEqual(
            pids.filter((p) => alive(p.pid)).map((p) => p.name),
            [],
        );
    };
    const settingsFile = () => path.join(project, "Pulumi.sandbox.yaml");
    const configBlocks = () => fs.readFileSync(settingsFile(), "utf8").match(/^config:/gm)?.length ?? 0;
    const summary = (out: string, what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(out)?.[1]);

    before(() => {
        toolsEnv(toolsDir()); // fails early, naming the command, when the tools are not built
        project = path.join(tempDir("vpp-sandbox-"), "project");
        // What a clone holds that the sandbox needs besides the program: the lab, the lockfile
        // (the tool cache's key) and the scripts.
        copyProject(project, ["Pulumi.lab.yaml", "package-lock.json", "tsconfig.build.json", "scripts"]);
    });

    after(() => {
        // Whatever happened, no process of the sandbox outlives the suite.
        for (const pid of started) if (alive(pid)) process.kill(pid, "SIGKILL");
    });

    it("up: starts a control plane, deploys the reference lab, prints the outputs and the kubectl command", () => {
        const out = sandbox("up");
        assert.match(out, /^sandbox: using the Pulumi CLI built in .*\/bin \(no pulumi 3\.259\.0 or newer on PATH\)$/m);
        assert.match(out, /sandbox: starting a local control plane in .*\.sandbox\/cluster/);
        assert.match(out, /sandbox: creating the stack 'sandbox' with the reference lab's values/);
        assert.match(out, /url\s+http:\/\/192\.168\.123\.150\/index\.html/);
        assert.match(out, /\/bin\/kubectl --kubeconfig .*\.sandbox\/cluster\/kubeconfig get namespaces,/);
        assert.match(out, /no pod really runs here: kwok fakes the node/);
        assert.strictEqual(summary(out, "created"), SUMMARY, out);
        assert.deepStrictEqual(
            readPids().map((p) => p.name),
            ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"],
        );
        const dep = JSON.parse(kubectl("get", "deployment", "vpp-server", "-n", "vpp-server", "-o", "json"));
        assert.strictEqual(dep.spec.replicas, 1);
        assert.strictEqual(
            JSON.parse(kubectl("get", "securitycontextconstraints", "vpp-server-sandbox", "-o", "json")).metadata.name,
            "vpp-server-sandbox",
        );
        assert.strictEqual(configBlocks(), 1, "the stack's settings file, with one config: block");
    });

    it(`status: the control plane's processes and the stack's ${RESOURCES} resources`, () => {
        const out = sandbox("status");
        assert.match(out, /sandbox: control plane: running \(etcd \d+, kube-apiserver \d+, /);
        assert.match(out, new RegExp(`^sandbox: stack 'sandbox': ${RESOURCES} resources$`, "m"));
    });

    it("up again: reuses what runs and changes nothing", () => {
        const out = sandbox("up");
        assert.match(out, /the control plane in .* is running: reusing it/);
        assert.doesNotMatch(out, /creating the stack/);
        assert.strictEqual(summary(out, "unchanged"), SUMMARY, out);
        assert.doesNotMatch(out, /\d+ (created|updated|deleted|replaced)/);
    });

    it("after a reboot, up restarts the control plane on its data and changes nothing", async () => {
        await reboot();
        assert.match(sandbox("status"), /sandbox: control plane: not running/);
        const out = sandbox("up");
        assert.match(out, /sandbox: restarting the local control plane in .*\.sandbox\/cluster on its own data/);
        assert.doesNotMatch(out, /creating the stack|removing /);
        assert.strictEqual(summary(out, "unchanged"), SUMMARY, out);
        assert.doesNotMatch(out, /\d+ (created|updated|deleted|replaced)/);
        assert.strictEqual(configBlocks(), 1);
        assert.ok(
            readPids().every((p) => alive(p.pid)),
            "a new control plane runs",
        );
    });

    it("after a reboot, down leaves nothing: no .sandbox/, no Pulumi.sandbox.yaml, no process", async () => {
        await reboot();
        const out = sandbox("down");
        assert.match(
            out,
            /^sandbox: the control plane was not running: removed .*\.sandbox \(its data, the stack's objects and state\) and .*Pulumi\.sandbox\.yaml$/m,
        );
        assert.ok(!fs.existsSync(path.join(project, ".sandbox")), ".sandbox/ is removed");
        assert.ok(!fs.existsSync(settingsFile()), "the stack's settings file is removed");
        assert.deepStrictEqual(started.filter(alive), [], "no process left");
        assert.match(sandbox("status"), /control plane: not running[\s\S]*stack 'sandbox': none/);
    });

    it("up over a Pulumi.sandbox.yaml an older down left behind: removed, one config: block", () => {
        fs.writeFileSync(settingsFile(), "encryptionsalt: v1:old:salt\nconfig:\n  vpp-server:vlanId: 999\n");
        const out = sandbox("up");
        assert.match(out, /sandbox: removing .*Pulumi\.sandbox\.yaml: its stack no longer exists/);
        assert.match(out, /sandbox: starting a local control plane/);
        assert.strictEqual(summary(out, "created"), SUMMARY, out);
        assert.strictEqual(configBlocks(), 1);
        // The old file's salt and value, not a 999 that the new random salt may hold.
        assert.doesNotMatch(fs.readFileSync(settingsFile(), "utf8"), /v1:old:salt|vlanId: "?999"?$/m);
        readPids();
    });

    it("down: destroys the stack, stops every process, removes the state", () => {
        const out = sandbox("down");
        assert.match(out, /Resources:\s*\n\s*- \d+ deleted/, "pulumi destroy deleted the objects");
        assert.strictEqual(summary(out, "deleted"), SUMMARY, out);
        assert.match(out, /sandbox: destroyed the stack, stopped the control plane, removed /);
        assert.deepStrictEqual(
            pids.filter((p) => alive(p.pid)).map((p) => `${p.name} ${p.pid}`),
            [],
            "no process left",
        );
        assert.ok(!fs.existsSync(path.join(project, ".sandbox")), ".sandbox/ is removed");
        assert.ok(!fs.existsSync(settingsFile()), "the stack's settings file is removed");
        assert.match(sandbox("status"), /control plane: not running[\s\S]*stack 'sandbox': none/);
    });
});

/**
 * A user with Pulumi installed: the sandbox uses that CLI and the plugins it finds, and builds only
 * the control plane (here already built). The installed CLI is Pulumi 3.259 with its Node.js host
 * in a directory of its own, as Pulumi's release archive lays them out, and a PULUMI_HOME holding
 * the kubernetes and random plugins (a user's machine downloads them; this one cannot).
 */
describe("end to end: npm run sandbox with the user's own Pulumi CLI", function () {
    this.timeout(20 * 60 * 1000);
    let project: string;
    let env: NodeJS.ProcessEnv;
    let install: string;
    const run = (...args: string[]) => runSandbox(project, env, args);

    before(() => {
        const tools = toolsDir();
        toolsEnv(tools);
        const dir = tempDir("vpp-sandbox-own-");
        project = path.join(dir, "project");
        copyProject(project, ["Pulumi.lab.yaml", "package-lock.json", "tsconfig.build.json", "scripts"]);
        install = path.join(dir, "pulumi", "bin");
        fs.mkdirSync(install, { recursive: true });
        for (const b of ["pulumi", "pulumi-language-nodejs"])
            fs.symlinkSync(path.join(tools, "bin", b), path.join(install, b));
        const clean = Object.fromEntries(
            Object.entries(process.env).filter(([k]) => !/^(PULUMI_|KUBECONFIG$|VPP_)/.test(k)),
        );
        env = {
            ...clean,
            PATH: `${install}:${clean.PATH}`,
            PULUMI_HOME: path.join(tools, "pulumi-home"),
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        };
    });
    after(() => {
        if (project && fs.existsSync(path.join(project, ".sandbox"))) run("down");
    });

    it("up says which CLI it uses, deploys with it, and down removes everything", () => {
        const up = run("up");
        assert.strictEqual(up.status, 0, `${up.stdout}\n${up.stderr}`);
        assert.ok(up.stdout.includes(`sandbox: using the Pulumi CLI on PATH: ${install}/pulumi (v3.259.0)`), up.stdout);
        assert.doesNotMatch(up.stdout, /building /, "the control plane is built already; nothing else is needed");
        assert.match(up.stdout, /url\s+http:\/\/192\.168\.123\.150\/index\.html/);
        const down = run("down");
        assert.strictEqual(down.status, 0, `${down.stdout}\n${down.stderr}`);
        assert.match(down.stdout, /sandbox: destroyed the stack, stopped the control plane, removed /);
        assert.ok(!fs.existsSync(path.join(project, ".sandbox")));
    });

    it("names each missing prerequisite with its install command, and starts nothing", () => {
        // A PATH with the user's Pulumi, bash and the core tools, but no jq and no curl.
        const bare = path.join(path.dirname(install), "bare");
        fs.mkdirSync(bare, { recursive: true });
        for (const t of [
            "bash",
            "env",
            "uname",
            "sort",
            "sed",
            "dirname",
            "cat",
            "mkdir",
            "tail",
            "printf",
            "openssl",
            "flock",
            "node",
        ]) {
            const found = spawnSync("bash", ["-c", `command -v ${t}`], {
                encoding: "utf8",
                env: process.env,
            }).stdout.trim();
            if (found && !fs.existsSync(path.join(bare, t))) fs.symlinkSync(found, path.join(bare, t));
        }
        const saved = env;
        env = { ...env, PATH: `${install}:${bare}` };
        try {
            const r = run("up");
            assert.strictEqual(r.status, 1, `${r.stdout}\n${r.stderr}`);
            assert.match(r.stderr, /^sandbox: missing: jq \(apt-get install jq\)$/m);
            assert.match(r.stderr, /^sandbox: missing: curl \(apt-get install curl\)$/m);
            assert.match(r.stderr, /install what is missing above, then run it again; nothing was started/);
            assert.ok(!fs.existsSync(path.join(project, ".sandbox", "cluster")), "no control plane started");
        } finally {
            env = saved;
        }
    });
});
