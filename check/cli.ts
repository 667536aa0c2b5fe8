/**
 * npm run check [-- --stack <lab>] [--format text|json] [--dir <project>]
 *
 * Shows that a deployed lab works: reads the stack's outputs (`pulumi stack output`) and its
 * Pulumi.<stack>.yaml, connects with the stack's own connection (live/kubeconfig.ts), finds the pod,
 * reads the NAD and runs one shell in the VPP container (exec through the API server), then prints
 * one line per item, ok or FAIL, with the evidence (check/checks.ts), and the ping and curl to run
 * from a host on the VLAN. Exit 0 when every item is ok, 1 on a failure (named, with its entry in
 * docs/troubleshooting.md) or when the lab cannot be read, 2 on a usage error.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Writable } from "stream";
import {
    CONTAINER,
    METRICS_CONTAINER,
    METRICS_SERVICE,
    POD_MONITOR,
    selectorLabels,
    stackInstance,
} from "../components/names";
import { mergedKubeconfig, resolveConnection } from "../live/kubeconfig";
import { readStackFile } from "../review/review";
import { parseStackConfig } from "../stacks/config";
import { Expected, formatJson, formatText, judge, MetricsState, PodState, probeScript, splitSections } from "./checks";

const USAGE = "usage: npm run check [-- --stack <lab>] [--format text|json] [--dir <project>]";
const HELP = `${USAGE}

Checks a deployed lab, one line per item (ok or FAIL, with the evidence): the pod Ready and its
restarts; the NAD's master and mode; in the pod, macvlan0 with the pinned MAC and promiscuity 0;
VPP's host-macvlan0 up with that MAC, the AF_PACKET ring version and rx mode the stack asks for;
the address on host-macvlan0.<vlanId>; the AF_PACKET socket; VPP's effective capabilities equal
to the image's; the interface counters and VPP's error counters; with metrics cluster, the
metrics container Ready, its Service's endpoints and the PodMonitor. Then the ping and curl to
run from a host on the VLAN.

  --stack <lab>     the stack (default: the selected one)
  --format json     one JSON document, for tools
  --dir <project>   the project directory (default: this one)

Exit 0: every item ok; 1: a failure (the first is named, with its entry in
docs/troubleshooting.md) or the lab could not be read; 2: a usage error.
`;

interface Options {
    stack?: string;
    json: boolean;
    dir: string;
}

/** A usage error: main prints it with the usage and exits 2. */
export class UsageError extends Error {}

function usage(message: string): never {
    throw new UsageError(`check: ${message}\n${USAGE}\n`);
}

export function parseArgs(argv: readonly string[], defaultDir: string): Options | "help" {
    const o: Options = { json: false, dir: defaultDir };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) usage(`${a} needs a value`);
            return v;
        };
        if (a === "--help" || a === "-h") return "help";
        else if (a === "--stack") o.stack = value();
        else if (a === "--dir") o.dir = path.resolve(value());
        else if (a === "--format") {
            const f = value();
            if (f !== "text" && f !== "json") usage(`--format is "${f}"; expected text or json`);
            o.json = f === "json";
        } else usage(`unknown argument "${a}"`);
    }
    return o;
}

/** A failure to read the lab at all (no outputs, no cluster): one line, exit 1. */
class CheckError extends Error {}

function pulumi(dir: string, args: string[]): string {
    const script = path.join(__dirname, "..", "scripts", "pulumi.sh");
    const r = spawnSync(script, [...args, "--non-interactive"], { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) {
        throw new CheckError(`pulumi ${args.join(" ")} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
    }
    return r.stdout;
}

/** What the stack asked for: its outputs (what was deployed) and its stack file (the rest). */
function expected(dir: string, stack: string): Expected {
    const outputs = JSON.parse(pulumi(dir, ["stack", "output", "--json", "--stack", stack])) as Record<
        string,
        string | undefined
    >;
    for (const key of ["namespace", "deploymentName", "nadName", "macAddress", "url"]) {
        if (typeof outputs[key] !== "string") {
            throw new CheckError(
                `stack ${stack} has no output ${key}: deploy it first (./scripts/pulumi.sh up --stack ${stack})`,
            );
        }
    }
    const file = `Pulumi.${stack}.yaml`;
    const stackPath = path.join(dir, file);
    if (!fs.existsSync(stackPath)) throw new CheckError(`${stackPath} does not exist: the stack's configuration`);
    const c = parseStackConfig(readStackFile(file, fs.readFileSync(stackPath, "utf8")).raw);
    const mac = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(outputs.macAddress!) ? outputs.macAddress : undefined;
    return {
        stack,
        instance: stackInstance(outputs),
        namespace: outputs.namespace!,
        deployment: outputs.deploymentName!,
        nadName: outputs.nadName!,
        master: c.macvlanMaster,
        mode: c.macvlanMode,
        mac,
        vlanId: c.vlanId,
        ipCidr: c.ipAddress.cidr,
        afPacketVersion: c.afPacketVersion,
        rxMode: c.rxMode,
        capabilities: c.imageCapabilities,
        url: outputs.url!,
        metrics: c.metrics,
        metricsUrl: outputs.metricsUrl ?? "",
    };
}

async function readLab(dir: string, stack: string, e: Expected) {
    const file = readStackFile(`Pulumi.${stack}.yaml`, fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8"));
    const connection = resolveConnection({ kubeconfig: file.kubeconfig, context: file.cluster }, dir);
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromString(mergedKubeconfig(connection.files));
    kc.setCurrentContext(connection.context);
    const where = `context ${connection.context} (${connection.server})`;
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);

    const selector = Object.entries(selectorLabels(e.instance ? { stack, instance: e.instance } : stack))
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    let pods;
    try {
        pods = await core.listNamespacedPod({ namespace: e.namespace, labelSelector: selector });
    } catch (err) {
        throw new CheckError(`cannot list pods in ${e.namespace} on ${where}: ${(err as Error).message}`);
    }
    const newest = [...pods.items]
        .filter((p) => !p.metadata?.deletionTimestamp)
        .sort((a, b) =>
            String(b.metadata?.creationTimestamp?.toISOString?.() ?? b.metadata?.creationTimestamp ?? "").localeCompare(
                String(a.metadata?.creationTimestamp?.toISOString?.() ?? a.metadata?.creationTimestamp ?? ""),
            ),
        )[0];
    let pod: PodState | undefined;
    if (newest) {
        const status = newest.status?.containerStatuses?.find((s) => s.name === CONTAINER);
        pod = {
            name: newest.metadata!.name!,
            phase: newest.status?.phase ?? "Unknown",
            ready: (newest.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
            restarts: status?.restartCount ?? 0,
            reason: status?.state?.waiting?.reason ?? status?.lastState?.terminated?.reason,
        };
    }

    const nad = await readCustom<{ spec?: { config?: string } }>(custom, `NAD ${e.nadName}`, {
        group: "k8s.cni.cncf.io",
        version: "v1",
        namespace: e.namespace,
        plural: "network-attachment-definitions",
        name: e.nadName,
    });
    const nadConfig = nad?.spec?.config;

    let answers = "";
    if (pod && pod.phase === "Running") {
        answers = await execIn(k8s, kc, e.namespace, pod.name, probeScript());
    }

    const metrics = e.metrics === "cluster" ? await readMetrics(k8s, kc, custom, e, newest) : undefined;
    return { pod, nadConfig, answers: splitSections(answers), metrics };
}

/** A custom object (`what` names it in a failure), or undefined when it does not exist. */
async function readCustom<T>(
    custom: import("@kubernetes/client-node").CustomObjectsApi,
    what: string,
    ref: { group: string; version: string; namespace: string; plural: string; name: string },
): Promise<T | undefined> {
    try {
        return (await custom.getNamespacedCustomObject(ref)) as T;
    } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw new CheckError(`cannot read ${what} in ${ref.namespace}: ${(err as Error).message}`);
    }
}

/** `metrics: cluster`: the metrics container's status, its Service's ready endpoints, the PodMonitor. */
async function readMetrics(
    k8s: typeof import("@kubernetes/client-node"),
    kc: import("@kubernetes/client-node").KubeConfig,
    custom: import("@kubernetes/client-node").CustomObjectsApi,
    e: Expected,
    pod: import("@kubernetes/client-node").V1Pod | undefined,
): Promise<MetricsState> {
    const status = pod?.status?.containerStatuses?.find((s) => s.name === METRICS_CONTAINER);
    let endpoints: string[];
    try {
        const slices = await kc.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({
            namespace: e.namespace,
            labelSelector: `kubernetes.io/service-name=${METRICS_SERVICE}`,
        });
        endpoints = slices.items.flatMap((sl) =>
            (sl.endpoints ?? [])
                .filter((ep) => ep.conditions?.ready !== false)
                .flatMap((ep) => ep.addresses.flatMap((a) => (sl.ports ?? []).map((p) => `${a}:${p.port}`))),
        );
    } catch (err) {
        throw new CheckError(`cannot list the EndpointSlices of Service ${METRICS_SERVICE}: ${(err as Error).message}`);
    }
    const pm = await readCustom<{
        spec?: { podMetricsEndpoints?: { port?: string; path?: string; interval?: string }[] };
    }>(custom, `PodMonitor ${POD_MONITOR}`, {
        group: "monitoring.coreos.com",
        version: "v1",
        namespace: e.namespace,
        plural: "podmonitors",
        name: POD_MONITOR,
    });
    const first = pm?.spec?.podMetricsEndpoints?.[0];
    return {
        container: status
            ? {
                  ready: status.ready,
                  restarts: status.restartCount,
                  reason: status.state?.waiting?.reason ?? status.lastState?.terminated?.reason,
              }
            : undefined,
        endpoints,
        podMonitor: pm ? { port: first?.port, path: first?.path, interval: first?.interval } : undefined,
    };
}

/** Runs `sh -c script` in the VPP container; resolves with what it printed. */
async function execIn(
    k8s: typeof import("@kubernetes/client-node"),
    kc: import("@kubernetes/client-node").KubeConfig,
    namespace: string,
    pod: string,
    script: string,
): Promise<string> {
    const chunks: Buffer[] = [];
    const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
            chunks.push(Buffer.from(chunk));
            done();
        },
    });
    const exec = new k8s.Exec(kc);
    await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new CheckError(`exec in ${pod} gave no answer in 60 s`)), 60_000);
        exec.exec(namespace, pod, CONTAINER, ["/bin/sh", "-c", script], sink, sink, null, false, (status) => {
            clearTimeout(timer);
            // The script's own status does not matter: each section carries its command's answer.
            void status;
            resolve();
        })
            .then((ws) => ws.on("close", () => setTimeout(resolve, 100)))
            .catch((err: unknown) => {
                clearTimeout(timer);
                reject(new CheckError(`exec in ${pod} failed: ${err instanceof Error ? err.message : String(err)}`));
            });
    });
    return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<number> {
    let parsed: Options | "help";
    try {
        parsed = parseArgs(process.argv.slice(2), path.join(__dirname, ".."));
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        process.stderr.write(err.message);
        return 2;
    }
    if (parsed === "help") {
        process.stdout.write(HELP);
        return 0;
    }
    try {
        const stack = parsed.stack ?? pulumi(parsed.dir, ["stack", "--show-name"]).trim();
        const e = expected(parsed.dir, stack);
        const lab = await readLab(parsed.dir, stack, e);
        const lines = judge(e, lab.pod, lab.nadConfig, lab.answers, lab.metrics);
        process.stdout.write(parsed.json ? formatJson(e, lines) : formatText(e, lines));
        return lines.every((l) => l.ok) ? 0 : 1;
    } catch (err) {
        process.stderr.write(`check: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
    }
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (err: unknown) => {
            process.stderr.write(`check: ${String(err)}\n`);
            process.exit(1);
        },
    );
}
