/**
 * End to end: `npm run sandbox` as a newcomer runs it, in a copy of the project: up (a control
 * plane of its own, the reference lab deployed), status, up again (nothing changes), down (no
 * object, no process and no state left).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { copyProject, tempDir, toolsDir, toolsEnv } from "./harness";

describe("end to end: npm run sandbox", function () {
    this.timeout(20 * 60 * 1000);
    let project: string;
    let pids: { name: string; pid: number }[] = [];

    /** The environment of a fresh shell: nothing of the suite's Pulumi or cluster settings. */
    const env: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !/^(PULUMI_|KUBECONFIG$|VPP_)/.test(k)),
    );
    const sandbox = (...args: string[]) => {
        const r = spawnSync("bash", [path.join(project, "scripts", "sandbox.sh"), ...args], {
            cwd: project,
            env,
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
            timeout: 15 * 60 * 1000,
        });
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

    before(() => {
        toolsEnv(toolsDir()); // fails early, naming the command, when the tools are not built
        project = path.join(tempDir("vpp-sandbox-"), "project");
        // What a clone holds that the sandbox needs besides the program: the lab, the lockfile
        // (the tool cache's key) and the scripts.
        copyProject(project, ["Pulumi.lab.yaml", "package-lock.json", "tsconfig.build.json", "scripts"]);
    });

    after(() => {
        // Whatever happened, no process of the sandbox outlives the suite.
        for (const { pid } of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    });

    it("up: starts a control plane, deploys the reference lab, prints the outputs and the kubectl command", () => {
        const out = sandbox("up");
        assert.match(out, /sandbox: starting a local control plane in .*\.sandbox\/cluster/);
        assert.match(out, /sandbox: creating the stack 'sandbox' with the reference lab's values/);
        assert.match(out, /url\s+http:\/\/192\.168\.123\.150\/index\.html/);
        assert.match(out, /\/bin\/kubectl --kubeconfig .*\.sandbox\/cluster\/kubeconfig get namespaces,/);
        assert.match(out, /no pod really runs here: kwok fakes the node/);
        pids = fs
            .readFileSync(path.join(project, ".sandbox", "cluster", "pids"), "utf8")
            .trim()
            .split("\n")
            .map((l) => l.split(/\s+/))
            .map(([name, pid]) => ({ name, pid: Number(pid) }));
        assert.deepStrictEqual(
            pids.map((p) => p.name),
            ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"],
        );
        const dep = JSON.parse(kubectl("get", "deployment", "vpp-server", "-n", "vpp-server", "-o", "json"));
        assert.strictEqual(dep.spec.replicas, 1);
        assert.strictEqual(
            JSON.parse(kubectl("get", "securitycontextconstraints", "vpp-server-sandbox", "-o", "json")).metadata.name,
            "vpp-server-sandbox",
        );
        assert.ok(fs.existsSync(path.join(project, "Pulumi.sandbox.yaml")), "the stack's settings file");
    });

    it("status: the control plane's processes and the stack's resources", () => {
        const out = sandbox("status");
        assert.match(out, /sandbox: control plane: running \(etcd \d+, kube-apiserver \d+, /);
        assert.match(out, /sandbox: stack 'sandbox': \d+ resources/);
    });

    it("up again: reuses what runs and changes nothing", () => {
        const out = sandbox("up");
        assert.match(out, /the control plane in .* is running: reusing it/);
        assert.doesNotMatch(out, /creating the stack/);
        assert.match(out, /Resources:\s*\n\s*\d+ unchanged/);
        assert.doesNotMatch(out, /\d+ (created|updated|deleted|replaced)/);
    });

    it("down: destroys the stack, stops every process, removes the state", () => {
        const out = sandbox("down");
        assert.match(out, /Resources:\s*\n\s*- \d+ deleted/, "pulumi destroy deleted the objects");
        assert.match(out, /sandbox: destroyed the stack, stopped the control plane, removed /);
        assert.deepStrictEqual(
            pids.filter((p) => alive(p.pid)).map((p) => `${p.name} ${p.pid}`),
            [],
            "no process left",
        );
        assert.ok(!fs.existsSync(path.join(project, ".sandbox")), ".sandbox/ is removed");
        assert.ok(!fs.existsSync(path.join(project, "Pulumi.sandbox.yaml")), "the stack's settings file is removed");
        assert.match(sandbox("status"), /control plane: not running[\s\S]*stack 'sandbox': none/);
    });
});
