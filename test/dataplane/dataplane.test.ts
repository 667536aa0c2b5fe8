/**
 * The data-plane tier: the lab's own pod (rendered by the program under mocks) run on a real VPP,
 * as the kubelet runs it (rig.ts), with a client on the VLAN. Root, network namespaces, cgroups v1.
 *
 * Runs on every VPP install found ($VPP_PREFIX, one or several separated by ":", else each
 * vpp-v<version> of the tool cache), once each, and says on one line which it runs on; without one
 * it says so on that line, with how to enable it, and the rest of the test suites run.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { labPod, LabPod } from "./pod";
import type { RawConfig } from "../../stacks/config";
import { capabilityMask, Expected, judge, probeScript, splitSections } from "../../check/checks";
import { LAB_CONFIG, LAB_NAD_CONFIG } from "../fixtures/lab";
import { EXPORTER_ERROR_NODES } from "../../components/vppConfig";
import { TERMINATION_GRACE_SECONDS } from "../../components/pod";
import {
    findVppInstalls,
    maxMemory,
    PodCgroup,
    Rig,
    RunningContainer,
    seccompRefusals,
    threadReport,
    VppInstall,
} from "./rig";

const CLIENT = "192.168.123.10/24";
/** VPP's own words when it runs without NET_RAW: the AF_PACKET socket is refused, so no host interface. */
const NO_CAPABILITY = /af_packet: Failed to create AF_PACKET socket: Operation not permitted/;

/** One sample of a Prometheus text exposition: its name, labels and value. */
interface Sample {
    readonly name: string;
    readonly labels: Record<string, string>;
    readonly value: number;
}

function samples(exposition: string): Sample[] {
    const out: Sample[] = [];
    for (const m of exposition.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/gm)) {
        const labels: Record<string, string> = {};
        for (const l of (m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]] = l[2];
        out.push({ name: m[1], labels, value: Number(m[3]) });
    }
    return out;
}

/** A counter summed over every label (VPP's threads). */
function total(exposition: string, counter: string): number {
    return samples(exposition)
        .filter((s) => s.name === counter)
        .reduce((sum, s) => sum + s.value, 0);
}

/** A counter of one interface (by name, through vpp_if_names_info), summed over VPP's threads. */
function interfaceCounter(exposition: string, counter: string, ifName: string): number {
    const all = samples(exposition);
    const index = all.find((s) => s.name === "vpp_if_names_info" && s.labels.name === ifName)?.labels.index;
    if (index === undefined) throw new Error(`no vpp_if_names_info for ${ifName} in:\n${exposition}`);
    return all.filter((s) => s.name === counter && s.labels.interface === index).reduce((sum, s) => sum + s.value, 0);
}

/** VPP's threads and the CPU (lcore) each is pinned to, from `show threads`. */
function threadCores(showThreads: string): [string, string][] {
    return [...showThreads.matchAll(/^\d+\s+(vpp_\w+)\b.*?other \(\d+\)\s+(\d+)/gm)].map((m) => [m[1], m[2]]);
}

/** The pod's probe, run every periodSeconds until it succeeds, at most failureThreshold times (the kubelet's budget). */
async function untilProbe(rig: Rig, pod: LabPod, which: "startupProbe", vpp: RunningContainer): Promise<number> {
    const p = pod.vpp[which]!;
    const t0 = Date.now();
    let last = "";
    for (let i = 0; i < p.failureThreshold; i++) {
        const r = rig.probe(pod, p, vpp.pid);
        if (r.ok) return Date.now() - t0;
        last = `${r.out.trim() || "(no output)"} after ${r.ms} ms`;
        if (vpp.process.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, p.periodSeconds * 1000));
    }
    const threads = vpp.process.exitCode === null ? `\nVPP's threads:\n${threadReport(vpp.pid)}` : "";
    throw new Error(`the ${which} never succeeded (its last answer: ${last}); VPP's log:\n${vpp.log()}${threads}`);
}

// An invalid $VPP_PREFIX fails the tier inside the run, with what is missing: thrown while this
// file loads, mocha would report only that the file could not be loaded.
let found: ReturnType<typeof findVppInstalls>;
try {
    found = findVppInstalls();
} catch (e) {
    found = { installs: [] };
    const message = (e as Error).message;
    describe("data plane: the VPP installs", () => {
        it("VPP_PREFIX names VPP installs", () => {
            throw new Error(message);
        });
    });
}
if ("missing" in found) {
    console.log(`  data-plane tier not run: ${found.missing}; set VPP_PREFIX to an install to run it`);
} else {
    console.log(`  data-plane tier on ${found.installs.map((i) => `VPP ${i.version} (${i.prefix})`).join(" and ")}`);
    // Registered only where a VPP install is found, once for each.
    for (const install of found.installs) tier(install);
}

function tier({ prefix, version }: VppInstall): void {
    describe(`data plane: the lab's pod on a real VPP ${version}`, function () {
        this.timeout(5 * 60 * 1000);
        let rig: Rig;
        let pod: LabPod;
        let vols: Record<string, string>;
        let cg: PodCgroup;
        let vpp: RunningContainer;
        /** The init container's log of the pod's first start (its release and CPU lines). */
        let initLog = "";
        const relative = Number(version.split(".")[0]) * 100 + Number(version.split(".")[1]) >= 2506;
        const address = () => pod.ipCidr.split("/")[0];
        const curl = () => rig.inNetns("client", ["curl", "-sS", "--max-time", "5", `http://${address()}/index.html`]);
        const start = async (c: PodCgroup) => {
            vpp = rig.startVpp(pod, c, vols);
            await untilProbe(rig, pod, "startupProbe", vpp);
        };
        /**
         * Stops VPP as the kubelet stops a container: SIGTERM, then SIGKILL after the pod's grace
         * period. VPP exits on SIGTERM and removes its API segment's files from the pod's /dev/shm;
         * SIGKILL alone leaves them there (the pod's /dev/shm outlives its containers), and a VPP
         * started on them can hang before it opens its CLI (seen about once in ten restarts).
         */
        const stop = async () => {
            if (vpp && vpp.process.exitCode === null) {
                process.kill(vpp.pid, "SIGTERM");
                const gone = await Promise.race([
                    vpp.exited.then(() => true),
                    new Promise<boolean>((r) => setTimeout(() => r(false), TERMINATION_GRACE_SECONDS * 1000)),
                ]);
                if (!gone) {
                    process.kill(vpp.pid, "SIGKILL");
                    await vpp.exited;
                }
            }
        };

        /** Stops VPP, then runs the pod of the reference lab with `overrides` in fresh volumes and cgroup `name`. */
        const restartAs = async (name: string, overrides: RawConfig) => {
            await stop();
            pod = await labPod(overrides);
            vols = rig.volumes(pod);
            const c = rig.cgroup(name, { cpus: "0-1", memoryBytes: Rig.memoryLimit(pod.vpp) });
            assert.strictEqual(rig.runInit(pod, c, vols).status, 0);
            await start(c);
        };

        before(async function () {
            if (process.getuid?.() !== 0)
                throw new Error("the data-plane tier needs root (network namespaces, cgroups)");
            pod = await labPod();
            rig = new Rig(prefix);
            rig.network({ mac: pod.mac, vlanId: pod.vlanId, clientCidr: CLIENT });
            vols = rig.volumes(pod);
            cg = rig.cgroup("pod", { cpus: "0-1", memoryBytes: Rig.memoryLimit(pod.vpp) });
        });
        after(async () => {
            if (rig) {
                await stop();
                rig.cleanup();
            }
        });

        it("the init container writes VPP's configuration with macvlan0's pinned MAC, as uid 10000 on a read-only root", () => {
            const r = rig.runInit(pod, cg, vols);
            initLog = r.out;
            assert.strictEqual(r.status, 0, r.out);
            assert.match(r.out, new RegExp(`init-vpp-server: macvlan0 has MAC ${pod.mac} \\(pinned by the stack\\)`));
            assert.match(r.out, /init-vpp-server: macvlan0 has IPv6 disabled/);
            const startup = fs.readFileSync(path.join(vols.conf, "startup.conf"), "utf8");
            assert.match(startup, new RegExp(`^set interface mac address host-macvlan0 ${pod.mac}$`, "m"));
            assert.strictEqual(fs.statSync(path.join(vols.conf, "startup.conf")).uid, 10000);
        });

        it("VPP starts from the pod's own command under runc, rootless with exactly the image's capabilities and the runtime's seccomp profile; all three probes pass", async () => {
            await start(cg);
            // The init container names the release the image holds, from the install's libraries.
            assert.match(
                initLog,
                new RegExp(`^init-vpp-server: VPP ${version.replace(".", "\\.")} \\(/opt/vpp/bin/vpp\\)$`, "m"),
            );
            const status = fs.readFileSync(`/proc/${vpp.pid}/status`, "utf8");
            assert.match(fs.readFileSync(`/proc/${vpp.pid}/comm`, "utf8"), /^vpp_main|^vpp/);
            assert.match(status, /^Uid:\s+10000\s+10000\s+10000\s+10000$/m);
            assert.match(status, /^NSpid:\s+\d+\s+1$/m, "vpp is process 1 of the container's PID namespace");
            assert.match(status, /^NoNewPrivs:\s+1$/m, "allowPrivilegeEscalation false: no_new_privs");
            assert.match(status, /^Seccomp:\s+2$/m, "seccomp RuntimeDefault: a filter");
            // NET_ADMIN (12), NET_RAW (13), IPC_LOCK (14), NET_BROADCAST (11): 0x7800, and nothing else.
            const mask = capabilityMask(pod.vpp.securityContext.capabilities.add ?? [])
                .toString(16)
                .padStart(16, "0");
            assert.strictEqual(mask, "0000000000007800");
            for (const set of ["CapPrm", "CapEff", "CapBnd"]) {
                assert.match(status, new RegExp(`^${set}:\\s+${mask}$`, "m"), `${set} of vpp:\n${status}`);
            }
            assert.match(status, /^CapInh:\s+0{16}$/m);
            assert.match(status, /^CapAmb:\s+0{16}$/m, "no runtime sets ambient capabilities");
            for (const p of [pod.vpp.readinessProbe!, pod.vpp.livenessProbe!]) {
                const r = rig.probe(pod, p, vpp.pid);
                assert.ok(r.ok, `${p.exec!.command.join(" ")}: ${r.out}`);
            }
        });

        it("vpp holds the AF_PACKET socket on macvlan0; no other process of the pod holds a capability", () => {
            const ss = rig.exec(pod.vpp, vpp.pid, ["ss", "-f", "link", "-anp"], 10_000);
            assert.ok(ss.ok, ss.out);
            // No process column: vpp gained its capabilities from its file, so the kernel makes it
            // non-dumpable and its /proc/1/fd is root's, which an exec as uid 10000 cannot read.
            assert.match(ss.out, /^p_raw\s+UNCONN\s+\d+\s+\d+\s+\*:macvlan0\s/m, ss.out);
            // An exec in the VPP container (what a probe or `oc exec` runs) starts with the container's
            // capabilities and loses them at its execve, as vpp would behind a shell.
            const sh = rig.exec(
                pod.vpp,
                vpp.pid,
                ["/bin/sh", "-c", "grep -E '^Cap(Prm|Eff|Amb)' /proc/self/status"],
                10_000,
            );
            assert.strictEqual(
                sh.out,
                "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000\n",
            );
            for (const pid of rig.podProcesses(cg)) {
                if (pid === vpp.pid) continue;
                const st = fs.readFileSync(`/proc/${pid}/status`, "utf8");
                assert.match(st, /^CapEff:\s+0{16}$/m, `process ${pid} of the pod:\n${st}`);
            }
        });

        it("the first curl of /index.html from a new client on the VLAN succeeds", () => {
            const r = curl();
            assert.strictEqual(r.status, 0, r.out);
            assert.strictEqual(r.out, "Welcome\n");
        });

        it("ping from a new client: answered once VPP has learned the client (with a worker, the first echo goes to that)", () => {
            // VPP 24.10 learns a client's MAC from its ARP request through an RPC to the main thread; with
            // a worker the echo that follows the ARP by microseconds can reach the worker first, and VPP
            // drops it while it asks for the client's MAC itself (ip4-glean). The kernel would queue it.
            rig.inNetns("client", ["ip", "neigh", "flush", "dev", "eth0"]);
            rig.vppctl(pod, vpp.pid, "clear ip neighbors");
            const ping = rig.inNetns("client", ["ping", "-c", "3", "-i", "0.3", "-W", "1", address()]);
            const received = Number(/(\d+) received/.exec(ping.out)?.[1]);
            assert.ok(received >= 2, `at most the first echo may be lost:\n${ping.out}`);
        });

        it("with two CPUs, the main thread and the worker are pinned to the pod's CPUs, one each", () => {
            const threads = rig.vppctl(pod, vpp.pid, "show threads");
            const cores = threadCores(threads);
            assert.deepStrictEqual(
                cores.map(([t]) => t),
                ["vpp_main", "vpp_wk_0"],
                threads,
            );
            assert.deepStrictEqual(
                cores,
                [
                    ["vpp_main", "0"],
                    ["vpp_wk_0", "1"],
                ],
                threads,
            );
            assert.match(
                initLog,
                relative
                    ? new RegExp(
                          `^init-vpp-server: VPP's main thread on the first CPU of the VPP container, 1 worker on the next \\(VPP ${version.replace(".", "\\.")} numbers them within its own CPUs: relative\\)$`,
                          "m",
                      )
                    : /^init-vpp-server: this pod may use CPUs 0-1; VPP's main thread on CPU 0, 1 worker on CPU 1$/m,
            );
            const conf = fs.readFileSync(path.join(vols.conf, "vpp.conf"), "utf8");
            assert.match(
                conf,
                relative
                    ? /^cpu \{ main-core 0 corelist-workers 1 relative \}$/m
                    : /^cpu \{ main-core 0 corelist-workers 1 \}$/m,
            );
            // pollSleepUsec auto: the main thread, which carries no traffic beside a worker, sleeps.
            assert.match(
                initLog,
                /init-vpp-server: the worker carries the traffic: VPP's main thread sleeps 10000 us on every pass of its loop/,
            );
        });

        it("rxMode auto on shared cores leaves host-macvlan0 in interrupt mode", () => {
            assert.match(
                rig.vppctl(pod, vpp.pid, "show interface rx-placement"),
                /host-macvlan0 queue 0 \(interrupt\)/,
            );
        });

        it("after a restart with the same MAC, the first curl succeeds (no stale ARP)", async () => {
            await stop();
            await start(cg);
            const r = curl();
            assert.strictEqual(r.status, 0, r.out);
            assert.strictEqual(r.out, "Welcome\n");
        });

        it("the CLI script ran to its last line: the gratuitous ARP it ends with reaches the client before the client sends anything", async () => {
            // A failing line of startup.conf stops every line after it, so the last line is the proof.
            const lines = fs.readFileSync(path.join(vols.conf, "startup.conf"), "utf8").trim().split("\n");
            assert.strictEqual(lines[lines.length - 1], `arping gratuitous ${address()} host-macvlan0.${pod.vlanId}`);
            await stop();
            // The client learns a neighbour from a gratuitous ARP only with arp_accept; it forgets VPP first.
            const sysctl = (v: number) =>
                rig.inNetns("client", ["sysctl", "-q", "-w", `net.ipv4.conf.eth0.arp_accept=${v}`]);
            assert.strictEqual(sysctl(1).status, 0);
            try {
                rig.inNetns("client", ["ip", "neigh", "flush", "dev", "eth0"]);
                await start(cg);
                let neigh = "";
                for (let i = 0; i < 30 && !neigh.includes(`lladdr ${pod.mac}`); i++) {
                    neigh = rig.inNetns("client", ["ip", "neigh", "show", address(), "dev", "eth0"]).out;
                    if (!neigh.includes(`lladdr ${pod.mac}`)) await new Promise((r) => setTimeout(r, 100));
                }
                assert.match(
                    neigh,
                    new RegExp(`^${address().replace(/\./g, "\\.")} lladdr ${pod.mac} `, "m"),
                    vpp.log(),
                );
            } finally {
                sysctl(0);
            }
        });

        it("a wedged VPP (SIGSTOP) fails the liveness command within its timeout", () => {
            const p = pod.vpp.livenessProbe!;
            process.kill(vpp.pid, "SIGSTOP");
            try {
                const r = rig.probe(pod, p, vpp.pid);
                assert.strictEqual(r.ok, false, `liveness passed on a stopped VPP: ${r.out}`);
                assert.ok(
                    r.ms <= p.timeoutSeconds * 1000 + 1000,
                    `the probe took ${r.ms} ms, over its ${p.timeoutSeconds} s`,
                );
            } finally {
                process.kill(vpp.pid, "SIGCONT");
            }
            assert.ok(rig.probe(pod, p, vpp.pid).ok, "liveness passes again once VPP runs");
        });

        it("in a one-CPU cpuset, VPP serves without a worker and says so", async () => {
            await stop();
            const one = rig.cgroup("one-cpu", { cpus: "1", memoryBytes: Rig.memoryLimit(pod.vpp) });
            // The pod's init container runs in the pod's cpuset too, and plans for it.
            const init = rig.runInit(pod, one, vols);
            assert.strictEqual(init.status, 0, init.out);
            await start(one);
            assert.match(
                init.out,
                /init-vpp-server: warning: 1 worker configured, but this pod may use 1 CPU \(1\): VPP starts with 0 workers/,
            );
            assert.match(
                init.out,
                /init-vpp-server: no worker: VPP's main thread runs on the CPU VPP starts on, and carries the traffic, so it does not sleep/,
            );
            assert.deepStrictEqual(threadCores(rig.vppctl(pod, vpp.pid, "show threads")), [["vpp_main", "1"]]);
            const r = curl();
            assert.strictEqual(r.out, "Welcome\n", r.out);
            // No worker: VPP learns a new client on the thread that answers it, so its first ping is answered.
            rig.inNetns("client", ["ip", "neigh", "flush", "dev", "eth0"]);
            rig.vppctl(pod, vpp.pid, "clear ip neighbors");
            const ping = rig.inNetns("client", ["ping", "-c", "1", "-W", "2", address()]);
            assert.strictEqual(ping.status, 0, ping.out);
        });

        it("rxMode auto with dedicated cores polls host-macvlan0, and serves", async () => {
            await restartAs("dedicated", { dedicatedCores: "true" });
            assert.match(rig.vppctl(pod, vpp.pid, "show interface rx-placement"), /host-macvlan0 queue 0 \(polling\)/);
            assert.strictEqual(curl().out, "Welcome\n");
        });

        it("npm run check's probe, run in the VPP container, gives real answers that judge every item ok", () => {
            // As on a node: vpp is process 1 of the container's PID namespace, where check reads it.
            const script = probeScript();
            const r = rig.exec(pod.vpp, vpp.pid, ["/bin/sh", "-c", script], 20_000);
            if (process.env.CHECK_CAPTURE) fs.writeFileSync(process.env.CHECK_CAPTURE, r.out);
            const e: Expected = {
                stack: "lab",
                namespace: "vpp-server",
                deployment: "vpp-server",
                nadName: "macvlan0",
                master: LAB_CONFIG.macvlanMaster,
                mode: "bridge",
                mac: pod.mac,
                vlanId: pod.vlanId,
                ipCidr: pod.ipCidr,
                afPacketVersion: 2,
                rxMode: "polling",
                capabilities: ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_BROADCAST"],
                url: `http://${address()}/index.html`,
                metrics: "none",
                metricsUrl: "",
            };
            const lines = judge(
                e,
                { name: "vpp-server-0", phase: "Running", ready: true, restarts: 0 },
                JSON.stringify(LAB_NAD_CONFIG),
                splitSections(r.out),
            );
            assert.deepStrictEqual(
                lines.filter((l) => !l.ok),
                [],
                r.out,
            );
            const evidence = Object.fromEntries(lines.map((l) => [l.item, l.evidence]));
            assert.strictEqual(evidence.macvlan0, `MAC ${pod.mac} (pinned), promiscuity 0`);
            assert.strictEqual(evidence["host-macvlan0"], `up, MAC ${pod.mac}`);
            assert.strictEqual(evidence["AF_PACKET ring"], "TPACKET_V2");
            assert.strictEqual(evidence["rx mode"], "host-macvlan0 queue 0 polling");
            assert.strictEqual(evidence.address, "host-macvlan0.123 (up): 192.168.123.150/24");
            assert.strictEqual(evidence["AF_PACKET socket"], "p_raw on macvlan0");
            assert.match(
                evidence.capabilities,
                /^vpp_main CapEff 0000000000007800: NET_BROADCAST, NET_ADMIN, NET_RAW, IPC_LOCK$/,
            );
            assert.match(
                evidence.counters,
                /^host-macvlan0\.123: rx [1-9]\d* packets, tx [1-9]\d* packets, \d+ drops; /,
            );
        });

        it("the pod as it was (a shell in front of vpp): under no_new_privs the runtime leaves vpp no capability, and VPP cannot open its AF_PACKET socket", async () => {
            // The rig grants nothing a runtime does not: the same container, with the command the
            // pod had before vpp became its first process.
            await stop();
            assert.strictEqual(rig.runInit(pod, cg, vols).status, 0);
            const shell = { ...pod.vpp, command: ["/bin/sh", "-c", "exec vpp -c /conf/vpp.conf"] };
            vpp = rig.startContainer(shell, cg, vols);
            let status = "";
            for (let i = 0; i < 200 && !status; i++) {
                const st = fs.existsSync(`/proc/${vpp.pid}/status`)
                    ? fs.readFileSync(`/proc/${vpp.pid}/status`, "utf8")
                    : "";
                if (/^Name:\s+vpp/m.test(st)) status = st;
                else await new Promise((r) => setTimeout(r, 50));
            }
            assert.ok(status, `vpp never ran behind the shell:\n${vpp.log()}`);
            assert.match(status, /^NoNewPrivs:\s+1$/m);
            for (const set of ["CapPrm", "CapEff", "CapAmb"]) {
                assert.match(status, new RegExp(`^${set}:\\s+0{16}$`, "m"), `${set} of vpp behind a shell:\n${status}`);
            }
            const t0 = Date.now();
            while (Date.now() - t0 < 20_000 && !NO_CAPABILITY.test(vpp.log())) {
                await new Promise((r) => setTimeout(r, 250));
            }
            assert.match(vpp.log(), NO_CAPABILITY);
            assert.match(vpp.log(), /create host-interface: No such file or directory/);
            assert.ok(!rig.probe(pod, pod.vpp.startupProbe!, vpp.pid).ok, "the VLAN address must be missing");
            await stop();
        });

        it("under the runtime's default seccomp profile, what VPP calls that the profile refuses: move_pages alone (its NUMA query)", async () => {
            // The same profile with its refusals logged instead (loggingSeccomp): the kernel's audit
            // records name each call VPP made that CRI-O's profile would refuse.
            await stop();
            rig.seccompLogOnly = true;
            try {
                assert.strictEqual(rig.runInit(pod, cg, vols).status, 0);
                await start(cg);
                assert.strictEqual(curl().out, "Welcome\n");
                assert.match(rig.vppctl(pod, vpp.pid, "show version"), /vpp v/);
                const refused = seccompRefusals(vpp.pid);
                assert.deepStrictEqual(refused, ["move_pages"], `VPP ${version} called what the profile refuses`);
            } finally {
                rig.seccompLogOnly = false;
                await stop();
            }
        });

        it("metrics vlan: a client on the VLAN scrapes /stats.prom; after 5 curls the VLAN interface's packet counters and the listener's SYN counter rise", async () => {
            await restartAs("metrics", { metrics: "vlan" });
            const scrape = () => {
                const r = rig.inNetns("client", ["curl", "-sS", "--max-time", "5", `http://${address()}/stats.prom`]);
                assert.strictEqual(r.status, 0, r.out);
                return r.out;
            };
            const sub = `host-macvlan0.${pod.vlanId}`;
            assert.strictEqual(curl().out, "Welcome\n");
            const before = scrape();
            assert.match(before, /^# TYPE vpp_if_rx_packets counter$/m);
            assert.match(
                before,
                new RegExp(`^vpp_if_names_info\\{index="\\d+",name="${sub.replace(".", "\\.")}"\\} 1$`, "m"),
            );
            assert.match(before, /^vpp_buffer_pools_default_numa_0_available \d+\.00$/m);
            // Only the patterns asked for: no node runtime (/sys/node) or memory (/mem) stats.
            assert.deepStrictEqual(
                samples(before).filter((x) => !/^vpp_(if|err|buffer_pools|sys_session)_/.test(x.name)),
                [],
            );
            // used-only: no zero sample.
            assert.deepStrictEqual(
                samples(before).filter((x) => x.value === 0),
                [],
            );
            const rx0 = interfaceCounter(before, "vpp_if_rx_packets", sub);
            const tx0 = interfaceCounter(before, "vpp_if_tx_packets", sub);
            const syns0 = total(before, "vpp_err_tcp4_listen_syns_rcvd");
            for (let i = 0; i < 5; i++) assert.strictEqual(curl().out, "Welcome\n");
            // The plugin answers from its last scrape for min-scrape-interval (1 s).
            await new Promise((r) => setTimeout(r, 1100));
            const after = scrape();
            // Each curl is at least SYN, ACK, request and FIN from the client, and as many answers.
            assert.ok(interfaceCounter(after, "vpp_if_rx_packets", sub) >= rx0 + 5 * 4, after);
            assert.ok(interfaceCounter(after, "vpp_if_tx_packets", sub) >= tx0 + 5 * 4, after);
            // One connection per curl, and one for the second scrape itself.
            assert.strictEqual(total(after, "vpp_err_tcp4_listen_syns_rcvd"), syns0 + 6, after);
        });

        it("metrics cluster: the metrics container's exporter serves VPP's counters on the pod network, they rise after curls, and it follows a VPP restart", async () => {
            await restartAs("metrics-cluster", { metrics: "cluster" });
            const m = pod.metrics;
            assert.ok(m, "metrics cluster renders a second container");
            const mcg = rig.cgroup("metrics-container", { cpus: "0-1", memoryBytes: Rig.memoryLimit(m) });
            const exporter = rig.startContainer(m, mcg, vols);
            try {
                // The kubelet's budget: the startup probe every periodSeconds, failureThreshold times.
                const sp = m.startupProbe!;
                let started = false;
                for (let i = 0; i < sp.failureThreshold && !started; i++) {
                    started = rig.httpProbe(m, sp).ok;
                    if (!started) await new Promise((r) => setTimeout(r, sp.periodSeconds * 1000));
                }
                assert.ok(started, `the metrics container's startup probe never passed:\n${exporter.log()}`);
                for (const p of [m.readinessProbe!, m.livenessProbe!]) {
                    const r = rig.httpProbe(m, p);
                    assert.ok(r.ok, `${p.httpGet!.path}: ${r.out}\n${exporter.log()}`);
                }
                // Rootless, no capability, as the pod declares it.
                const status = fs.readFileSync(`/proc/${exporter.pid}/status`, "utf8");
                assert.match(status, /^Uid:\s+10000\s+10000\s+10000\s+10000$/m);
                assert.match(status, /^CapEff:\s+0000000000000000$/m);

                // As Prometheus scrapes it: the pod's address (here its loopback) and the declared port.
                const url = `http://127.0.0.1:${m.ports[0].containerPort}/metrics`;
                const get = () => rig.inNetns("pod", ["curl", "-sS", "--max-time", "5", url]);
                const scrape = () => {
                    const r = get();
                    assert.strictEqual(r.status, 0, r.out);
                    return r.out;
                };
                const sub = `host-macvlan0.${pod.vlanId}`;
                const rx = (text: string) =>
                    samples(text)
                        .filter((x) => x.name === "interfaces_rx_packets" && x.labels.interface === sub)
                        .reduce((sum, x) => sum + x.value, 0);
                assert.strictEqual(curl().out, "Welcome\n");
                const before = scrape();
                if (process.env.METRICS_CAPTURE) fs.writeFileSync(process.env.METRICS_CAPTURE, before);
                // v2 names the interface; the patterns keep out per-node runtime and memory stats.
                assert.match(
                    before,
                    new RegExp(
                        `^interfaces_rx_packets\\{interface="${sub.replace(".", "\\.")}",index="\\d+",thread="\\d+"\\} \\d+$`,
                        "m",
                    ),
                );
                assert.match(before, /^buffer_pools_available\{pool="default-numa-0"\} \d+\.00$/m);
                assert.doesNotMatch(before, /^(nodes_|mem)/m);
                // Error counters of the lab's path only: a few hundred series, not VPP's 5,600.
                const errNodes = new Set(
                    samples(before)
                        .filter((x) => x.name === "err")
                        .map((x) => x.labels.node),
                );
                assert.deepStrictEqual(
                    [...errNodes].filter((n) => !(EXPORTER_ERROR_NODES as readonly string[]).includes(n)),
                    [],
                );
                assert.ok(errNodes.has("tcp4-listen") && errNodes.has("af-packet-input"), [...errNodes].join(", "));
                assert.ok(samples(before).length < 1500, `${samples(before).length} series per scrape`);
                const rx0 = rx(before);
                for (let i = 0; i < 5; i++) assert.strictEqual(curl().out, "Welcome\n");
                const after = scrape();
                assert.ok(rx(after) >= rx0 + 5 * 4, `rx packets on ${sub}: ${rx0} -> ${rx(after)}`);

                // VPP restarts (the VPP container alone): the script reconnects the exporter to the new VPP.
                const boot = (text: string) => Number(/^sys_boottime ([\d.]+)$/m.exec(text)?.[1]);
                const boot0 = boot(after);
                assert.ok(boot0 > 0, `no sys_boottime in:\n${after}`);
                await stop();
                await new Promise((r) => setTimeout(r, 1100));
                await start(cg);
                const t0 = Date.now();
                let fresh = "";
                while (Date.now() - t0 < 15_000) {
                    const r = get();
                    if (r.status === 0 && boot(r.out) > boot0) {
                        fresh = r.out;
                        break;
                    }
                    await new Promise((r) => setTimeout(r, 500));
                }
                assert.ok(
                    fresh,
                    `the exporter still serves the old VPP's counters 15 s after the restart:\n${exporter.log()}`,
                );
                assert.match(exporter.log(), /vpp-metrics: VPP made a new stats socket \(it restarted\): reconnecting/);
                assert.strictEqual(curl().out, "Welcome\n");
                const later = scrape();
                assert.ok(rx(later) >= 4, `the new VPP's counters rise: ${rx(later)}`);

                // Its memory stays within the container's limit, with room.
                const limit = Rig.memoryLimit(m)!;
                assert.ok(
                    maxMemory(mcg) < limit / 2,
                    `the metrics container held ${maxMemory(mcg)} bytes of its ${limit}`,
                );

                // SIGTERM, as the kubelet stops it: it exits 0 at once.
                process.kill(exporter.pid, "SIGTERM");
                const code = await Promise.race([
                    exporter.exited,
                    new Promise((r) => setTimeout(() => r("timeout"), 3000)),
                ]);
                assert.strictEqual(code, 0, exporter.log());
            } finally {
                if (exporter.process.exitCode === null) process.kill(exporter.pid, "SIGKILL");
            }
        });
    });
}
