/**
 * The lab's image for a node that reaches no registry (the node tier's, the sandbox's): a root
 * filesystem assembled from this machine's Debian packages and a VPP install, which
 * scripts/tools/node.sh imports into the node's containerd. It holds what the pod runs and nothing
 * else: dash as /bin/sh, busybox's tools, iproute2's ip and ss (`npm run check` reads them), the
 * libraries these load, and VPP at /opt/vpp with the vpp binary's file capabilities set as the
 * Containerfiles set them.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** Where the image holds the VPP install (the data-plane tier's rig does the same). */
export const VPP_IN_IMAGE = "/opt/vpp";

function run(cmd: string, args: string[]): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${(r.stderr ?? "").trim()}`);
    }
    return r.stdout;
}

/** The Debian packages the image's base takes its programs from, and the programs. */
export const IMAGE_BASE = {
    dash: ["/bin/dash"],
    "busybox-static": ["/bin/busybox"],
    iproute2: ["/bin/ip", "/bin/ss"],
} as const;

/**
 * The programs the image takes from busybox: all its applets but its shells and the ones iproute2
 * provides. Not its shell: Debian's busybox-static runs its own applets before PATH's programs
 * (SH_STANDALONE), so `ip` in its shell would never be iproute2's. /bin/sh is dash, as on Debian.
 */
function busyboxApplets(): string[] {
    const skip = new Set(["sh", "ash", "hush", "ip", "ss", "busybox"]);
    return run("/bin/busybox", ["--list"])
        .split("\n")
        .filter((a) => a !== "" && !skip.has(a) && !a.includes("/"));
}

/** The libraries an ELF file loads, as the machine's loader resolves them. */
function sharedLibraries(file: string, env?: NodeJS.ProcessEnv): string[] {
    const r = spawnSync("ldd", [file], { encoding: "utf8", env });
    if (r.status !== 0) return []; // not dynamic
    const libs: string[] = [];
    for (const line of r.stdout.split("\n")) {
        const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
        if (m) libs.push(m[1]);
    }
    return libs;
}

/**
 * The lab's image as a root filesystem in `dir`: busybox (its shell tools) and iproute2's ip and ss
 * from this machine's Debian packages, the libraries they load; with `vppPrefix`, the VPP install at
 * /opt/vpp, its libraries in the loader's cache, and the vpp binary's file capabilities `fileCaps`,
 * set as the Containerfiles set them. uid 10000 runs it, as the SCC and the pod pin.
 */
export function assembleImage(dir: string, vppPrefix?: string, fileCaps: readonly string[] = []): string {
    const root = path.join(dir, "rootfs");
    fs.mkdirSync(root, { recursive: true });
    for (const d of ["bin", "usr/bin", "etc", "opt", "proc", "sys", "dev", "run", "tmp", "lib64"]) {
        fs.mkdirSync(path.join(root, d), { recursive: true });
    }
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    fs.chmodSync(root, 0o755);
    for (const [pkg, files] of Object.entries(IMAGE_BASE)) {
        const listed = run("dpkg", ["-L", pkg]).split("\n");
        for (const f of files) {
            if (!listed.includes(f)) {
                throw new Error(
                    `${f} is not a file of Debian's ${pkg} here (dpkg -L ${pkg}): apt-get install -y ${pkg}`,
                );
            }
            fs.copyFileSync(f, path.join(root, f));
            fs.chmodSync(path.join(root, f), 0o755);
        }
    }
    for (const a of busyboxApplets()) fs.symlinkSync("busybox", path.join(root, "bin", a));
    fs.symlinkSync("dash", path.join(root, "bin", "sh"));
    fs.writeFileSync(
        path.join(root, "etc", "passwd"),
        "root:x:0:0:root:/root:/bin/sh\nvpp:x:10000:10000::/tmp:/bin/sh\n",
    );
    fs.writeFileSync(path.join(root, "etc", "group"), "root:x:0:\nvpp:x:10000:\n");
    const elves = [...IMAGE_BASE.iproute2, ...IMAGE_BASE.dash].map((f) => path.join(root, f));
    if (vppPrefix) {
        const opt = path.join(root, VPP_IN_IMAGE);
        // What the pod runs: the programs and libraries (not the headers, docs or API files).
        fs.mkdirSync(opt, { recursive: true });
        for (const d of ["bin", "lib"]) run("cp", ["-a", path.join(vppPrefix, d), path.join(opt, d)]);
        const lib = path.join(opt, "lib", "x86_64-linux-gnu");
        fs.writeFileSync(path.join(root, "etc", "ld.so.conf"), `${VPP_IN_IMAGE}/lib/x86_64-linux-gnu\n`);
        for (const f of fs.readdirSync(path.join(opt, "bin"))) elves.push(path.join(opt, "bin", f));
        for (const f of fs.readdirSync(path.join(lib, "vpp_plugins"))) elves.push(path.join(lib, "vpp_plugins", f));
    }
    // The machine's libraries each program loads, where its loader finds them.
    const libEnv = vppPrefix
        ? { ...process.env, LD_LIBRARY_PATH: path.join(vppPrefix, "lib", "x86_64-linux-gnu") }
        : undefined;
    const libs = new Set<string>();
    for (const f of elves) {
        for (const l of sharedLibraries(f, libEnv)) {
            if (vppPrefix && l.startsWith(vppPrefix)) continue;
            libs.add(l);
        }
    }
    for (const l of libs) {
        const dest = path.join(
            root,
            l.startsWith("/lib64/") ? l : path.join("/lib/x86_64-linux-gnu", path.basename(l)),
        );
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(fs.realpathSync(l), dest);
    }
    if (!fs.existsSync(path.join(root, "lib64", "ld-linux-x86-64.so.2"))) {
        fs.copyFileSync(
            fs.realpathSync("/lib64/ld-linux-x86-64.so.2"),
            path.join(root, "lib64", "ld-linux-x86-64.so.2"),
        );
    }
    if (vppPrefix && fileCaps.length > 0) {
        const vpp = path.join(root, VPP_IN_IMAGE, "bin", "vpp");
        run("setcap", [`${fileCaps.map((c) => `cap_${c.toLowerCase()}`).join(",")}=eip`, vpp]);
    }
    run("ldconfig", ["-r", root]);
    return root;
}
