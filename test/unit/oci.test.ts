/**
 * The data-plane rig's OCI configuration (test/dataplane/oci.ts), checked against the rules of the
 * code it models: the CRI's capabilities (defaults minus drop plus add, never inheritable or
 * ambient), no_new_privs from allowPrivilegeEscalation, the read-only root, the pod's namespaces,
 * and CRI-O's RuntimeDefault seccomp profile as containers/common converts it. The rig must never
 * grant what a runtime would not: these are the rules that keep it honest.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    containerCapabilities,
    CONTAINERD_DEFAULT_CAPS,
    CRIO_SECCOMP_PROFILE,
    ociSpec,
    PodSandbox,
    runtimeDefaultSeccomp,
    seccompAlwaysAllows,
    seccompAlwaysRefuses,
} from "../dataplane/oci";
import { labPod, LabPod } from "../dataplane/pod";

const SANDBOX: PodSandbox = {
    netns: "/run/netns/pod",
    ipcNs: "/tmp/ipc",
    utsNs: "/tmp/uts",
    hostname: "vpp-server-0",
    shm: "/tmp/shm",
    cgroupParent: "/pod",
    cpus: "0-1",
    mems: "0",
    supplementalGroups: [],
    fsGroup: 1000650000,
};

describe("data-plane rig: the OCI configuration a CRI writes from the pod spec", () => {
    let pod: LabPod;
    before(async () => {
        pod = await labPod();
    });

    it("capabilities: drop ALL leaves exactly the added ones; otherwise the runtime's defaults minus drop plus add", () => {
        assert.deepStrictEqual(containerCapabilities(pod.vpp), [
            "CAP_NET_ADMIN",
            "CAP_NET_RAW",
            "CAP_IPC_LOCK",
            "CAP_NET_BROADCAST",
        ]);
        assert.deepStrictEqual(containerCapabilities(pod.init), []);
        const some = {
            ...pod.init,
            securityContext: {
                ...pod.init.securityContext,
                capabilities: { drop: ["KILL", "NET_RAW"], add: ["NET_ADMIN"] },
            },
        };
        assert.deepStrictEqual(containerCapabilities(some), [
            ...CONTAINERD_DEFAULT_CAPS.filter((c) => c !== "CAP_KILL" && c !== "CAP_NET_RAW"),
            "CAP_NET_ADMIN",
        ]);
    });

    describe("the VPP container's config.json", () => {
        let spec: Record<string, any>;
        before(function () {
            if (!fs.existsSync(CRIO_SECCOMP_PROFILE)) {
                throw new Error(`${CRIO_SECCOMP_PROFILE} is missing: apt-get install golang-github-containers-common`);
            }
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oci-"));
            spec = ociSpec({
                container: pod.vpp,
                sandbox: SANDBOX,
                rootfs: path.join(dir, "rootfs"),
                imageBinds: [{ source: "/usr", destination: "/usr" }],
                imageEnv: ["PATH=/opt/vpp/bin:/usr/bin"],
                volumes: Object.fromEntries(Object.keys(pod.volumes).map((v) => [v, path.join(dir, v)])),
                cgroupName: "vpp-server",
                memoryBytes: 1024,
                terminationLog: path.join(dir, "termination-log"),
                seccomp: runtimeDefaultSeccomp(containerCapabilities(pod.vpp)),
            });
        });

        it("the process: vpp itself, uid and gid 10000 with OpenShift's fsGroup, no_new_privs, the three sets and no other", () => {
            assert.deepStrictEqual(spec.process.args, ["vpp", "-c", "/conf/vpp.conf"]);
            assert.deepStrictEqual(spec.process.user, { uid: 10000, gid: 10000, additionalGids: [1000650000] });
            assert.strictEqual(spec.process.noNewPrivileges, true);
            const caps = ["CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_NET_BROADCAST"];
            assert.deepStrictEqual(spec.process.capabilities, { bounding: caps, effective: caps, permitted: caps });
            assert.ok(!("ambient" in spec.process.capabilities), "no runtime sets ambient capabilities");
            assert.ok(!("inheritable" in spec.process.capabilities), "containerd sets no inheritable capabilities");
            assert.deepStrictEqual(spec.process.env, ["PATH=/opt/vpp/bin:/usr/bin", "HOSTNAME=vpp-server-0"]);
        });

        it("a read-only root, the pod's network, IPC and UTS namespaces, its own PID and mount namespaces", () => {
            assert.strictEqual(spec.root.readonly, true);
            assert.deepStrictEqual(spec.linux.namespaces, [
                { type: "pid" },
                { type: "ipc", path: "/tmp/ipc" },
                { type: "uts", path: "/tmp/uts" },
                { type: "mount" },
                { type: "network", path: "/run/netns/pod" },
            ]);
            assert.strictEqual(spec.linux.cgroupsPath, "/pod/vpp-server");
            assert.deepStrictEqual(spec.linux.resources.memory, { limit: 1024 });
        });

        it("mounts: the runtime's defaults, /sys and the cgroups read-only, the pod's /dev/shm, then the volumes as the pod mounts them", () => {
            const byDest = Object.fromEntries(spec.mounts.map((m: any) => [m.destination, m]));
            assert.deepStrictEqual(byDest["/sys"].options, ["nosuid", "noexec", "nodev", "ro"]);
            assert.ok(byDest["/sys/fs/cgroup"].options.includes("ro"));
            assert.strictEqual(byDest["/dev/shm"].source, "/tmp/shm");
            for (const m of pod.vpp.volumeMounts) {
                assert.strictEqual(byDest[m.mountPath].type, "bind", m.mountPath);
                assert.ok(byDest[m.mountPath].options.includes(m.readOnly ? "ro" : "rw"), m.mountPath);
            }
            assert.deepStrictEqual(
                spec.mounts.slice(0, 7).map((m: any) => m.destination),
                ["/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/run"],
            );
        });

        it("seccomp: CRI-O's default profile for amd64, which refuses move_pages and allows mbind, set_mempolicy and get_mempolicy", () => {
            const s = spec.linux.seccomp;
            assert.strictEqual(s.defaultAction, "SCMP_ACT_ERRNO");
            assert.deepStrictEqual(s.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
            assert.strictEqual(seccompAlwaysRefuses(s, "move_pages"), true);
            for (const call of ["mbind", "set_mempolicy", "get_mempolicy", "mlock", "sched_setaffinity", "mount"]) {
                assert.strictEqual(seccompAlwaysAllows(s, call), true, call);
            }
            // socket: allowed but for the kernel's audit netlink family (16) without CAP_AUDIT_WRITE;
            // AF_PACKET (17) passes the rule "argument 0 is not 16".
            assert.ok(
                s.syscalls.some(
                    (r: any) =>
                        r.names.includes("socket") &&
                        r.action === "SCMP_ACT_ALLOW" &&
                        JSON.stringify(r.args) ===
                            JSON.stringify([{ index: 0, value: 16, valueTwo: 0, op: "SCMP_CMP_NE" }]),
                ),
                JSON.stringify(s.syscalls.filter((r: any) => r.names.includes("socket"))),
            );
        });
    });

    it("seccomp rules follow the container's capabilities, as containers/common filters them: the CAP_SYS_ADMIN group's allow or refusal", () => {
        const group = (bounding: string[]) =>
            runtimeDefaultSeccomp(bounding)
                .syscalls.filter((r) => r.names.length === 8 && r.names.includes("setns"))
                .map((r) => r.action);
        assert.deepStrictEqual(group(["CAP_NET_RAW"]), ["SCMP_ACT_ERRNO"]);
        assert.deepStrictEqual(group(["CAP_SYS_ADMIN"]), ["SCMP_ACT_ALLOW"]);
    });
});
