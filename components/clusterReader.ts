/**
 * Reads live objects from the cluster the stack deploys to, with the kubeconfig the kubernetes
 * provider uses: the stack's `kubernetes:kubeconfig` (a path or the file's content) and
 * `kubernetes:context`, else $KUBECONFIG or ~/.kube/config. @kubernetes/client-node resolves
 * every kind of credential a kubeconfig can hold (certificates, tokens, exec plugins), and is
 * loaded only when a deployment reads the cluster.
 */
import type { LiveReader } from "./drift";

export interface KubeconfigSettings {
    /** A kubeconfig file's path or its content; undefined: $KUBECONFIG or ~/.kube/config. */
    readonly kubeconfig?: string;
    /** The kubeconfig context; undefined: its current context. */
    readonly context?: string;
}

export function clusterReader(settings: KubeconfigSettings): LiveReader {
    let client: Promise<import("@kubernetes/client-node").KubernetesObjectApi> | undefined;
    const api = () =>
        (client ??= (async () => {
            const k8s = await import("@kubernetes/client-node");
            const kc = new k8s.KubeConfig();
            const given = settings.kubeconfig;
            if (given && /^\s*(apiVersion|clusters|kind|contexts|current-context)\s*:/m.test(given)) {
                kc.loadFromString(given);
            } else if (given) {
                kc.loadFromFile(given);
            } else {
                kc.loadFromDefault();
            }
            if (settings.context) {
                kc.setCurrentContext(settings.context);
            }
            return k8s.KubernetesObjectApi.makeApiClient(kc);
        })());
    return async (ref) => {
        const header = {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, namespace: ref.namespace },
        };
        try {
            return (await (await api()).read(header)) as unknown as Record<string, unknown>;
        } catch (e) {
            if ((e as { code?: number }).code === 404) {
                return undefined;
            }
            throw e;
        }
    };
}
