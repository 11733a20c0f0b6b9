// The node probes by name, without their code: what a check may name in needs.probes, checked when
// a check is loaded (src/engine/validate.ts). Kept apart from the registry (probes.ts) so that loading
// the checks does not load every probe's parser (~25 ms of each start-up; a run without nodes never
// parses a probe). The registry must hold exactly these names; the compiler holds it to that.
export const PROBE_NAMES = [
  'cgroupCpuStat',
  'cni0Addrs',
  'cniConfig',
  'conntrack',
  'diskUsage',
  'etcdMetrics',
  'etcdStatus',
  'flannelSubnetEnv',
  'hostpathUsage',
  'kernelLog',
  'kubeletConfig',
  'kubeletConn',
  'listeners',
  'localVolumeDirs',
  'neighCounts',
  'neighStats',
  'netstat',
  'podNetns',
  'sysctls',
  'uname',
] as const;

export type ProbeName = (typeof PROBE_NAMES)[number];
