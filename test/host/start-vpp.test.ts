/**
 * Host integration: the main container's start script, run for real by a POSIX shell (dash) with
 * its CPU affinity set by `taskset`, as a container's cpuset sets it. It must pin VPP's main
 * thread and worker to CPUs the process may use, start with fewer workers (and say so) when
 * there are fewer CPUs than threads, and exec vpp with the configuration file's words plus the
 * `cpu` section as its arguments. A stand-in `vpp` prints its process id, its CPU affinity and
 * its arguments.
 *
 * Needs no root: any process may narrow its own affinity.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configMapData, readScripts } from "../../components/server";
import { POC_SETTINGS } from "./lib";

const SHELL = fs.existsSync("/usr/bin/dash") ? "/usr/bin/dash" : "/bin/sh";
/** vpp.conf as the defaults render it (no comments): VPP's arguments begin with its words. */
const VPP_CONF = configMapData({ ...POC_SETTINGS, adaptiveSessionQueue: true }, undefined, readScripts())["vpp.conf"];
const CONF_WORDS = VPP_CONF.split(/\s+/).filter((w) => w !== "");

interface Started {
    status: number | null;
    /** What the script printed before exec, but for its line on VPP's release. */
    log: string[];
    /** Its line on VPP's release. */
    release?: string;
    stderr: string;
    /** The stand-in vpp's process id, affinity and arguments (after the configuration's words). */
    vppPid?: number;
    vppCpus?: string;
    cpuArgs?: string[];
    allArgs?: string[];
    scriptPid: number;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-start-"));
const script = path.join(dir, "start-vpp.sh");
const conf = path.join(dir, "vpp.conf");
/** The stand-in is installed as VPP installs are: bin/vpp, and its release in its libraries' names. */
const fakeVpp = path.join(dir, "bin", "vpp");
const fakeLib = path.join(dir, "lib", "x86_64-linux-gnu", "libvppinfra.so.26.06");
fs.mkdirSync(path.dirname(fakeVpp));
fs.mkdirSync(path.dirname(fakeLib), { recursive: true });
fs.writeFileSync(fakeLib, "");
fs.writeFileSync(script, configMapData(POC_SETTINGS, undefined, readScripts())["start-vpp.sh"]);
fs.writeFileSync(conf, VPP_CONF);
fs.writeFileSync(
    fakeVpp,
    [
        "#!/bin/sh",
        'echo "vpp: pid $$"',
        'echo "vpp: cpus $(sed -n "s/^Cpus_allowed_list:[[:space:]]*//p" /proc/$$/status)"',
        'for a in "$@"; do echo "vpp: arg $a"; done',
        "",
    ].join("\n"),
    { mode: 0o755 },
);

/** Runs the start script (under `taskset -c cpus` when given) with `env`. */
function start(env: Record<string, string>, cpus?: string): Started {
    const argv = cpus ? ["taskset", "-c", cpus, SHELL, script] : [SHELL, script];
    const r = spawnSync(argv[0], argv.slice(1), {
        encoding: "utf8",
        env: { PATH: process.env.PATH, VPP_CONF: conf, VPP_BIN: fakeVpp, ...env },
    });
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    const vpp = (prefix: string) =>
        lines.filter((l) => l.startsWith(`vpp: ${prefix} `)).map((l) => l.slice(6 + prefix.length));
    const args = vpp("arg");
    const pid = vpp("pid")[0];
    return {
        status: r.status,
        log: lines.filter((l) => l.startsWith("start-vpp: ") && !l.startsWith("start-vpp: VPP ")),
        release: lines.find((l) => l.startsWith("start-vpp: VPP ")),
        stderr: r.stderr,
        vppPid: pid === undefined ? undefined : Number(pid),
        vppCpus: vpp("cpus")[0],
        allArgs: args,
        cpuArgs: args.slice(CONF_WORDS.length),
        scriptPid: r.pid,
    };
}

/** The CPUs this test process may use, expanded. */
function allowedCpus(): number[] {
    const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))![1];
    return list.split(",").flatMap((part) => {
        const [lo, hi] = part.split("-").map(Number);
        return Array.from({ length: (hi ?? lo) - lo + 1 }, (_, i) => lo + i);
    });
}

describe("host integration: the start script pins VPP to the container's own CPUs", function () {
    const cpus = allowedCpus();
    /** Two CPUs for taskset, and how the kernel then writes them in Cpus_allowed_list. */
    const pair = `${cpus[0]},${cpus[1]}`;
    const pairList = cpus[1] === cpus[0] + 1 ? `${cpus[0]}-${cpus[1]}` : pair;
    before(function () {
        if (spawnSync("taskset", ["-V"]).status !== 0) {
            throw new Error("taskset (util-linux) is needed to run the start script on chosen CPUs");
        }
        if (cpus.length < 2) {
            throw new Error(`these tests need two CPUs to choose from; this process may use ${cpus.join(",")}`);
        }
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("VPP's arguments are its configuration file's words, then the cpu section", () => {
        const r = start({ VPP_WORKERS: "0" }, String(cpus[0]));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.allArgs!.slice(0, CONF_WORDS.length), CONF_WORDS);
        assert.deepStrictEqual(r.allArgs!.slice(0, 3), ["unix", "{", "nodaemon"]);
    });

    it("says which VPP release it starts, from its libraries' names, or that it is not known", () => {
        const r = start({ VPP_WORKERS: "0" }, String(cpus[0]));
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.release, `start-vpp: VPP 26.06 (${fakeVpp})`);
        fs.renameSync(fakeLib, `${fakeLib}.moved`);
        try {
            const unknown = start({ VPP_WORKERS: "0" }, String(cpus[0]));
            assert.strictEqual(unknown.status, 0, unknown.stderr);
            assert.strictEqual(
                unknown.release,
                `start-vpp: VPP of unknown release (${fakeVpp}): no libvppinfra.so.<release> beside it or in the system's library folders`,
            );
        } finally {
            fs.renameSync(`${fakeLib}.moved`, fakeLib);
        }
    });

    it("vpp replaces the shell: the same process id, the container's CPUs", () => {
        const r = start({ VPP_WORKERS: "1" }, pair);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.vppPid, r.scriptPid, "vpp must be exec'd, not a child of the shell");
        assert.strictEqual(r.vppCpus, pairList);
    });

    it("one CPU, one worker wanted: the main thread on that CPU, no worker, and the log says why", () => {
        const only = String(cpus[1]);
        const r = start({ VPP_WORKERS: "1" }, only);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.cpuArgs, ["cpu", "{", "main-core", only, "}"]);
        assert.deepStrictEqual(r.log, [
            `start-vpp: warning: 1 worker configured, but this container may use 1 CPU (${only}): VPP starts with 0 workers. Give the pod 2 whole CPUs (dedicated cores) or lower the stack's workers.`,
            `start-vpp: this container may use CPUs ${only}; VPP's main thread on CPU ${only}, no workers`,
        ]);
    });

    it("two CPUs, one worker: the main thread on the CPU the script started on, the worker on the other", () => {
        const [a, b] = cpus;
        const r = start({ VPP_WORKERS: "1" }, pair);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.cpuArgs!.length, 7, JSON.stringify(r.cpuArgs));
        const [cpu, open, mainKey, main, workersKey, worker, close] = r.cpuArgs!;
        assert.deepStrictEqual(
            [cpu, open, mainKey, workersKey, close],
            ["cpu", "{", "main-core", "corelist-workers", "}"],
        );
        assert.deepStrictEqual([Number(main), Number(worker)].sort(), [a, b].sort(), "both CPUs, each once");
        assert.deepStrictEqual(r.log, [
            `start-vpp: this container may use CPUs ${pairList}; VPP's main thread on CPU ${main}, 1 worker on CPU ${worker}`,
        ]);
    });

    it("VPP_MAIN_SLEEP_USEC with a worker: unix { poll-sleep-usec } before the cpu section, and the log says so", () => {
        const r = start({ VPP_WORKERS: "1", VPP_MAIN_SLEEP_USEC: "10000" }, pair);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.cpuArgs!.slice(0, 5), ["unix", "{", "poll-sleep-usec", "10000", "}"]);
        assert.deepStrictEqual(r.cpuArgs!.slice(5, 8), ["cpu", "{", "main-core"]);
        assert.strictEqual(
            r.log[1],
            "start-vpp: the worker carries the traffic: VPP's main thread sleeps 10000 us on every pass of its loop",
        );
    });

    it("VPP_MAIN_SLEEP_USEC without a worker (one CPU): no sleep, since the main thread carries the traffic", () => {
        const only = String(cpus[1]);
        const r = start({ VPP_WORKERS: "1", VPP_MAIN_SLEEP_USEC: "10000" }, only);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.cpuArgs, ["cpu", "{", "main-core", only, "}"]);
        assert.strictEqual(
            r.log[2],
            "start-vpp: no worker: the main thread carries the traffic, so it does not sleep (VPP_MAIN_SLEEP_USEC 10000 is for a main thread beside a worker)",
        );
    });

    it("a VPP_MAIN_SLEEP_USEC that is no number: an error naming it, and no VPP", () => {
        const r = start({ VPP_WORKERS: "1", VPP_MAIN_SLEEP_USEC: "10ms" }, pair);
        assert.strictEqual(r.status, 1);
        assert.strictEqual(r.vppPid, undefined);
        assert.strictEqual(
            r.stderr,
            "start-vpp: error: VPP_MAIN_SLEEP_USEC is '10ms'; expected a whole number of microseconds\n",
        );
    });

    it("two CPUs, no worker wanted: the main thread alone", () => {
        const r = start({ VPP_WORKERS: "0" }, pair);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.cpuArgs!.length, 5, JSON.stringify(r.cpuArgs));
        assert.ok(cpus.slice(0, 2).includes(Number(r.cpuArgs![3])), `main-core ${r.cpuArgs![3]}`);
    });

    describe("a sparse CPU list, 3,7-8, read from a status file", () => {
        const status = path.join(dir, "status");
        const statOn = (cpu: number) => {
            // /proc/<pid>/stat: the processor is field 39; the command name may hold spaces.
            const file = path.join(dir, `stat-${cpu}`);
            const fields = Array.from({ length: 35 }, (_, i) => String(i + 4)); // fields 4 to 38
            fs.writeFileSync(file, `4242 (start vpp) S ${fields.join(" ")} ${cpu} 0 0\n`);
            return file;
        };
        before(() => fs.writeFileSync(status, "Name:\tdash\nCpus_allowed_list:\t3,7-8\nMems_allowed_list:\t0\n"));

        it("started on CPU 7: main thread on 7, the worker on the next allowed CPU, 8", () => {
            const r = start({ VPP_WORKERS: "1", PROC_STATUS: status, PROC_STAT: statOn(7) });
            assert.strictEqual(r.status, 0, r.stderr);
            assert.deepStrictEqual(r.cpuArgs, ["cpu", "{", "main-core", "7", "corelist-workers", "8", "}"]);
        });
        it("started on CPU 8, the last: the worker wraps around to 3", () => {
            const r = start({ VPP_WORKERS: "1", PROC_STATUS: status, PROC_STAT: statOn(8) });
            assert.deepStrictEqual(r.cpuArgs, ["cpu", "{", "main-core", "8", "corelist-workers", "3", "}"]);
        });
        it("started on a CPU outside the list: from the first allowed CPU, 3 then 7", () => {
            const r = start({ VPP_WORKERS: "1", PROC_STATUS: status, PROC_STAT: statOn(5) });
            assert.deepStrictEqual(r.cpuArgs, ["cpu", "{", "main-core", "3", "corelist-workers", "7", "}"]);
            assert.deepStrictEqual(r.log, [
                "start-vpp: this container may use CPUs 3,7-8; VPP's main thread on CPU 3, 1 worker on CPU 7",
            ]);
        });
        it("two workers take the next two allowed CPUs as a corelist", () => {
            const r = start({ VPP_WORKERS: "2", PROC_STATUS: status, PROC_STAT: statOn(3) });
            assert.deepStrictEqual(r.cpuArgs, ["cpu", "{", "main-core", "3", "corelist-workers", "7,8", "}"]);
        });
    });

    describe("failures name what is wrong and start nothing", () => {
        it("an unreadable Cpus_allowed_list", () => {
            const bad = path.join(dir, "status-bad");
            fs.writeFileSync(bad, "Name:\tdash\nCpus_allowed_list:\t0-\n");
            const r = start({ VPP_WORKERS: "1", PROC_STATUS: bad });
            assert.strictEqual(r.status, 1);
            assert.strictEqual(
                r.stderr.trim(),
                `start-vpp: error: cannot read the CPUs this container may use from ${bad} (Cpus_allowed_list is '0-')`,
            );
            assert.strictEqual(r.vppPid, undefined, "vpp must not start");
        });
        it("a missing configuration file", () => {
            const r = start({ VPP_WORKERS: "1", VPP_CONF: path.join(dir, "nowhere.conf") });
            assert.strictEqual(r.status, 1);
            assert.match(
                r.stderr,
                /^start-vpp: error: VPP's configuration .*nowhere.conf is missing: did the init container run\?$/m,
            );
        });
        it("a worker count that is not a number", () => {
            const r = start({ VPP_WORKERS: "one" });
            assert.strictEqual(r.status, 1);
            assert.strictEqual(r.stderr.trim(), "start-vpp: error: VPP_WORKERS is 'one'; expected a whole number");
        });
    });
});
