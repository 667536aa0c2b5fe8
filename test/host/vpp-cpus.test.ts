/**
 * Host integration: the init container's CPU planner (components/vpp-cpus.sh), run for real by a
 * POSIX shell (dash) with its CPU affinity set by `taskset`, as a container's cpuset sets it. VPP
 * is the VPP container's first process (it must be, to keep its capabilities under no_new_privs),
 * so this script, in the init container, adds VPP's `cpu { }` section to /conf/vpp.conf: nothing
 * without workers; with workers, `relative` core numbers on VPP 25.06 and newer, and on 24.10 the
 * CPUs this process may use; fewer workers (and a line saying so) when there are fewer CPUs than
 * threads. Two stand-in installs carry each release in their libraries' names, as VPP's do.
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
/** vpp.conf as the defaults render it: the planner only ever appends to it. */
const VPP_CONF = configMapData({ ...POC_SETTINGS, adaptiveSessionQueue: true }, undefined, readScripts())["vpp.conf"];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-cpus-"));
const script = path.join(dir, "vpp-cpus.sh");
fs.writeFileSync(script, configMapData(POC_SETTINGS, undefined, readScripts())["vpp-cpus.sh"]);

/** A stand-in install of `release`: bin/vpp, and the release in its libraries' names. */
function install(release: string): string {
    const top = path.join(dir, `vpp-${release}`);
    fs.mkdirSync(path.join(top, "bin"), { recursive: true });
    fs.mkdirSync(path.join(top, "lib", "x86_64-linux-gnu"), { recursive: true });
    fs.writeFileSync(path.join(top, "lib", "x86_64-linux-gnu", `libvppinfra.so.${release}`), "");
    fs.writeFileSync(path.join(top, "bin", "vpp"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    return path.join(top, "bin", "vpp");
}
const VPP_2410 = install("24.10");
const VPP_2606 = install("26.06");
let runs = 0;

interface Planned {
    status: number | null;
    /** What it printed, but for its line on VPP's release. */
    log: string[];
    release?: string;
    stderr: string;
    /** The lines it added to vpp.conf. */
    added: string[];
}

/** Runs the planner on a fresh copy of vpp.conf (under `taskset -c cpus` when given). */
function plan(env: Record<string, string>, cpus?: string, vpp = VPP_2410): Planned {
    const conf = path.join(dir, `vpp-${++runs}.conf`);
    fs.writeFileSync(conf, VPP_CONF);
    const argv = cpus ? ["taskset", "-c", cpus, SHELL, script] : [SHELL, script];
    const r = spawnSync(argv[0], argv.slice(1), {
        encoding: "utf8",
        env: { PATH: process.env.PATH, VPP_CONF: conf, VPP_BIN: vpp, ...env },
    });
    const text = fs.readFileSync(conf, "utf8");
    assert.ok(text.startsWith(VPP_CONF), `the planner changed vpp.conf's own lines:\n${text}`);
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    return {
        status: r.status,
        log: lines.filter((l) => !l.startsWith("init-vpp-server: VPP ")),
        release: lines.find((l) => l.startsWith("init-vpp-server: VPP ")),
        stderr: r.stderr,
        added: text
            .slice(VPP_CONF.length)
            .split("\n")
            .filter((l) => l !== ""),
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

const COMMENT = "# added by the init container (vpp-cpus.sh)";

describe("host integration: the init container's CPU planner pins VPP's threads to the VPP container's CPUs", function () {
    const cpus = allowedCpus();
    /** Two CPUs for taskset, and how the kernel then writes them in Cpus_allowed_list. */
    const pair = `${cpus[0]},${cpus[1]}`;
    const pairList = cpus[1] === cpus[0] + 1 ? `${cpus[0]}-${cpus[1]}` : pair;
    before(function () {
        if (spawnSync("taskset", ["-V"]).status !== 0) {
            throw new Error("taskset (util-linux) is needed to run the planner on chosen CPUs");
        }
        if (cpus.length < 2) {
            throw new Error(`these tests need two CPUs to choose from; this process may use ${cpus.join(",")}`);
        }
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("says which VPP release the image holds, from its libraries' names, or that it is not known", () => {
        assert.strictEqual(plan({}, pair, VPP_2606).release, `init-vpp-server: VPP 26.06 (${VPP_2606})`);
        assert.strictEqual(plan({}, pair, VPP_2410).release, `init-vpp-server: VPP 24.10 (${VPP_2410})`);
        const bare = path.join(dir, "bare", "bin", "vpp");
        fs.mkdirSync(path.dirname(bare), { recursive: true });
        fs.writeFileSync(bare, "#!/bin/sh\n", { mode: 0o755 });
        const unknown = plan({ VPP_WORKERS: "1" }, pair, bare);
        assert.strictEqual(unknown.status, 0, unknown.stderr);
        assert.strictEqual(
            unknown.release,
            `init-vpp-server: VPP of unknown release (${bare}): no libvppinfra.so.<release> beside it or in the system's library folders`,
        );
        // An unknown release is taken as one without `relative`: explicit CPUs.
        assert.match(unknown.added[1], /^cpu \{ main-core \d+ corelist-workers \d+ \}$/);
    });

    for (const [release, vpp] of [
        ["24.10", VPP_2410],
        ["26.06", VPP_2606],
    ] as const) {
        it(`no worker wanted (VPP ${release}): nothing added, VPP pins its main thread where it starts`, () => {
            const r = plan({ VPP_WORKERS: "0", VPP_MAIN_SLEEP_USEC: "10000" }, pair, vpp);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.deepStrictEqual(r.added, []);
            assert.deepStrictEqual(r.log, [
                "init-vpp-server: no workers: VPP's main thread runs on the CPU VPP starts on, one of the VPP container's",
                "init-vpp-server: no worker: the main thread carries the traffic, so it does not sleep (VPP_MAIN_SLEEP_USEC 10000 is for a main thread beside a worker)",
            ]);
        });

        it(`one CPU, one worker wanted (VPP ${release}): no worker and no cpu section, and the log says why`, () => {
            const only = String(cpus[1]);
            const r = plan({ VPP_WORKERS: "1", VPP_MAIN_SLEEP_USEC: "10000" }, only, vpp);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.deepStrictEqual(r.added, []);
            assert.deepStrictEqual(r.log, [
                `init-vpp-server: warning: 1 worker configured, but this pod may use 1 CPU (${only}): VPP starts with 0 workers. Give the pod 2 whole CPUs (dedicated cores) or lower the stack's workers.`,
                "init-vpp-server: no worker: VPP's main thread runs on the CPU VPP starts on, and carries the traffic, so it does not sleep",
            ]);
        });
    }

    it("VPP 24.10, two CPUs, one worker: the main thread on the first, the worker on the second, by number", () => {
        const r = plan({ VPP_WORKERS: "1" }, pair, VPP_2410);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.added, [COMMENT, `cpu { main-core ${cpus[0]} corelist-workers ${cpus[1]} }`]);
        assert.deepStrictEqual(r.log, [
            `init-vpp-server: this pod may use CPUs ${pairList}; VPP's main thread on CPU ${cpus[0]}, 1 worker on CPU ${cpus[1]}`,
        ]);
    });

    it("VPP 26.06, two CPUs, one worker: relative cores, which VPP numbers within its own CPUs", () => {
        const r = plan({ VPP_WORKERS: "1" }, pair, VPP_2606);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.added, [COMMENT, "cpu { main-core 0 corelist-workers 1 relative }"]);
        assert.deepStrictEqual(r.log, [
            "init-vpp-server: VPP's main thread on the first CPU of the VPP container, 1 worker on the next (VPP 26.06 numbers them within its own CPUs: relative)",
        ]);
    });

    it("VPP_MAIN_SLEEP_USEC with a worker: unix { poll-sleep-usec } before the cpu section, and the log says so", () => {
        const r = plan({ VPP_WORKERS: "1", VPP_MAIN_SLEEP_USEC: "10000" }, pair, VPP_2606);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.added, [
            COMMENT,
            "unix { poll-sleep-usec 10000 }",
            "cpu { main-core 0 corelist-workers 1 relative }",
        ]);
        assert.strictEqual(
            r.log[1],
            "init-vpp-server: the worker carries the traffic: VPP's main thread sleeps 10000 us on every pass of its loop",
        );
    });

    describe("a sparse CPU list, 3,7-8, read from a status file", () => {
        const status = path.join(dir, "status");
        before(() => fs.writeFileSync(status, "Name:\tdash\nCpus_allowed_list:\t3,7-8\nMems_allowed_list:\t0\n"));

        it("VPP 24.10, one worker: main thread on 3, the worker on 7", () => {
            const r = plan({ VPP_WORKERS: "1", PROC_STATUS: status });
            assert.deepStrictEqual(r.added, [COMMENT, "cpu { main-core 3 corelist-workers 7 }"]);
            assert.deepStrictEqual(r.log, [
                "init-vpp-server: this pod may use CPUs 3,7-8; VPP's main thread on CPU 3, 1 worker on CPU 7",
            ]);
        });
        it("VPP 24.10, two workers take the next two allowed CPUs as a corelist", () => {
            const r = plan({ VPP_WORKERS: "2", PROC_STATUS: status });
            assert.deepStrictEqual(r.added, [COMMENT, "cpu { main-core 3 corelist-workers 7,8 }"]);
        });
        it("VPP 26.06, two workers: relative 1-2", () => {
            const r = plan({ VPP_WORKERS: "2", PROC_STATUS: status }, undefined, VPP_2606);
            assert.deepStrictEqual(r.added, [COMMENT, "cpu { main-core 0 corelist-workers 1-2 relative }"]);
        });
        it("three workers on three CPUs: two workers, and the log says so", () => {
            const r = plan({ VPP_WORKERS: "3", PROC_STATUS: status }, undefined, VPP_2606);
            assert.deepStrictEqual(r.added, [COMMENT, "cpu { main-core 0 corelist-workers 1-2 relative }"]);
            assert.strictEqual(
                r.log[0],
                "init-vpp-server: warning: 3 workers configured, but this pod may use 3 CPUs (3,7-8): VPP starts with 2 workers. Give the pod 4 whole CPUs (dedicated cores) or lower the stack's workers.",
            );
        });
    });

    describe("NUMA: a CPU outside node 0 is named, with what VPP does there under the runtime's seccomp profile", () => {
        const status = path.join(dir, "status-numa");
        const sys = path.join(dir, "sys-cpu");
        before(() => {
            fs.writeFileSync(status, "Name:\tdash\nCpus_allowed_list:\t2-3\n");
            for (const [cpu, node] of [
                [2, 0],
                [3, 1],
            ]) {
                fs.mkdirSync(path.join(sys, `cpu${cpu}`, `node${node}`), { recursive: true });
            }
        });
        const warning =
            "init-vpp-server: warning: this pod may use CPU 3 of NUMA node 1: VPP running there allocates its buffers on node 1, and under the runtime's default seccomp profile (CRI-O's refuses move_pages) it stops at start with 'page allocated on the wrong numa node (65535), expected 1'. Keep the pod on NUMA node 0's CPUs (docs/dataplane.md, NUMA).";
        it("with or without workers, the warning comes first; the plan is unchanged", () => {
            for (const w of ["0", "1"]) {
                const r = plan({ VPP_WORKERS: w, PROC_STATUS: status, SYS_CPU: sys });
                assert.strictEqual(r.status, 0, r.stderr);
                assert.strictEqual(r.log[0], warning);
            }
            assert.deepStrictEqual(plan({ VPP_WORKERS: "1", PROC_STATUS: status, SYS_CPU: sys }).added, [
                COMMENT,
                "cpu { main-core 2 corelist-workers 3 }",
            ]);
        });
        it("CPUs all on node 0, or a sysfs without nodes: no warning", () => {
            fs.writeFileSync(path.join(dir, "status-node0"), "Name:\tdash\nCpus_allowed_list:\t2\n");
            const r = plan({ VPP_WORKERS: "0", PROC_STATUS: path.join(dir, "status-node0"), SYS_CPU: sys });
            assert.ok(!r.log.some((l) => l.includes("NUMA")), r.log.join("\n"));
            const none = plan({ VPP_WORKERS: "0", PROC_STATUS: status, SYS_CPU: path.join(dir, "nowhere") });
            assert.ok(!none.log.some((l) => l.includes("NUMA")), none.log.join("\n"));
        });
    });

    describe("failures name what is wrong and add nothing", () => {
        it("an unreadable Cpus_allowed_list", () => {
            const bad = path.join(dir, "status-bad");
            fs.writeFileSync(bad, "Name:\tdash\nCpus_allowed_list:\t0-\n");
            const r = plan({ VPP_WORKERS: "1", PROC_STATUS: bad });
            assert.strictEqual(r.status, 1);
            assert.strictEqual(
                r.stderr.trim(),
                `init-vpp-server: error: cannot read the CPUs this container may use from ${bad} (Cpus_allowed_list is '0-')`,
            );
            assert.deepStrictEqual(r.added, []);
        });
        it("a VPP_MAIN_SLEEP_USEC that is no number", () => {
            const r = plan({ VPP_WORKERS: "1", VPP_MAIN_SLEEP_USEC: "10ms" }, pair);
            assert.strictEqual(r.status, 1);
            assert.strictEqual(
                r.stderr,
                "init-vpp-server: error: VPP_MAIN_SLEEP_USEC is '10ms'; expected a whole number of microseconds\n",
            );
            assert.deepStrictEqual(r.added, []);
        });
        it("a worker count that is not a number", () => {
            const r = plan({ VPP_WORKERS: "one" });
            assert.strictEqual(r.status, 1);
            assert.strictEqual(
                r.stderr.trim(),
                "init-vpp-server: error: VPP_WORKERS is 'one'; expected a whole number",
            );
        });
        it("a missing configuration file", () => {
            const gone = path.join(dir, "nowhere.conf");
            const r = spawnSync(SHELL, [script], {
                encoding: "utf8",
                env: { PATH: process.env.PATH, VPP_CONF: gone, VPP_BIN: VPP_2606, VPP_WORKERS: "1" },
            });
            assert.strictEqual(r.status, 1);
            assert.strictEqual(
                r.stderr.trim(),
                `init-vpp-server: error: VPP's configuration ${gone} is missing or not writable`,
            );
        });
    });
});
