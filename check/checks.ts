/**
 * `npm run check`'s judgements: pure functions from what was read (the pod, the NAD, the answers of
 * one shell in the VPP container) and what the stack asked for, to one line per item, ok or FAIL,
 * with the evidence. No I/O here: check/cli.ts reads, these judge, the unit tests feed real outputs.
 */
import { METRICS_CONTAINER, METRICS_SERVICE, POD_MONITOR } from "../components/names";
import {
    CLI_SOCKET,
    EXPORTER_PATH,
    HOST_INTERFACE,
    METRICS_PORT,
    METRICS_PORT_NAME,
    VPP_HOST_INTERFACE,
} from "../components/vppConfig";
import type { AfPacketVersion, Metrics, RxMode } from "../components/vppConfig";

/** What the stack asked for, from its outputs and its configuration. */
export interface Expected {
    readonly stack: string;
    /** The stack's mark on its objects (its `instance` output; older stacks: their SCC's name, the same value). */
    readonly instance?: string;
    readonly namespace: string;
    readonly deployment: string;
    readonly nadName: string;
    readonly master: string;
    readonly mode: string;
    /** The pinned MAC; undefined when the stack leaves it to the kernel (`macAddress: kernel`). */
    readonly mac?: string;
    readonly vlanId: number;
    /** address/prefix on host-macvlan0.<vlanId>. */
    readonly ipCidr: string;
    readonly afPacketVersion: AfPacketVersion;
    readonly rxMode: RxMode;
    /** The image's file capabilities: VPP's effective set must be exactly these. */
    readonly capabilities: readonly string[];
    readonly url: string;
    readonly metrics: Metrics;
    readonly metricsUrl: string;
}

/** The pod as the API server shows it. */
export interface PodState {
    readonly name: string;
    readonly phase: string;
    readonly ready: boolean;
    readonly restarts: number;
    /** Why a container waits or last ended, when it says. */
    readonly reason?: string;
}

export interface CheckLine {
    readonly item: string;
    readonly ok: boolean;
    readonly evidence: string;
    /** Its entry in docs/troubleshooting.md (the entry's bold title), shown when it fails. */
    readonly troubleshooting: string;
}

/** The entries of docs/troubleshooting.md, by their bold titles. */
export const TROUBLESHOOTING = {
    pod: "The pod is not Ready.",
    nad: "`npm run check`: the NAD's master or mode differs from the stack.",
    macvlan0: "`npm run check`: macvlan0 is missing, has another MAC or is promiscuous.",
    vpp: "`npm run check`: VPP's interface, ring, rx mode or address differs from the stack.",
    socket: "`npm run check`: no AF_PACKET socket on macvlan0.",
    capabilities: "`npm run check`: VPP's capabilities differ from the image's.",
    counters: "`npm run check`: VPP shows no counters for the VLAN interface.",
    metrics: "`npm run check`: VPP's counters do not reach the cluster's monitoring.",
} as const;

/** With `metrics: cluster`: the metrics container, the Service's ready endpoints and the PodMonitor. */
export interface MetricsState {
    /** The metrics container's status in the pod; undefined when the pod has none. */
    readonly container?: { readonly ready: boolean; readonly restarts: number; readonly reason?: string };
    /** The Service's ready endpoints, `address:port`. */
    readonly endpoints: readonly string[];
    /** The PodMonitor's first endpoint; undefined when there is no PodMonitor. */
    readonly podMonitor?: { readonly port?: string; readonly path?: string; readonly interval?: string };
}

/** The sections of the one shell run in the VPP container, each introduced by a `@@<name>` line. */
export const SECTIONS = ["link", "hw", "rx", "addr", "int", "errors", "ss", "status"] as const;
export type Section = (typeof SECTIONS)[number];

/** The POSIX shell script `sh -c` runs in the VPP container: everything read in one exec. */
export function probeScript(): string {
    const vppctl = `vppctl -s ${CLI_SOCKET}`;
    const commands: Record<Section, string> = {
        link: `ip -d link show dev ${HOST_INTERFACE}`,
        hw: `${vppctl} show hardware-interfaces ${VPP_HOST_INTERFACE}`,
        rx: `${vppctl} show interface rx-placement`,
        addr: `${vppctl} show interface address`,
        int: `${vppctl} show interface`,
        errors: `${vppctl} show errors`,
        ss: "ss -f link -anp",
        // vpp is the container's first process (its command), process 1 of its PID namespace.
        status: "cat /proc/1/status",
    };
    return SECTIONS.map((s) => `echo '@@${s}'; ${commands[s]} 2>&1`).join("\n") + "\n";
}

/** The script's output cut into its sections (vppctl ends its lines in CR LF); a section the output lacks is undefined. */
export function splitSections(out: string): Partial<Record<Section, string>> {
    const found: Partial<Record<Section, string>> = {};
    let current: Section | undefined;
    const lines: string[] = [];
    const flush = () => {
        if (current) found[current] = lines.join("\n");
        lines.length = 0;
    };
    for (const line of out.replace(/\r\n/g, "\n").split("\n")) {
        const m = /^@@(\w+)$/.exec(line);
        if (m && (SECTIONS as readonly string[]).includes(m[1])) {
            flush();
            current = m[1] as Section;
        } else if (current) {
            lines.push(line);
        }
    }
    flush();
    return found;
}

/** Linux's capability numbers of the names an image may carry. */
const CAPABILITY_BITS: Record<string, number> = {
    CHOWN: 0,
    DAC_OVERRIDE: 1,
    DAC_READ_SEARCH: 2,
    FOWNER: 3,
    FSETID: 4,
    KILL: 5,
    SETGID: 6,
    SETUID: 7,
    SETPCAP: 8,
    LINUX_IMMUTABLE: 9,
    NET_BIND_SERVICE: 10,
    NET_BROADCAST: 11,
    NET_ADMIN: 12,
    NET_RAW: 13,
    IPC_LOCK: 14,
    IPC_OWNER: 15,
    SYS_MODULE: 16,
    SYS_RAWIO: 17,
    SYS_CHROOT: 18,
    SYS_PTRACE: 19,
    SYS_PACCT: 20,
    SYS_ADMIN: 21,
    SYS_BOOT: 22,
    SYS_NICE: 23,
    SYS_RESOURCE: 24,
    SYS_TIME: 25,
    SYS_TTY_CONFIG: 26,
    MKNOD: 27,
    LEASE: 28,
    AUDIT_WRITE: 29,
    AUDIT_CONTROL: 30,
    SETFCAP: 31,
    MAC_OVERRIDE: 32,
    MAC_ADMIN: 33,
    SYSLOG: 34,
    WAKE_ALARM: 35,
    BLOCK_SUSPEND: 36,
    AUDIT_READ: 37,
    PERFMON: 38,
    BPF: 39,
    CHECKPOINT_RESTORE: 40,
};

/** The names of the bits set in a CapEff mask, in bit order; unknown bits as `cap_<n>`. */
export function capabilityNames(mask: bigint): string[] {
    const byBit = new Map(Object.entries(CAPABILITY_BITS).map(([n, b]) => [b, n]));
    const out: string[] = [];
    for (let b = 0; b < 64; b++) {
        if ((mask >> BigInt(b)) & 1n) out.push(byBit.get(b) ?? `cap_${b}`);
    }
    return out;
}

export function capabilityMask(names: readonly string[]): bigint {
    return names.reduce((m, n) => m | (1n << BigInt(CAPABILITY_BITS[n] ?? 63)), 0n);
}

const line = (item: string, ok: boolean, evidence: string, troubleshooting: string): CheckLine => ({
    item,
    ok,
    evidence,
    troubleshooting,
});
const missing = (what: string, section: string | undefined) =>
    `${what} not in the pod's answer${section ? `: ${firstLine(section)}` : ""}`;
const firstLine = (s: string) => s.trim().split("\n")[0] ?? "";

export function checkPod(pod: PodState | undefined, e: Expected): CheckLine {
    if (!pod) {
        return line(
            "pod",
            false,
            `no pod of deployment ${e.deployment} in namespace ${e.namespace}`,
            TROUBLESHOOTING.pod,
        );
    }
    const restarts = `${pod.restarts} restart${pod.restarts === 1 ? "" : "s"}`;
    return pod.ready
        ? line("pod", true, `${pod.name} Ready, ${restarts}`, TROUBLESHOOTING.pod)
        : line(
              "pod",
              false,
              `${pod.name} not Ready (phase ${pod.phase}${pod.reason ? `, ${pod.reason}` : ""}), ${restarts}`,
              TROUBLESHOOTING.pod,
          );
}

/** The macvlan plugin's master and mode in a NAD's config: a single plugin or the first of a list. */
export function checkNad(config: string | undefined, e: Expected): CheckLine {
    const item = `NAD ${e.nadName}`;
    if (config === undefined) return line(item, false, `no NAD ${e.nadName} in ${e.namespace}`, TROUBLESHOOTING.nad);
    let parsed: Record<string, unknown>;
    try {
        parsed = JSON.parse(config) as Record<string, unknown>;
    } catch {
        return line(item, false, `its spec.config is not JSON: ${firstLine(config)}`, TROUBLESHOOTING.nad);
    }
    const plugins = Array.isArray(parsed.plugins) ? (parsed.plugins as Record<string, unknown>[]) : [parsed];
    const macvlan = plugins.find((p) => p.type === "macvlan");
    if (!macvlan) return line(item, false, "no macvlan plugin in its config", TROUBLESHOOTING.nad);
    const seen = `master ${String(macvlan.master)}, mode ${String(macvlan.mode)}`;
    const ok = macvlan.master === e.master && macvlan.mode === e.mode;
    return line(
        item,
        ok,
        ok ? seen : `${seen}; the stack asks master ${e.master}, mode ${e.mode}`,
        TROUBLESHOOTING.nad,
    );
}

export function checkMacvlan0(link: string | undefined, e: Expected): CheckLine {
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(link ?? "")?.[1];
    const promiscuity = /\bpromiscuity (\d+)/.exec(link ?? "")?.[1];
    if (!mac || promiscuity === undefined) {
        return line(HOST_INTERFACE, false, missing(HOST_INTERFACE, link), TROUBLESHOOTING.macvlan0);
    }
    const macOk = e.mac === undefined || mac === e.mac;
    const seen = `MAC ${mac}${e.mac === undefined ? " (the kernel's)" : macOk ? " (pinned)" : `, the stack pins ${e.mac}`}, promiscuity ${promiscuity}`;
    return line(HOST_INTERFACE, macOk && promiscuity === "0", seen, TROUBLESHOOTING.macvlan0);
}

/** host-macvlan0 up, with macvlan0's MAC (the pinned one). */
export function checkVppInterface(hw: string | undefined, link: string | undefined, e: Expected): CheckLine {
    const item = VPP_HOST_INTERFACE;
    const state = new RegExp(`^${VPP_HOST_INTERFACE}\\s+\\d+\\s+(\\S+)`, "m").exec(hw ?? "")?.[1];
    const mac = /Ethernet address ([0-9a-f:]{17})/.exec(hw ?? "")?.[1];
    if (!state || !mac) return line(item, false, missing(item, hw), TROUBLESHOOTING.vpp);
    const want = e.mac ?? /link\/ether ([0-9a-f:]{17})/.exec(link ?? "")?.[1];
    const ok = state === "up" && mac === want;
    return line(
        item,
        ok,
        `${state}, MAC ${mac}${mac === want ? "" : `; ${HOST_INTERFACE} has ${want ?? "no MAC"}`}`,
        TROUBLESHOOTING.vpp,
    );
}

export function checkRing(hw: string | undefined, e: Expected): CheckLine {
    const v = /Linux PACKET socket interface v(\d)/.exec(hw ?? "")?.[1];
    const item = "AF_PACKET ring";
    if (!v) return line(item, false, missing("the ring version", hw), TROUBLESHOOTING.vpp);
    const ok = Number(v) === e.afPacketVersion;
    return line(
        item,
        ok,
        `TPACKET_V${v}${ok ? "" : `; the stack asks afPacketVersion ${e.afPacketVersion}`}`,
        TROUBLESHOOTING.vpp,
    );
}

export function checkRxMode(rx: string | undefined, e: Expected): CheckLine {
    const found = new RegExp(`^\\s*${VPP_HOST_INTERFACE} queue (\\d+) \\((\\w+)\\)`, "m").exec(rx ?? "");
    const item = "rx mode";
    if (!found) return line(item, false, missing(`${VPP_HOST_INTERFACE}'s queue`, rx), TROUBLESHOOTING.vpp);
    const ok = found[2] === e.rxMode;
    return line(
        item,
        ok,
        `${VPP_HOST_INTERFACE} queue ${found[1]} ${found[2]}${ok ? "" : `; the stack asks rxMode ${e.rxMode}`}`,
        TROUBLESHOOTING.vpp,
    );
}

export function checkAddress(addr: string | undefined, e: Expected): CheckLine {
    const sub = `${VPP_HOST_INTERFACE}.${e.vlanId}`;
    const block = new RegExp(`^${sub.replace(/\./g, "\\.")} \\((\\w+)\\):\\n((?:\\s+.*\\n?)*)`, "m").exec(addr ?? "");
    if (!block) return line("address", false, missing(sub, addr), TROUBLESHOOTING.vpp);
    const l3 = [...block[2].matchAll(/L3 (\S+)/g)].map((m) => m[1]);
    const ok = block[1] === "up" && l3.includes(e.ipCidr);
    return line(
        "address",
        ok,
        `${sub} (${block[1]}): ${l3.length ? l3.join(", ") : "no address"}${ok ? "" : `; the stack asks ${e.ipCidr}`}`,
        TROUBLESHOOTING.vpp,
    );
}

export function checkSocket(ss: string | undefined): CheckLine {
    const sock = new RegExp(`^(p_raw|p_dgr)\\s.*\\*:${HOST_INTERFACE}\\b.*$`, "m").exec(ss ?? "");
    return sock
        ? line("AF_PACKET socket", true, `${sock[1]} on ${HOST_INTERFACE}`, TROUBLESHOOTING.socket)
        : line("AF_PACKET socket", false, missing(`a packet socket on ${HOST_INTERFACE}`, ss), TROUBLESHOOTING.socket);
}

export function checkCapabilities(status: string | undefined, e: Expected): CheckLine {
    const hex = /^CapEff:\s+([0-9a-f]+)$/m.exec(status ?? "")?.[1];
    const name = /^Name:\s+(\S+)$/m.exec(status ?? "")?.[1];
    const item = "capabilities";
    if (!hex) return line(item, false, missing("process 1's CapEff", status), TROUBLESHOOTING.capabilities);
    const have = capabilityNames(BigInt(`0x${hex}`));
    const want = capabilityNames(capabilityMask(e.capabilities));
    const ok = have.join(",") === want.join(",");
    const seen = `${name ?? "process 1"} CapEff ${hex}: ${have.join(", ") || "none"}`;
    return line(item, ok, ok ? seen : `${seen}; the image's are ${want.join(", ")}`, TROUBLESHOOTING.capabilities);
}

/** One interface's counters from `show interface`. */
export function interfaceCounters(int: string, name: string): Record<string, number> | undefined {
    const rows = int.split("\n");
    const start = rows.findIndex((r) => r.split(/\s+/)[0] === name);
    if (start < 0) return undefined;
    const counters: Record<string, number> = {};
    for (let i = start; i < rows.length; i++) {
        if (i > start && /^\S/.test(rows[i])) break;
        const m = /((?:[a-z0-9-]+ ?)+?)\s+(\d+)\s*$/.exec(
            i === start ? rows[i].replace(/^.*?\d+\/\d+\/\d+\/\d+/, "") : rows[i],
        );
        if (m) counters[m[1].trim()] = Number(m[2]);
    }
    return counters;
}

/** `show errors`: the counters of severity error, largest first. */
export function errorCounters(errors: string): { count: number; node: string; reason: string }[] {
    const out: { count: number; node: string; reason: string }[] = [];
    for (const r of errors.split("\n")) {
        const m = /^\s*(\d+)\s+(\S+)\s+(.*?)\s+error\s*$/.exec(r);
        if (m) out.push({ count: Number(m[1]), node: m[2], reason: m[3] });
    }
    return out.sort((a, b) => b.count - a.count);
}

export function checkCounters(int: string | undefined, errors: string | undefined, e: Expected): CheckLine {
    const sub = `${VPP_HOST_INTERFACE}.${e.vlanId}`;
    const c = int === undefined ? undefined : interfaceCounters(int, sub);
    if (!c) return line("counters", false, missing(sub, int), TROUBLESHOOTING.counters);
    const errs = errorCounters(errors ?? "");
    const evidence = [
        `${sub}: rx ${c["rx packets"] ?? 0} packets, tx ${c["tx packets"] ?? 0} packets, ${c["drops"] ?? 0} drops`,
        errs.length === 0
            ? "no error counters"
            : `errors: ${errs
                  .slice(0, 3)
                  .map((x) => `${x.node} ${x.reason} ${x.count}`)
                  .join("; ")}${errs.length > 3 ? ` (+${errs.length - 3} more)` : ""}`,
    ].join("; ");
    return line("counters", true, evidence, TROUBLESHOOTING.counters);
}

/** `metrics: cluster`: the exporter Ready, the Service pointing at it, the PodMonitor scraping its port. */
export function checkMetrics(m: MetricsState | undefined, e: Expected): CheckLine {
    const item = "metrics";
    const container = m?.container;
    if (!m || !container) {
        return line(item, false, `no ${METRICS_CONTAINER} container in the pod`, TROUBLESHOOTING.metrics);
    }
    const restarts = `${container.restarts} restart${container.restarts === 1 ? "" : "s"}`;
    const parts = [
        `${METRICS_CONTAINER} ${container.ready ? "Ready" : `not Ready${container.reason ? ` (${container.reason})` : ""}`}, ${restarts}`,
        m.endpoints.length > 0
            ? `Service ${METRICS_SERVICE} -> ${m.endpoints.join(", ")}`
            : `Service ${METRICS_SERVICE} has no ready endpoint`,
        m.podMonitor
            ? `PodMonitor ${POD_MONITOR} scrapes port ${m.podMonitor.port ?? "?"} ${m.podMonitor.path ?? "/metrics"} every ${m.podMonitor.interval ?? "?"}`
            : `no PodMonitor ${POD_MONITOR} in ${e.namespace}`,
    ];
    const ok =
        container.ready &&
        m.endpoints.some((x) => x.endsWith(`:${METRICS_PORT}`)) &&
        m.podMonitor?.port === METRICS_PORT_NAME &&
        (m.podMonitor.path ?? EXPORTER_PATH) === EXPORTER_PATH;
    return line(item, ok, parts.join("; "), TROUBLESHOOTING.metrics);
}

/** Every item, in the order the issue lists them; `metrics` only with `metrics: cluster`. */
export function judge(
    e: Expected,
    pod: PodState | undefined,
    nadConfig: string | undefined,
    answers: Partial<Record<Section, string>>,
    metrics?: MetricsState,
): CheckLine[] {
    return [
        checkPod(pod, e),
        checkNad(nadConfig, e),
        checkMacvlan0(answers.link, e),
        checkVppInterface(answers.hw, answers.link, e),
        checkRing(answers.hw, e),
        checkRxMode(answers.rx, e),
        checkAddress(answers.addr, e),
        checkSocket(answers.ss),
        checkCapabilities(answers.status, e),
        checkCounters(answers.int, answers.errors, e),
        ...(e.metrics === "cluster" ? [checkMetrics(metrics, e)] : []),
    ];
}

/**
 * What to run from a host on the VLAN. Three echoes: with a worker, VPP 24.10 may drop a new
 * client's first one while it learns the client's MAC (docs/dataplane.md), so one lost echo is no
 * failure; curl's TCP resends its SYN by itself.
 */
export function clientCommands(e: Expected): string[] {
    const address = e.ipCidr.split("/")[0];
    return [`ping -c3 -W1 ${address}`, `curl ${e.url}`, ...(e.metrics === "vlan" ? [`curl ${e.metricsUrl}`] : [])];
}

/** The report as a lab engineer pastes it into a ticket. */
export function formatText(e: Expected, lines: readonly CheckLine[]): string {
    const w = Math.max(...lines.map((l) => l.item.length));
    const out = [`vpp-server check: stack ${e.stack}, namespace ${e.namespace}`];
    for (const l of lines) out.push(`${l.ok ? "ok  " : "FAIL"}  ${l.item.padEnd(w)}  ${l.evidence}`);
    const failed = lines.find((l) => !l.ok);
    out.push("");
    if (failed) {
        out.push(`first failure: ${failed.item}: ${failed.evidence}`);
        out.push(`see docs/troubleshooting.md: "${failed.troubleshooting}"`);
        out.push("");
    }
    out.push(`from a host on VLAN ${e.vlanId} in the subnet of ${e.ipCidr}:`);
    for (const c of clientCommands(e)) out.push(`  ${c}`);
    return out.join("\n") + "\n";
}

export function formatJson(e: Expected, lines: readonly CheckLine[]): string {
    const failed = lines.find((l) => !l.ok);
    return (
        JSON.stringify(
            {
                stack: e.stack,
                namespace: e.namespace,
                ok: failed === undefined,
                checks: lines,
                firstFailure: failed ? { item: failed.item, troubleshooting: failed.troubleshooting } : null,
                clientCommands: clientCommands(e),
            },
            null,
            2,
        ) + "\n"
    );
}
