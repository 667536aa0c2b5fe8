/**
 * One parser per kind of configuration value. Each takes the raw string Pulumi hands the
 * program and returns either the typed value or the accepted form, which `config.ts` turns
 * into a message naming the key and the value seen. Pure functions: the unit tests call them.
 */
import { parseFamiliarName } from "@swimlane/docker-reference";
import * as ipaddr from "ipaddr.js";
import type { MacChoice } from "../components/lab";
import type { AfPacketVersion } from "../components/vppConfig";

/** A parse result: the value, or what would have been accepted. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

export const LINUX_IFNAME_FORM =
    "a Linux interface name: 1 to 15 characters, none of them '/', ':' or whitespace, and not '.' or '..'";

/** A Linux interface name, as the kernel's dev_valid_name() accepts it (IFNAMSIZ is 16 with the NUL). */
export function parseInterfaceName(raw: string): Parsed<string> {
    const valid = raw.length >= 1 && raw.length <= 15 && !/[/:\s]/.test(raw) && raw !== "." && raw !== "..";
    return valid ? ok(raw) : bad(LINUX_IFNAME_FORM);
}

/** A whole decimal number within [min, max]: no sign tricks, exponents or fractions. */
export function parseInteger(raw: string, min: number, max: number, form: string): Parsed<number> {
    if (!/^-?[0-9]+$/.test(raw.trim())) {
        return bad(form);
    }
    const n = Number(raw.trim());
    return Number.isSafeInteger(n) && n >= min && n <= max ? ok(n) : bad(form);
}

export const VLAN_FORM = "an integer from 1 to 4094 (802.1Q reserves 0 and 4095)";

export function parseVlanId(raw: string): Parsed<number> {
    return parseInteger(raw, 1, 4094, VLAN_FORM);
}

/** An IPv4 address with its prefix length, as VPP's `set int ip address` takes it. */
export interface Ipv4Interface {
    /** The address alone, for example 192.168.123.150. */
    readonly address: string;
    readonly prefixLength: number;
    /** address/prefixLength, for example 192.168.123.150/24. */
    readonly cidr: string;
    /** The subnet, for example 192.168.123.0/24. */
    readonly network: string;
}

export const IPV4_FORM =
    "an IPv4 address/prefix such as 192.168.123.150/24: a unicast host address of its subnet (not the network or broadcast address), prefix 1 to 32";

/** ipaddr.js range names that can never be a server's own address. */
const NON_HOST_RANGES = new Set(["unspecified", "broadcast", "multicast", "loopback", "reserved"]);

export function parseIpv4Interface(raw: string): Parsed<Ipv4Interface> {
    const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(raw.trim());
    if (!m || !ipaddr.IPv4.isValidFourPartDecimal(m[1])) {
        return bad(IPV4_FORM);
    }
    const prefixLength = Number(m[2]);
    if (prefixLength < 1 || prefixLength > 32) {
        return bad(IPV4_FORM);
    }
    const addr = ipaddr.IPv4.parse(m[1]);
    if (NON_HOST_RANGES.has(addr.range())) {
        return bad(`${IPV4_FORM}; ${m[1]} is a ${addr.range()} address`);
    }
    const network = ipaddr.IPv4.networkAddressFromCIDR(`${m[1]}/${prefixLength}`).toString();
    // RFC 3021: a /31 has no network or broadcast address, a /32 is the host alone.
    if (prefixLength <= 30) {
        if (addr.toString() === network) {
            return bad(`${IPV4_FORM}; ${m[1]} is the network address of ${network}/${prefixLength}`);
        }
        const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(`${m[1]}/${prefixLength}`).toString();
        if (addr.toString() === broadcast) {
            return bad(`${IPV4_FORM}; ${m[1]} is the broadcast address of ${network}/${prefixLength}`);
        }
    }
    return ok({
        address: addr.toString(),
        prefixLength,
        cidr: `${addr.toString()}/${prefixLength}`,
        network: `${network}/${prefixLength}`,
    });
}

/** A DNS-1123 label, as Kubernetes requires of a namespace's name. */
export const DNS1123_LABEL_FORM =
    "a DNS-1123 label: 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit";

export function parseDns1123Label(raw: string): Parsed<string> {
    return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(raw) ? ok(raw) : bad(DNS1123_LABEL_FORM);
}

export const DNS1123_SUBDOMAIN_FORM =
    "a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit";

export function parseDns1123Subdomain(raw: string): Parsed<string> {
    return raw.length <= 253 && DNS1123_SUBDOMAIN.test(raw) ? ok(raw) : bad(DNS1123_SUBDOMAIN_FORM);
}

export const MACVLAN_MODES = ["bridge", "private", "vepa", "passthru"] as const;
/** `rxMode` as a stack writes it; auto resolves by dedicatedCores. */
export const RX_MODES = ["auto", "interrupt", "polling"] as const;
/** The `metrics` setting's values: only those this project implements. */
export const METRICS = ["none", "vlan", "cluster"] as const;
export type MacvlanMode = (typeof MACVLAN_MODES)[number];

export function parseOneOf<T extends string>(raw: string, allowed: readonly T[]): Parsed<T> {
    return (allowed as readonly string[]).includes(raw) ? ok(raw as T) : bad(`one of ${allowed.join(", ")}`);
}

/** Where the MAC of macvlan0 and VPP's host-macvlan0 comes from: the lab's own choice type. */
export type MacSource = MacChoice;

export const MAC_FORM =
    "'random', 'kernel', or a unicast MAC as six colon-separated hex pairs (first octet even, not all zeros), such as 02:00:5e:10:00:01";

export function parseMacSource(raw: string): Parsed<MacSource> {
    if (raw === "random" || raw === "kernel") {
        return ok({ kind: raw });
    }
    if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(raw)) {
        return bad(MAC_FORM);
    }
    const mac = raw.toLowerCase();
    if (parseInt(mac.slice(0, 2), 16) & 1) {
        return bad(`${MAC_FORM}; ${raw} is a multicast address`);
    }
    if (mac === "00:00:00:00:00:00") {
        return bad(`${MAC_FORM}; ${raw} is the null address`);
    }
    return ok({ kind: "pinned", mac });
}

export const AF_PACKET_VERSION_FORM =
    "2 (TPACKET_V2: each frame reaches VPP at once) or 3 (TPACKET_V3, the POC's: up to 1 ms per request)";

export function parseAfPacketVersion(raw: string): Parsed<AfPacketVersion> {
    return raw === "2" ? ok(2) : raw === "3" ? ok(3) : bad(AF_PACKET_VERSION_FORM);
}

/**
 * VPP opens one AF_PACKET receive queue on macvlan0 (`num-rx-queues` defaults to 1 in
 * src/plugins/af_packet), and a connection lives on the thread that receives its packets, so a
 * second worker would idle: one worker is the most that serves.
 */
export const MAX_WORKERS = 1;
export const WORKERS_FORM =
    "0 (VPP's main thread alone) or 1 (one worker thread; more would idle: VPP opens one AF_PACKET receive queue)";

export function parseWorkers(raw: string): Parsed<number> {
    return parseInteger(raw, 0, MAX_WORKERS, WORKERS_FORM);
}

export const MEMORY_SIZE_FORM =
    "a whole number of bytes with an optional k, m or g suffix (VPP's memory size), such as 512m";

/** VPP's unformat_memory_size: digits and an optional k/m/g (powers of 1024). Returns bytes. */
export function parseVppMemorySize(raw: string): Parsed<number> {
    const m = /^([1-9][0-9]*)([kKmMgG]?)$/.exec(raw);
    if (!m) {
        return bad(MEMORY_SIZE_FORM);
    }
    const shift = { "": 0, k: 10, m: 20, g: 30 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
    const bytes = Number(m[1]) * 2 ** shift;
    return Number.isSafeInteger(bytes) ? ok(bytes) : bad(MEMORY_SIZE_FORM);
}

/**
 * `pollSleepUsec: auto`'s sleep of VPP's main thread while a worker carries the traffic. Measured
 * here (docs/dataplane.md): idle CPU 3.4% of a core with no sleep, 1.4% with 10000, 0.9% with
 * 20000, 4% with 1000 (a sleep shorter than VPP's own timer waits wakes it more often); no change
 * under load, since the worker serves every connection. The main thread's own work (the CLI, the
 * probes' vppctl, learning a new client's MAC for the worker) then waits up to 10 ms.
 */
export const AUTO_MAIN_THREAD_SLEEP_USEC = 10_000;

export const POLL_SLEEP_FORM =
    "'auto' (10000 while a worker carries the traffic, none without a worker) or an integer from 0 (no forced sleep) to 1000000 microseconds";

export function parsePollSleep(raw: string): Parsed<number | "auto"> {
    return raw === "auto" ? ok("auto") : parseInteger(raw, 0, 1_000_000, POLL_SLEEP_FORM);
}

export const BOOLEAN_FORM = "true or false";

export function parseBoolean(raw: string): Parsed<boolean> {
    return raw === "true" ? ok(true) : raw === "false" ? ok(false) : bad(BOOLEAN_FORM);
}

/** Kubernetes resource quantities (resource.Quantity), decimal or binary SI. */
const QUANTITY = /^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

export const CPU_FORM = "a Kubernetes CPU quantity greater than zero, such as 200m or 1";

export function parseCpuQuantity(raw: string): Parsed<string> {
    return QUANTITY.test(raw) && quantityToNumber(raw) > 0 ? ok(raw) : bad(CPU_FORM);
}

export const MEMORY_QUANTITY_FORM = "'auto' or a Kubernetes memory quantity such as 2Gi or 1792Mi";

/** A quantity's value in base units (bytes, cores). Only for strings that matched QUANTITY. */
export function quantityToNumber(q: string): number {
    const m = QUANTITY.exec(q);
    if (!m) {
        throw new Error(`not a Kubernetes quantity: ${JSON.stringify(q)}`);
    }
    const factors: Record<string, number> = {
        "": 1,
        m: 1e-3,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
        P: 1e15,
        E: 1e18,
        Ki: 2 ** 10,
        Mi: 2 ** 20,
        Gi: 2 ** 30,
        Ti: 2 ** 40,
        Pi: 2 ** 50,
        Ei: 2 ** 60,
    };
    return Number(m[1]) * factors[m[3] ?? ""];
}

export function parseMemoryQuantity(raw: string): Parsed<string> {
    return raw === "auto" || (QUANTITY.test(raw) && !raw.endsWith("m") && quantityToNumber(raw) >= 1)
        ? ok(raw)
        : bad(MEMORY_QUANTITY_FORM);
}

export const CAPABILITIES_REQUIRED = ["NET_ADMIN", "NET_RAW", "IPC_LOCK"] as const;
export const CAPABILITIES_ALLOWED = [...CAPABILITIES_REQUIRED, "NET_BROADCAST"] as const;
export type Capability = (typeof CAPABILITIES_ALLOWED)[number];

export const CAPABILITIES_FORM =
    "a list holding NET_ADMIN, NET_RAW and IPC_LOCK (VPP needs all three), optionally NET_BROADCAST, nothing else and no repeats: exactly the file capabilities of the image's vpp binary";

export function parseCapabilities(raw: string): Parsed<Capability[]> {
    const list = parseJsonStringArray(raw);
    if (list === undefined) {
        return bad(CAPABILITIES_FORM);
    }
    const unknown = list.filter((c) => !(CAPABILITIES_ALLOWED as readonly string[]).includes(c));
    if (unknown.length > 0) {
        return bad(`${CAPABILITIES_FORM}; not allowed: ${unknown.join(", ")}`);
    }
    const missing = CAPABILITIES_REQUIRED.filter((c) => !list.includes(c));
    if (missing.length > 0) {
        return bad(`${CAPABILITIES_FORM}; missing: ${missing.join(", ")}`);
    }
    if (new Set(list).size !== list.length) {
        return bad(`${CAPABILITIES_FORM}; repeated entries`);
    }
    return ok(list as Capability[]);
}

/** An array config value arrives as JSON text; undefined when it is not an array of strings. */
export function parseJsonStringArray(raw: string): string[] | undefined {
    let value: unknown;
    try {
        value = JSON.parse(raw);
    } catch {
        return undefined;
    }
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
}

export const NODE_SELECTOR_FORM =
    "a list of 'key=value' node labels: key an optional DNS subdomain prefix and '/' and a name of 1 to 63 letters, digits, '-', '_' or '.'; value empty or such a name";

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isLabelKey(key: string): boolean {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    return LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix)));
}

export function parseNodeSelector(raw: string): Parsed<Record<string, string>> {
    const list = parseJsonStringArray(raw);
    if (list === undefined) {
        return bad(NODE_SELECTOR_FORM);
    }
    const selector: Record<string, string> = {};
    for (const entry of list) {
        const eq = entry.indexOf("=");
        const key = eq >= 0 ? entry.slice(0, eq) : entry;
        const value = eq >= 0 ? entry.slice(eq + 1) : "";
        if (eq < 0 || !isLabelKey(key) || (value !== "" && !LABEL_NAME.test(value))) {
            return bad(`${NODE_SELECTOR_FORM}; ${JSON.stringify(entry)} is not one`);
        }
        if (key in selector) {
            return bad(`${NODE_SELECTOR_FORM}; ${key} is given twice`);
        }
        selector[key] = value;
    }
    return ok(selector);
}

export const IMAGE_FORM =
    "a container image reference with a tag, a digest or both: repo:tag, repo@sha256:<64 hex digits> or repo:tag@sha256:<64 hex digits>, such as quay.io/akaris/vpp-server:latest or registry.example.com/vpp-server:24.10-1@sha256:<digest>";

/** A container image reference, parsed by the distribution project's grammar. */
export interface ImageRef {
    /** As written. */
    readonly ref: string;
    readonly tag?: string;
    readonly digest?: string;
}

export function parseImage(raw: string): Parsed<ImageRef> {
    let parsed: { tag?: string; digest?: string };
    try {
        parsed = parseFamiliarName(raw);
    } catch {
        return bad(IMAGE_FORM);
    }
    if (parsed.tag === undefined && parsed.digest === undefined) {
        return bad(`${IMAGE_FORM}; ${raw} has neither`);
    }
    if (parsed.digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(parsed.digest)) {
        return bad(`${IMAGE_FORM}; ${parsed.digest} is not a sha256 digest`);
    }
    return ok({ ref: raw, tag: parsed.tag, digest: parsed.digest });
}

/** A warning when the image can change under the same reference: no digest and the tag `latest`. */
export function imageWarning(image: ImageRef): string | undefined {
    if (image.digest !== undefined || image.tag !== "latest") {
        return undefined;
    }
    return `image ${image.ref} has the mutable tag latest: a node may run another image than the one reviewed, and a restart may change VPP. Pin it with a digest: ${image.ref}@sha256:<digest> (skopeo inspect docker://${image.ref} prints it).`;
}

/** A ConfigMap holds at most 1 MiB; leave room for the rest of the object. */
export const INDEX_HTML_MAX_BYTES = 512 * 1024;
export const INDEX_HTML_FORM = `text of at most ${INDEX_HTML_MAX_BYTES} bytes`;

export function parseIndexHtml(raw: string): Parsed<string> {
    return Buffer.byteLength(raw, "utf8") <= INDEX_HTML_MAX_BYTES ? ok(raw) : bad(INDEX_HTML_FORM);
}
