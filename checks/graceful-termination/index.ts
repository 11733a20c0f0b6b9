// Upstream: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
import type { IntOrString, V1Deployment, V1Namespace, V1PodTemplateSpec, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { defineCheck, type FindingInput } from '../../src/check.js';
import { lbHealthCheck, type LbHealthCheck } from './load-balancer.js';
import { preStopOf, type PreStop } from './prestop.js';
import { resolveDeploymentRollout, resolveStatefulSetUnavailable } from './rollout.js';
import { namespaceMeshes, runsMeshSidecar, type Mesh } from '../../src/kube/mesh.js';
import { serviceSelects } from '../../src/kube/selectors.js';
import { serviceTargetPorts, serviceTargets } from '../../src/kube/service-targets.js';

/** What the check keeps of a Service: enough to match pods and judge the drain. */
interface ServiceInfo {
  name: string;
  selector: Record<string, string>;
  targetPorts: (number | string)[];
  /** Set for LoadBalancer Services with externalTrafficPolicy Local. */
  localLb?: LbHealthCheck;
}

interface Workload {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  replicas: number;
  template: V1PodTemplateSpec;
}

const DEFAULT_GRACE = 30;
/** Suggested preStop delay when nothing asks for more (check-facts §8.4: 5–15 s). */
const DEFAULT_SLEEP = 10;
/** Room left after the preStop delay for the app to finish in-flight work, in suggestions. */
const SHUTDOWN_ROOM = 20;

export default defineCheck({
  id: 'graceful-termination',
  title: 'Rolling updates of Service-backed workloads do not drop connections',
  severity: 'critical',
  manifests: true,
  description:
    'For Deployments and StatefulSets behind a Service: a preStop delay so endpoints are removed everywhere before ' +
    'SIGTERM, a termination grace period longer than that delay, rolling-update settings that keep pods serving, ' +
    'a readiness probe to gate the rollout, and, for externalTrafficPolicy Local, a delay at least as long as the ' +
    'load balancer needs to mark the node unhealthy. maxSurge/maxUnavailable percentages are resolved as the ' +
    'Deployment controller does (surge rounds up, unavailable rounds down).',
  rules: {
    rolloutAllUnavailable: { description: 'A rollout may take every replica down at once.' },
    preStopExceedsGrace: { description: 'The preStop delay is as long as or longer than the termination grace period.' },
    noPreStop: { description: 'A serving container gets SIGTERM with no preStop delay while endpoints are still being removed.' },
    drainShorterThanLoadBalancer: { description: 'The drain delay is shorter than the load balancer needs to stop sending traffic.' },
    rolloutWithoutReadiness: { description: 'A rolling update counts new pods ready without a readiness probe.' },
  },
  needs: { api: [{ kind: 'Namespace', optional: true }, 'Service', 'Deployment', 'StatefulSet'] },
  create(ctx) {
    const services = new Map<string, ServiceInfo[]>();
    /** Namespace → the meshes that inject sidecars into its new pods. */
    const meshNamespaces = new Map<string, Mesh[]>();

    return {
      Namespace(ns: V1Namespace) {
        const meshes = namespaceMeshes(ns.metadata);
        if (meshes.length && ns.metadata?.name) meshNamespaces.set(ns.metadata.name, meshes);
      },

      Service(svc: V1Service) {
        const spec = svc.spec;
        const name = svc.metadata?.name;
        if (!spec || !name || spec.type === 'ExternalName' || !spec.selector || !Object.keys(spec.selector).length) return;
        const namespace = svc.metadata?.namespace ?? 'default';
        const info: ServiceInfo = {
          name,
          selector: spec.selector,
          targetPorts: serviceTargetPorts(svc),
          localLb: spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local' ? lbHealthCheck(svc.metadata?.annotations) : undefined,
        };
        services.set(namespace, [...(services.get(namespace) ?? []), info]);
      },

      Deployment(d: V1Deployment) {
        const w = workload('Deployment', d);
        if (!w) return;
        const strategy = d.spec?.strategy;
        const rolling = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
        if (!evaluate(w, rolling)) return;
        if (rolling) checkDeploymentRollout(w, strategy?.rollingUpdate?.maxSurge, strategy?.rollingUpdate?.maxUnavailable);
      },

      StatefulSet(s: V1StatefulSet) {
        const w = workload('StatefulSet', s);
        if (!w) return;
        const strategy = s.spec?.updateStrategy;
        const rolling = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
        if (!evaluate(w, rolling)) return;
        const maxUnavailable = strategy?.rollingUpdate?.maxUnavailable;
        if (rolling && maxUnavailable !== undefined) checkStatefulSetRollout(w, maxUnavailable);
      },
    };

    function workload(kind: Workload['kind'], obj: V1Deployment | V1StatefulSet): Workload | undefined {
      const name = obj.metadata?.name;
      const template = obj.spec?.template;
      const replicas = obj.spec?.replicas ?? 1;
      // kube-system add-ons belong to the installer (kubeadm reverts edits) and drain their own way
      // (CoreDNS lameduck): findings there would be noise nobody can act on.
      if (!name || !template || replicas === 0 || obj.metadata?.namespace === 'kube-system') return undefined;
      return { kind, namespace: obj.metadata?.namespace ?? 'default', name, replicas, template };
    }

    /** Per-container findings; returns false when no Service sends traffic to the workload. */
    function evaluate(w: Workload, rolling: boolean): boolean {
      const labels = w.template.metadata?.labels ?? {};
      const backing = (services.get(w.namespace) ?? []).filter((s) => serviceSelects(s.selector, labels));
      if (!backing.length) return false;
      const spec = w.template.spec!;
      const grace = spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE;
      const meshed = runsMeshSidecar(w.template, meshNamespaces.get(w.namespace));
      const local = backing.filter((s) => s.localLb).map((s) => ({ service: s.name, lb: s.localLb! }));
      const slowestLb = local.sort((a, b) => b.lb.detectSeconds - a.lb.detectSeconds)[0];

      // Native sidecars are stopped only after the app containers have exited, well after the endpoint
      // removal this check is about, and the suggested patches edit spec.containers: regular ones only.
      const serving = serviceTargets(spec, backing).filter((t) => t.services.length && !t.nativeSidecar);
      for (const { container: c, services: reaching } of serving) {
        const preStop = preStopOf(c);
        const base = { workload: w, container: c.name, grace, backing: reaching };
        if (preStop.kind === 'sleep' && preStop.seconds >= grace) reportGraceTooShort(base, preStop);
        if (preStop.kind === 'none' && (!meshed || slowestLb)) reportNoPreStop(base, slowestLb);
        if (preStop.kind === 'sleep' && slowestLb && preStop.seconds < slowestLb.lb.detectSeconds) reportLocalDrain(base, preStop, slowestLb);
        if (rolling && !c.readinessProbe) reportNoReadiness(base);
      }
      return true;
    }

    function checkDeploymentRollout(w: Workload, maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined) {
      const r = resolveDeploymentRollout(w.replicas, maxSurge, maxUnavailable);
      if (!r || r.unavailable < w.replicas) return;
      const surgeText = `maxSurge ${String(maxSurge ?? '25%')} → ${r.surge}`;
      const unavailableText = `maxUnavailable ${String(maxUnavailable ?? '25%')} → ${r.unavailable}`;
      ctx.report({
        rule: 'rolloutAllUnavailable',
        severity: 'critical',
        target: { kind: w.kind, name: w.name, namespace: w.namespace },
        message: `Deployment ${w.namespace}/${w.name} may take ${w.replicas === 1 ? 'its only replica' : `all ${w.replicas} replicas`} down at once during a rollout ` +
          `(${surgeText}, ${unavailableText}${r.surge === 0 && w.replicas === 1 ? '; with no surge pod the only replica is stopped before its replacement is ready' : ''})`,
        evidence: { replicas: w.replicas, maxSurge: maxSurge ?? '25%', maxUnavailable: maxUnavailable ?? '25%', resolvedSurge: r.surge, resolvedUnavailable: r.unavailable },
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
      });
    }

    function checkStatefulSetRollout(w: Workload, maxUnavailable: IntOrString) {
      const n = resolveStatefulSetUnavailable(w.replicas, maxUnavailable);
      if (n === undefined || w.replicas < 2 || n < w.replicas) return;
      ctx.report({
        rule: 'rolloutAllUnavailable',
        severity: 'critical',
        target: { kind: w.kind, name: w.name, namespace: w.namespace },
        message: `StatefulSet ${w.namespace}/${w.name} lets all ${w.replicas} replicas be unavailable at once during a rollout (maxUnavailable ${String(maxUnavailable)} → ${n})`,
        evidence: { replicas: w.replicas, maxUnavailable, resolvedUnavailable: n },
        expected: `maxUnavailable below ${w.replicas}`,
        actual: `up to ${n} of ${w.replicas} unavailable`,
        remediation: {
          summary: `Lower maxUnavailable of ${w.namespace}/${w.name} so some replicas keep serving`,
          steps: [`kubectl -n ${w.namespace} patch statefulset ${w.name} -p '{"spec":{"updateStrategy":{"rollingUpdate":{"maxUnavailable":1}}}}'`],
        },
      });
    }

    interface Base { workload: Workload; container: string; grace: number; backing: string[] }

    function target(b: Base): FindingInput['target'] {
      return { kind: b.workload.kind, name: b.workload.name, namespace: b.workload.namespace, container: b.container };
    }

    function patchPreStop(b: Base, sleep: number): string {
      const w = b.workload;
      const grace = Math.max(b.grace, sleep + SHUTDOWN_ROOM);
      const spec = { terminationGracePeriodSeconds: grace, containers: [{ name: b.container, lifecycle: { preStop: { sleep: { seconds: sleep } } } }] };
      return `kubectl -n ${w.namespace} patch ${w.kind.toLowerCase()} ${w.name} -p '${JSON.stringify({ spec: { template: { spec } } })}'`;
    }

    function reportGraceTooShort(b: Base, preStop: Extract<PreStop, { kind: 'sleep' }>) {
      const grace = preStop.seconds + SHUTDOWN_ROOM;
      const w = b.workload;
      ctx.report({
        rule: 'preStopExceedsGrace',
        severity: 'critical',
        target: target(b),
        message: `${w.kind} ${w.namespace}/${w.name}: container ${b.container} sleeps ${preStop.seconds} s in preStop but terminationGracePeriodSeconds is ${b.grace} s, ` +
          'so SIGTERM arrives only when the grace period has run out and the app is SIGKILLed 2 s later with no time to shut down',
        evidence: { preStopSleepSeconds: preStop.seconds, preStopForm: preStop.form, terminationGracePeriodSeconds: b.grace, services: b.backing },
        expected: `terminationGracePeriodSeconds ≥ preStop sleep + shutdown time (e.g. ${grace} s)`,
        actual: `terminationGracePeriodSeconds ${b.grace} s ≤ preStop sleep ${preStop.seconds} s`,
        remediation: {
          summary: `Raise terminationGracePeriodSeconds of ${w.namespace}/${w.name} to at least ${grace} s (preStop ${preStop.seconds} s + ${SHUTDOWN_ROOM} s to shut down)`,
          steps: [
            `kubectl -n ${w.namespace} patch ${w.kind.toLowerCase()} ${w.name} -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":${grace}}}}}'`,
            `Make ${SHUTDOWN_ROOM} s cover the app's longest in-flight request after SIGTERM; or shorten the preStop sleep instead if ${preStop.seconds} s is more than the endpoint removal needs (5–15 s is typical).`,
          ],
        },
      });
    }

    function reportNoPreStop(b: Base, lb: { service: string; lb: LbHealthCheck } | undefined) {
      const w = b.workload;
      const sleep = lb ? Math.max(DEFAULT_SLEEP, lb.lb.detectSeconds + 5) : DEFAULT_SLEEP;
      ctx.report({
        rule: 'noPreStop',
        severity: 'warning',
        target: target(b),
        message: `${w.kind} ${w.namespace}/${w.name}: container ${b.container} has no preStop delay; it gets SIGTERM while kube-proxy, ingress controllers ` +
          `and load balancers may still send it new connections (Service ${b.backing.join(', ')})` +
          (lb ? `; the load balancer of Service ${lb.service} (externalTrafficPolicy Local) needs about ${lb.lb.detectSeconds} s to stop using the node` : ''),
        evidence: {
          preStop: 'none', terminationGracePeriodSeconds: b.grace, services: b.backing,
          ...(lb ? { localTrafficService: lb.service, lbHealthCheck: { ...lb.lb } } : {}),
        },
        expected: `a preStop delay of ${sleep} s before SIGTERM`,
        actual: 'no preStop hook',
        remediation: {
          summary: `Add a ${sleep} s preStop sleep to ${b.container} in ${w.namespace}/${w.name}, with terminationGracePeriodSeconds ≥ ${sleep + SHUTDOWN_ROOM}`,
          steps: [
            patchPreStop(b, sleep) + ' (the sleep action needs Kubernetes ≥ 1.30; on older clusters use exec: {command: ["sleep","' + sleep + '"]}, which needs a sleep binary in the image)',
            'Make the app stop accepting and finish in-flight requests on SIGTERM; the grace period must cover the sleep plus that.',
            'Update the manifest in your repository too, or the next deploy reverts the patch.',
          ],
        },
      });
    }

    function reportLocalDrain(b: Base, preStop: Extract<PreStop, { kind: 'sleep' }>, lb: { service: string; lb: LbHealthCheck }) {
      const w = b.workload;
      const sleep = lb.lb.detectSeconds + 5;
      const assumed = lb.lb.source === 'assumed' ? ' (assumed: the Service sets no health-check annotations)' : '';
      ctx.report({
        rule: 'drainShorterThanLoadBalancer',
        severity: 'warning',
        target: target(b),
        message: `${w.kind} ${w.namespace}/${w.name}: container ${b.container} drains for ${preStop.seconds} s, but the load balancer of Service ${lb.service} ` +
          `(externalTrafficPolicy Local) needs ${lb.lb.intervalSeconds} s × ${lb.lb.unhealthyThreshold} = ${lb.lb.detectSeconds} s${assumed} to stop sending to the node`,
        evidence: { preStopSleepSeconds: preStop.seconds, terminationGracePeriodSeconds: b.grace, localTrafficService: lb.service, lbHealthCheck: { ...lb.lb } },
        expected: `preStop sleep ≥ ${lb.lb.detectSeconds} s`,
        actual: `preStop sleep ${preStop.seconds} s`,
        remediation: {
          summary: `Lengthen the preStop sleep of ${b.container} to ${sleep} s, or make the health check of Service ${lb.service} faster`,
          steps: [
            patchPreStop(b, sleep),
            `Or shorten detection on the Service: kubectl -n ${w.namespace} annotate service ${lb.service} --overwrite ` +
              'service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval=5 service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold=2 ' +
              '(AWS; Azure: azure-load-balancer-health-probe-interval / -num-of-probe).',
          ],
        },
      });
    }

    function reportNoReadiness(b: Base) {
      const w = b.workload;
      ctx.report({
        rule: 'rolloutWithoutReadiness',
        severity: 'warning',
        target: target(b),
        message: `${w.kind} ${w.namespace}/${w.name}: container ${b.container} has no readiness probe, so a rolling update counts each new pod ` +
          `as ready the moment it starts and removes old pods before the new ones can serve (Service ${b.backing.join(', ')})`,
        evidence: { readinessProbe: false, replicas: w.replicas, services: b.backing },
        expected: 'a readinessProbe on the serving container',
        actual: 'none',
        remediation: {
          summary: `Add a readiness probe to ${b.container} in ${w.namespace}/${w.name}`,
          steps: [
            `kubectl -n ${w.namespace} edit ${w.kind.toLowerCase()} ${w.name} → containers[name=${b.container}].readinessProbe: httpGet on a /ready endpoint (or tcpSocket on the serving port), periodSeconds 5, failureThreshold 3.`,
            'The endpoint should answer only once the app can serve requests (caches warm, connections open).',
          ],
        },
      });
    }
  },
});
