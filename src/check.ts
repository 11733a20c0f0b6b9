// The public check API: `import { defineCheck, runCheck } from 'kubectl-checkup/check'`.
// Built-in checks use exactly this, so what works inside the repository works in an external module.
// Guide: docs/writing-checks.md.
export {
  defineCheck, optional, reporter, BUILTIN_CHECK_IDS,
  type ApiKind, type ApiNeed, type CheckContext, type CheckDefinition, type CheckId, type CheckNeeds, type CheckResult,
  type CheckSettings, type CheckStatus, type EffectiveConfig, type Finding, type FindingInput, type KindTypes, type KubeObject,
  type NodeDisk, type NodeFactName, type NodeFactNeed, type NodeFacts, type NodeProbeResults, type ProbeName, type ProbeNeed,
  type ProbeOutcome, type ProbeValues, type Remediation, type RuleMeta, type SettingSpec, type SettingValues, type Severity,
  type Target, type Visitors, type Wording, type ApiserverMetrics, type Exposition, type Reporter,
} from './engine/types.js';
export { runCheck, type CheckCase } from './engine/check-tester.js';
export { CheckValidationError, validateCheck } from './engine/validate.js';

// Kube helpers a check may use: the same rules the built-in checks follow.
export { OwnerIndex, controllerOf, describeWorkload, isMirrorPod, type WorkloadRef } from './kube/owners.js';
export { parseLabelSelector, serviceSelects } from './kube/selectors.js';
export { serviceTargetPorts, serviceTargets, type ServedContainer } from './kube/service-targets.js';
export { formatBytes, parseJvmSize, parseQuantity, quantityMilliValue, quantityNumber, quantityValue } from './kube/quantity.js';
export { eventCount, eventLastSeen, evidenceTime } from './kube/events.js';
export { evictionTime, isDiskResource, parseEvictionMessage, type EvictionInfo } from './kube/eviction.js';
export { MESH_SIDECARS, namespaceMeshes, runsMeshSidecar, type Mesh } from './kube/mesh.js';
export { toMillis } from './kube/resources.js';
