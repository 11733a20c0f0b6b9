// The registry of node probes. Checks name probes in needs.probes; the engine collects each probe at
// most once per node per run. To add a probe: write src/node/probes/<name>.ts, list it here
// and name it in probe-names.ts (the compiler insists on both).
import type { ProbeDefinition } from './probe-types.js';
import type { ProbeName } from './probe-names.js';
import { cgroupCpuStat } from './probes/cgroupCpuStat.js';
import { cni0Addrs } from './probes/cni0Addrs.js';
import { cniConfig } from './probes/cniConfig.js';
import { conntrack } from './probes/conntrack.js';
import { diskUsage } from './probes/diskUsage.js';
import { etcdMetrics } from './probes/etcdMetrics.js';
import { etcdStatus } from './probes/etcdStatus.js';
import { flannelSubnetEnv } from './probes/flannelSubnetEnv.js';
import { hostpathUsage } from './probes/hostpathUsage.js';
import { kernelLog } from './probes/kernelLog.js';
import { kubeletConfig } from './probes/kubeletConfig.js';
import { kubeletConn } from './probes/kubeletConn.js';
import { listeners } from './probes/listeners.js';
import { localVolumeDirs } from './probes/localVolumeDirs.js';
import { neighCounts } from './probes/neighCounts.js';
import { neighStats } from './probes/neighStats.js';
import { netstat } from './probes/netstat.js';
import { podNetns } from './probes/podNetns.js';
import { sysctls } from './probes/sysctls.js';
import { uname } from './probes/uname.js';

export const PROBES = {
  cgroupCpuStat,
  cni0Addrs,
  cniConfig,
  conntrack,
  diskUsage,
  etcdMetrics,
  etcdStatus,
  flannelSubnetEnv,
  hostpathUsage,
  kernelLog,
  kubeletConfig,
  kubeletConn,
  listeners,
  localVolumeDirs,
  neighCounts,
  neighStats,
  netstat,
  podNetns,
  sysctls,
  uname,
} satisfies Record<ProbeName, ProbeDefinition<unknown>>;

export type { ProbeName };
export type ProbeValues = { [K in ProbeName]: ReturnType<(typeof PROBES)[K]['parse']> };
