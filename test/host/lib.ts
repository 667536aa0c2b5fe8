/**
 * Shared by the host integration tests: the root check, `ip`, and the init script run inside a
 * network namespace as the pod's init container runs it.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The reference lab's VPP settings with the POC's behaviour (TPACKET_V3, busy polling, no GARP). */
export const POC_SETTINGS = {
    afPacketVersion: 3 as const,
    vlanId: 123,
    ipCidr: "192.168.123.150/24",
    httpCacheSize: "512m",
    pollSleepUsec: 0,
    adaptiveSessionQueue: false,
    rxMode: "interrupt" as const,
    metrics: "none" as const,
    gratuitousArp: false,
    indexHtml: "Welcome\n",
};
const SHELL = fs.existsSync("/usr/bin/dash") ? "/usr/bin/dash" : "/bin/sh";

export const isRoot = process.getuid?.() === 0;

/**
 * In a `before` hook: host tests need root. Not as root they report that they were skipped and
 * why, except under CI=true, where skipping would hide a regression: there they fail.
 */
export function requireRoot(ctx: Mocha.Context, what: string): void {
    if (isRoot) return;
    const why = `needs root to ${what}`;
    if (process.env.CI === "true") {
        throw new Error(`host integration tests cannot run: ${why}; CI must run them as root`);
    }
    console.log(`    skipped: ${why} (run npm test as root)`);
    ctx.skip();
}

export function ip(...args: string[]): string {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface InitRun {
    status: number | null;
    stdout: string;
    stderr: string;
    conf: string;
    www: string;
}

/** Writes the ConfigMap's files into a template dir and runs the init script in `netns`. */
export function runInit(netns: string, data: Record<string, string>, env: Record<string, string> = {}): InitRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vpp-init-"));
    const templates = path.join(dir, "templates");
    fs.mkdirSync(templates);
    for (const [name, text] of Object.entries(data)) {
        fs.writeFileSync(path.join(templates, name), text);
    }
    const conf = path.join(dir, "conf");
    const www = path.join(dir, "www");
    const r = spawnSync("ip", ["netns", "exec", netns, SHELL, path.join(templates, "init.sh")], {
        encoding: "utf8",
        env: {
            PATH: process.env.PATH,
            HOST_INTERFACE: "macvlan0",
            TEMPLATE_DIR: templates,
            CONF_DIR: conf,
            WWW_DIR: www,
            ...env,
        },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, conf, www };
}
