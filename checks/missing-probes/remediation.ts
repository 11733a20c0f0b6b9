// The probe to add or change, with the container's own port, and how to roll it out for the kind of
// workload that owns the template.
import type { V1Probe } from '@kubernetes/client-node';
import type { Remediation } from '../../src/check.js';
import type { WorkloadRef } from '../../src/kube/owners.js';
import { execProgram } from './containers.js';

export interface Subject {
  workload: WorkloadRef;
  container: string;
  port: { port: number | string; number?: number; grpc: boolean };
  services: string[];
}

const ROLLOUT = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const who = (w: WorkloadRef) => `${w.kind} ${w.namespace}/${w.name}`;

function rollOut(w: WorkloadRef): string[] {
  const res = `${w.kind.toLowerCase()}/${w.name}`;
  if (ROLLOUT.has(w.kind)) return [`Apply it with kubectl -n ${w.namespace} edit ${res} (or in the manifest you deploy from), then kubectl -n ${w.namespace} rollout status ${res}.`];
  if (w.kind === 'ReplicaSet') {
    return [`kubectl -n ${w.namespace} edit ${res} changes only pods created afterwards: delete its pods one at a time to pick it up — or move it to a Deployment, which rolls template changes out.`];
  }
  if (w.kind === 'Pod') {
    return [`Probes cannot be changed on a running Pod: recreate ${w.namespace}/${w.name} from its manifest with the probe (kubectl -n ${w.namespace} get pod ${w.name} -o yaml, edit, kubectl replace --force -f), or run it as a Deployment.`];
  }
  return [`Change the pod template of ${who(w)} in the manifest you deploy it from.`];
}

export function addReadiness(s: Subject): Remediation {
  const probe = s.port.grpc && s.port.number
    ? `{grpc: {port: ${s.port.number}}, periodSeconds: 5, failureThreshold: 3}`
    : `{httpGet: {path: /ready, port: ${s.port.port}}, periodSeconds: 5, failureThreshold: 3}`;
  return {
    summary: `Add a readinessProbe to container ${s.container} of ${who(s.workload)}`,
    steps: [
      `Add to container "${s.container}": readinessProbe: ${probe} — on an endpoint that answers only when ${s.container} can serve (warmed up, its own dependencies reachable); /ready is a placeholder for your real path.`,
      ...rollOut(s.workload),
      ...s.services.map((svc) => `Check that unready pods leave the Service: kubectl -n ${s.workload.namespace} get endpointslices -l kubernetes.io/service-name=${svc} -o yaml (conditions.ready).`),
    ],
  };
}

export function addLiveness(s: Subject): Remediation {
  return {
    summary: `Add a livenessProbe to container ${s.container} of ${who(s.workload)}`,
    steps: [
      `Add to container "${s.container}": livenessProbe: {tcpSocket: {port: ${s.port.port}}, periodSeconds: 10, failureThreshold: 3} — or httpGet on a cheap endpoint that checks only the process itself (e.g. /healthz), never databases or other services.`,
      'If it starts slowly, add a startupProbe with the same check (failureThreshold × periodSeconds ≥ the slowest start) instead of a long initialDelaySeconds.',
      ...rollOut(s.workload),
    ],
  };
}

export function separateLiveness(s: Subject, shared: string): Remediation {
  return {
    summary: `Give container ${s.container} of ${who(s.workload)} a liveness probe that checks only the process`,
    steps: [
      `Keep the readinessProbe (${shared}) for traffic; change the livenessProbe to {tcpSocket: {port: ${s.port.port}}} or an HTTP endpoint that does not check dependencies (e.g. /livez).`,
      'If liveness must use the same endpoint, give it a failureThreshold well above readiness\' (e.g. 10 at periodSeconds 10) so only a long hang restarts the container.',
      ...rollOut(s.workload),
    ],
  };
}

/** The same check as liveness, as a flow-style YAML fragment for a startupProbe. */
function handlerYaml(p: V1Probe): string {
  if (p.httpGet) return `httpGet: {path: ${p.httpGet.path || '/'}, port: ${p.httpGet.port}${p.httpGet.scheme === 'HTTPS' ? ', scheme: HTTPS' : ''}}`;
  if (p.tcpSocket) return `tcpSocket: {port: ${p.tcpSocket.port}}`;
  if (p.grpc) return `grpc: {port: ${p.grpc.port}}`;
  // The command itself stays out of the output (it may hold a password): the reader copies it from liveness.
  return `exec: {command: <the livenessProbe's command: ${execProgram(p.exec?.command)}>}`;
}

/** Time the current liveness settings allow before the first restart: the start budget in use today. */
export function currentBudget(p: V1Probe): number {
  return (p.initialDelaySeconds ?? 0) + (p.failureThreshold ?? 3) * (p.periodSeconds ?? 10);
}

export function addStartup(s: Subject, liveness: V1Probe): Remediation {
  const budget = currentBudget(liveness);
  const threshold = Math.ceil(budget / 10);
  return {
    summary: `Replace the ${liveness.initialDelaySeconds} s liveness delay on container ${s.container} of ${who(s.workload)} with a startupProbe`,
    steps: [
      `Add to container "${s.container}": startupProbe: {${handlerYaml(liveness)}, periodSeconds: 10, failureThreshold: ${threshold}} — a ${threshold * 10} s start budget ` +
        `(the liveness settings allow ${budget} s today). Size failureThreshold × periodSeconds to the slowest start you have seen, with margin.`,
      'Remove initialDelaySeconds from the livenessProbe: liveness and readiness only start once the startupProbe has succeeded, so a slow start is no longer killed and a fast one is checked at once.',
      ...rollOut(s.workload),
    ],
  };
}

export function calmLiveness(s: Subject, pod: string, liveness: V1Probe | undefined): Remediation {
  const ns = s.workload.namespace;
  return {
    summary: `Stop the liveness probe from restarting container ${s.container} of ${who(s.workload)}`,
    steps: [
      `kubectl -n ${ns} describe pod ${pod} — the Unhealthy events show what the probe got; kubectl -n ${ns} logs ${pod} -c ${s.container} --previous — what the container was doing when it was killed.`,
      'If it was still starting, add a startupProbe (failureThreshold × periodSeconds ≥ the slowest start); if the endpoint is slow under load, raise livenessProbe.timeoutSeconds' +
        `${liveness ? ` (now ${liveness.timeoutSeconds ?? 1} s)` : ''}; if it checks dependencies, make it check only the process.`,
      ...rollOut(s.workload),
    ],
  };
}

export function l7Liveness(s: Subject, port: number | string): Remediation {
  return {
    summary: `Check container ${s.container} of ${who(s.workload)} at the HTTP layer: a TCP probe cannot see a hung HTTP server`,
    steps: [
      `Change its livenessProbe to {httpGet: {path: /healthz, port: ${port}}, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3} — on a cheap endpoint that only answers when the request loop works, ` +
        'never one that checks databases or other services (/healthz is a placeholder for your real path).',
      `Make the readinessProbe an httpGet too (e.g. /ready on port ${port}), so a pod that stops answering leaves the Service${s.services.length ? ` (${s.services.join(', ')})` : ''} before liveness restarts it.`,
      ...rollOut(s.workload),
    ],
  };
}
