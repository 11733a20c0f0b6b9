// The rules of missing-probes and their words; index.ts decides, this file speaks (the probe
// suggestions themselves are in remediation.ts).
import type { V1Probe } from '@kubernetes/client-node';
import type { Wording } from '../../src/check.js';
import { describeWorkload, type WorkloadRef } from '../../src/kube/owners.js';
import { addLiveness, addReadiness, addStartup, calmLiveness, l7Liveness, separateLiveness, type Subject } from './remediation.js';

/** Who a finding is about, in words: "Container web of Deployment shop/web". */
export interface About {
  what: string;
  subject: Subject;
  /** Set when liveness failures are restarting the container now: how many pods crash-loop. */
  crashLooping?: number;
}

const services = (s: Subject) => s.services.map((x) => `Service ${x}`).join(', ');
const restartingNow = (d: About) =>
  (d.crashLooping ? `; liveness failures are restarting it now (${d.crashLooping} pod${d.crashLooping > 1 ? 's' : ''} crash-looping)` : '');

export const rules = {
  noReadinessProbe: {
    description: 'A container behind a Service has no readiness probe.',
    message: (d: About): Wording => ({
      message: `${d.what} has no readiness probe, but ${services(d.subject)} ${d.subject.services.length > 1 ? 'send' : 'sends'} it traffic: ` +
        'new pods get requests before they can serve, and hung pods keep getting them',
      expected: 'a readinessProbe on a container behind a Service', actual: 'no readinessProbe',
      remediation: addReadiness(d.subject),
    }),
  },
  noLivenessProbe: {
    description: 'A serving container has no liveness probe.',
    message: (d: About & { ports: number[] }): Wording => ({
      message: `${d.what} ${d.ports.length ? `serves on port ${d.ports.join(', ')}` : `serves ${services(d.subject)}`} but has no liveness probe: a hung process is never restarted`,
      expected: 'a livenessProbe on a long-running serving container', actual: 'no livenessProbe',
      remediation: addLiveness(d.subject),
    }),
  },
  identicalProbes: {
    description: 'Liveness runs the same check as readiness with a low failure threshold.',
    message: (d: About & { shared: string; failureThreshold: number }): Wording => ({
      message: `${d.what} runs the same check for liveness and readiness (${d.shared}, failureThreshold ${d.failureThreshold}): ` +
        `when it fails — a slow dependency, a load spike — every replica is restarted instead of only leaving the Service${restartingNow(d)}`,
      expected: 'liveness cheaper than readiness (another check, or a much higher failureThreshold)', actual: `both probes: ${d.shared}`,
      remediation: separateLiveness(d.subject, d.shared),
    }),
  },
  slowStartWithoutStartupProbe: {
    description: 'A long liveness initialDelaySeconds stands in for a startupProbe.',
    message: (d: About & { liveness: V1Probe }): Wording => ({
      message: `${d.what} waits ${d.liveness.initialDelaySeconds} s before its first liveness check and has no startupProbe: ` +
        `a slower start gets it killed, and a faster one leaves it unchecked${restartingNow(d)}`,
      expected: 'a startupProbe sized to the slowest start, and no long liveness initialDelaySeconds',
      actual: `livenessProbe.initialDelaySeconds: ${d.liveness.initialDelaySeconds}, no startupProbe`,
      remediation: addStartup(d.subject, d.liveness),
    }),
  },
  livenessRestarts: {
    description: 'The liveness probe keeps restarting a crash-looping container.',
    message: (d: { workload: WorkloadRef; container: string; unhealthy: number; pods: number; restartCount: number; state: string; subject: Subject; pod: string; liveness?: V1Probe }): Wording => ({
      message: `The liveness probe keeps restarting container ${d.container} of ${describeWorkload(d.workload)}: ` +
        `${d.unhealthy} liveness failures in recent events, ${d.pods} pod${d.pods > 1 ? 's' : ''} crash-looping`,
      expected: 'a liveness probe that fails only when the process is stuck',
      actual: `restarted ${d.restartCount} times, ${d.state}`,
      remediation: calmLiveness(d.subject, d.pod, d.liveness),
    }),
  },
  tcpLivenessOnHttp: {
    description: 'Liveness and readiness only open a TCP connection to an HTTP port: a hung HTTP server still accepts connections, so it is neither restarted nor taken out of its Services.',
    message: (d: About & { liveness: string; readiness: string; port: number | string; why: string }): Wording => ({
      message: `${d.what} checks its HTTP port ${d.port} only at the TCP level (liveness ${d.liveness}, readiness ${d.readiness}): the kernel completes the handshake ` +
        'from the listen queue even when the server no longer answers requests, so a hung process is never restarted' +
        (d.subject.services.length ? ` and keeps getting traffic from ${services(d.subject)}` : '') + ` (${d.why})`,
      expected: 'an HTTP (L7) check: httpGet liveness on a cheap endpoint, httpGet readiness',
      actual: `livenessProbe ${d.liveness}, readinessProbe ${d.readiness}`,
      remediation: l7Liveness(d.subject, d.port),
    }),
  },
};

export type Rule = keyof typeof rules;
