export { VppLab, VppLabArgs, labObjects, MacChoice } from "./lab";
export { MacvlanNetwork, MacvlanNetworkArgs } from "./network";
export { ClusterMetrics, ClusterMetricsArgs } from "./metrics";
export { SecurityPolicy, SecurityPolicyArgs, sccSpec, sccUseRules, POD_VOLUME_TYPES } from "./security";
export { VppServer, VppServerArgs, configMapData, readScripts } from "./server";
export { vppPodSpec, PodSpecOptions } from "./pod";
export * as names from "./names";
export { VPP_UID } from "./names";
export * as vppConfig from "./vppConfig";
