import { describe, expect, it } from '@jest/globals';
import type { V1Container, V1Deployment, V1Job, V1Namespace, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import check from '../../checks/graceful-termination/index.js';
import { preStopOf, sleepSeconds } from '../../checks/graceful-termination/prestop.js';
import { resolveDeploymentRollout, resolveStatefulSetUnavailable } from '../../checks/graceful-termination/rollout.js';
import { lbHealthCheck } from '../../checks/graceful-termination/load-balancer.js';
import { runCheck } from '../../src/check.js';
import type { ObjectsByKind } from '../../src/engine/memory-source.js';

const NS = 'shop';

const readiness = { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 };

function web(overrides: Partial<V1Container> = {}): V1Container {
  return {
    name: 'web', image: 'registry.example/shop/storefront:5.2.0',
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: readiness,
    lifecycle: { preStop: { sleep: { seconds: 10 } } },
    ...overrides,
  };
}

interface DeployOpts {
  replicas?: number;
  strategy?: V1Deployment['spec'] extends infer S ? S extends { strategy?: infer T } ? T : never : never;
  containers?: V1Container[];
  grace?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  namespace?: string;
}

function deployment(name: string, o: DeployOpts = {}): V1Deployment {
  const labels = o.labels ?? { app: name, tier: 'frontend' };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: o.namespace ?? NS },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: labels },
      ...(o.strategy ? { strategy: o.strategy } : {}),
      template: {
        metadata: { labels, annotations: o.annotations },
        spec: { containers: o.containers ?? [web()], ...(o.grace !== undefined ? { terminationGracePeriodSeconds: o.grace } : {}) },
      },
    },
  };
}

function statefulSet(name: string, o: { replicas?: number; maxUnavailable?: number | string; containers?: V1Container[] } = {}): V1StatefulSet {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas: o.replicas ?? 3, serviceName: name,
      selector: { matchLabels: { app: name } },
      ...(o.maxUnavailable !== undefined ? { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: o.maxUnavailable } } } : {}),
      template: { metadata: { labels: { app: name } }, spec: { containers: o.containers ?? [web()] } },
    },
  };
}

function service(name: string, selector: Record<string, string>, o: { namespace?: string; local?: boolean; annotations?: Record<string, string>; targetPort?: number | string } = {}): V1Service {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: o.namespace ?? NS, annotations: o.annotations },
    spec: {
      type: o.local ? 'LoadBalancer' : 'ClusterIP', selector,
      ...(o.local ? { externalTrafficPolicy: 'Local' } : {}),
      ports: [{ name: 'http', port: 80, targetPort: o.targetPort ?? 'http' }],
    },
  };
}

const storefrontSvc = service('storefront', { app: 'storefront' });

async function run(objects: ObjectsByKind) {
  return runCheck(check, { objects });
}

describe('graceful-termination helpers', () => {
  it.each<[number, number | string | undefined, number | string | undefined, number, number]>([
    [1, undefined, undefined, 1, 0], // defaults 25%/25%: surge rounds up to 1, unavailable down to 0
    [4, undefined, undefined, 1, 1],
    [10, '25%', '25%', 3, 2],
    [1, 0, undefined, 0, 1], // both 0 after rounding → unavailable 1
    [1, 0, '25%', 0, 1],
    [1, '1%', '99%', 1, 0],
    [3, 0, '99%', 0, 2],
    [4, 1, '100%', 1, 4],
    [3, '0%', 0, 0, 1],
  ])('Deployment replicas %d, maxSurge %j, maxUnavailable %j → surge %d, unavailable %d', (replicas, surge, unavailable, s, u) => {
    expect(resolveDeploymentRollout(replicas, surge, unavailable)).toEqual({ surge: s, unavailable: u });
  });

  it('rejects malformed percentages', () => {
    expect(resolveDeploymentRollout(3, '12.5%', 0)).toBeUndefined();
    expect(resolveDeploymentRollout(3, 'lots', 0)).toBeUndefined();
  });

  it.each<[number, number | string | undefined, number]>([
    [3, undefined, 1], [3, '50%', 2], [3, '1%', 1], [3, '100%', 3], [5, 2, 2], [3, '0%', 1],
  ])('StatefulSet replicas %d, maxUnavailable %j → %d (rounds up, at least 1)', (replicas, mu, n) => {
    expect(resolveStatefulSetUnavailable(replicas, mu)).toBe(n);
  });

  it.each<[string[], number | undefined]>([
    [['sleep', '10'], 10],
    [['/bin/sleep', '5s'], 5],
    [['sleep', '1m'], 60],
    [['/bin/sh', '-c', 'sleep 5 && nginx -s quit'], 5],
    [['sh', '-c', 'sleep 5; /usr/bin/sleep 3'], 8],
    [['bash', '-c', 'sleep 2.5'], 2.5],
    [['sh', '-c', 'sleep $DRAIN_SECONDS'], undefined],
    [['sh', '-c', 'usleep 500000'], undefined],
    [['/app/bin/shutdown', '--graceful'], undefined],
    [['sleep', 'infinity'], undefined],
  ])('exec %j sleeps %j s', (command, seconds) => {
    expect(sleepSeconds(command)).toBe(seconds);
  });

  it('classifies preStop hooks', () => {
    expect(preStopOf({ name: 'a' })).toEqual({ kind: 'none' });
    expect(preStopOf({ name: 'a', lifecycle: { preStop: { sleep: { seconds: 15 } } } })).toEqual({ kind: 'sleep', seconds: 15, form: 'sleep' });
    expect(preStopOf({ name: 'a', lifecycle: { preStop: { exec: { command: ['sleep', '20'] } } } })).toEqual({ kind: 'sleep', seconds: 20, form: 'exec' });
    expect(preStopOf({ name: 'a', lifecycle: { preStop: { httpGet: { path: '/drain', port: 8080 } } } })).toEqual({ kind: 'other', form: 'httpGet' });
  });

  it('reads load-balancer health checks from annotations, else assumes 10 s × 3', () => {
    expect(lbHealthCheck(undefined)).toEqual({ intervalSeconds: 10, unhealthyThreshold: 3, detectSeconds: 30, source: 'assumed' });
    expect(lbHealthCheck({
      'service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval': '5',
      'service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold': '2',
    })).toEqual({ intervalSeconds: 5, unhealthyThreshold: 2, detectSeconds: 10, source: 'annotations' });
    expect(lbHealthCheck({
      'service.beta.kubernetes.io/azure-load-balancer-health-probe-interval': '5',
      'service.beta.kubernetes.io/azure-load-balancer-health-probe-num-of-probe': '2',
    }).detectSeconds).toBe(10);
  });
});

describe('graceful-termination', () => {
  it('warns about a Service-backed Deployment without a preStop delay', async () => {
    const { result, findings } = await run({
      Service: [storefrontSvc],
      Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined })] })],
    });
    expect(result.status).toBe('fail');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'warning',
      target: { kind: 'Deployment', name: 'storefront', namespace: NS, container: 'web' },
      evidence: { preStop: 'none', terminationGracePeriodSeconds: 30, services: ['storefront'] },
    });
    expect(findings[0]!.remediation.steps![0]).toContain(
      `kubectl -n shop patch deployment storefront -p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":30,"containers":[{"name":"web","lifecycle":{"preStop":{"sleep":{"seconds":10}}}}]}}}}'`);
  });

  it.each<[string, V1Container, number | undefined, number, number]>([
    ['sleep action equal to the default grace period', web({ lifecycle: { preStop: { sleep: { seconds: 30 } } } }), undefined, 30, 30],
    ['exec sleep longer than the grace period', web({ lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 45'] } } } }), 40, 45, 40],
    ['sleep action equal to a raised grace period', web({ lifecycle: { preStop: { sleep: { seconds: 60 } } } }), 60, 60, 60],
  ])('critical: %s', async (_label, container, grace, sleep, effectiveGrace) => {
    const { findings } = await run({ Service: [storefrontSvc], Deployment: [deployment('storefront', { containers: [container], grace })] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'critical',
      target: { kind: 'Deployment', name: 'storefront', container: 'web' },
      evidence: { preStopSleepSeconds: sleep, terminationGracePeriodSeconds: effectiveGrace },
    });
    expect(findings[0]!.remediation.summary).toContain(`at least ${sleep + 20} s`);
    expect(findings[0]!.remediation.steps![0]).toContain(`"terminationGracePeriodSeconds":${sleep + 20}`);
  });

  it('setting minShutdownSeconds makes a sleep that leaves too little of the grace period critical', async () => {
    // preStop 25 s of the default 30 s: 5 s left to shut down.
    const objects = { Service: [storefrontSvc], Deployment: [deployment('storefront', { containers: [web({ lifecycle: { preStop: { sleep: { seconds: 25 } } } })] })] };
    expect((await run(objects)).findings).toEqual([]);
    expect((await runCheck(check, { objects, options: { minShutdownSeconds: 5 } })).findings).toEqual([]);
    const { findings } = await runCheck(check, { objects, options: { minShutdownSeconds: 30 } });
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['preStopExceedsGrace', 'critical']]);
    expect(findings[0]!.message).toContain('only 5 s between SIGTERM and SIGKILL to shut down (less than the 30 s of minShutdownSeconds)');
    expect(findings[0]!.actual).toBe('terminationGracePeriodSeconds 30 s − preStop sleep 25 s = 5 s');
    // The suggestion passes the check again: sleep + 30 s, not + 20 s.
    expect(findings[0]!.remediation.steps![0]).toContain('"terminationGracePeriodSeconds":55');
  });

  it.each<[string, number, V1Deployment['spec'] extends infer S ? S extends { strategy?: infer T } ? T : never : never, number, number]>([
    ['1 replica, maxSurge 0', 1, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0 } }, 0, 1],
    ['1 replica, maxSurge 0, maxUnavailable 25% (rounds to 0, fenced up to 1)', 1, { rollingUpdate: { maxSurge: 0, maxUnavailable: '25%' } }, 0, 1],
    ['4 replicas, maxUnavailable 100%', 4, { rollingUpdate: { maxUnavailable: '100%' } }, 1, 4],
    ['3 replicas, maxUnavailable 3', 3, { rollingUpdate: { maxSurge: '50%', maxUnavailable: 3 } }, 2, 3],
  ])('critical rollout outage: %s', async (_label, replicas, strategy, surge, unavailable) => {
    const { findings } = await run({ Service: [storefrontSvc], Deployment: [deployment('storefront', { replicas, strategy })] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'critical',
      target: { kind: 'Deployment', name: 'storefront', namespace: NS },
      evidence: { replicas, resolvedSurge: surge, resolvedUnavailable: unavailable },
    });
    expect(findings[0]!.target.container).toBeUndefined();
    expect(findings[0]!.remediation.steps![0]).toBe(
      `kubectl -n shop patch deployment storefront -p '{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":1}}}}'`);
  });

  it('warns about a rolling update without a readiness probe on the serving container', async () => {
    const { findings } = await run({
      Service: [storefrontSvc],
      Deployment: [deployment('storefront', { containers: [web({ readinessProbe: undefined })] })],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'warning', target: { container: 'web' }, evidence: { readinessProbe: false } });
  });

  it('judges only the container the Service targets, not a sidecar without ports', async () => {
    const logShipper: V1Container = { name: 'log-shipper', image: 'fluent/fluent-bit:3.1' };
    const { findings } = await run({
      Service: [storefrontSvc],
      Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined }), logShipper] })],
    });
    expect(findings.map((f) => f.target.container)).toEqual(['web']);
  });

  it('names only the Services that reach each container', async () => {
    const admin: V1Container = { name: 'admin', image: 'registry.example/shop/admin:1', ports: [{ name: 'admin', containerPort: 9000 }], readinessProbe: { tcpSocket: { port: 9000 } } };
    const { findings } = await run({
      Service: [storefrontSvc, service('storefront-admin', { app: 'storefront' }, { targetPort: 'admin' })],
      Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined }), admin] })],
    });
    expect(findings.map((f) => [f.target.container, f.evidence!.services])).toEqual([['web', ['storefront']], ['admin', ['storefront-admin']]]);
    expect(findings[0]!.message).toContain('(Service storefront)');
  });

  it('does not blame the app container for a Service that targets a native sidecar', async () => {
    // The edge proxy runs as a native sidecar: it is stopped after the app containers, and a patch of
    // spec.containers cannot reach it. The app container is not what the Service sends traffic to.
    const d = deployment('storefront', { containers: [web({ lifecycle: undefined, ports: [] })] });
    d.spec!.template.spec!.initContainers = [{ name: 'edge', image: 'envoyproxy/envoy:v1.31', restartPolicy: 'Always', ports: [{ name: 'https', containerPort: 8443 }] }];
    const { findings } = await run({ Service: [service('storefront', { app: 'storefront' }, { targetPort: 'https' })], Deployment: [d] });
    expect(findings).toEqual([]);
  });

  describe('externalTrafficPolicy: Local', () => {
    const lbSvc = (annotations?: Record<string, string>) => service('storefront-public', { app: 'storefront' }, { local: true, annotations });

    it('warns when the preStop delay is shorter than the assumed load-balancer detection time', async () => {
      const { findings } = await run({ Service: [lbSvc()], Deployment: [deployment('storefront', { containers: [web({ lifecycle: { preStop: { sleep: { seconds: 5 } } } })] })] });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        severity: 'warning', target: { container: 'web' },
        evidence: { preStopSleepSeconds: 5, localTrafficService: 'storefront-public', lbHealthCheck: { detectSeconds: 30, source: 'assumed' } },
      });
      expect(findings[0]!.message).toContain('assumed');
      expect(findings[0]!.remediation.steps![0]).toContain('"preStop":{"sleep":{"seconds":35}}');
      expect(findings[0]!.remediation.steps![0]).toContain('"terminationGracePeriodSeconds":55');
    });

    it('settings assumedLbIntervalSeconds and assumedLbUnhealthyThreshold move the assumed detection time', async () => {
      const objects = { Service: [lbSvc()], Deployment: [deployment('storefront', { containers: [web({ lifecycle: { preStop: { sleep: { seconds: 15 } } } })] })] };
      expect((await run(objects)).findings.map((f) => f.rule)).toEqual(['drainShorterThanLoadBalancer']);
      // A faster cloud default (e.g. 5 s × 2): 15 s is enough.
      expect((await runCheck(check, { objects, options: { assumedLbIntervalSeconds: 5, assumedLbUnhealthyThreshold: 2 } })).findings).toEqual([]);
      // Each on its own moves the line too: 5 s × 3 = 15 s is enough, 10 s × 1 = 10 s as well.
      expect((await runCheck(check, { objects, options: { assumedLbIntervalSeconds: 5 } })).findings).toEqual([]);
      expect((await runCheck(check, { objects, options: { assumedLbUnhealthyThreshold: 1 } })).findings).toEqual([]);
      const slow = await runCheck(check, { objects, options: { assumedLbIntervalSeconds: 8 } });
      expect(slow.findings[0]!.evidence).toMatchObject({ lbHealthCheck: { intervalSeconds: 8, unhealthyThreshold: 3, detectSeconds: 24, source: 'assumed' } });
      // Annotations still win over the assumption.
      const annotated = { ...objects, Service: [lbSvc({ 'service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval': '10' })] };
      expect((await runCheck(check, { objects: annotated, options: { assumedLbIntervalSeconds: 5 } })).findings.map((f) => f.evidence?.lbHealthCheck))
        .toEqual([{ intervalSeconds: 10, unhealthyThreshold: 3, detectSeconds: 30, source: 'annotations' }]);
    });

    it('uses the health-check annotations of the Service', async () => {
      const annotations = {
        'service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval': '5',
        'service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold': '2',
      };
      const short = await run({ Service: [lbSvc(annotations)], Deployment: [deployment('storefront', { containers: [web({ lifecycle: { preStop: { sleep: { seconds: 5 } } } })] })] });
      expect(short.findings[0]!.evidence).toMatchObject({ lbHealthCheck: { detectSeconds: 10, source: 'annotations' } });
      const enough = await run({ Service: [lbSvc(annotations)], Deployment: [deployment('storefront', { containers: [web({ lifecycle: { preStop: { sleep: { seconds: 15 } } } })] })] });
      expect(enough.findings).toEqual([]);
    });

    it('folds the load-balancer time into the missing-preStop warning, even for meshed pods', async () => {
      const { findings } = await run({
        Service: [lbSvc()],
        Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined }), { name: 'istio-proxy', image: 'istio/proxyv2:1.24' }] })],
      });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ evidence: { preStop: 'none', localTrafficService: 'storefront-public', lbHealthCheck: { detectSeconds: 30 } } });
      expect(findings[0]!.expected).toBe('a preStop delay of 35 s before SIGTERM');
    });
  });

  describe('autoscaler scale-down and cloud load-balancer draining (seed 004)', () => {
    const hpa = (target: string, behavior?: Record<string, unknown>, min = 2, max = 10) => ({
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: `${target}-hpa`, namespace: NS },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas: min, maxReplicas: max, ...(behavior ? { behavior } : {}) },
    });

    it('a missing preStop delay also drops connections on every HPA scale-down, and says how fast it scales down', async () => {
      const { findings } = await run({
        Service: [storefrontSvc], HorizontalPodAutoscaler: [hpa('storefront')],
        Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined })] })],
      } as ObjectsByKind);
      expect(findings.map((f) => [f.rule, f.severity])).toEqual([['noPreStop', 'warning']]);
      expect(findings[0]!.message).toContain('Not only on deploys: HorizontalPodAutoscaler shop/storefront-hpa (2–10 replicas) removes up to 100 % of the pods every 15 s after a 300 s stabilization window (the defaults), and every pod it removes is stopped the same way');
      expect(findings[0]!.evidence).toMatchObject({ autoscaler: { hpa: 'shop/storefront-hpa', minReplicas: 2, maxReplicas: 10 } });
      expect(findings[0]!.remediation.steps!.join('\n')).toContain(`kubectl -n shop patch hpa storefront-hpa -p '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":300,"policies":[{"type":"Pods","value":1,"periodSeconds":60}]}}}}'`);
    });

    it('an HPA that cannot scale down (min = max, or scale-down disabled) or targets another workload adds nothing', async () => {
      for (const h of [hpa('storefront', undefined, 3, 3), hpa('storefront', { scaleDown: { selectPolicy: 'Disabled' } }), hpa('checkout')]) {
        const { findings } = await run({ Service: [storefrontSvc], HorizontalPodAutoscaler: [h], Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined })] })] } as ObjectsByKind);
        expect(findings.map((f) => f.rule)).toEqual(['noPreStop']);
        expect(findings[0]!.message).not.toMatch(/HorizontalPodAutoscaler/);
      }
    });

    it('names custom scale-down policies', async () => {
      const { findings } = await run({
        Service: [storefrontSvc],
        HorizontalPodAutoscaler: [hpa('storefront', { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 15 }, { type: 'Pods', value: 4, periodSeconds: 60 }] } })],
        Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined })] })],
      } as ObjectsByKind);
      expect(findings[0]!.message).toContain('removes pods by whichever policy removes more (up to 50 % of the pods every 15 s or up to 4 pods every 60 s) after a 0 s stabilization window');
    });

    const elbSvc = (hostname: string, annotations?: Record<string, string>): V1Service => ({
      ...service('storefront-public', { app: 'storefront' }, { annotations }),
      spec: { type: 'LoadBalancer', selector: { app: 'storefront' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      status: { loadBalancer: { ingress: [{ hostname }] } },
    });

    it('a Service behind an AWS Classic Load Balancer without connection draining is a warning on the Service', async () => {
      const { findings } = await run({ Service: [elbSvc('a1b2c3-1234567890.eu-west-1.elb.amazonaws.com')], Deployment: [deployment('storefront', { grace: 60 })] });
      expect(findings.map((f) => [f.rule, f.severity, f.target])).toEqual([['lbConnectionDrainingOff', 'warning', { kind: 'Service', name: 'storefront-public', namespace: NS }]]);
      expect(findings[0]!.message).toContain('a preStop delay in Deployment shop/storefront cannot help with that');
      expect(findings[0]!.remediation.steps![0]).toBe('kubectl -n shop annotate service storefront-public --overwrite service.beta.kubernetes.io/aws-load-balancer-connection-draining-enabled=true service.beta.kubernetes.io/aws-load-balancer-connection-draining-timeout=80');
    });

    it.each([
      ['draining on', 'a1b2c3-1234567890.eu-west-1.elb.amazonaws.com', { 'service.beta.kubernetes.io/aws-load-balancer-connection-draining-enabled': 'true' }],
      ['a Network Load Balancer (drains by default)', 'a1b2c3-0123456789abcdef.elb.eu-west-1.amazonaws.com', undefined],
      ['another cloud (an IP address, no hostname)', '', undefined],
    ])('no draining finding for %s', async (_label, hostname, annotations) => {
      const { findings } = await run({ Service: [elbSvc(hostname, annotations)], Deployment: [deployment('storefront')] });
      expect(findings).toEqual([]);
    });
  });

  describe('StatefulSets', () => {
    it('flags maxUnavailable that resolves to every replica', async () => {
      const { findings } = await run({ Service: [service('cache', { app: 'cache' })], StatefulSet: [statefulSet('cache', { maxUnavailable: '100%' })] });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'critical', target: { kind: 'StatefulSet', name: 'cache' }, evidence: { resolvedUnavailable: 3 } });
    });

    it('flags a missing preStop delay', async () => {
      const { findings } = await run({ Service: [service('cache', { app: 'cache' })], StatefulSet: [statefulSet('cache', { containers: [web({ lifecycle: undefined })] })] });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'warning', target: { kind: 'StatefulSet', name: 'cache', container: 'web' } });
    });

    it('does not flag a single-replica StatefulSet or maxUnavailable below the replica count', async () => {
      const { findings } = await run({
        Service: [service('db', { app: 'db' }), service('cache', { app: 'cache' })],
        StatefulSet: [statefulSet('db', { replicas: 1 }), statefulSet('cache', { replicas: 3, maxUnavailable: '50%' })],
      });
      expect(findings).toEqual([]);
    });
  });

  describe('passes', () => {
    const meshNs: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'istio-injection': 'enabled' } } };
    const worker = deployment('queue-worker', { replicas: 1, strategy: { rollingUpdate: { maxSurge: 0 } }, containers: [{ name: 'worker', image: 'registry.example/shop/worker:1.0' }] });
    const job: V1Job = {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'reindex', namespace: NS },
      spec: { template: { metadata: { labels: { app: 'storefront' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'reindex', image: 'registry.example/shop/reindex:1' }] } } },
    };

    it.each<[string, ObjectsByKind]>([
      ['a healthy Deployment (sleep 10 s, grace 30 s, readiness, default rollout)', { Service: [storefrontSvc], Deployment: [deployment('storefront')] }],
      ['1 replica with the default 25 %/25 % (surge rounds up to 1)', { Service: [storefrontSvc], Deployment: [deployment('storefront', { replicas: 1 })] }],
      ['1 replica with maxSurge 1% (rounds up to 1, not down to 0)', { Service: [storefrontSvc], Deployment: [deployment('storefront', { replicas: 1, strategy: { rollingUpdate: { maxSurge: '1%', maxUnavailable: '99%' } } })] }],
      ['3 replicas with maxUnavailable 99% (rounds down to 2)', { Service: [storefrontSvc], Deployment: [deployment('storefront', { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '99%' } } })] }],
      ['a worker no Service selects (no preStop, no readiness, maxSurge 0)', { Service: [storefrontSvc], Deployment: [worker] }],
      ['a Service in another namespace with the same selector', { Service: [service('storefront', { app: 'storefront' }, { namespace: 'staging' })], Deployment: [deployment('storefront', { containers: [{ name: 'web', image: 'x' }] })] }],
      ['a Service whose selector matches only part of the labels', { Service: [service('storefront', { app: 'storefront', tier: 'backend' })], Deployment: [deployment('storefront', { containers: [{ name: 'web', image: 'x' }] })] }],
      ['a Service without a selector (manual endpoints)', { Service: [{ ...storefrontSvc, spec: { ...storefrontSvc.spec, selector: undefined } }], Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined })] })] }],
      ['a Deployment scaled to 0', { Service: [storefrontSvc], Deployment: [deployment('storefront', { replicas: 0, containers: [{ name: 'web', image: 'x' }] })] }],
      ['a preStop httpGet hook (drain of unknown length)', { Service: [storefrontSvc], Deployment: [deployment('storefront', { containers: [web({ lifecycle: { preStop: { httpGet: { path: '/drain', port: 8080 } } } })] })] }],
      ['an istio-proxy sidecar in the template drains instead of a preStop', { Service: [storefrontSvc], Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined }), { name: 'istio-proxy', image: 'istio/proxyv2:1.24' }] })] }],
      ['a namespace with istio-injection=enabled', { Namespace: [meshNs], Service: [storefrontSvc], Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined })] })] }],
      ['a linkerd.io/inject: enabled template annotation', { Service: [storefrontSvc], Deployment: [deployment('storefront', { annotations: { 'linkerd.io/inject': 'enabled' }, containers: [web({ lifecycle: undefined })] })] }],
      ['an Istio opt-out in a Linkerd namespace (Linkerd still injects)', {
        Namespace: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, annotations: { 'linkerd.io/inject': 'enabled' } } }],
        Service: [storefrontSvc], Deployment: [deployment('storefront', { annotations: { 'sidecar.istio.io/inject': 'false' }, containers: [web({ lifecycle: undefined })] })],
      }],
      ['a Recreate Deployment of 1 replica (a deliberate outage, no rolling update)', { Service: [storefrontSvc], Deployment: [deployment('storefront', { replicas: 1, strategy: { type: 'Recreate' }, containers: [web({ readinessProbe: undefined })] })] }],
      ['a Job whose pods carry the Service labels', { Service: [storefrontSvc], Job: [job], Deployment: [] }],
      ['CoreDNS in kube-system (installer-managed, drains with lameduck)', {
        Service: [service('kube-dns', { 'k8s-app': 'kube-dns' }, { namespace: 'kube-system', targetPort: 53 })],
        Deployment: [deployment('coredns', { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, containers: [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.3', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] }] })],
      }],
    ])('%s', async (_label, objects) => {
      const { result, findings } = await run(objects);
      expect(findings).toEqual([]);
      expect(result.status).toBe('pass');
    });

    it('istio-injection=disabled on the namespace beats its revision label', async () => {
      const ns: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'istio-injection': 'disabled', 'istio.io/rev': 'stable' } } };
      const { findings } = await run({ Namespace: [ns], Service: [storefrontSvc], Deployment: [deployment('storefront', { containers: [web({ lifecycle: undefined })] })] });
      expect(findings.map((f) => f.evidence!.preStop)).toEqual(['none']);
    });

    it('a pod-level opt-out beats an injected namespace', async () => {
      const { findings } = await run({
        Namespace: [meshNs], Service: [storefrontSvc],
        Deployment: [deployment('storefront', { annotations: { 'sidecar.istio.io/inject': 'false' }, containers: [web({ lifecycle: undefined })] })],
      });
      expect(findings).toHaveLength(1);
    });
  });
});
