// The check registry, kept sorted by id. test/registry.test.ts keeps it in agreement with the
// folders in checks/, their READMEs and their tests: add a check here when you add its folder.
import type { CheckDefinition } from '../src/engine/types.js';
import apiserverHealth from './apiserver-health/index.js';
import apiserviceAvailability from './apiservice-availability/index.js';
import arpNeighborOverflow from './arp-neighbor-overflow/index.js';
import cni0BridgeMismatch from './cni0-bridge-mismatch/index.js';
import conntrackTable from './conntrack-table/index.js';
import cpuThrottlingKernel from './cpu-throttling-kernel/index.js';
import etcdHealth from './etcd-health/index.js';
import evictedPods from './evicted-pods/index.js';
import gracefulTermination from './graceful-termination/index.js';
import grpcLoadImbalance from './grpc-load-imbalance/index.js';
import hostpathLogGrowth from './hostpath-log-growth/index.js';
import jvmContainerMemory from './jvm-container-memory/index.js';
import kubeletGc from './kubelet-gc/index.js';
import missingProbes from './missing-probes/index.js';
import nodeHeartbeat from './node-heartbeat/index.js';
import nodeImbalance from './node-imbalance/index.js';
import objectScale from './object-scale/index.js';
import synBacklog from './syn-backlog/index.js';

export const CHECKS: readonly CheckDefinition[] = [
  apiserverHealth,
  apiserviceAvailability,
  arpNeighborOverflow,
  cni0BridgeMismatch,
  conntrackTable,
  cpuThrottlingKernel,
  etcdHealth,
  evictedPods,
  gracefulTermination,
  grpcLoadImbalance,
  hostpathLogGrowth,
  jvmContainerMemory,
  kubeletGc,
  missingProbes,
  nodeHeartbeat,
  nodeImbalance,
  objectScale,
  synBacklog,
];
