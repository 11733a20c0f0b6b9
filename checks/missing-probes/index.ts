// Upstream: https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
import type {
  CoreV1Event, V1Container, V1DaemonSet, V1Deployment, V1Pod, V1PodTemplateSpec, V1ReplicaSet, V1Service, V1StatefulSet,
} from '@kubernetes/client-node';
import { defineCheck, reporter, type FindingInput } from '../../src/check.js';
import { OwnerIndex, controllerOf, describeWorkload, isMirrorPod, type WorkloadRef } from '../../src/kube/owners.js';
import { listOf, toMillis } from '../../src/kube/resources.js';
import { eventCount, eventLastSeen, evidenceTime } from '../../src/kube/events.js';
import { describeProbe, httpPortEvidence, resolvePort, sameCheck, suggestedPort, type ServiceRef } from './containers.js';
import { rules, type About, type Rule } from './messages.js';
import { SelectorIndex } from '../../src/kube/selectors.js';
import { serviceTargetPorts, serviceTargets, type ServedContainer } from '../../src/kube/service-targets.js';
import { currentBudget, type Subject } from './remediation.js';
import { MESH_SIDECARS } from '../../src/kube/mesh.js';

/** A liveness delay this long is a start budget in disguise (check-facts §6.3). */
const SLOW_START_DELAY = 60;
/** The default failureThreshold: liveness that fails as fast as readiness restarts on every blip. */
const LOW_FAILURE_THRESHOLD = 3;
const RUN_TO_COMPLETION = new Set(['Job', 'CronJob']);
const HOUR = 3_600_000;

/** A finding decided while the templates stream in, reported at the end (crash-loop evidence from
 * Pods and Events may still join it). `data` is what its words are made from. */
interface Candidate { key: string; rule: Rule; decision: Omit<FindingInput, 'rule' | 'message' | 'expected' | 'actual' | 'remediation' | 'docs'>; data: any }
interface CrashLoop {
  workload: WorkloadRef; container: string; pod: string; restartCount: number; state: string;
  lastTermination?: { reason?: string; exitCode?: number; finishedAt?: string };
  spec?: V1Container; subject: Subject;
  unhealthy: number; killed: number; lastSeen?: number; lastMessage?: string;
}

const workloadKey = (w: WorkloadRef) => `${w.namespace}/${w.kind}/${w.name}`;

export default defineCheck({
  id: 'missing-probes',
  title: 'Serving containers have readiness and liveness probes that do different jobs',
  severity: 'warning',
  manifests: true,
  description:
    'Reads the pod templates of Deployments, StatefulSets, DaemonSets, ownerless ReplicaSets and bare Pods (Jobs, ' +
    'CronJobs, regular init containers and Istio/Linkerd proxies are skipped). Warns when a container a Service sends ' +
    'traffic to has no readiness probe, when a serving container (ports or Service traffic) has no liveness probe, and ' +
    'when liveness runs the same check as readiness, and when both only open a TCP connection to an HTTP port (a hung ' +
    'server still completes handshakes); notes liveness delays of 60 s or more without a startupProbe. ' +
    'Containers in CrashLoopBackOff with liveness Unhealthy events get those events as evidence.',
  rules,
  settings: {
    slowStartDelaySeconds: { type: 'number', default: SLOW_START_DELAY, min: 1, description: 'A liveness initialDelaySeconds this long without a startupProbe is reported (a start budget in disguise).' },
  },
  needs: {
    api: ['Service', 'Deployment', { kind: 'StatefulSet', optional: true }, { kind: 'DaemonSet', optional: true },
      { kind: 'ReplicaSet', optional: true }, 'Pod', { kind: 'Event', optional: true }],
  },
  create(ctx) {
    const say = reporter(ctx, rules);
    // Services by namespace and by one of their selector pairs: a template only has to look at the
    // Services that share a label with it, not at every Service in the namespace.
    const services = new SelectorIndex<ServiceRef>();
    const owners = new OwnerIndex();
    const evaluated = new Set<string>();
    const candidates: Candidate[] = [];
    const crashes = new Map<string, CrashLoop>();

    return {
      Service(svc: V1Service) {
        const selector = svc.spec?.selector;
        if (!selector || !Object.keys(selector).length || !svc.metadata?.name) return;
        const ns = svc.metadata.namespace ?? 'default';
        services.add(ns, { name: svc.metadata.name, selector, targetPorts: serviceTargetPorts(svc) });
      },
      Deployment(d: V1Deployment) { template(ref('Deployment', d.metadata), d.spec?.template); },
      StatefulSet(s: V1StatefulSet) { template(ref('StatefulSet', s.metadata), s.spec?.template); },
      DaemonSet(d: V1DaemonSet) { template(ref('DaemonSet', d.metadata), d.spec?.template); },
      ReplicaSet(rs: V1ReplicaSet) {
        owners.add('ReplicaSet', rs);
        // Owned ReplicaSets are a Deployment's (or another controller's) revisions: the owner is the fix.
        if (!controllerOf(rs.metadata)) template(ref('ReplicaSet', rs.metadata), rs.spec?.template);
      },

      Pod(pod: V1Pod) {
        if (isMirrorPod(pod)) return;
        const workload = owners.workloadOf(pod);
        if (RUN_TO_COMPLETION.has(workload.kind)) return;
        const phase = pod.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') return;
        if (!evaluated.has(workloadKey(workload))) {
          // Bare pods, and pods whose controller's template we did not see (a kind we do not list, or a
          // list that failed): the pod's own spec is the template. Bare run-to-completion pods are like Jobs.
          if (workload.kind === 'Pod' && (pod.spec?.restartPolicy ?? 'Always') !== 'Always') evaluated.add(workloadKey(workload));
          else template(workload, { metadata: pod.metadata, spec: pod.spec });
        }
        trackCrashLoops(pod, workload);
      },

      Event(ev: CoreV1Event) {
        const obj = ev.involvedObject;
        if (obj?.kind !== 'Pod') return;
        const container = /^spec\.(?:initC|c)ontainers\{(.+)\}$/.exec(obj.fieldPath ?? '')?.[1];
        const crash = container ? crashes.get(`${obj.namespace}/${obj.name}/${container}`) : undefined;
        if (!crash) return;
        const count = eventCount(ev);
        const seen = eventLastSeen(ev);
        if (ev.reason === 'Unhealthy' && /^Liveness probe (failed|errored)/.test(ev.message ?? '')) {
          crash.unhealthy += count;
          // An event without a time still gives its message when no timed one does.
          if ((seen ?? -Infinity) >= (crash.lastSeen ?? -Infinity)) {
            if (seen !== undefined) crash.lastSeen = seen;
            crash.lastMessage = (ev.message ?? '').slice(0, 300);
          }
        } else if (ev.reason === 'Killing' && /failed liveness probe/.test(ev.message ?? '')) {
          crash.killed += count;
        }
      },

      finish() {
        attachLivenessFailures();
        for (const c of candidates) say(c.rule, c.decision, c.data);
      },
    };

    function ref(kind: string, meta: { name?: string; namespace?: string } | undefined): WorkloadRef {
      return { kind, name: meta?.name ?? '', namespace: meta?.namespace ?? 'default' };
    }

    function template(workload: WorkloadRef, tmpl: V1PodTemplateSpec | undefined) {
      evaluated.add(workloadKey(workload));
      const spec = tmpl?.spec;
      if (!spec?.containers) return;
      const labels = tmpl?.metadata?.labels ?? {};
      const selecting = services.selecting(workload.namespace, labels);
      // Mesh proxies are not returned: they inject and probe themselves.
      for (const pc of serviceTargets(spec, selecting)) evaluate(workload, pc, selecting.filter((s) => pc.services.includes(s.name)));
    }

    function evaluate(workload: WorkloadRef, pc: ServedContainer, served: ServiceRef[]) {
      const c = pc.container;
      const ports = (c.ports ?? []).map((p) => p.containerPort);
      const subject: Subject = { workload, container: c.name, port: suggestedPort(c, served), services: pc.services };
      const what = `${pc.nativeSidecar ? 'Native sidecar' : 'Container'} ${c.name} of ${describeWorkload(workload)}`;
      const evidence = {
        workload: describeWorkload(workload), container: c.name, ...(pc.nativeSidecar ? { nativeSidecar: true } : {}),
        services: pc.services, ports,
        probes: { liveness: !!c.livenessProbe, readiness: !!c.readinessProbe, startup: !!c.startupProbe },
      };
      const add = <K extends Rule>(rule: K, severity: FindingInput['severity'], ev: Record<string, unknown>, data: Parameters<(typeof rules)[K]['message']>[0]) => candidates.push({
        key: `${workloadKey(workload)}/${c.name}`, rule,
        decision: { severity, evidence: ev, target: { kind: workload.kind, name: workload.name, namespace: workload.namespace, container: c.name } },
        data,
      });
      const about: About = { what, subject };

      if (pc.services.length && !c.readinessProbe) add('noReadinessProbe', 'warning', evidence, about);
      if ((ports.length || pc.services.length) && !c.livenessProbe) add('noLivenessProbe', 'warning', evidence, { ...about, ports });
      const live = c.livenessProbe;
      const identical = !!live && !!c.readinessProbe && sameCheck(live, c.readinessProbe, c) && (live.failureThreshold ?? 3) <= LOW_FAILURE_THRESHOLD;
      if (identical) {
        const shared = describeProbe(live!, c);
        add('identicalProbes', 'warning',
          { ...evidence, check: shared, livenessFailureThreshold: live!.failureThreshold ?? 3, readinessFailureThreshold: c.readinessProbe!.failureThreshold ?? 3 },
          { ...about, shared, failureThreshold: live!.failureThreshold ?? 3 });
      }
      if (live && (live.initialDelaySeconds ?? 0) >= Number(ctx.options.slowStartDelaySeconds) && !c.startupProbe) {
        add('slowStartWithoutStartupProbe', 'info',
          { ...evidence, initialDelaySeconds: live.initialDelaySeconds, periodSeconds: live.periodSeconds ?? 10, failureThreshold: live.failureThreshold ?? 3, startBudgetSeconds: currentBudget(live) },
          { ...about, liveness: live });
      }
      // Seed 004: a TCP liveness probe cannot see a hung HTTP app. With an HTTP readiness probe the
      // hung pod at least leaves the Service (accepted practice: liveness TCP, readiness HTTP); with
      // both at TCP nothing at L7 watches it. The identical-probes finding already covers tcp = tcp.
      const readiness = c.readinessProbe;
      if (live?.tcpSocket && readiness && !readiness.httpGet && !readiness.grpc && !identical) {
        const port = resolvePort(live.tcpSocket.port as number | string, c);
        const why = port === undefined ? undefined : httpPortEvidence(c, port);
        if (why) {
          add('tcpLivenessOnHttp', 'warning', { ...evidence, liveness: describeProbe(live, c), readiness: describeProbe(readiness, c), httpPort: port, httpBecause: why },
            { ...about, liveness: describeProbe(live, c), readiness: describeProbe(readiness, c), port: port!, why });
        }
      }
    }

    function trackCrashLoops(pod: V1Pod, workload: WorkloadRef) {
      const ns = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
      const statuses = [...listOf(pod.status?.containerStatuses), ...listOf(pod.status?.initContainerStatuses).filter((s) => sidecars.has(s.name))];
      for (const s of statuses) {
        if (MESH_SIDECARS.has(s.name)) continue;
        const last = s.lastState?.terminated;
        const recent = (toMillis(last?.finishedAt) ?? 0) > ctx.now.getTime() - HOUR;
        if (s.state?.waiting?.reason !== 'CrashLoopBackOff' && !(s.restartCount > 3 && recent)) continue;
        const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === s.name);
        crashes.set(`${ns}/${name}/${s.name}`, {
          workload, container: s.name, pod: name, restartCount: s.restartCount,
          state: s.state?.waiting?.reason ?? (s.state?.running ? 'Running' : 'Terminated'),
          ...(last ? { lastTermination: { reason: last.reason, exitCode: last.exitCode, finishedAt: last.finishedAt ? String(last.finishedAt) : undefined } } : {}),
          spec,
          subject: { workload, container: s.name, port: spec ? suggestedPort(spec, []) : { port: '<port>', grpc: false }, services: [] },
          unhealthy: 0, killed: 0,
        });
      }
    }

    /** Crash-looping containers whose liveness probe is failing: evidence for the liveness findings
     * of that container, or a finding of its own when nothing else explains the restarts. */
    function attachLivenessFailures() {
      const byContainer = new Map<string, CrashLoop[]>();
      for (const c of crashes.values()) {
        if (!c.unhealthy) continue;
        const key = `${workloadKey(c.workload)}/${c.container}`;
        if (!byContainer.has(key)) byContainer.set(key, []);
        byContainer.get(key)!.push(c);
      }
      for (const [key, loops] of byContainer) {
        const first = loops[0]!;
        const newest = loops.reduce((a, b) => ((b.lastSeen ?? -Infinity) > (a.lastSeen ?? -Infinity) ? b : a));
        const livenessFailures = {
          pods: loops.slice(0, 5).map((l) => ({ pod: l.pod, restartCount: l.restartCount, state: l.state, ...(l.lastTermination ? { lastTermination: l.lastTermination } : {}) })),
          crashLoopingPods: loops.length,
          unhealthyEvents: loops.reduce((n, l) => n + l.unhealthy, 0),
          killedByLiveness: loops.reduce((n, l) => n + l.killed, 0),
          ...(newest.lastSeen !== undefined ? { lastSeen: evidenceTime(newest.lastSeen) } : {}),
          lastMessage: newest.lastMessage,
        };
        const related = candidates.filter((c) => c.key === key && (c.rule === 'identicalProbes' || c.rule === 'slowStartWithoutStartupProbe'));
        for (const c of related) {
          c.decision.evidence = { ...c.decision.evidence, livenessFailures };
          c.data = { ...c.data, crashLooping: loops.length };
        }
        if (related.some((c) => c.rule === 'identicalProbes')) continue;
        const w = first.workload;
        candidates.push({
          key, rule: 'livenessRestarts',
          decision: {
            severity: 'warning',
            target: { kind: w.kind, name: w.name, namespace: w.namespace, container: first.container },
            evidence: { workload: describeWorkload(w), container: first.container, ...(first.spec?.livenessProbe ? { liveness: describeProbe(first.spec.livenessProbe, first.spec) } : {}), livenessFailures },
          },
          data: {
            workload: w, container: first.container, unhealthy: livenessFailures.unhealthyEvents, pods: loops.length, restartCount: first.restartCount, state: first.state,
            subject: first.subject, pod: first.pod, liveness: first.spec?.livenessProbe,
          },
        });
      }
    }
  },
});
