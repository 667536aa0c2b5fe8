/**
 * The one place where the stack configuration is read, defaulted and validated. Every
 * problem is collected and reported at once, each naming the key, the value seen and the
 * accepted form, and the program throws before it registers a single resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { KEY_NAMES, KEYS, Key, PROJECT } from "./schema";
import * as r from "./rules";
import type { AfPacketVersion, Metrics, RxMode } from "../components/vppConfig";
import type { PodResources } from "../components/pod";
import { canonicalQuantity } from "./quantity";
import { autoMemoryBytes, formatMebibytes, minimumMemoryBytes } from "./sizing";

/** Everything the components need, typed and checked. */
export interface StackConfig {
    readonly namespace: string;
    readonly macvlanMaster: string;
    readonly macvlanMode: r.MacvlanMode;
    readonly vlanId: number;
    readonly ipAddress: r.Ipv4Interface;
    readonly macAddress: r.MacSource;
    /** Chain the CNI tuning plugin to disable IPv6 on macvlan0. */
    readonly disableIpv6: boolean;
    /** The image reference as written. */
    readonly image: string;
    readonly imageCapabilities: readonly r.Capability[];
    /** As written, for VPP's `cache-size`. */
    readonly httpCacheSize: string;
    /** The AF_PACKET ring on macvlan0: TPACKET_V2 or TPACKET_V3 (the POC's). */
    readonly afPacketVersion: AfPacketVersion;
    /** `poll-sleep-usec` in vpp.conf, for every run of VPP; 0 writes none (also with `auto`). */
    readonly pollSleepUsec: number;
    /** With `pollSleepUsec: auto`, the main thread's sleep whenever VPP runs with a worker; else 0. */
    readonly mainThreadSleepUsec: number;
    readonly adaptiveSessionQueue: boolean;
    /** VPP worker threads wanted; the container's start script pins them to its own CPUs. */
    readonly workers: number;
    /** host-macvlan0's receive mode, resolved: `auto` is polling with dedicated cores. */
    readonly rxMode: RxMode;
    /** Where VPP's counters go: nowhere, or the prom plugin on the lab VLAN. */
    readonly metrics: Metrics;
    readonly gratuitousArp: boolean;
    readonly indexHtml: string;
    /**
     * Request and limit alike for memory (VPP locks its rings); whole CPUs with dedicatedCores. In
     * the API server's canonical form (`0.5` is `500m`), so the cluster reads back what is declared.
     */
    readonly resources: PodResources;
    /** Undefined: the cluster's default RuntimeClass. */
    readonly runtimeClassName?: string;
    /** A deny-all NetworkPolicy closes the pod's cluster network. */
    readonly denyClusterNetwork: boolean;
    readonly nodeSelector: Readonly<Record<string, string>>;
    /** Take over existing objects that no stack made. */
    readonly adopt: boolean;
    /** Undefined: deploy to the cluster. Otherwise, the directory to render YAML into. */
    readonly renderDir?: string;
    /** Valid but risky choices, for the program to report as Pulumi warnings. */
    readonly warnings: readonly string[];
}

/** One problem with one key. */
export interface ConfigProblem {
    readonly key: string;
    /** The raw value seen; undefined when the key is not set. */
    readonly value: string | undefined;
    readonly expected: string;
    /** A key this project does not have (a typo): `expected` then says which keys there are. */
    readonly unknownKey?: boolean;
}

/** Thrown (as a RunError, so Pulumi prints the message without a stack) when any key is bad. */
export class StackConfigError extends pulumi.RunError {
    constructor(public readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "StackConfigError";
    }
}

export function formatProblem(p: ConfigProblem): string {
    const key = `${PROJECT}:${p.key}`;
    if (p.unknownKey) {
        return `${key} is not a key of this project${p.expected}`;
    }
    return p.value === undefined
        ? `${key} is not set; expected ${p.expected} (pulumi config set ${p.key} <value>)`
        : `${key} is ${quote(p.value)}; expected ${p.expected}`;
}

/** A value as JSON, cut short when it is long (an index.html, say), with its length. */
function quote(value: string): string {
    const MAX = 120;
    return value.length <= MAX
        ? JSON.stringify(value)
        : `${JSON.stringify(value.slice(0, MAX))}... (${value.length} characters)`;
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
    const n = problems.length;
    return [
        `invalid stack configuration (${n} problem${n === 1 ? "" : "s"}); nothing was deployed:`,
        ...problems.map((p) => `  - ${formatProblem(p)}`),
    ].join("\n");
}

/** Raw values as Pulumi passes them to a program: strings (arrays as JSON), keyed by short name. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

/**
 * Parses and validates the raw configuration. `setKeys` are the keys of the project's namespace
 * that the stack sets (to catch typos such as `vlanID`); it defaults to the keys of `raw`.
 */
export function parseStackConfig(raw: RawConfig, setKeys: readonly string[] = Object.keys(raw)): StackConfig {
    const problems: ConfigProblem[] = [];
    for (const key of setKeys) {
        if (!(KEY_NAMES as readonly string[]).includes(key)) {
            problems.push({ key, value: raw[key], expected: unknownKeyHint(key), unknownKey: true });
        }
    }

    const valueOf = (key: Key): string | undefined => {
        const v = raw[key];
        if (v !== undefined) {
            return v;
        }
        const d = (KEYS[key] as { default?: unknown }).default;
        return d === undefined ? undefined : typeof d === "string" ? d : JSON.stringify(d);
    };
    function take<T>(key: Key, parse: (s: string) => r.Parsed<T>, requiredForm?: string): T | undefined {
        const value = valueOf(key);
        if (value === undefined) {
            problems.push({ key, value, expected: requiredForm ?? "a value" });
            return undefined;
        }
        const parsed = parse(value);
        if (!parsed.ok) {
            problems.push({ key, value, expected: parsed.expected });
            return undefined;
        }
        return parsed.value;
    }

    const macvlanMaster = take("macvlanMaster", r.parseInterfaceName, r.LINUX_IFNAME_FORM);
    const vlanId = take("vlanId", r.parseVlanId, r.VLAN_FORM);
    const ipAddress = take("ipAddress", r.parseIpv4Interface, r.IPV4_FORM);
    const namespace = take("namespace", r.parseDns1123Label);
    const image = take("image", r.parseImage);
    const imageCapabilities = take("imageCapabilities", r.parseCapabilities);
    const macvlanMode = take("macvlanMode", (s) => r.parseOneOf(s, r.MACVLAN_MODES));
    const macAddress = take("macAddress", r.parseMacSource);
    const disableIpv6 = take("disableIpv6", r.parseBoolean);
    const cacheBytes = take("httpCacheSize", r.parseVppMemorySize);
    const afPacketVersion = take("afPacketVersion", r.parseAfPacketVersion);
    const pollSleep = take("pollSleepUsec", r.parsePollSleep);
    const adaptiveSessionQueue = take("adaptiveSessionQueue", r.parseBoolean);
    const workers = take("workers", r.parseWorkers);
    const rxModeSetting = take("rxMode", (s) => r.parseOneOf(s, r.RX_MODES));
    const metrics = take("metrics", (s) => r.parseOneOf(s, r.METRICS));
    const gratuitousArp = take("gratuitousArp", r.parseBoolean);
    const indexHtml = take("indexHtml", r.parseIndexHtml);
    const cpuRequest = take("cpuRequest", r.parseCpuQuantity);
    const cpuLimit = take("cpuLimit", (s) => (s === "" ? { ok: true, value: "" } : r.parseCpuQuantity(s)));
    const memory = take("memory", r.parseMemoryQuantity);
    const dedicatedCores = take("dedicatedCores", r.parseBoolean);
    const runtimeClassName = take("runtimeClassName", (s) =>
        s === "" ? { ok: true, value: "" } : r.parseDns1123Subdomain(s),
    );
    const denyClusterNetwork = take("denyClusterNetwork", r.parseBoolean);
    const nodeSelector = take("nodeSelector", r.parseNodeSelector);
    const adopt = take("adopt", r.parseBoolean);
    const renderDir = take("renderDir", (s): r.Parsed<string> => ({ ok: true, value: s.trim() }));

    if (cpuRequest !== undefined && cpuLimit && r.quantityToNumber(cpuLimit) < r.quantityToNumber(cpuRequest)) {
        problems.push({ key: "cpuLimit", value: cpuLimit, expected: `empty or at least cpuRequest (${cpuRequest})` });
    }
    if (dedicatedCores && workers !== undefined) {
        for (const key of ["cpuRequest", "cpuLimit"] as const) {
            if (raw[key] !== undefined && raw[key] !== "") {
                problems.push({
                    key,
                    value: raw[key],
                    expected: `it unset with dedicatedCores true: the VPP container then requests and is limited to ${workers + 1} whole CPUs (workers + 1)`,
                });
            }
        }
    }
    let memoryQuantity: string | undefined;
    if (memory !== undefined && cacheBytes !== undefined && afPacketVersion !== undefined) {
        if (memory === "auto") {
            memoryQuantity = formatMebibytes(autoMemoryBytes(afPacketVersion, cacheBytes));
        } else if (r.quantityToNumber(memory) < minimumMemoryBytes(afPacketVersion, cacheBytes)) {
            problems.push({
                key: "memory",
                value: memory,
                expected: `'auto' or at least ${formatMebibytes(minimumMemoryBytes(afPacketVersion, cacheBytes))}: VPP's locked AF_PACKET rings (afPacketVersion ${afPacketVersion}), httpCacheSize and room for its heap`,
            });
        } else {
            memoryQuantity = memory;
        }
    }

    if (problems.length > 0) {
        throw new StackConfigError(problems);
    }
    const rxMode: RxMode = rxModeSetting === "auto" ? (dedicatedCores ? "polling" : "interrupt") : rxModeSetting!;
    const warnings = [r.imageWarning(image!)].filter((w): w is string => w !== undefined);
    if (rxMode === "polling" && !dedicatedCores) {
        warnings.push(
            `rxMode polling on shared cores: VPP keeps one whole core busy at all times (${workers! > 0 ? "its worker" : "its main thread"} spins on host-macvlan0's ring), CPU that other pods on the node could use. It buys latency and req/s at low concurrency, where VPP 24.10 otherwise waits for its session timer on every request (docs/dataplane.md, a polling worker against interrupt mode: 1 connection 499 -> 23,678 req/s, 4 connections 27,591 -> 52,622; VPP 26.06 does not wait, and gains little); with dedicatedCores true that core is VPP's own and auto polls by itself.`,
        );
    }
    // Every take() above succeeded, or problems would not be empty.
    return {
        namespace: namespace!,
        macvlanMaster: macvlanMaster!,
        macvlanMode: macvlanMode!,
        vlanId: vlanId!,
        ipAddress: ipAddress!,
        macAddress: macAddress!,
        disableIpv6: disableIpv6!,
        image: image!.ref,
        imageCapabilities: imageCapabilities!,
        httpCacheSize: valueOf("httpCacheSize")!,
        afPacketVersion: afPacketVersion!,
        pollSleepUsec: pollSleep === "auto" ? 0 : pollSleep!,
        mainThreadSleepUsec: pollSleep === "auto" ? r.AUTO_MAIN_THREAD_SLEEP_USEC : 0,
        adaptiveSessionQueue: adaptiveSessionQueue!,
        workers: workers!,
        rxMode,
        metrics: metrics!,
        gratuitousArp: gratuitousArp!,
        indexHtml: indexHtml!,
        resources: dedicatedCores
            ? {
                  cpuRequest: `${workers! + 1}`,
                  cpuLimit: `${workers! + 1}`,
                  memory: canonicalQuantity(memoryQuantity!),
                  dedicated: true,
              }
            : {
                  cpuRequest: canonicalQuantity(cpuRequest!),
                  cpuLimit: cpuLimit ? canonicalQuantity(cpuLimit) : undefined,
                  memory: canonicalQuantity(memoryQuantity!),
                  dedicated: false,
              },
        runtimeClassName: runtimeClassName || undefined,
        denyClusterNetwork: denyClusterNetwork!,
        nodeSelector: nodeSelector!,
        adopt: adopt!,
        renderDir: renderDir || undefined,
        warnings,
    };
}

/** What to say of a key this project does not have: the nearest real key, and all of them. */
export function unknownKeyHint(key: string): string {
    const near = KEY_NAMES.map((k) => ({ k, d: editDistance(k.toLowerCase(), key.toLowerCase()) })).sort(
        (a, b) => a.d - b.d,
    )[0];
    const hint = near.d <= 3 ? ` (did you mean ${near.k}?)` : "";
    return `${hint}; the keys are ${KEY_NAMES.join(", ")}`;
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const up = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = up;
        }
    }
    return row[b.length];
}

/** Reads this project's keys from the running Pulumi program's configuration. */
export function readStackConfig(): StackConfig {
    const all = pulumi.runtime.allConfig();
    const prefix = `${PROJECT}:`;
    const raw: Record<string, string> = {};
    for (const [fullKey, value] of Object.entries(all)) {
        if (fullKey.startsWith(prefix)) {
            raw[fullKey.slice(prefix.length)] = value;
        }
    }
    return parseStackConfig(raw);
}
