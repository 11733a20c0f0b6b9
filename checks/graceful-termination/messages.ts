// The rules of graceful-termination and their words; index.ts decides, this file speaks.
import type { IntOrString } from '@kubernetes/client-node';
import type { Wording } from '../../src/check.js';
import type { LbHealthCheck } from './load-balancer.js';
import type { ScaleDown } from './autoscaler.js';

/** Room left after the preStop delay for the app to finish in-flight work, in suggestions (at least
 * the minShutdownSeconds setting, so a suggested grace period passes the check). It only shapes the
 * suggested numbers, never whether there is a finding: a constant. */
export const SHUTDOWN_ROOM = 20;

export interface WorkloadRef { kind: 'Deployment' | 'StatefulSet'; namespace: string; name: string; replicas: number }
/** `room`: seconds suggested after the preStop sleep for the app to shut down. */
export interface ContainerCase { workload: WorkloadRef; container: string; grace: number; backing: string[]; room: number }
type Lb = { service: string; lb: LbHealthCheck };

function patchPreStop(b: ContainerCase, sleep: number): string {
  const w = b.workload;
  const grace = Math.max(b.grace, sleep + b.room);
  const spec = { terminationGracePeriodSeconds: grace, containers: [{ name: b.container, lifecycle: { preStop: { sleep: { seconds: sleep } } } }] };
  return `kubectl -n ${w.namespace} patch ${w.kind.toLowerCase()} ${w.name} -p '${JSON.stringify({ spec: { template: { spec } } })}'`;
}

/** The autoscaler's scale-down, in words: how many pods it may remove how fast. */
function scaleDownText(s: ScaleDown): string {
  const window = s.stabilizationWindowSeconds;
  return `HorizontalPodAutoscaler ${s.hpa} (${s.minReplicas}–${s.maxReplicas} replicas) removes ${s.fastest} after a ${window} s stabilization window` +
    (s.defaults ? ' (the defaults)' : '');
}

export const rules = {
  rolloutAllUnavailable: {
    description: 'A rollout may take every replica down at once.',
    message: (d: { workload: WorkloadRef; statefulSet?: { maxUnavailable: IntOrString; unavailable: number }; deployment?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString; surge: number; unavailable: number } }): Wording => {
      const w = d.workload;
      if (d.statefulSet) {
        const n = d.statefulSet.unavailable;
        return {
          message: `StatefulSet ${w.namespace}/${w.name} lets all ${w.replicas} replicas be unavailable at once during a rollout (maxUnavailable ${String(d.statefulSet.maxUnavailable)} → ${n})`,
          expected: `maxUnavailable below ${w.replicas}`,
          actual: `up to ${n} of ${w.replicas} unavailable`,
          remediation: {
            summary: `Lower maxUnavailable of ${w.namespace}/${w.name} so some replicas keep serving`,
            steps: [`kubectl -n ${w.namespace} patch statefulset ${w.name} -p '{"spec":{"updateStrategy":{"rollingUpdate":{"maxUnavailable":1}}}}'`],
          },
        };
      }
      const r = d.deployment!;
      const surgeText = `maxSurge ${String(r.maxSurge ?? '25%')} → ${r.surge}`;
      const unavailableText = `maxUnavailable ${String(r.maxUnavailable ?? '25%')} → ${r.unavailable}`;
      return {
        message: `Deployment ${w.namespace}/${w.name} may take ${w.replicas === 1 ? 'its only replica' : `all ${w.replicas} replicas`} down at once during a rollout ` +
          `(${surgeText}, ${unavailableText}${r.surge === 0 && w.replicas === 1 ? '; with no surge pod the only replica is stopped before its replacement is ready' : ''})`,
        expected: `at most ${Math.max(0, w.replicas - 1)} unavailable during a rollout (maxUnavailable 0, maxSurge ≥ 1)`,
        actual: `up to ${r.unavailable} of ${w.replicas} unavailable`,
        remediation: {
          summary: `Roll ${w.namespace}/${w.name} by surging a new pod before removing an old one: maxUnavailable 0, maxSurge 1`,
          steps: [
            `kubectl -n ${w.namespace} patch deployment ${w.name} -p '{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":1}}}}'`,
            ...(w.replicas === 1 ? [`Consider 2 or more replicas (kubectl -n ${w.namespace} scale deployment ${w.name} --replicas=2) so a crash or node drain is not an outage either.`] : []),
            'Update the manifest in your repository (Helm values, kustomize) too, or the next deploy reverts the patch.',
          ],
        },
      };
    },
  },
  preStopExceedsGrace: {
    description: 'The preStop delay takes the whole termination grace period (or leaves less than minShutdownSeconds of it).',
    message: (d: ContainerCase & { sleep: number; minShutdown: number }): Wording => {
      const grace = d.sleep + d.room;
      const w = d.workload;
      const left = d.grace - d.sleep;
      return {
        message: `${w.kind} ${w.namespace}/${w.name}: container ${d.container} sleeps ${d.sleep} s in preStop but terminationGracePeriodSeconds is ${d.grace} s, ` +
          (left <= 0
            ? 'so SIGTERM arrives only when the grace period has run out and the app is SIGKILLed 2 s later with no time to shut down'
            : `so the app has only ${left} s between SIGTERM and SIGKILL to shut down (less than the ${d.minShutdown} s of minShutdownSeconds)`),
        expected: `terminationGracePeriodSeconds ≥ preStop sleep + shutdown time (e.g. ${grace} s)`,
        actual: left <= 0 ? `terminationGracePeriodSeconds ${d.grace} s ≤ preStop sleep ${d.sleep} s` : `terminationGracePeriodSeconds ${d.grace} s − preStop sleep ${d.sleep} s = ${left} s`,
        remediation: {
          summary: `Raise terminationGracePeriodSeconds of ${w.namespace}/${w.name} to at least ${grace} s (preStop ${d.sleep} s + ${d.room} s to shut down)`,
          steps: [
            `kubectl -n ${w.namespace} patch ${w.kind.toLowerCase()} ${w.name} -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":${grace}}}}}'`,
            `Make ${d.room} s cover the app's longest in-flight request after SIGTERM; or shorten the preStop sleep instead if ${d.sleep} s is more than the endpoint removal needs (5–15 s is typical).`,
          ],
        },
      };
    },
  },
  noPreStop: {
    description: 'A serving container gets SIGTERM with no preStop delay while endpoints are still being removed.',
    message: (d: ContainerCase & { sleep: number; lb?: Lb; scaleDown?: ScaleDown }): Wording => {
      const w = d.workload;
      return {
        message: `${w.kind} ${w.namespace}/${w.name}: container ${d.container} has no preStop delay; it gets SIGTERM while kube-proxy, ingress controllers ` +
          `and load balancers may still send it new connections (Service ${d.backing.join(', ')})` +
          (d.lb ? `; the load balancer of Service ${d.lb.service} (externalTrafficPolicy Local) needs about ${d.lb.lb.detectSeconds} s to stop using the node` : '') +
          (d.scaleDown ? `. Not only on deploys: ${scaleDownText(d.scaleDown)}, and every pod it removes is stopped the same way` : ''),
        expected: `a preStop delay of ${d.sleep} s before SIGTERM`,
        actual: 'no preStop hook',
        remediation: {
          summary: `Add a ${d.sleep} s preStop sleep to ${d.container} in ${w.namespace}/${w.name}, with terminationGracePeriodSeconds ≥ ${d.sleep + d.room}`,
          steps: [
            patchPreStop(d, d.sleep) + ' (the sleep action needs Kubernetes ≥ 1.30; on older clusters use exec: {command: ["sleep","' + d.sleep + '"]}, which needs a sleep binary in the image)',
            'Make the app stop accepting and finish in-flight requests on SIGTERM; the grace period must cover the sleep plus that.',
            ...(d.scaleDown ? [
              `Scale down gently too: kubectl -n ${w.namespace} patch hpa ${d.scaleDown.hpa.split('/')[1]} -p '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":300,"policies":[{"type":"Pods","value":1,"periodSeconds":60}]}}}}' ` +
                '(one pod a minute, so each drains while the others take its connections).',
            ] : []),
            'Update the manifest in your repository too, or the next deploy reverts the patch.',
          ],
        },
      };
    },
  },
  drainShorterThanLoadBalancer: {
    description: 'The drain delay is shorter than the load balancer needs to stop sending traffic.',
    message: (d: ContainerCase & { sleep: number; lb: Lb }): Wording => {
      const w = d.workload;
      const lb = d.lb;
      const sleep = lb.lb.detectSeconds + 5;
      const assumed = lb.lb.source === 'assumed' ? ' (assumed: the Service sets no health-check annotations)' : '';
      return {
        message: `${w.kind} ${w.namespace}/${w.name}: container ${d.container} drains for ${d.sleep} s, but the load balancer of Service ${lb.service} ` +
          `(externalTrafficPolicy Local) needs ${lb.lb.intervalSeconds} s × ${lb.lb.unhealthyThreshold} = ${lb.lb.detectSeconds} s${assumed} to stop sending to the node`,
        expected: `preStop sleep ≥ ${lb.lb.detectSeconds} s`,
        actual: `preStop sleep ${d.sleep} s`,
        remediation: {
          summary: `Lengthen the preStop sleep of ${d.container} to ${sleep} s, or make the health check of Service ${lb.service} faster`,
          steps: [
            patchPreStop(d, sleep),
            `Or shorten detection on the Service: kubectl -n ${w.namespace} annotate service ${lb.service} --overwrite ` +
              'service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval=5 service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold=2 ' +
              '(AWS; Azure: azure-load-balancer-health-probe-interval / -num-of-probe).',
          ],
        },
      };
    },
  },
  rolloutWithoutReadiness: {
    description: 'A rolling update counts new pods ready without a readiness probe.',
    message: (d: ContainerCase): Wording => {
      const w = d.workload;
      return {
        message: `${w.kind} ${w.namespace}/${w.name}: container ${d.container} has no readiness probe, so a rolling update counts each new pod ` +
          `as ready the moment it starts and removes old pods before the new ones can serve (Service ${d.backing.join(', ')})`,
        expected: 'a readinessProbe on the serving container',
        actual: 'none',
        remediation: {
          summary: `Add a readiness probe to ${d.container} in ${w.namespace}/${w.name}`,
          steps: [
            `kubectl -n ${w.namespace} edit ${w.kind.toLowerCase()} ${w.name} → containers[name=${d.container}].readinessProbe: httpGet on a /ready endpoint (or tcpSocket on the serving port), periodSeconds 5, failureThreshold 3.`,
            'The endpoint should answer only once the app can serve requests (caches warm, connections open).',
          ],
        },
      };
    },
  },
  lbConnectionDrainingOff: {
    description: 'A Service behind an AWS Classic Load Balancer has connection draining off: in-flight connections are cut when a node or pod leaves it.',
    message: (d: { namespace: string; name: string; hostname: string; workloads: string[]; timeout: number }): Wording => ({
      message: `Service ${d.namespace}/${d.name} is behind a Classic Load Balancer (${d.hostname}) without connection draining: when an instance leaves it ` +
        `(a node drained or scaled in, or failing the health check as its last local pod terminates), the ELB closes the connections in flight at once` +
        (d.workloads.length ? ` — a preStop delay in ${d.workloads.join(', ')} cannot help with that` : ''),
      expected: 'service.beta.kubernetes.io/aws-load-balancer-connection-draining-enabled: "true"',
      actual: 'connection draining not enabled (the Classic Load Balancer default)',
      remediation: {
        summary: `Turn on connection draining for Service ${d.namespace}/${d.name}, with a timeout that covers the longest request`,
        steps: [
          `kubectl -n ${d.namespace} annotate service ${d.name} --overwrite service.beta.kubernetes.io/aws-load-balancer-connection-draining-enabled=true ` +
            `service.beta.kubernetes.io/aws-load-balancer-connection-draining-timeout=${d.timeout}`,
          'Or move the Service to a Network Load Balancer (AWS Load Balancer Controller: service.beta.kubernetes.io/aws-load-balancer-type: external), whose targets drain for the deregistration delay (300 s by default).',
          'Update the manifest in your repository too, or the next deploy reverts the annotation.',
        ],
      },
    }),
  },
};
