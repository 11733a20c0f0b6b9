// Upstream: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
import type { IntOrString, V1Deployment, V1Namespace, V1PodTemplateSpec, V1Service, V1StatefulSet, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { defineCheck, reporter, type Target } from '../../src/check.js';
import { scaleDownOf, type ScaleDown } from './autoscaler.js';
import { AWS_LBC_DEFAULTS, classicElbHostname, lbHealthCheck, type AssumedHealthCheck, type LbHealthCheck } from './load-balancer.js';
import { rules, SHUTDOWN_ROOM, type ContainerCase } from './messages.js';
import { preStopOf } from './prestop.js';
import { resolveDeploymentRollout, resolveStatefulSetUnavailable } from './rollout.js';
import { namespaceMeshes, runsMeshSidecar, type Mesh } from '../../src/kube/mesh.js';
import { SelectorIndex } from '../../src/kube/selectors.js';
import { serviceTargetPorts, serviceTargets } from '../../src/kube/service-targets.js';

/** What the check keeps of a Service: enough to match pods and judge the drain. */
interface ServiceInfo {
  name: string;
  selector: Record<string, string>;
  targetPorts: (number | string)[];
  /** Set for LoadBalancer Services with externalTrafficPolicy Local. */
  localLb?: LbHealthCheck;
  /** Set for a Service behind an AWS Classic Load Balancer without connection draining. */
  undrainedElb?: string;
}

interface Workload {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  replicas: number;
  template: V1PodTemplateSpec;
}

/** Kubernetes' default terminationGracePeriodSeconds: a fact, not a setting. */
const DEFAULT_GRACE = 30;
/** Suggested preStop delay when nothing asks for more (check-facts §8.4: 5–15 s). A suggestion only,
 * not a line between finding and no finding: a constant. */
const DEFAULT_SLEEP = 10;
const ELB_DRAINING = 'service.beta.kubernetes.io/aws-load-balancer-connection-draining-enabled';

export default defineCheck({
  id: 'graceful-termination',
  title: 'Rolling updates of Service-backed workloads do not drop connections',
  severity: 'critical',
  manifests: true,
  description:
    'For Deployments and StatefulSets behind a Service: a preStop delay so endpoints are removed everywhere before ' +
    'SIGTERM (on rollouts and on every HorizontalPodAutoscaler scale-down), a termination grace period longer than that delay, ' +
    'rolling-update settings that keep pods serving, a readiness probe to gate the rollout, and, for externalTrafficPolicy Local, ' +
    'a delay at least as long as the load balancer needs to mark the node unhealthy; Services behind an AWS Classic Load Balancer ' +
    'need connection draining. maxSurge/maxUnavailable percentages are resolved as the Deployment controller does (surge rounds ' +
    'up, unavailable rounds down).',
  rules,
  needs: { api: [{ kind: 'Namespace', optional: true }, 'Service', { kind: 'HorizontalPodAutoscaler', optional: true }, 'Deployment', 'StatefulSet'] },
  // Not settings: how the controllers round maxSurge/maxUnavailable (rollout.ts) and the preStop sleep
  // taking the whole grace period are Kubernetes behaviour, not judgements.
  settings: {
    minShutdownSeconds: {
      type: 'number', default: 0, min: 0, max: 3600,
      description: 'Seconds the termination grace period must leave after a preStop sleep for the app to shut down; less is critical (0: only a sleep that takes the whole grace period).',
    },
    assumedLbIntervalSeconds: {
      type: 'number', default: AWS_LBC_DEFAULTS.intervalSeconds, min: 1, max: 3600,
      description: 'Health-check interval assumed for a LoadBalancer Service with externalTrafficPolicy Local that sets no health-check annotations (default: the AWS Load Balancer Controller\'s).',
    },
    assumedLbUnhealthyThreshold: {
      type: 'number', default: AWS_LBC_DEFAULTS.unhealthyThreshold, min: 1, max: 100,
      description: 'Failed health checks assumed before such a load balancer stops sending to a node (default: the AWS Load Balancer Controller\'s).',
    },
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    const minShutdown = Number(ctx.options.minShutdownSeconds);
    const assumedLb: AssumedHealthCheck = { intervalSeconds: Number(ctx.options.assumedLbIntervalSeconds), unhealthyThreshold: Number(ctx.options.assumedLbUnhealthyThreshold) };
    /** Seconds suggested after the preStop sleep: enough to pass the check again. */
    const room = Math.max(SHUTDOWN_ROOM, minShutdown);
    const services = new SelectorIndex<ServiceInfo>();
    /** "namespace/name" → the Services behind an ELB that does not drain connections. */
    const elbServices = new Map<string, ServiceInfo>();
    /** Namespace → the meshes that inject sidecars into its new pods. */
    const meshNamespaces = new Map<string, Mesh[]>();
    /** "Kind/namespace/name" of a scale target → how its autoscaler scales it down. */
    const autoscaled = new Map<string, ScaleDown>();
    /** "namespace/service" of an undrained ELB → the workloads behind it and their longest grace period. */
    const elbBacked = new Map<string, { workloads: string[]; grace: number }>();

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
        const lb = spec.type === 'LoadBalancer';
        // Only the address the cloud gave the Service says which kind of load balancer it is.
        const elb = lb ? svc.status?.loadBalancer?.ingress?.map((i) => i.hostname ?? '').find(classicElbHostname) : undefined;
        const info: ServiceInfo = {
          name,
          selector: spec.selector,
          targetPorts: serviceTargetPorts(svc),
          localLb: lb && spec.externalTrafficPolicy === 'Local' ? lbHealthCheck(svc.metadata?.annotations, assumedLb) : undefined,
          undrainedElb: elb && svc.metadata?.annotations?.[ELB_DRAINING] !== 'true' ? elb : undefined,
        };
        services.add(namespace, info);
        if (info.undrainedElb) elbServices.set(`${namespace}/${name}`, info);
      },

      HorizontalPodAutoscaler(hpa: V2HorizontalPodAutoscaler) {
        const s = scaleDownOf(hpa);
        if (s) autoscaled.set(s.target, s.scaleDown);
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

      finish() {
        for (const [key, { workloads, grace }] of elbBacked) {
          const [namespace, name] = key.split('/') as [string, string];
          const svc = elbServices.get(key)!;
          say('lbConnectionDrainingOff', {
            severity: 'warning',
            target: { kind: 'Service', name, namespace },
            evidence: { loadBalancer: svc.undrainedElb, annotation: ELB_DRAINING, workloads },
          }, { namespace, name, hostname: svc.undrainedElb!, workloads, timeout: Math.max(60, grace + room) });
        }
      },
    };

    function workload(kind: Workload['kind'], obj: V1Deployment | V1StatefulSet): Workload | undefined {
      const name = obj.metadata?.name;
      const template = obj.spec?.template;
      const replicas = obj.spec?.replicas ?? 1;
      // kube-system add-ons belong to the installer (kubeadm reverts edits) and drain their own way
      // (CoreDNS lameduck): findings there would be noise nobody can act on.
      // A template without a pod spec (null in a crafted snapshot) runs nothing to judge.
      if (!name || !template?.spec || replicas === 0 || obj.metadata?.namespace === 'kube-system') return undefined;
      return { kind, namespace: obj.metadata?.namespace ?? 'default', name, replicas, template };
    }

    /** Per-container findings; returns false when no Service sends traffic to the workload. */
    function evaluate(w: Workload, rolling: boolean): boolean {
      const labels = w.template.metadata?.labels ?? {};
      const backing = services.selecting(w.namespace, labels);
      if (!backing.length) return false;
      const spec = w.template.spec!;
      const grace = spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE;
      const meshed = runsMeshSidecar(w.template, meshNamespaces.get(w.namespace));
      const local = backing.filter((s) => s.localLb).map((s) => ({ service: s.name, lb: s.localLb! }));
      const slowestLb = local.sort((a, b) => b.lb.detectSeconds - a.lb.detectSeconds)[0];
      const scaleDown = autoscaled.get(`${w.kind}/${w.namespace}/${w.name}`);
      for (const s of backing.filter((x) => x.undrainedElb)) {
        const key = `${w.namespace}/${s.name}`;
        const e = elbBacked.get(key) ?? { workloads: [], grace: 0 };
        elbBacked.set(key, e);
        e.workloads.push(`${w.kind} ${w.namespace}/${w.name}`);
        e.grace = Math.max(e.grace, grace);
      }

      // Native sidecars are stopped only after the app containers have exited, well after the endpoint
      // removal this check is about, and the suggested patches edit spec.containers: regular ones only.
      const serving = serviceTargets(spec, backing).filter((t) => t.services.length && !t.nativeSidecar);
      for (const { container: c, services: reaching } of serving) {
        const preStop = preStopOf(c);
        const base: ContainerCase = { workload: { kind: w.kind, namespace: w.namespace, name: w.name, replicas: w.replicas }, container: c.name, grace, backing: reaching, room };
        const target: Target = { kind: w.kind, name: w.name, namespace: w.namespace, container: c.name };
        // A sleep as long as the grace period leaves nothing whatever the setting; minShutdownSeconds asks for more.
        if (preStop.kind === 'sleep' && (preStop.seconds >= grace || grace - preStop.seconds < minShutdown)) {
          say('preStopExceedsGrace', {
            severity: 'critical', target,
            evidence: { preStopSleepSeconds: preStop.seconds, preStopForm: preStop.form, terminationGracePeriodSeconds: grace, services: reaching },
          }, { ...base, sleep: preStop.seconds, minShutdown });
        }
        if (preStop.kind === 'none' && (!meshed || slowestLb)) {
          const sleep = slowestLb ? Math.max(DEFAULT_SLEEP, slowestLb.lb.detectSeconds + 5) : DEFAULT_SLEEP;
          say('noPreStop', {
            severity: 'warning', target,
            evidence: {
              preStop: 'none', terminationGracePeriodSeconds: grace, services: reaching,
              ...(slowestLb ? { localTrafficService: slowestLb.service, lbHealthCheck: { ...slowestLb.lb } } : {}),
              ...(scaleDown ? { autoscaler: { ...scaleDown } } : {}),
            },
          }, { ...base, sleep, ...(slowestLb ? { lb: slowestLb } : {}), ...(scaleDown ? { scaleDown } : {}) });
        }
        if (preStop.kind === 'sleep' && slowestLb && preStop.seconds < slowestLb.lb.detectSeconds) {
          say('drainShorterThanLoadBalancer', {
            severity: 'warning', target,
            evidence: { preStopSleepSeconds: preStop.seconds, terminationGracePeriodSeconds: grace, localTrafficService: slowestLb.service, lbHealthCheck: { ...slowestLb.lb } },
          }, { ...base, sleep: preStop.seconds, lb: slowestLb });
        }
        if (rolling && !c.readinessProbe) {
          say('rolloutWithoutReadiness', { severity: 'warning', target, evidence: { readinessProbe: false, replicas: w.replicas, services: reaching } }, base);
        }
      }
      return true;
    }

    function checkDeploymentRollout(w: Workload, maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined) {
      const r = resolveDeploymentRollout(w.replicas, maxSurge, maxUnavailable);
      if (!r || r.unavailable < w.replicas) return;
      say('rolloutAllUnavailable', {
        severity: 'critical',
        target: { kind: w.kind, name: w.name, namespace: w.namespace },
        evidence: { replicas: w.replicas, maxSurge: maxSurge ?? '25%', maxUnavailable: maxUnavailable ?? '25%', resolvedSurge: r.surge, resolvedUnavailable: r.unavailable },
      }, { workload: w, deployment: { maxSurge, maxUnavailable, surge: r.surge, unavailable: r.unavailable } });
    }

    function checkStatefulSetRollout(w: Workload, maxUnavailable: IntOrString) {
      const n = resolveStatefulSetUnavailable(w.replicas, maxUnavailable);
      if (n === undefined || w.replicas < 2 || n < w.replicas) return;
      say('rolloutAllUnavailable', {
        severity: 'critical',
        target: { kind: w.kind, name: w.name, namespace: w.namespace },
        evidence: { replicas: w.replicas, maxUnavailable, resolvedUnavailable: n },
      }, { workload: w, statefulSet: { maxUnavailable, unavailable: n } });
    }
  },
});
