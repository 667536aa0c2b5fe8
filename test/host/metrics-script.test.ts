/**
 * Host integration: the metrics container's script (`metrics: cluster`), as the ConfigMap ships it,
 * run for real by a POSIX shell (dash) with the container's environment, against a real Unix socket
 * standing for VPP's stats socket and a stand-in exporter that records its arguments and lives until
 * it is signalled. The script must start the exporter only once the socket exists, with the stack's
 * patterns as separate, unglobbed words; start it again when VPP makes a new socket (VPP restarted)
 * or when it exits; and pass SIGTERM on and exit at once.
 *
 * Needs no root. The real exporter against a real VPP runs in the data-plane tier.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { metricsEnv } from "../../components/pod";
import { configMapData, readScripts } from "../../components/server";
import { POC_SETTINGS } from "./lib";

const SHELL = fs.existsSync("/usr/bin/dash") ? "/usr/bin/dash" : "/bin/sh";

describe("host: the metrics container's script (metrics.sh)", function () {
    this.timeout(30_000);
    let dir: string;
    let socketPath: string;
    let runs: string;
    let server: net.Server | undefined;
    let script: ChildProcess | undefined;
    let log = "";

    const data = configMapData({ ...POC_SETTINGS, metrics: "cluster" }, undefined, readScripts());

    /** The stand-in exporter's runs so far: one line each, `<pid> <arguments>`. */
    const exporterRuns = (): string[] =>
        fs.existsSync(runs) ? fs.readFileSync(runs, "utf8").split("\n").filter(Boolean) : [];
    /** Running: it exists and is no zombie (an orphan waits for init to reap it). */
    const alive = (pid: number) => {
        try {
            return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
        } catch {
            return false;
        }
    };
    const until = async (what: string, ok: () => boolean, ms = 5000) => {
        const t0 = Date.now();
        while (!ok()) {
            if (Date.now() - t0 > ms) throw new Error(`${what} within ${ms} ms; the script's log:\n${log}`);
            await new Promise((r) => setTimeout(r, 50));
        }
    };
    const listen = () =>
        new Promise<void>((resolve) => {
            server = net.createServer().listen(socketPath, resolve);
        });
    const close = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-metrics-"));
        socketPath = path.join(dir, "stats.sock");
        runs = path.join(dir, "runs");
        fs.writeFileSync(path.join(dir, "metrics.sh"), data["metrics.sh"]);
        // A file the patterns would match as globs, were they globbed: ^/err/ is no glob, but * is.
        fs.writeFileSync(
            path.join(dir, "exporter"),
            ["#!/bin/sh", `echo "$$ $*" >> ${runs}`, 'trap "exit 0" TERM', "while :; do sleep 0.1; done", ""].join(
                "\n",
            ),
            { mode: 0o755 },
        );
        const env = Object.fromEntries(metricsEnv().map((e) => [e.name, e.value]));
        script = spawn(SHELL, [path.join(dir, "metrics.sh")], {
            cwd: dir,
            env: {
                PATH: process.env.PATH,
                ...env,
                STATS_SOCKET: socketPath,
                EXPORTER: path.join(dir, "exporter"),
                CHECK_SECONDS: "0.05",
            },
        });
        script.stdout!.on("data", (b: Buffer) => (log += b));
        script.stderr!.on("data", (b: Buffer) => (log += b));
    });
    after(async () => {
        if (script && script.exitCode === null) script.kill("SIGKILL");
        for (const line of exporterRuns()) {
            const pid = Number(line.split(" ")[0]);
            if (alive(pid)) process.kill(pid, "SIGKILL");
        }
        await close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the pod's environment names the stats socket and the patterns the exporter takes", () => {
        assert.deepStrictEqual(metricsEnv(), [
            { name: "STATS_SOCKET", value: "/run/vpp/stats.sock" },
            {
                name: "METRICS_PATTERNS",
                value: "^/interfaces/ ^/buffer-pools/ ^/sys/ ^/err/af-packet-input/ ^/err/ethernet-input/ ^/err/arp-input/ ^/err/arp-reply/ ^/err/ip4-input/ ^/err/ip4-local/ ^/err/ip4-glean/ ^/err/ip4-icmp-input/ ^/err/tcp4-input/ ^/err/tcp4-listen/ ^/err/tcp4-established/ ^/err/tcp4-rcv-process/ ^/err/tcp4-output/ ^/err/session-queue/",
            },
        ]);
    });

    it("without VPP's socket it waits, says so, and starts no exporter", async () => {
        await until("the script says it waits", () => /waiting for VPP's stats socket/.test(log));
        await new Promise((r) => setTimeout(r, 300));
        assert.deepStrictEqual(exporterRuns(), []);
        assert.strictEqual(
            log,
            `vpp-metrics: waiting for VPP's stats socket ${socketPath}\n`,
            "one line while it waits, not one per check",
        );
    });

    it("once the socket exists: the exporter, once, with the socket, v2 and each pattern as its own word", async () => {
        await listen();
        await until("the exporter starts", () => exporterRuns().length === 1);
        const [pid, ...args] = exporterRuns()[0].split(" ");
        assert.deepStrictEqual(args, [
            "socket-name",
            socketPath,
            "v2",
            ..."^/interfaces/ ^/buffer-pools/ ^/sys/ ^/err/af-packet-input/ ^/err/ethernet-input/ ^/err/arp-input/ ^/err/arp-reply/ ^/err/ip4-input/ ^/err/ip4-local/ ^/err/ip4-glean/ ^/err/ip4-icmp-input/ ^/err/tcp4-input/ ^/err/tcp4-listen/ ^/err/tcp4-established/ ^/err/tcp4-rcv-process/ ^/err/tcp4-output/ ^/err/session-queue/".split(
                " ",
            ),
        ]);
        assert.ok(alive(Number(pid)));
        await new Promise((r) => setTimeout(r, 300));
        assert.strictEqual(exporterRuns().length, 1, "not started again while the socket stays");
        assert.match(log, /vpp-metrics: serving VPP's counters on port 9482 \(\/metrics\) from .*stats\.sock/);
    });

    it("VPP restarts (a new socket): the old exporter is stopped and a new one connects", async () => {
        const first = Number(exporterRuns()[0].split(" ")[0]);
        await close();
        await new Promise((r) => setTimeout(r, 50));
        await listen();
        await until("a second exporter starts", () => exporterRuns().length === 2);
        await until("the first exporter is stopped", () => !alive(first));
        assert.match(log, /VPP made a new stats socket \(it restarted\): reconnecting/);
        assert.ok(alive(Number(exporterRuns()[1].split(" ")[0])));
    });

    it("the exporter dies: it is started again", async () => {
        const second = Number(exporterRuns()[1].split(" ")[0]);
        process.kill(second, "SIGKILL");
        await until("a third exporter starts", () => exporterRuns().length === 3, 8000);
        assert.match(log, /the exporter ended \(status 137\); starting it again in 1 s/);
    });

    it("SIGTERM: the exporter is stopped and the script exits 0 at once", async () => {
        const third = Number(exporterRuns()[2].split(" ")[0]);
        const t0 = Date.now();
        const exited = new Promise<number | null>((resolve) => script!.on("exit", (code) => resolve(code)));
        script!.kill("SIGTERM");
        assert.strictEqual(await exited, 0);
        assert.ok(Date.now() - t0 < 500, `the script took ${Date.now() - t0} ms to exit`);
        await until("the exporter is stopped", () => !alive(third));
    });
});
