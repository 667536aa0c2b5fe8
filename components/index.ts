export { VppLab, VppLabArgs } from "./lab";
export { MacvlanNetwork, MacvlanNetworkArgs } from "./network";
export { SecurityPolicy, SecurityPolicyArgs, sccSpec, sccUseRules, POD_VOLUME_TYPES } from "./security";
export { VppServer, VppServerArgs, configMapData, vppPodSpec, readScripts } from "./server";
export * as names from "./names";
export { VPP_UID } from "./names";
export * as vppConfig from "./vppConfig";
