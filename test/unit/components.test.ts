/**
 * Every component's Kubernetes objects, asserted field by field under Pulumi's mocks.
 * The mocks must be installed before the components are imported.
 */
import * as assert from "assert";
import { findResource, MOCK_RANDOM_MAC, mocksReady, registered, valueOf, Registered } from "./mocks";
import { labObjects, VppLab as VppLabType, VppLabArgs } from "../../components/lab";
import { parseStackConfig, RawConfig } from "../../stacks/config";
import { buildLab, labArgs } from "../../stacks/compose";
import { LAB_CONFIG, LAB_NAD_CONFIG } from "../fixtures/lab";
import { configHash } from "../../components/vppConfig";

const LAB: RawConfig = LAB_CONFIG;

/** The QoS class Kubernetes gives a pod (pkg/apis/core/helper/qos): CPU and memory only. */
function qosClass(pod: Record<string, any>): "Guaranteed" | "Burstable" | "BestEffort" {
    const all = [...(pod.initContainers ?? []), ...pod.containers];
    const guaranteed = all.every((c) =>
        ["cpu", "memory"].every(
            (r) =>
                c.resources?.limits?.[r] !== undefined &&
                c.resources.limits[r] === (c.resources.requests?.[r] ?? c.resources.limits[r]),
        ),
    );
    if (guaranteed) return "Guaranteed";
    const any = all.some((c) =>
        Object.keys({ ...c.resources?.requests, ...c.resources?.limits }).some((r) => r === "cpu" || r === "memory"),
    );
    return any ? "Burstable" : "BestEffort";
}

const T = {
    namespace: "kubernetes:core/v1:Namespace",
    nad: "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition",
    scc: "kubernetes:security.openshift.io/v1:SecurityContextConstraints",
    sa: "kubernetes:core/v1:ServiceAccount",
    clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    configMap: "kubernetes:core/v1:ConfigMap",
    deployment: "kubernetes:apps/v1:Deployment",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    randomId: "random:index/randomId:RandomId",
};
/** What `metrics: cluster` adds. */
const TM = {
    service: "kubernetes:core/v1:Service",
    podMonitor: "kubernetes:monitoring.coreos.com/v1:PodMonitor",
};

interface Deployed {
    lab: VppLabType;
    get(type: string): Registered;
    resources: Registered[];
}

let counter = 0;
/** Builds one lab from `raw` (on top of the reference lab) under a fresh component name. */
async function deploy(
    raw: RawConfig = {},
    stack = "lab",
    edit: (a: VppLabArgs) => VppLabArgs = (a) => a,
): Promise<Deployed> {
    await mocksReady;
    const name = `t${++counter}`;
    const before = registered.length;
    const lab = buildLab(name, edit(labArgs(parseStackConfig({ ...LAB, ...raw }), stack)));
    await Promise.all([valueOf(lab.vppctl), valueOf(lab.macAddress), valueOf(lab.sccName), valueOf(lab.nadName)]);
    await new Promise((r) => setTimeout(r, 10));
    const resources = registered.slice(before).filter((r) => r.name.startsWith(`${name}-`));
    return { lab, resources, get: (type) => findResource(`${name}-`, type) };
}

describe("components under mocks: the reference lab with defaults", () => {
    let d: Deployed;
    before(async () => {
        d = await deploy();
    });

    it("registers exactly the namespace, NAD, SCC, ServiceAccount, ClusterRole, RoleBinding, NetworkPolicy, ConfigMap, Deployment and the MAC's RandomId", () => {
        const custom = d.resources
            .filter((r) => !r.type.startsWith("vpp-server:"))
            .map((r) => r.type)
            .sort();
        assert.deepStrictEqual(custom, Object.values(T).sort());
    });

    it("components have the vpp-server:<module>:<Type> tokens", () => {
        const components = d.resources
            .filter((r) => r.type.startsWith("vpp-server:"))
            .map((r) => r.type)
            .sort();
        assert.deepStrictEqual(components, [
            "vpp-server:network:MacvlanNetwork",
            "vpp-server:security:SecurityPolicy",
            "vpp-server:server:VppServer",
        ]);
    });

    it("Namespace vpp-server, labelled for the stack, applied with force", () => {
        assert.deepStrictEqual(d.get(T.namespace).inputs.metadata, {
            name: "vpp-server",
            annotations: { "pulumi.com/patchForce": "true" },
            labels: {
                "app.kubernetes.io/name": "vpp-server",
                "app.kubernetes.io/instance": "vpp-server-lab",
                "app.kubernetes.io/managed-by": "pulumi",
            },
        });
    });

    it("NetworkAttachmentDefinition macvlan0: macvlan on eno8403np1, bridge, no IPAM, mac capability (MAC pinned), then tuning disables IPv6", () => {
        const nad = d.get(T.nad).inputs;
        assert.strictEqual(nad.apiVersion, "k8s.cni.cncf.io/v1");
        assert.strictEqual(nad.kind, "NetworkAttachmentDefinition");
        assert.strictEqual(nad.metadata.name, "macvlan0");
        assert.strictEqual(nad.metadata.namespace, "vpp-server");
        assert.deepStrictEqual(JSON.parse(nad.spec.config), LAB_NAD_CONFIG);
    });

    it("SecurityContextConstraints: rootless uid 10000, the image's capabilities only, drop ALL, nothing from the host", () => {
        const scc = d.get(T.scc).inputs;
        const { metadata, ...fields } = scc;
        assert.strictEqual(metadata.name, "vpp-server-lab");
        assert.deepStrictEqual(fields, {
            apiVersion: "security.openshift.io/v1",
            kind: "SecurityContextConstraints",
            allowHostDirVolumePlugin: false,
            allowHostIPC: false,
            allowHostNetwork: false,
            allowHostPID: false,
            allowHostPorts: false,
            allowPrivilegeEscalation: false,
            allowPrivilegedContainer: false,
            allowedCapabilities: ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_BROADCAST"],
            defaultAddCapabilities: [],
            requiredDropCapabilities: ["ALL"],
            fsGroup: { type: "MustRunAs" },
            readOnlyRootFilesystem: false,
            runAsUser: { type: "MustRunAs", uid: 10000 },
            seLinuxContext: { type: "MustRunAs" },
            supplementalGroups: { type: "RunAsAny" },
            seccompProfiles: ["runtime/default"],
            volumes: ["configMap", "emptyDir"],
            users: [],
            groups: [],
            priority: 0,
        });
    });

    it("ServiceAccount vpp-server without an API token (VPP never calls the API)", () => {
        const sa = d.get(T.sa).inputs;
        assert.strictEqual(sa.metadata.name, "vpp-server");
        assert.strictEqual(sa.metadata.namespace, "vpp-server");
        assert.strictEqual(sa.automountServiceAccountToken, false);
    });

    it("ClusterRole grants only `use` of this stack's SCC, by name", () => {
        const role = d.get(T.clusterRole).inputs;
        assert.strictEqual(role.metadata.name, "system:openshift:scc:vpp-server-lab");
        assert.deepStrictEqual(role.rules, [
            {
                apiGroups: ["security.openshift.io"],
                resources: ["securitycontextconstraints"],
                resourceNames: ["vpp-server-lab"],
                verbs: ["use"],
            },
        ]);
    });

    it("RoleBinding in the namespace binds that ClusterRole to the ServiceAccount alone", () => {
        const rb = d.get(T.roleBinding).inputs;
        assert.strictEqual(rb.metadata.namespace, "vpp-server");
        assert.deepStrictEqual(rb.roleRef, {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: "system:openshift:scc:vpp-server-lab",
        });
        assert.deepStrictEqual(rb.subjects, [{ kind: "ServiceAccount", name: "vpp-server", namespace: "vpp-server" }]);
    });

    it("NetworkPolicy denies all ingress and egress on the pod's cluster network: it selects the pod, with no rule", () => {
        const np = d.get(T.networkPolicy).inputs;
        assert.strictEqual(np.metadata.name, "vpp-server-deny-cluster-network");
        assert.strictEqual(np.metadata.namespace, "vpp-server");
        assert.deepStrictEqual(np.spec, {
            podSelector: {
                matchLabels: { "app.kubernetes.io/name": "vpp-server", "app.kubernetes.io/instance": "vpp-server-lab" },
            },
            policyTypes: ["Ingress", "Egress"],
        });
        const podLabels = d.get(T.deployment).inputs.spec.template.metadata.labels;
        for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels)) {
            assert.strictEqual(podLabels[k], v, `the pod template lacks the selected label ${k}`);
        }
    });

    it("no ClusterRoleBinding: the grant stays in the namespace", () => {
        assert.ok(!d.resources.some((r) => r.type.endsWith(":ClusterRoleBinding")));
    });

    it("ConfigMap holds vpp.conf (no forced sleep), startup.conf (TPACKET_V2, the pinned MAC, GARP), index.html and both scripts", () => {
        const cm = d.get(T.configMap).inputs;
        assert.strictEqual(cm.metadata.name, "vpp-server-config");
        assert.deepStrictEqual(Object.keys(cm.data).sort(), [
            "index.html",
            "init.sh",
            "startup.conf",
            "vpp-cpus.sh",
            "vpp.conf",
        ]);
        assert.strictEqual(
            cm.data["vpp.conf"],
            "unix {\n  nodaemon cli-listen /run/vpp/cli-vpp1.sock\n  startup-config /conf/startup.conf\n}\napi-segment { prefix vpp1 }\nsession { use-private-rx-mqs }\nplugins { plugin dpdk_plugin.so { disable } }\n",
        );
        assert.strictEqual(
            cm.data["startup.conf"],
            [
                "create host-interface v2 name macvlan0",
                `set interface mac address host-macvlan0 ${MOCK_RANDOM_MAC}`,
                "set int state host-macvlan0 up",
                "create sub-interfaces host-macvlan0 123",
                "set interface state host-macvlan0.123 up",
                "set int ip address host-macvlan0.123 192.168.123.150/24",
                "http static server www-root /www uri tcp://0.0.0.0/80 cache-size 512m",
                "arping gratuitous 192.168.123.150 host-macvlan0.123",
                "",
            ].join("\n"),
        );
        assert.strictEqual(cm.data["index.html"], "Welcome\n");
        assert.match(cm.data["init.sh"], /^#!\/bin\/sh\n# init-vpp-server/);
        assert.match(cm.data["vpp-cpus.sh"], /^#!\/bin\/sh\n# vpp-cpus: run by the init container/);
    });

    describe("Deployment", () => {
        let dep: Record<string, any>;
        let pod: Record<string, any>;
        before(() => {
            dep = d.get(T.deployment).inputs;
            pod = dep.spec.template.spec;
        });

        it("one replica, Recreate, selected by name and instance", () => {
            assert.strictEqual(dep.metadata.name, "vpp-server");
            assert.strictEqual(dep.metadata.namespace, "vpp-server");
            assert.strictEqual(dep.spec.replicas, 1);
            assert.deepStrictEqual(dep.spec.strategy, { type: "Recreate" });
            assert.deepStrictEqual(dep.spec.selector.matchLabels, {
                "app.kubernetes.io/name": "vpp-server",
                "app.kubernetes.io/instance": "vpp-server-lab",
            });
        });

        it("pod template: labelled to skip certsuite's Multus ping test (no IPAM); no CPU isolation annotations on shared CPUs", () => {
            assert.deepStrictEqual(dep.spec.template.metadata.labels, {
                "app.kubernetes.io/name": "vpp-server",
                "app.kubernetes.io/instance": "vpp-server-lab",
                "app.kubernetes.io/managed-by": "pulumi",
                "redhat-best-practices-for-k8s.com/skip_multus_connectivity_tests": "",
            });
            assert.deepStrictEqual(Object.keys(dep.spec.template.metadata.annotations).sort(), [
                "k8s.v1.cni.cncf.io/networks",
                "vpp-server/config-sha256",
            ]);
            assert.strictEqual(pod.runtimeClassName, undefined);
            assert.strictEqual(pod.terminationGracePeriodSeconds, 10);
        });

        it("pod template: network selection with the pinned MAC and the digest of the configuration", () => {
            const annotations = dep.spec.template.metadata.annotations;
            assert.deepStrictEqual(JSON.parse(annotations["k8s.v1.cni.cncf.io/networks"]), [
                { name: "macvlan0", namespace: "vpp-server", interface: "macvlan0", mac: MOCK_RANDOM_MAC },
            ]);
            const cm = d.get(T.configMap).inputs;
            assert.strictEqual(
                annotations["vpp-server/config-sha256"],
                configHash({
                    ...cm.data,
                    image: "quay.io/akaris/vpp-server:latest",
                    expectedMac: MOCK_RANDOM_MAC,
                    networkConfig: d.get(T.nad).inputs.spec.config,
                }),
            );
        });

        it("pod security: uid/gid 10000, non-root, seccomp RuntimeDefault, own ServiceAccount, no token", () => {
            assert.deepStrictEqual(pod.securityContext, {
                runAsNonRoot: true,
                runAsUser: 10000,
                runAsGroup: 10000,
                seccompProfile: { type: "RuntimeDefault" },
            });
            assert.strictEqual(pod.serviceAccountName, "vpp-server");
            assert.strictEqual(pod.automountServiceAccountToken, false);
            assert.strictEqual(pod.hostNetwork, undefined);
            assert.strictEqual(pod.nodeSelector, undefined);
        });

        it("main container: vpp itself as the first process (no shell: under no_new_privs it would leave vpp no capability), drop ALL, add exactly the image's capabilities, no escalation", () => {
            assert.strictEqual(pod.containers.length, 1);
            const c = pod.containers[0];
            assert.strictEqual(c.name, "vpp-server");
            assert.strictEqual(c.image, "quay.io/akaris/vpp-server:latest");
            assert.deepStrictEqual(c.command, ["vpp", "-c", "/conf/vpp.conf"]);
            assert.strictEqual(c.args, undefined);
            assert.strictEqual(c.env, undefined, "VPP reads nothing from its environment: its cores are in vpp.conf");
            assert.deepStrictEqual(c.securityContext, {
                runAsNonRoot: true,
                runAsUser: 10000,
                runAsGroup: 10000,
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"], add: ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_BROADCAST"] },
            });
        });

        it("both containers: IfNotPresent pulls, and the log as termination message when one fails", () => {
            for (const c of [pod.initContainers[0], pod.containers[0]]) {
                assert.strictEqual(c.imagePullPolicy, "IfNotPresent", c.name);
                assert.strictEqual(c.terminationMessagePolicy, "FallbackToLogsOnError", c.name);
            }
        });

        it("main container: startup every second, then readiness every 10 s: the address is on the VLAN interface", () => {
            const c = pod.containers[0];
            const addressHeld = {
                command: [
                    "/bin/sh",
                    "-c",
                    "vppctl -s /run/vpp/cli-vpp1.sock show interface address | grep -qF 'L3 192.168.123.150/24'",
                ],
            };
            assert.deepStrictEqual(c.startupProbe, {
                exec: addressHeld,
                periodSeconds: 1,
                timeoutSeconds: 3,
                failureThreshold: 60,
            });
            assert.deepStrictEqual(c.readinessProbe, {
                exec: addressHeld,
                periodSeconds: 10,
                timeoutSeconds: 3,
                failureThreshold: 3,
            });
        });

        it("main container: liveness asks whether VPP's CLI answers, a different command from readiness", () => {
            const c = pod.containers[0];
            assert.deepStrictEqual(c.livenessProbe, {
                exec: {
                    command: ["/bin/sh", "-c", "vppctl -s /run/vpp/cli-vpp1.sock show version | grep -q '^vpp v'"],
                },
                periodSeconds: 10,
                timeoutSeconds: 5,
                failureThreshold: 3,
            });
            assert.notDeepStrictEqual(c.livenessProbe.exec, c.readinessProbe.exec);
        });

        it("main container: memory sized for rings + cache + heap, no CPU limit, ephemeral storage for four emptyDirs and a log", () => {
            assert.deepStrictEqual(pod.containers[0].resources, {
                requests: { cpu: "200m", memory: "1796Mi", "ephemeral-storage": "64Mi" },
                limits: { memory: "1796Mi", "ephemeral-storage": "320Mi" },
            });
        });

        it("init container: small requests, a memory limit, ephemeral storage for its log", () => {
            assert.deepStrictEqual(pod.initContainers[0].resources, {
                requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "16Mi" },
                limits: { memory: "64Mi", "ephemeral-storage": "64Mi" },
            });
        });

        it("volumes: emptyDir at /conf, /www, /run/vpp, /run/user; the ConfigMap read-only in both containers", () => {
            assert.deepStrictEqual(pod.volumes, [
                { name: "templates", configMap: { name: "vpp-server-config", defaultMode: 0o444 } },
                { name: "conf", emptyDir: { sizeLimit: "64Mi" } },
                { name: "www", emptyDir: { sizeLimit: "64Mi" } },
                { name: "run-vpp", emptyDir: { sizeLimit: "64Mi" } },
                { name: "run-user", emptyDir: { sizeLimit: "64Mi" } },
            ]);
            assert.deepStrictEqual(pod.containers[0].volumeMounts, [
                { name: "templates", mountPath: "/etc/vpp-server", readOnly: true },
                { name: "conf", mountPath: "/conf", readOnly: true },
                { name: "www", mountPath: "/www", readOnly: true },
                { name: "run-vpp", mountPath: "/run/vpp" },
                { name: "run-user", mountPath: "/run/user" },
            ]);
        });

        it("init container: runs the ConfigMap's script with the interface and the pinned MAC, no capabilities", () => {
            assert.strictEqual(pod.initContainers.length, 1);
            const init = pod.initContainers[0];
            assert.strictEqual(init.name, "init-vpp-server");
            assert.strictEqual(init.image, "quay.io/akaris/vpp-server:latest");
            assert.deepStrictEqual(init.command, ["/bin/sh", "/etc/vpp-server/init.sh"]);
            assert.deepStrictEqual(init.env, [
                { name: "HOST_INTERFACE", value: "macvlan0" },
                { name: "TEMPLATE_DIR", value: "/etc/vpp-server" },
                { name: "CONF_DIR", value: "/conf" },
                { name: "WWW_DIR", value: "/www" },
                { name: "EXPECTED_MAC", value: MOCK_RANDOM_MAC },
                { name: "EXPECT_IPV6_DISABLED", value: "true" },
                // The planner's (vpp-cpus.sh): one worker, and pollSleepUsec auto: the main thread
                // sleeps while the worker carries the traffic.
                { name: "VPP_WORKERS", value: "1" },
                { name: "VPP_MAIN_SLEEP_USEC", value: "10000" },
            ]);
            assert.deepStrictEqual(init.securityContext, {
                runAsNonRoot: true,
                runAsUser: 10000,
                runAsGroup: 10000,
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
            });
            assert.deepStrictEqual(init.volumeMounts, [
                { name: "templates", mountPath: "/etc/vpp-server", readOnly: true },
                { name: "conf", mountPath: "/conf" },
                { name: "www", mountPath: "/www" },
            ]);
        });
    });

    it("outputs: the MAC, the URL and the vppctl command", async () => {
        assert.strictEqual(await valueOf(d.lab.macAddress), MOCK_RANDOM_MAC);
        assert.strictEqual(d.lab.url, "http://192.168.123.150/index.html");
        assert.strictEqual(d.lab.metricsUrl, "none (pulumi config set metrics vlan --stack <lab>, then pulumi up)");
        assert.strictEqual(
            await valueOf(d.lab.vppctl),
            "oc exec -it -n vpp-server deploy/vpp-server -c vpp-server -- vppctl -s /run/vpp/cli-vpp1.sock",
        );
        assert.strictEqual(await valueOf(d.lab.sccName), "vpp-server-lab");
        assert.strictEqual(await valueOf(d.lab.nadName), "macvlan0");
        assert.strictEqual(await valueOf(d.lab.namespace), "vpp-server");
        assert.strictEqual(await valueOf(d.lab.deploymentName), "vpp-server");
    });
});

describe("components under mocks: variants", () => {
    it("macAddress kernel: no RandomId, no mac capability or selection, the token the init script replaces", async () => {
        const d = await deploy({ macAddress: "kernel" });
        assert.ok(!d.resources.some((r) => r.type === T.randomId), "no RandomId expected");
        assert.strictEqual(JSON.parse(d.get(T.nad).inputs.spec.config).plugins[0].capabilities, undefined);
        const dep = d.get(T.deployment).inputs;
        assert.deepStrictEqual(JSON.parse(dep.spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"]), [
            { name: "macvlan0", namespace: "vpp-server", interface: "macvlan0" },
        ]);
        assert.ok(
            !dep.spec.template.spec.initContainers[0].env.some((e: { name: string }) => e.name === "EXPECTED_MAC"),
        );
        assert.match(
            d.get(T.configMap).inputs.data["startup.conf"],
            /^set interface mac address host-macvlan0 @MACVLAN0_MAC@$/m,
        );
        assert.strictEqual(await valueOf(d.lab.macAddress), "kernel (a new MAC at every pod start)");
    });

    it("an explicit macAddress is pinned as given, without a RandomId", async () => {
        const d = await deploy({ macAddress: "02:00:5e:10:00:01" });
        assert.ok(!d.resources.some((r) => r.type === T.randomId));
        assert.match(
            d.get(T.configMap).inputs.data["startup.conf"],
            /^set interface mac address host-macvlan0 02:00:5e:10:00:01$/m,
        );
        const init = d.get(T.deployment).inputs.spec.template.spec.initContainers[0];
        assert.deepStrictEqual(init.env[4], { name: "EXPECTED_MAC", value: "02:00:5e:10:00:01" });
    });

    it("the random MAC is generated from 6 random bytes", async () => {
        const d = await deploy();
        assert.deepStrictEqual(d.get(T.randomId).inputs, { byteLength: 6 });
    });

    it("imageCapabilities of the project's Containerfile: SCC and container add exactly those three", async () => {
        const caps = ["NET_ADMIN", "NET_RAW", "IPC_LOCK"];
        const d = await deploy({ imageCapabilities: JSON.stringify(caps) });
        assert.deepStrictEqual(d.get(T.scc).inputs.allowedCapabilities, caps);
        assert.deepStrictEqual(
            d.get(T.deployment).inputs.spec.template.spec.containers[0].securityContext.capabilities,
            {
                drop: ["ALL"],
                add: caps,
            },
        );
    });

    it("SCC allowedCapabilities always equal the container's add list", async () => {
        for (const caps of [
            ["NET_ADMIN", "NET_RAW", "IPC_LOCK", "NET_BROADCAST"],
            ["IPC_LOCK", "NET_RAW", "NET_ADMIN"],
            ["NET_BROADCAST", "IPC_LOCK", "NET_ADMIN", "NET_RAW"],
        ]) {
            const d = await deploy({ imageCapabilities: JSON.stringify(caps) });
            const added = d.get(T.deployment).inputs.spec.template.spec.containers[0].securityContext.capabilities.add;
            assert.deepStrictEqual(d.get(T.scc).inputs.allowedCapabilities, added, `for ${caps.join(",")}`);
            assert.deepStrictEqual(added, caps, `for ${caps.join(",")}`);
        }
    });

    it("nodeSelector, cpuLimit, memory, namespace, mode and busy polling reach the objects", async () => {
        const d = await deploy({
            namespace: "lab-b",
            macvlanMode: "vepa",
            nodeSelector: JSON.stringify(["kubernetes.io/hostname=worker01"]),
            cpuRequest: "1",
            cpuLimit: "2",
            memory: "3Gi",
            pollSleepUsec: "0",
            adaptiveSessionQueue: "false",
            gratuitousArp: "false",
        });
        const dep = d.get(T.deployment).inputs;
        const pod = dep.spec.template.spec;
        assert.deepStrictEqual(pod.nodeSelector, { "kubernetes.io/hostname": "worker01" });
        assert.deepStrictEqual(pod.containers[0].resources, {
            requests: { cpu: "1", memory: "3Gi", "ephemeral-storage": "64Mi" },
            limits: { cpu: "2", memory: "3Gi", "ephemeral-storage": "320Mi" },
        });
        assert.strictEqual(dep.metadata.namespace, "lab-b");
        assert.strictEqual(JSON.parse(d.get(T.nad).inputs.spec.config).plugins[0].mode, "vepa");
        const cm = d.get(T.configMap).inputs.data;
        assert.doesNotMatch(cm["vpp.conf"], /poll-sleep-usec|use-private-rx-mqs/);
        assert.doesNotMatch(cm["startup.conf"], /arping/);
        assert.deepStrictEqual(d.get(T.roleBinding).inputs.subjects, [
            { kind: "ServiceAccount", name: "vpp-server", namespace: "lab-b" },
        ]);
    });

    it("dedicatedCores: Guaranteed QoS, workers + 1 whole CPUs for VPP, requests equal limits in every container", async () => {
        const d = await deploy({ dedicatedCores: "true" });
        const pod = d.get(T.deployment).inputs.spec.template.spec;
        assert.deepStrictEqual(pod.containers[0].resources, {
            requests: { cpu: "2", memory: "1796Mi", "ephemeral-storage": "64Mi" },
            limits: { cpu: "2", memory: "1796Mi", "ephemeral-storage": "320Mi" },
        });
        // The init container asks for VPP's whole CPUs: the static CPU manager hands them on to the
        // VPP container, so the CPUs its planner reads are VPP's.
        assert.deepStrictEqual(pod.initContainers[0].resources, {
            requests: { cpu: "2", memory: "64Mi", "ephemeral-storage": "16Mi" },
            limits: { cpu: "2", memory: "64Mi", "ephemeral-storage": "64Mi" },
        });
        assert.strictEqual(qosClass(pod), "Guaranteed");
        const d0 = await deploy({ dedicatedCores: "true", workers: "0" });
        const pod0 = d0.get(T.deployment).inputs.spec.template.spec;
        assert.strictEqual(pod0.containers[0].resources.limits.cpu, "1");
        assert.strictEqual(pod0.initContainers[0].resources.limits.cpu, "1");
    });

    it("dedicatedCores: the CRI-O CPU isolation annotations certsuite's cpu-isolation check requires, and the RuntimeClass", async () => {
        const d = await deploy({ dedicatedCores: "true", runtimeClassName: "performance-lab" });
        const template = d.get(T.deployment).inputs.spec.template;
        assert.strictEqual(template.spec.runtimeClassName, "performance-lab");
        const annotations = { ...template.metadata.annotations };
        delete annotations["k8s.v1.cni.cncf.io/networks"];
        delete annotations["vpp-server/config-sha256"];
        assert.deepStrictEqual(annotations, {
            "cpu-load-balancing.crio.io": "disable",
            "irq-load-balancing.crio.io": "disable",
            "cpu-quota.crio.io": "disable",
        });
    });

    it("shared CPUs (the default) are Burstable: no CPU limit to throttle VPP", async () => {
        const d = await deploy();
        assert.strictEqual(qosClass(d.get(T.deployment).inputs.spec.template.spec), "Burstable");
    });

    it("denyClusterNetwork false: no NetworkPolicy", async () => {
        const d = await deploy({ denyClusterNetwork: "false" });
        assert.ok(!d.resources.some((r) => r.type === T.networkPolicy), "no NetworkPolicy expected");
    });

    it("metrics vlan reaches startup.conf (url-handlers, prom enable), rolls the pod, and sets the metricsUrl output", async () => {
        const none = await deploy({});
        const d = await deploy({ metrics: "vlan" });
        const startup: string = d.get(T.configMap).inputs.data["startup.conf"];
        assert.match(
            startup,
            /^http static server www-root \/www uri tcp:\/\/0\.0\.0\.0\/80 cache-size 512m url-handlers$/m,
        );
        assert.match(
            startup,
            /^prom enable used-only stat-patterns \^\/if\/ \^\/err\/ \^\/buffer-pools\/ \^\/sys\/session\/$/m,
        );
        const hash = (x: typeof d) =>
            x.get(T.deployment).inputs.spec.template.metadata.annotations["vpp-server/config-sha256"];
        assert.notStrictEqual(hash(d), hash(none));
        assert.strictEqual(d.lab.metricsUrl, "http://192.168.123.150/stats.prom");
    });

    describe("metrics cluster", () => {
        let d: Deployed;
        let none: Deployed;
        const SELECTOR = { "app.kubernetes.io/name": "vpp-server", "app.kubernetes.io/instance": "vpp-server-lab" };
        const LABELS = { ...SELECTOR, "app.kubernetes.io/managed-by": "pulumi" };
        before(async () => {
            none = await deploy({});
            d = await deploy({ metrics: "cluster" });
        });
        const pod = () => d.get(T.deployment).inputs.spec.template.spec;

        it("a second container runs the ConfigMap's metrics.sh from the same image: no capabilities, read-only root, the stats socket's directory read-only", () => {
            const [vpp, metrics] = pod().containers;
            assert.strictEqual(pod().containers.length, 2);
            assert.strictEqual(vpp.name, "vpp-server");
            assert.deepStrictEqual(
                {
                    ...metrics,
                    resources: undefined,
                    startupProbe: undefined,
                    readinessProbe: undefined,
                    livenessProbe: undefined,
                },
                {
                    name: "vpp-metrics",
                    image: vpp.image,
                    imagePullPolicy: "IfNotPresent",
                    command: ["/bin/sh", "/etc/vpp-server/metrics.sh"],
                    env: [
                        { name: "STATS_SOCKET", value: "/run/vpp/stats.sock" },
                        {
                            name: "METRICS_PATTERNS",
                            value: "^/interfaces/ ^/buffer-pools/ ^/sys/ ^/err/af-packet-input/ ^/err/ethernet-input/ ^/err/arp-input/ ^/err/arp-reply/ ^/err/ip4-input/ ^/err/ip4-local/ ^/err/ip4-glean/ ^/err/ip4-icmp-input/ ^/err/tcp4-input/ ^/err/tcp4-listen/ ^/err/tcp4-established/ ^/err/tcp4-rcv-process/ ^/err/tcp4-output/ ^/err/session-queue/",
                        },
                    ],
                    ports: [{ name: "metrics", containerPort: 9482, protocol: "TCP" }],
                    securityContext: {
                        runAsNonRoot: true,
                        runAsUser: 10000,
                        runAsGroup: 10000,
                        allowPrivilegeEscalation: false,
                        privileged: false,
                        readOnlyRootFilesystem: true,
                        capabilities: { drop: ["ALL"] },
                    },
                    resources: undefined,
                    startupProbe: undefined,
                    readinessProbe: undefined,
                    livenessProbe: undefined,
                    terminationMessagePolicy: "FallbackToLogsOnError",
                    volumeMounts: [
                        { name: "templates", mountPath: "/etc/vpp-server", readOnly: true },
                        { name: "run-vpp", mountPath: "/run/vpp", readOnly: true },
                    ],
                },
            );
        });
        it("its probes are HTTP, not exec: startup and liveness the exporter's page, readiness /metrics (reads VPP's stats)", () => {
            const m = pod().containers[1];
            const http = (p: string) => ({ path: p, port: "metrics", scheme: "HTTP" });
            assert.deepStrictEqual(m.startupProbe, {
                httpGet: http("/"),
                periodSeconds: 2,
                timeoutSeconds: 2,
                failureThreshold: 45,
            });
            assert.deepStrictEqual(m.readinessProbe, {
                httpGet: http("/metrics"),
                periodSeconds: 10,
                timeoutSeconds: 3,
                failureThreshold: 3,
            });
            assert.deepStrictEqual(m.livenessProbe, {
                httpGet: http("/"),
                periodSeconds: 10,
                timeoutSeconds: 5,
                failureThreshold: 3,
            });
        });
        it("its resources: small requests, a memory limit, ephemeral storage for its log; the pod stays Burstable", () => {
            assert.deepStrictEqual(pod().containers[1].resources, {
                requests: { cpu: "10m", memory: "32Mi", "ephemeral-storage": "16Mi" },
                limits: { memory: "64Mi", "ephemeral-storage": "64Mi" },
            });
            assert.strictEqual(qosClass(pod()), "Burstable");
        });
        it("with dedicatedCores the pod stays Guaranteed: the metrics container's requests equal its limits", async () => {
            const g = await deploy({ metrics: "cluster", dedicatedCores: "true" });
            const spec = g.get(T.deployment).inputs.spec.template.spec;
            assert.deepStrictEqual(spec.containers[1].resources, {
                requests: { cpu: "100m", memory: "64Mi", "ephemeral-storage": "16Mi" },
                limits: { cpu: "100m", memory: "64Mi", "ephemeral-storage": "64Mi" },
            });
            assert.strictEqual(qosClass(spec), "Guaranteed");
            const execProbes = spec.containers.flatMap((c: Record<string, any>) =>
                ["startupProbe", "readinessProbe", "livenessProbe"].filter((p) => c[p]?.exec),
            );
            assert.strictEqual(execProbes.length, 3, "only the VPP container's three probes are exec probes");
        });
        it("the ConfigMap adds metrics.sh and vpp.conf puts the stats socket on /run/vpp; the pod rolls", () => {
            const cm = d.get(T.configMap).inputs.data;
            assert.deepStrictEqual(Object.keys(cm).sort(), [
                "index.html",
                "init.sh",
                "metrics.sh",
                "startup.conf",
                "vpp-cpus.sh",
                "vpp.conf",
            ]);
            assert.match(cm["vpp.conf"], /^statseg \{ socket-name \/run\/vpp\/stats\.sock \}$/m);
            assert.strictEqual(cm["startup.conf"], none.get(T.configMap).inputs.data["startup.conf"]);
            assert.ok(!("metrics.sh" in none.get(T.configMap).inputs.data), "metrics none ships no metrics.sh");
            const hash = (x: Deployed) =>
                x.get(T.deployment).inputs.spec.template.metadata.annotations["vpp-server/config-sha256"];
            assert.notStrictEqual(hash(d), hash(none));
        });
        it("a ClusterIP Service vpp-server-metrics selects the pod on the named port 9482", () => {
            const svc = d.get(TM.service).inputs;
            assert.deepStrictEqual(svc.metadata, {
                name: "vpp-server-metrics",
                namespace: "vpp-server",
                labels: LABELS,
                annotations: { "pulumi.com/patchForce": "true" },
            });
            assert.deepStrictEqual(svc.spec, {
                type: "ClusterIP",
                selector: SELECTOR,
                ports: [{ name: "metrics", port: 9482, targetPort: "metrics", protocol: "TCP" }],
            });
        });
        it("a PodMonitor vpp-server scrapes the pod's metrics port every 30 s", () => {
            const pm = d.get(TM.podMonitor).inputs;
            assert.strictEqual(pm.apiVersion, "monitoring.coreos.com/v1");
            assert.deepStrictEqual(pm.metadata, {
                name: "vpp-server",
                namespace: "vpp-server",
                labels: LABELS,
                annotations: { "pulumi.com/patchForce": "true" },
            });
            assert.deepStrictEqual(pm.spec, {
                selector: { matchLabels: SELECTOR },
                podMetricsEndpoints: [
                    { port: "metrics", path: "/metrics", scheme: "http", interval: "30s", scrapeTimeout: "10s" },
                ],
            });
        });
        it("a NetworkPolicy admits the monitoring namespaces on TCP 9482 only; the deny-all policy stays", () => {
            const policies = d.resources.filter((r) => r.type === T.networkPolicy).map((r) => r.inputs);
            assert.deepStrictEqual(policies.map((p) => p.metadata.name).sort(), [
                "vpp-server-allow-monitoring",
                "vpp-server-deny-cluster-network",
            ]);
            const allow = policies.find((p) => p.metadata.name === "vpp-server-allow-monitoring");
            assert.deepStrictEqual(allow?.spec, {
                podSelector: { matchLabels: SELECTOR },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            {
                                namespaceSelector: {
                                    matchLabels: { "network.openshift.io/policy-group": "monitoring" },
                                },
                            },
                        ],
                        ports: [{ protocol: "TCP", port: 9482 }],
                    },
                ],
            });
        });
        it("the metricsUrl output says where the cluster's monitoring scrapes", () => {
            assert.strictEqual(
                d.lab.metricsUrl,
                "http://<pod IP>:9482/metrics (scraped by the cluster's monitoring through PodMonitor vpp-server/vpp-server; Service vpp-server/vpp-server-metrics)",
            );
        });
        it("metrics none and vlan: one container, no Service, PodMonitor or second NetworkPolicy", async () => {
            const vlan = await deploy({ metrics: "vlan" });
            for (const x of [none, vlan]) {
                assert.strictEqual(x.get(T.deployment).inputs.spec.template.spec.containers.length, 1);
                assert.ok(!x.resources.some((r) => r.type === TM.service || r.type === TM.podMonitor));
                assert.strictEqual(x.resources.filter((r) => r.type === T.networkPolicy).length, 1);
            }
        });
    });

    it("afPacketVersion 3 and workers 0 reach startup.conf, the init container's planner and the memory", async () => {
        const d = await deploy({ afPacketVersion: "3", workers: "0" });
        const cm = d.get(T.configMap).inputs.data;
        assert.strictEqual(cm["startup.conf"].split("\n")[0], "create host-interface name macvlan0");
        const spec = d.get(T.deployment).inputs.spec.template.spec;
        assert.deepStrictEqual(
            spec.initContainers[0].env.filter((e: { name: string }) => e.name.startsWith("VPP_")),
            [
                { name: "VPP_WORKERS", value: "0" },
                // The planner adds no sleep without a worker, and says why.
                { name: "VPP_MAIN_SLEEP_USEC", value: "10000" },
            ],
        );
        assert.strictEqual(spec.containers[0].resources.limits.memory, "1740Mi");
    });

    it("disableIpv6 false: the POC's single macvlan plugin, and the init container expects nothing of IPv6", async () => {
        const d = await deploy({ disableIpv6: "false" });
        const config = JSON.parse(d.get(T.nad).inputs.spec.config);
        assert.strictEqual(config.plugins, undefined);
        assert.strictEqual(config.type, "macvlan");
        const init = d.get(T.deployment).inputs.spec.template.spec.initContainers[0];
        assert.ok(!init.env.some((e: { name: string }) => e.name === "EXPECT_IPV6_DISABLED"), JSON.stringify(init.env));
    });

    it("a change of the NAD alone (master, mode, IPv6) rolls the pod: Multus reads the NAD only when a pod starts", async () => {
        const digest = async (over: Record<string, string>) =>
            (await deploy(over)).get(T.deployment).inputs.spec.template.metadata.annotations[
                "vpp-server/config-sha256"
            ];
        const base = await digest({});
        const changes: Record<string, string>[] = [
            { macvlanMaster: "ens1f0" },
            { macvlanMode: "private" },
            { disableIpv6: "false" },
        ];
        for (const over of changes) {
            assert.notStrictEqual(await digest(over), base, `pod digest unchanged by ${JSON.stringify(over)}`);
        }
        assert.strictEqual(await digest({}), base, "the digest is deterministic");
    });

    it("two stacks get different cluster-scoped names, so two labs can share a cluster", async () => {
        const a = await deploy({}, "lab-a");
        const b = await deploy({ namespace: "vpp-server-b" }, "lab-b");
        assert.strictEqual(a.get(T.scc).inputs.metadata.name, "vpp-server-lab-a");
        assert.strictEqual(b.get(T.scc).inputs.metadata.name, "vpp-server-lab-b.vpp-server-b");
        assert.strictEqual(a.get(T.clusterRole).inputs.metadata.name, "system:openshift:scc:vpp-server-lab-a");
        assert.strictEqual(
            b.get(T.clusterRole).inputs.metadata.name,
            "system:openshift:scc:vpp-server-lab-b.vpp-server-b",
        );
        assert.deepStrictEqual(b.get(T.clusterRole).inputs.rules[0].resourceNames, ["vpp-server-lab-b.vpp-server-b"]);
        assert.strictEqual(
            b.get(T.scc).inputs.metadata.labels["app.kubernetes.io/instance"],
            "vpp-server-lab-b.vpp-server-b",
        );
    });

    it("two copies of the project with one stack name, in two namespaces: no cluster-scoped name in common", async () => {
        const a = await deploy({ namespace: "team-a" }, "lab");
        const b = await deploy({ namespace: "team-b" }, "lab");
        assert.deepStrictEqual(
            [a, b].map((d) => [d.get(T.scc).inputs.metadata.name, d.get(T.clusterRole).inputs.metadata.name]),
            [
                ["vpp-server-lab.team-a", "system:openshift:scc:vpp-server-lab.team-a"],
                ["vpp-server-lab.team-b", "system:openshift:scc:vpp-server-lab.team-b"],
            ],
        );
    });

    it("a deployed stack keeps its instance (its output) through a namespace change: nothing cluster-scoped is renamed", async () => {
        const moved = await deploy({ namespace: "team-b" }, "lab", (a) => ({ ...a, instance: "vpp-server-lab" }));
        assert.strictEqual(moved.get(T.scc).inputs.metadata.name, "vpp-server-lab");
    });
});

describe("components under mocks: the objects the live checks read are the objects registered", () => {
    /** apiVersion, kind, namespace and name of every Kubernetes object registered. */
    const registeredRefs = (d: Deployed) =>
        d.resources
            .filter((r) => r.type.startsWith("kubernetes:"))
            .map((r) => {
                const ns = r.inputs.metadata.namespace as string | undefined;
                return `${r.inputs.apiVersion} ${r.inputs.kind} ${ns ?? "-"}/${r.inputs.metadata.name}`;
            })
            .sort();
    const planned = (a: VppLabArgs) =>
        labObjects(a)
            .map((o) => `${o.apiVersion} ${o.kind} ${o.namespace ?? "-"}/${o.name}`)
            .sort();
    for (const [what, raw, edit] of [
        ["the reference lab: 9 objects", {}, (a: VppLabArgs) => a],
        ["without the NetworkPolicy", { denyClusterNetwork: "false" }, (a: VppLabArgs) => a],
        ["metrics cluster: 12 objects", { metrics: "cluster" }, (a: VppLabArgs) => a],
        [
            "in a namespace the stack uses, not creates",
            { namespace: "precious" },
            (a: VppLabArgs) => ({ ...a, createNamespace: false }),
        ],
    ] as [string, RawConfig, (a: VppLabArgs) => VppLabArgs][]) {
        it(what, async () => {
            const d = await deploy(raw, "lab", edit);
            const args = edit(labArgs(parseStackConfig({ ...LAB, ...raw }), "lab"));
            assert.deepStrictEqual(registeredRefs(d), planned(args));
        });
    }
    it("the reference lab declares exactly these nine", () => {
        assert.deepStrictEqual(planned(labArgs(parseStackConfig(LAB), "lab")), [
            "apps/v1 Deployment vpp-server/vpp-server",
            "k8s.cni.cncf.io/v1 NetworkAttachmentDefinition vpp-server/macvlan0",
            "networking.k8s.io/v1 NetworkPolicy vpp-server/vpp-server-deny-cluster-network",
            "rbac.authorization.k8s.io/v1 ClusterRole -/system:openshift:scc:vpp-server-lab",
            "rbac.authorization.k8s.io/v1 RoleBinding vpp-server/vpp-server-scc",
            "security.openshift.io/v1 SecurityContextConstraints -/vpp-server-lab",
            "v1 ConfigMap vpp-server/vpp-server-config",
            "v1 Namespace -/vpp-server",
            "v1 ServiceAccount vpp-server/vpp-server",
        ]);
    });
    it("a used namespace is not declared, and nothing depends on a Namespace resource", async () => {
        const d = await deploy({ namespace: "precious" }, "lab", (a) => ({ ...a, createNamespace: false }));
        assert.strictEqual(d.resources.filter((r) => r.type === T.namespace).length, 0);
        assert.strictEqual(await valueOf(d.lab.namespace), "precious");
    });
});
