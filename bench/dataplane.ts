/**
 * npm run bench:dataplane: the lab's pod on a real VPP (the data-plane tier's rig), profile by
 * profile, against the kernel's own stack with nginx behind the same VLAN tagger, in one run.
 *
 * For each: req/s and mean latency at 1, 4 and 32 keep-alive connections (wrk, 1 thread, bounded
 * in time), the server's CPU at idle and under 32 connections (its cgroup's cpuacct), ping RTT,
 * and the most memory its cgroup held (memory.max_usage_in_bytes). Prints one table with the
 * machine's CPU model; `--write-docs` puts it in docs/dataplane.md between its markers.
 *
 * Runs every profile on each VPP install found ($VPP_PREFIX, one or several separated by ":", else
 * each vpp-v<version> of the tool cache), one version after the other, and the kernel's anchors
 * once, in the same run: one table, a row per version and profile. Needs root, wrk, nginx, clang.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { labPod, LabPod } from "../test/dataplane/pod";
import { cpuNanos, findVppInstalls, maxMemory, PodCgroup, Rig, RunningContainer } from "../test/dataplane/rig";
import type { RawConfig } from "../stacks/config";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Idle CPU is a few percent of a core: a longer window than a load cell. */
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 20);
const CONNECTIONS = [1, 4, 32];
const KERNEL = "192.168.123.151";

interface Profile {
    readonly name: string;
    readonly config: RawConfig;
    /** Run the client (wrk, ping) on the CPU of VPP's main thread, away from the worker's. */
    readonly clientOnMainCpu?: boolean;
}

const PROFILES: Profile[] = [
    {
        name: "the POC's (V3, busy polling, 0 workers)",
        config: { afPacketVersion: "3", adaptiveSessionQueue: "false", workers: "0", gratuitousArp: "false" },
    },
    { name: "defaults, shared cores (rxMode auto = interrupt, 1 worker, main thread sleeps 10 ms)", config: {} },
    { name: "shared cores, pollSleepUsec 0 (the default before 2026-12-01)", config: { pollSleepUsec: "0" } },
    { name: "shared cores, 0 workers (interrupt)", config: { workers: "0" } },
    { name: "dedicatedCores (rxMode auto = polling, 1 worker)", config: { dedicatedCores: "true" } },
    { name: "dedicatedCores, 0 workers (polling, 1 CPU)", config: { dedicatedCores: "true", workers: "0" } },
    {
        name: "dedicatedCores, the client on the main thread's CPU (the worker's CPU is VPP's alone)",
        config: { dedicatedCores: "true" },
        clientOnMainCpu: true,
    },
];

interface Row {
    readonly name: string;
    /** The VPP version of a VPP row; undefined for the kernel's. */
    readonly version?: string;
    /** The kernel row this one is compared with. */
    readonly anchor: "unpinned" | "pinned";
    readonly idleCpu: number;
    readonly loadCpu: number;
    readonly pingMs: number;
    readonly rps: number[];
    readonly latencyUs: number[];
    readonly memMiB: number;
}

/** The client's command, on `cpu` when given (taskset), else wherever the scheduler puts it. */
const onCpu = (cpu: string | undefined, argv: string[]) => (cpu === undefined ? argv : ["taskset", "-c", cpu, ...argv]);

/** wrk's requests per second and mean latency. */
function wrk(rig: Rig, url: string, connections: number, cpu?: string): { rps: number; latencyUs: number } {
    const r = rig.inNetns(
        "client",
        onCpu(cpu, ["wrk", "-t1", `-c${connections}`, `-d${SECONDS}s`, url]),
        (SECONDS + 20) * 1000,
    );
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.out);
    const lat = /Latency\s+([\d.]+)(us|ms|s)\b/.exec(r.out);
    if (r.status !== 0 || !rps || !lat) throw new Error(`wrk -c${connections} ${url} failed: ${r.out}`);
    const unit = { us: 1, ms: 1000, s: 1e6 }[lat[2] as "us" | "ms" | "s"];
    return { rps: Number(rps[1]), latencyUs: Number(lat[1]) * unit };
}

function ping(rig: Rig, ip: string, cpu?: string): number {
    const r = rig.inNetns("client", onCpu(cpu, ["ping", "-q", "-c", "20", "-i", "0.2", "-W", "2", ip]));
    const m = /= [\d.]+\/([\d.]+)\//.exec(r.out);
    if (r.status !== 0 || !m) throw new Error(`ping ${ip} failed: ${r.out}`);
    return Number(m[1]);
}

/** % of one core the cgroup used over `ms`, or while `during` runs. */
async function cpuPercent(cg: PodCgroup, ms: number): Promise<number> {
    const a = cpuNanos(cg);
    await new Promise((r) => setTimeout(r, ms));
    return ((cpuNanos(cg) - a) / (ms * 1e6)) * 100;
}

/** One server measured: idle, ping, the three loads (CPU during the last), memory. */
async function measure(
    rig: Rig,
    name: string,
    cg: PodCgroup,
    ip: string,
    anchor: Row["anchor"],
    clientCpu?: string,
): Promise<Row> {
    await new Promise((r) => setTimeout(r, 2000));
    const idleCpu = await cpuPercent(cg, IDLE_SECONDS * 1000);
    const pingMs = ping(rig, ip, clientCpu);
    const url = `http://${ip}/index.html`;
    wrk(rig, url, 4, clientCpu); // warm-up: ARP, caches, the session layer's first sessions
    const rps: number[] = [];
    const latencyUs: number[] = [];
    let loadCpu = 0;
    for (const c of CONNECTIONS) {
        const before = cpuNanos(cg);
        const t0 = process.hrtime.bigint();
        const r = wrk(rig, url, c, clientCpu);
        if (c === 32) loadCpu = ((cpuNanos(cg) - before) / Number(process.hrtime.bigint() - t0)) * 100;
        rps.push(r.rps);
        latencyUs.push(r.latencyUs);
    }
    return { name, anchor, idleCpu, loadCpu, pingMs, rps, latencyUs, memMiB: maxMemory(cg) / 2 ** 20 };
}

async function vppProfile(rig: Rig, version: string, p: Profile, index: number): Promise<Row> {
    const pod: LabPod = await labPod(p.config);
    const vols = rig.volumes(pod);
    // The init container's planner reads the workers; VPP itself runs without an environment.
    const workers = Number(pod.init.env?.find((e) => e.name === "VPP_WORKERS")?.value ?? 0);
    // Dedicated cores: workers + 1 whole CPUs of the two; shared: both, as the pod's shared pool.
    const cpus = p.config.dedicatedCores === "true" && workers === 0 ? "1" : "0-1";
    const cg = rig.cgroup(`p${index}`, { cpus, memoryBytes: Rig.memoryLimit(pod.vpp) });
    const init = rig.runInit(pod, cg, vols);
    if (init.status !== 0) throw new Error(`${p.name}: the init container failed: ${init.out}`);
    const vpp: RunningContainer = rig.startVpp(pod, cg, vols);
    try {
        const startup = pod.vpp.startupProbe!;
        let ready = false;
        for (let i = 0; i < startup.failureThreshold && !ready; i++) {
            ready = rig.probe(pod, startup, vpp.pid).ok;
            if (!ready) await new Promise((r) => setTimeout(r, startup.periodSeconds * 1000));
        }
        if (!ready) throw new Error(`${p.name}: VPP never became ready:\n${vpp.log()}`);
        const shown = /vpp v(\d+\.\d+)/.exec(rig.vppctl(pod, vpp.pid, "show version"))?.[1];
        if (shown !== version) throw new Error(`${p.name}: VPP says it is ${shown}, its install ${version}`);
        // VPP says where its main thread runs: `show threads`, "0  vpp_main ... other (0)  1".
        const threads = rig.vppctl(pod, vpp.pid, "show threads");
        const mainCpu = /^0\s+vpp_main\b.*?other \(\d+\)\s+(\d+)/m.exec(threads)?.[1];
        if (p.clientOnMainCpu && mainCpu === undefined)
            throw new Error(`${p.name}: no main thread CPU in:\n${threads}`);
        const row = await measure(
            rig,
            p.name,
            cg,
            pod.ipCidr.split("/")[0],
            p.clientOnMainCpu ? "pinned" : "unpinned",
            p.clientOnMainCpu ? mainCpu : undefined,
        );
        return { ...row, version };
    } finally {
        process.kill(vpp.pid, "SIGKILL");
        await vpp.exited;
    }
}

/**
 * The kernel's stack with nginx (1 worker) behind the same tagger: unpinned, as the scheduler likes
 * (it may put nginx on the client's CPU), or `pinned`: nginx on CPU 1 alone, the client on CPU 0, as
 * a worker with a dedicated core and a client elsewhere.
 */
async function kernelAnchor(rig: Rig, pinned: boolean): Promise<Row> {
    const dir = fs.mkdtempSync(path.join(rig.dir, "nginx-"));
    fs.mkdirSync(path.join(dir, "www"));
    fs.writeFileSync(path.join(dir, "www", "index.html"), "Welcome\n");
    const conf = path.join(dir, "nginx.conf");
    fs.writeFileSync(
        conf,
        [
            "worker_processes 1;",
            "daemon off;",
            `pid ${dir}/nginx.pid;`,
            `error_log ${dir}/error.log;`,
            "events { worker_connections 1024; }",
            "http {",
            "  access_log off;",
            ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t};`),
            `  server { listen ${KERNEL}:80; root ${dir}/www; location / { } }`,
            "}",
            "",
        ].join("\n"),
    );
    const cg = rig.cgroup(pinned ? "nginx-pinned" : "nginx", { cpus: pinned ? "1" : "0-1" });
    const nginx = spawn("/bin/sh", [
        "-c",
        `${cg.procs.map((p) => `echo $$ > ${p}`).join(" && ")} && exec ip netns exec ${rig.ns("kernel")} nginx -c ${conf}`,
    ]);
    try {
        for (let i = 0; i < 50; i++) {
            if (
                rig.inNetns("client", ["curl", "-s", "--max-time", "1", `http://${KERNEL}/index.html`]).out ===
                "Welcome\n"
            )
                break;
            await new Promise((r) => setTimeout(r, 200));
        }
        return pinned
            ? await measure(
                  rig,
                  "kernel + nginx on CPU 1, the client on CPU 0: the pinned anchor",
                  cg,
                  KERNEL,
                  "pinned",
                  "0",
              )
            : await measure(rig, "kernel + nginx (1 worker), the anchor", cg, KERNEL, "unpinned");
    } finally {
        nginx.kill("SIGKILL");
        // The master's SIGKILL leaves its worker: every process of the cgroup goes.
        for (const pid of fs.readFileSync(path.join(cg.dirs.cpuset, "cgroup.procs"), "utf8").split("\n")) {
            if (pid) spawnSync("kill", ["-KILL", pid]);
        }
        spawnSync("pkill", ["-KILL", "-f", `nginx -c ${conf}`]);
    }
}

function table(rows: Row[]): string {
    const f = (n: number, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
    const cpuModel = /model name\s*:\s*(.+)/.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
    const anchorOf = (r: Row) =>
        rows.find((x) => x.name.startsWith("kernel") && x.anchor === r.anchor) ?? rows[rows.length - 1];
    return [
        `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:dataplane\` on ${os.cpus().length} × ${cpuModel}, VPP ${[...new Set(rows.flatMap((r) => (r.version ? [r.version] : [])))].join(" and ")}: wrk 1 thread, keep-alive, ${SECONDS} s per cell, idle CPU over ${IDLE_SECONDS} s; the client, VPP and nginx share the machine's CPUs unless a row pins them. The ratio is to the kernel's req/s in the same run: the unpinned anchor, or for a pinned row the pinned one.`,
        "",
        "| VPP | profile | idle CPU | CPU at 32 conn. | ping RTT | 1 conn. | 4 conn. | 32 conn. | × kernel at 1 / 4 / 32 | max memory |",
        "|---|---|---|---|---|---|---|---|---|---|",
        ...rows.map(
            (r) =>
                `| ${r.version ?? "kernel"} | ${r.name} | ${f(r.idleCpu, 1)}% | ${f(r.loadCpu)}% | ${f(r.pingMs * 1000)} µs | ${r.rps.map((x, i) => `${f(x)} req/s, ${f(r.latencyUs[i])} µs`).join(" | ")} | ${r.rps.map((x, i) => f(x / anchorOf(r).rps[i], 2)).join(" / ")} | ${f(r.memMiB)} MiB |`,
        ),
    ].join("\n");
}

async function main(): Promise<void> {
    const found = findVppInstalls();
    if ("missing" in found) throw new Error(`bench:dataplane needs VPP: ${found.missing}`);
    for (const tool of ["wrk", "nginx", "clang", "curl", "ping"]) {
        if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
            throw new Error(
                `bench:dataplane needs ${tool} (apt-get install wrk nginx-light clang libbpf-dev curl iputils-ping)`,
            );
    }
    const vppRows: Row[] = [];
    const anchors: Row[] = [];
    for (const [k, install] of found.installs.entries()) {
        const rig = new Rig(install.prefix);
        try {
            const first = await labPod();
            rig.network({
                mac: first.mac,
                vlanId: first.vlanId,
                clientCidr: "192.168.123.10/24",
                kernelCidr: `${KERNEL}/24`,
            });
            for (const [i, p] of PROFILES.entries()) {
                process.stderr.write(`bench:dataplane: VPP ${install.version}: ${p.name} ...\n`);
                vppRows.push(await vppProfile(rig, install.version, p, i));
            }
            // The kernel's anchors once, on the same VLAN and tagger: every version's rows are compared with them.
            if (k === 0) {
                process.stderr.write("bench:dataplane: kernel + nginx ...\n");
                anchors.push(await kernelAnchor(rig, true));
                anchors.push(await kernelAnchor(rig, false));
            }
        } finally {
            rig.cleanup();
        }
    }
    const out = table([...vppRows, ...anchors]);
    console.log(out);
    if (process.argv.includes("--write-docs")) {
        const readme = path.join(__dirname, "..", "docs", "dataplane.md");
        const text = fs.readFileSync(readme, "utf8");
        const begin = "<!-- bench:dataplane begin -->";
        const end = "<!-- bench:dataplane end -->";
        const i = text.indexOf(begin);
        const j = text.indexOf(end);
        if (i < 0 || j < i) throw new Error(`docs/dataplane.md has no ${begin} ... ${end} block`);
        fs.writeFileSync(readme, `${text.slice(0, i + begin.length)}\n${out}\n${text.slice(j)}`);
        console.error("bench:dataplane: docs/dataplane.md updated");
    }
}

main().catch((e) => {
    console.error(`bench:dataplane: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
});
