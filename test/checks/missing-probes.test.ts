import { describe, expect, it } from '@jest/globals';
import type {
  CoreV1Event, V1Container, V1DaemonSet, V1Deployment, V1OwnerReference, V1Pod, V1PodSpec, V1Probe, V1ReplicaSet, V1Service, V1StatefulSet,
} from '@kubernetes/client-node';
import check from '../../checks/missing-probes/index.js';
import type { ObjectsByKind } from '../../src/engine/memory-source.js';
import type { Finding } from '../../src/engine/types.js';
import { runCheck } from '../../src/check.js';
import { demoNow, loadDemoObjects } from '../support/demo-cluster.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const NS = 'shop';
const LABELS = { app: 'web' };

const http = (path: string, port: number | string, extra: Partial<V1Probe> = {}): V1Probe => ({ httpGet: { path, port }, ...extra } as V1Probe);
const tcp = (port: number | string, extra: Partial<V1Probe> = {}): V1Probe => ({ tcpSocket: { port }, ...extra } as V1Probe);
const web = (extra: Partial<V1Container> = {}): V1Container => ({ name: 'web', image: 'web:1', ports: [{ name: 'http', containerPort: 8080 }], ...extra });
const probed = (extra: Partial<V1Container> = {}) => web({ readinessProbe: http('/ready', 'http'), livenessProbe: tcp('http'), ...extra });
const spec = (containers: V1Container[], extra: Partial<V1PodSpec> = {}): V1PodSpec => ({ containers, ...extra });

const deploy = (name: string, s: V1PodSpec, labels = LABELS, ns = NS): V1Deployment =>
  ({ metadata: { name, namespace: ns }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: s } } });
const sts = (name: string, s: V1PodSpec): V1StatefulSet =>
  ({ metadata: { name, namespace: NS }, spec: { selector: { matchLabels: LABELS }, serviceName: name, template: { metadata: { labels: LABELS }, spec: s } } });
const ds = (name: string, s: V1PodSpec): V1DaemonSet =>
  ({ metadata: { name, namespace: NS }, spec: { selector: { matchLabels: LABELS }, template: { metadata: { labels: LABELS }, spec: s } } });
const owner = (kind: string, name: string): V1OwnerReference => ({ apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, name, uid: `u-${name}`, controller: true });
const rs = (name: string, s: V1PodSpec, owners: V1OwnerReference[] = []): V1ReplicaSet =>
  ({ metadata: { name, namespace: NS, ownerReferences: owners }, spec: { selector: { matchLabels: LABELS }, template: { metadata: { labels: LABELS }, spec: s } } });
const svc = (name: string, selector: Record<string, string> | undefined, targetPort: number | string = 'http', ns = NS): V1Service =>
  ({ metadata: { name, namespace: ns }, spec: { selector, ports: [{ port: 80, targetPort: targetPort as never }] } });
const pod = (name: string, s: V1PodSpec, o: { owners?: V1OwnerReference[]; labels?: Record<string, string>; phase?: string; annotations?: Record<string, string>; status?: V1Pod['status'] } = {}): V1Pod => ({
  metadata: { name, namespace: NS, labels: o.labels ?? LABELS, ownerReferences: o.owners ?? [], annotations: o.annotations },
  spec: s,
  status: o.status ?? { phase: o.phase ?? 'Running' },
});

async function run(objects: ObjectsByKind, opts: { unavailable?: Record<string, string> } = {}) {
  return runCheck(check, { objects, now: NOW, unavailable: opts.unavailable });
}
/** "severity kind/name[container]: first words of the message" — enough to tell the rules apart. */
const brief = (f: Finding) => `${f.severity} ${f.target.kind}/${f.target.name}[${f.target.container}] ${rule(f)}`;
function rule(f: Finding): string {
  if (f.message.includes('has no readiness probe')) return 'readiness';
  if (f.message.includes('has no liveness probe')) return 'liveness';
  if (f.message.includes('same check for liveness and readiness')) return 'identical';
  if (f.message.includes('before its first liveness check')) return 'slow-start';
  if (f.message.includes('keeps restarting')) return 'liveness-restarts';
  if (f.message.includes('only at the TCP level')) return 'tcp-on-http';
  return f.message;
}

describe('missing-probes: nothing to report', () => {
  it.each<[string, ObjectsByKind]>([
    ['readiness + liveness behind a Service', { Service: [svc('web', LABELS)], Deployment: [deploy('web', spec([probed()]))] }],
    ['a worker with no Service and no ports (trap)', { Deployment: [deploy('worker', spec([{ name: 'worker', image: 'w:1' }]))] }],
    ['a Service with no selector selects nothing', { Service: [svc('kubernetes', undefined, 6443)], Deployment: [deploy('w', spec([{ name: 'w', image: 'w:1' }]))] }],
    ['a Service with an empty selector selects nothing', { Service: [svc('empty', {}, 8080)], Deployment: [deploy('w', spec([{ name: 'w', image: 'w:1' }]))] }],
    ['a Service in another namespace', { Service: [svc('web', LABELS, 8080, 'other')], Deployment: [deploy('w', spec([{ name: 'w', image: 'w:1' }]))] }],
    ['a Service whose selector is not a subset of the labels', { Service: [svc('web', { ...LABELS, tier: 'api' }, 8080)], Deployment: [deploy('w', spec([{ name: 'w', image: 'w:1' }]))] }],
    ['Job pods with ports (run to completion)', { Pod: [pod('reindex-x', spec([web()], { restartPolicy: 'Never' }), { owners: [owner('Job', 'reindex')] })] }],
    ['bare pod with restartPolicy Never', { Pod: [pod('once', spec([web()], { restartPolicy: 'Never' }))] }],
    ['bare pod that has finished', { Pod: [pod('done', spec([web()]), { phase: 'Succeeded' }), pod('failed', spec([web()]), { phase: 'Failed' })] }],
    ['mirror (static) pod', { Pod: [pod('etcd-cp', spec([web()]), { owners: [{ apiVersion: 'v1', kind: 'Node', name: 'cp', uid: 'n', controller: true }], annotations: { 'kubernetes.io/config.mirror': 'h' } })] }],
    ['regular init container with a port and no probes', {
      Service: [svc('web', LABELS)], Deployment: [deploy('web', spec([probed()], { initContainers: [{ name: 'migrate', image: 'm:1', ports: [{ containerPort: 9000 }] }] }))],
    }],
    ['mesh sidecars (istio-proxy readiness only, linkerd-proxy, native istio-proxy)', {
      Service: [svc('web', LABELS)],
      Deployment: [deploy('web', spec([probed(), { name: 'istio-proxy', image: 'proxyv2', ports: [{ name: 'http-envoy-prom', containerPort: 15090 }], readinessProbe: http('/healthz/ready', 15021) }, { name: 'linkerd-proxy', image: 'l', ports: [{ containerPort: 4191 }] }],
        { initContainers: [{ name: 'istio-proxy', image: 'proxyv2', restartPolicy: 'Always', ports: [{ containerPort: 15090 }] }] }))],
    }],
    ['a log-shipper sidecar without ports next to the served container', { Service: [svc('web', LABELS)], Deployment: [deploy('web', spec([probed(), { name: 'log-shipper', image: 'fluent-bit' }]))] }],
    ['a probed native sidecar beside the served container', {
      Service: [svc('web', LABELS)],
      Deployment: [deploy('web', spec([probed()], { initContainers: [{ name: 'proxy', image: 'p', restartPolicy: 'Always', ports: [{ name: 'health', containerPort: 9090 }], livenessProbe: http('/liveness', 'health') }] }))],
    }],
    ['liveness on the readiness endpoint but tolerating 10 failures', {
      Service: [svc('web', LABELS)], Deployment: [deploy('web', spec([web({ readinessProbe: http('/health', 8080), livenessProbe: http('/health', 8080, { failureThreshold: 10 }) })]))],
    }],
    ['liveness delay of 59 s', { Deployment: [deploy('web', spec([probed({ livenessProbe: tcp('http', { initialDelaySeconds: 59 }) })]))] }],
    ['a long liveness delay with a startupProbe', { Deployment: [deploy('web', spec([probed({ livenessProbe: tcp('http', { initialDelaySeconds: 120 }), startupProbe: tcp('http') })]))] }],
    ['ReplicaSets owned by a Deployment are the Deployment\'s revisions', {
      Service: [svc('web', LABELS)], Deployment: [deploy('web', spec([probed()]))], ReplicaSet: [rs('web-5d8f', spec([web()]), [owner('Deployment', 'web')])],
    }],
  ])('%s', async (_, objects) => {
    const { result, findings } = await run(objects);
    expect(findings.map(brief)).toEqual([]);
    expect(result.status).toBe('pass');
  });
});

describe('missing-probes: findings', () => {
  it('no probes behind a Service → readiness and liveness warnings on the workload and container', async () => {
    const { result, findings } = await run({ Service: [svc('web', LABELS)], Deployment: [deploy('web', spec([web()]))] });
    expect(result.status).toBe('fail');
    expect(findings.map(brief)).toEqual(['warning Deployment/web[web] readiness', 'warning Deployment/web[web] liveness']);
    expect(findings[0]!.target).toEqual({ kind: 'Deployment', name: 'web', namespace: NS, container: 'web' });
    expect(findings[0]!.evidence).toEqual({
      workload: 'Deployment shop/web', container: 'web', services: ['web'], ports: [8080], probes: { liveness: false, readiness: false, startup: false },
    });
    expect(findings[0]!.message).toBe('Container web of Deployment shop/web has no readiness probe, but Service web sends it traffic: new pods get requests before they can serve, and hung pods keep getting them');
    expect(findings[0]!.remediation.steps![0]).toBe('Add to container "web": readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5, failureThreshold: 3} — on an endpoint that answers only when web can serve (warmed up, its own dependencies reachable); /ready is a placeholder for your real path.');
    expect(findings[1]!.message).toBe('Container web of Deployment shop/web serves on port 8080 but has no liveness probe: a hung process is never restarted');
    expect(findings[1]!.remediation.steps![0]).toContain('livenessProbe: {tcpSocket: {port: http}, periodSeconds: 10, failureThreshold: 3}');
    expect(findings[1]!.remediation.steps).toContain('Apply it with kubectl -n shop edit deployment/web (or in the manifest you deploy from), then kubectl -n shop rollout status deployment/web.');
  });

  it.each<[string, ObjectsByKind, string[]]>([
    ['StatefulSet', { Service: [svc('db', LABELS)], StatefulSet: [sts('db', spec([web()]))] }, ['warning StatefulSet/db[web] readiness', 'warning StatefulSet/db[web] liveness']],
    ['DaemonSet with a port, no Service: liveness only', { DaemonSet: [ds('agent', spec([web()]))] }, ['warning DaemonSet/agent[web] liveness']],
    ['ReplicaSet nobody owns', { Service: [svc('legacy', LABELS)], ReplicaSet: [rs('legacy', spec([web({ livenessProbe: tcp(8080) })]))] }, ['warning ReplicaSet/legacy[web] readiness']],
    ['bare Pod with a port and no Service: liveness only', { Pod: [pod('echo', spec([web()]))] }, ['warning Pod/echo[web] liveness']],
    ['undeclared ports: the Service target port reaches the only container', { Service: [svc('web', LABELS, 8080)], Deployment: [deploy('web', spec([{ name: 'web', image: 'w' }]))] },
      ['warning Deployment/web[web] readiness', 'warning Deployment/web[web] liveness']],
    ['two Services, only the one whose target port the sidecar declares reaches it', {
      Service: [svc('web', LABELS), svc('admin', LABELS, 'admin')],
      Deployment: [deploy('web', spec([probed(), { name: 'admin', image: 'a', ports: [{ name: 'admin', containerPort: 9000 }], livenessProbe: tcp(9000) }]))],
    }, ['warning Deployment/web[admin] readiness']],
    ['native sidecar the Service targets, without probes', {
      Service: [svc('web', LABELS, 'edge')],
      Deployment: [deploy('web', spec([probed({ ports: [{ name: 'http', containerPort: 8080 }] })], { initContainers: [{ name: 'edge', image: 'envoy', restartPolicy: 'Always', ports: [{ name: 'edge', containerPort: 8443 }] }] }))],
    }, ['warning Deployment/web[edge] readiness', 'warning Deployment/web[edge] liveness']],
    ['native sidecar with a port nobody targets: liveness only', {
      Deployment: [deploy('web', spec([probed()], { initContainers: [{ name: 'proxy', image: 'p', restartPolicy: 'Always', ports: [{ containerPort: 5432 }] }] }))],
    }, ['warning Deployment/web[proxy] liveness']],
    ['identical HTTP probes, named and numeric port', { Deployment: [deploy('web', spec([web({ readinessProbe: http('/health', 'http'), livenessProbe: http('/health', 8080) })]))] }, ['warning Deployment/web[web] identical']],
    ['identical TCP probes', { Deployment: [deploy('web', spec([web({ readinessProbe: tcp(8080), livenessProbe: tcp('http') })]))] }, ['warning Deployment/web[web] identical']],
    ['identical exec probes', { Deployment: [deploy('db', spec([web({ readinessProbe: { exec: { command: ['pg_isready'] } }, livenessProbe: { exec: { command: ['pg_isready'] } } })]))] }, ['warning Deployment/db[web] identical']],
    ['identical gRPC probes', { Deployment: [deploy('rpc', spec([web({ readinessProbe: { grpc: { port: 50051 } }, livenessProbe: { grpc: { port: 50051 } } })]))] }, ['warning Deployment/rpc[web] identical']],
    ['liveness delay of 60 s without startupProbe', { Deployment: [deploy('web', spec([probed({ livenessProbe: tcp('http', { initialDelaySeconds: 60 }) })]))] }, ['info Deployment/web[web] slow-start']],
    ['identical and slow: both', { Deployment: [deploy('web', spec([web({ readinessProbe: http('/h', 8080), livenessProbe: http('/h', 8080, { initialDelaySeconds: 90 }) })]))] },
      ['warning Deployment/web[web] identical', 'info Deployment/web[web] slow-start']],
  ])('%s', async (_, objects, want) => {
    expect((await run(objects)).findings.map(brief)).toEqual(want);
  });

  it('never prints the arguments of an exec probe: they can hold a password', async () => {
    const redis = (extra: Partial<V1Probe> = {}): V1Probe => ({ exec: { command: ['redis-cli', '-a', 'S3cr3t-redis', 'ping'] }, ...extra } as V1Probe);
    const mysql: V1Probe = { exec: { command: ['sh', '-c', 'mysqladmin -uroot -pS3cr3t-mysql ping'] }, initialDelaySeconds: 120 };
    const { findings } = await run({ Deployment: [
      deploy('cache', spec([web({ name: 'redis', readinessProbe: redis(), livenessProbe: redis({ initialDelaySeconds: 90 }) })])),
      deploy('db', spec([web({ name: 'mysql', readinessProbe: tcp(8080), livenessProbe: mysql })])),
    ] });
    expect(findings.map(brief)).toEqual(['warning Deployment/cache[redis] identical', 'info Deployment/cache[redis] slow-start', 'info Deployment/db[mysql] slow-start']);
    const all = JSON.stringify(findings);
    expect(all).not.toContain('S3cr3t');
    expect(findings[0]!.evidence!.check).toBe('exec redis-cli …');
    expect(findings[0]!.message).toContain('(exec redis-cli …, failureThreshold 3)');
    expect(findings[1]!.remediation.steps![0]).toContain('startupProbe: {exec: {command: <the livenessProbe\'s command: redis-cli …>}, periodSeconds: 10, failureThreshold: 12}');
    expect(findings[2]!.remediation.steps![0]).toContain('<the livenessProbe\'s command: sh …>');
  });

  it('names an exec probe without arguments as its program alone', async () => {
    const { findings } = await run({ Deployment: [deploy('db', spec([web({ readinessProbe: { exec: { command: ['/bin/ready'] } }, livenessProbe: { exec: { command: ['/bin/ready'] } } })]))] });
    expect(findings[0]!.evidence!.check).toBe('exec /bin/ready');
  });

  it('different paths on the same port are not identical; different HTTP schemes are not identical', async () => {
    const { findings } = await run({ Deployment: [
      deploy('a', spec([web({ readinessProbe: http('/ready', 8080), livenessProbe: http('/live', 8080) })])),
      deploy('b', spec([web({ readinessProbe: { httpGet: { path: '/h', port: 8080, scheme: 'HTTPS' } }, livenessProbe: http('/h', 8080) })])),
    ] });
    expect(findings).toEqual([]);
  });

  it('info findings alone leave the check passing', async () => {
    const { result, findings } = await run({ Deployment: [deploy('web', spec([probed({ livenessProbe: tcp('http', { initialDelaySeconds: 90, periodSeconds: 10, failureThreshold: 3 }) })]))] });
    expect(result.status).toBe('pass');
    expect(findings[0]!.evidence).toMatchObject({ initialDelaySeconds: 90, periodSeconds: 10, failureThreshold: 3, startBudgetSeconds: 120 });
    expect(findings[0]!.remediation.steps![0]).toBe('Add to container "web": startupProbe: {tcpSocket: {port: http}, periodSeconds: 10, failureThreshold: 12} — a 120 s start budget (the liveness settings allow 120 s today). Size failureThreshold × periodSeconds to the slowest start you have seen, with margin.');
  });

  it('suggests a gRPC readiness probe for a gRPC port', async () => {
    const { findings } = await run({ Service: [svc('rpc', LABELS, 'grpc')], Deployment: [deploy('rpc', spec([{ name: 'rpc', image: 'r', ports: [{ name: 'grpc', containerPort: 50051 }], livenessProbe: tcp(50051) }]))] });
    expect(findings.map(brief)).toEqual(['warning Deployment/rpc[rpc] readiness']);
    expect(findings[0]!.remediation.steps![0]).toContain('readinessProbe: {grpc: {port: 50051}, periodSeconds: 5, failureThreshold: 3}');
  });

  it('says how to roll out per workload kind: bare Pod and ReplicaSet', async () => {
    const { findings } = await run({ Pod: [pod('echo', spec([web()]))], ReplicaSet: [rs('legacy', spec([web()]))] });
    const steps = findings.flatMap((f) => f.remediation.steps ?? []);
    expect(steps).toContain('Probes cannot be changed on a running Pod: recreate shop/echo from its manifest with the probe (kubectl -n shop get pod echo -o yaml, edit, kubectl replace --force -f), or run it as a Deployment.');
    expect(steps).toContain('kubectl -n shop edit replicaset/legacy changes only pods created afterwards: delete its pods one at a time to pick it up — or move it to a Deployment, which rolls template changes out.');
  });

  it('reads the template from the pods when the controller list is forbidden, once per workload', async () => {
    const dsOwner = [owner('DaemonSet', 'agent')];
    const { result, findings } = await run(
      { Pod: [pod('agent-a', spec([web()]), { owners: dsOwner }), pod('agent-b', spec([web()]), { owners: dsOwner })] },
      { unavailable: { DaemonSet: 'forbidden' } },
    );
    expect(result.status).toBe('fail');
    expect(findings.map(brief)).toEqual(['warning DaemonSet/agent[web] liveness']);
  });

  it('pods of a Deployment are not evaluated again (its template was)', async () => {
    const { findings } = await run({
      Service: [svc('web', LABELS)], Deployment: [deploy('web', spec([web()]))], ReplicaSet: [rs('web-5d8f', spec([web()]), [owner('Deployment', 'web')])],
      Pod: [pod('web-5d8f-a', spec([web()]), { owners: [owner('ReplicaSet', 'web-5d8f')] })],
    });
    expect(findings.map(brief)).toEqual(['warning Deployment/web[web] readiness', 'warning Deployment/web[web] liveness']);
  });

  it('is skipped without Services (readiness cannot be judged)', async () => {
    const { result } = await run({}, { unavailable: { Service: 'forbidden' } });
    expect([result.status, result.reason]).toEqual(['skip', 'forbidden: services']);
  });
});

describe('missing-probes: a TCP check on an HTTP port (seed 004: use an L7 check)', () => {
  it('warns when liveness and readiness only open TCP connections to a port named http', async () => {
    const { findings } = await run({
      Service: [svc('web', LABELS)],
      Deployment: [deploy('web', spec([web({ readinessProbe: tcp('http', { failureThreshold: 1 }), livenessProbe: tcp(8080, { failureThreshold: 5 }) })]))],
    });
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['tcpLivenessOnHttp', 'warning']]);
    const f = findings[0]!;
    expect(f.message).toBe('Container web of Deployment shop/web checks its HTTP port 8080 only at the TCP level (liveness TCP :8080, readiness TCP :8080): the kernel completes the handshake ' +
      'from the listen queue even when the server no longer answers requests, so a hung process is never restarted and keeps getting traffic from Service web (the port is named "http")');
    expect(f.remediation.steps![0]).toMatch(/^Change its livenessProbe to \{httpGet: \{path: \/healthz, port: 8080\}/);
    expect(f.evidence).toMatchObject({ httpPort: 8080, httpBecause: 'the port is named "http"' });
  });

  it('knows an HTTP port from an HTTP startupProbe on it', async () => {
    const c = { name: 'api', image: 'a', ports: [{ name: 'main', containerPort: 9000 }], startupProbe: http('/started', 'main'), readinessProbe: { exec: { command: ['check'] } }, livenessProbe: tcp('main') } as V1Container;
    const { findings } = await run({ Deployment: [deploy('api', spec([c]))] });
    expect(findings.map((f) => [f.rule, f.evidence!.httpBecause])).toEqual([['tcpLivenessOnHttp', 'the startupProbe sends it HTTP requests']]);
  });

  it.each<[string, V1Container]>([
    ['HTTP readiness watches the app (TCP liveness is accepted practice)', web({ readinessProbe: http('/ready', 'http'), livenessProbe: tcp('http') })],
    ['a port not known to speak HTTP (a database)', { name: 'db', image: 'postgres:16', ports: [{ name: 'postgres', containerPort: 5432 }], readinessProbe: { exec: { command: ['pg_isready'] } }, livenessProbe: tcp(5432) }],
    ['a gRPC readiness probe', web({ readinessProbe: { grpc: { port: 8080 } } as V1Probe, livenessProbe: tcp('http') })],
  ])('not for %s', async (_label, c) => {
    expect((await run({ Deployment: [deploy('web', spec([c]))] })).findings).toEqual([]);
  });
});

describe('missing-probes: crash-looping containers and liveness events', () => {
  const rsOwner = [owner('ReplicaSet', 'web-5d8f')];
  const crashStatus = (name = 'web', waiting = true): V1Pod['status'] => ({
    phase: 'Running',
    containerStatuses: [{
      name, image: 'web:1', imageID: '', ready: false, restartCount: 7,
      state: waiting ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: { startedAt: ago(2) as unknown as Date } },
      lastState: { terminated: { exitCode: 143, reason: 'Error', finishedAt: ago(5) as unknown as Date } },
    }],
  });
  const ev = (podName: string, reason: string, message: string, count: number, container = 'web', minutesAgo = 4): CoreV1Event => ({
    metadata: { name: `${podName}.${reason}.${count}`, namespace: NS },
    involvedObject: { kind: 'Pod', namespace: NS, name: podName, fieldPath: `spec.containers{${container}}` },
    reason, message, count, lastTimestamp: ago(minutesAgo) as unknown as Date,
  });
  const liveFail = 'Liveness probe failed: Get "http://10.244.1.9:8080/health": context deadline exceeded';
  const base = (containers: V1Container[], status: V1Pod['status'], events: CoreV1Event[]): ObjectsByKind => ({
    Service: [svc('web', LABELS)],
    Deployment: [deploy('web', spec(containers))],
    ReplicaSet: [rs('web-5d8f', spec(containers), [owner('Deployment', 'web')])],
    Pod: [pod('web-5d8f-a', spec(containers), { owners: rsOwner, status })],
    Event: events,
  });
  const identical = [web({ readinessProbe: http('/health', 8080), livenessProbe: http('/health', 8080) })];

  it('attaches liveness events to the identical-probe finding', async () => {
    const { findings } = await run(base(identical, crashStatus(), [
      ev('web-5d8f-a', 'Unhealthy', liveFail, 21), ev('web-5d8f-a', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 30),
      ev('web-5d8f-a', 'Killing', 'Container web failed liveness probe, will be restarted', 7),
    ]));
    expect(findings.map(brief)).toEqual(['warning Deployment/web[web] identical']);
    expect(findings[0]!.evidence!.livenessFailures).toEqual({
      pods: [{ pod: 'web-5d8f-a', restartCount: 7, state: 'CrashLoopBackOff', lastTermination: { reason: 'Error', exitCode: 143, finishedAt: ago(5) } }],
      crashLoopingPods: 1, unhealthyEvents: 21, killedByLiveness: 7, lastSeen: ago(4).replace('.000Z', 'Z'), lastMessage: liveFail,
    });
    expect(findings[0]!.message).toMatch(/; liveness failures are restarting it now \(1 pod crash-looping\)$/);
  });

  it('reports the restarts on their own when the probes are otherwise fine', async () => {
    const { findings } = await run(base([probed()], crashStatus(), [ev('web-5d8f-a', 'Unhealthy', liveFail, 9)]));
    expect(findings.map(brief)).toEqual(['warning Deployment/web[web] liveness-restarts']);
    expect(findings[0]!.target).toEqual({ kind: 'Deployment', name: 'web', namespace: NS, container: 'web' });
    expect(findings[0]!.evidence).toMatchObject({ liveness: 'TCP :8080', livenessFailures: { unhealthyEvents: 9, crashLoopingPods: 1 } });
    expect(findings[0]!.remediation.steps![0]).toBe('kubectl -n shop describe pod web-5d8f-a — the Unhealthy events show what the probe got; kubectl -n shop logs web-5d8f-a -c web --previous — what the container was doing when it was killed.');
  });

  it('names an exec liveness probe of a crash-looping container without its arguments', async () => {
    const container = probed({ livenessProbe: { exec: { command: ['redis-cli', '-a', 'S3cr3t-redis', 'ping'] } } });
    const { findings } = await run(base([container], crashStatus(), [ev('web-5d8f-a', 'Unhealthy', 'Liveness probe failed: Could not connect to Redis at 127.0.0.1:6379: Connection refused', 9)]));
    expect(findings.map(brief)).toEqual(['warning Deployment/web[web] liveness-restarts']);
    expect(findings[0]!.evidence!.liveness).toBe('exec redis-cli …');
    expect(JSON.stringify(findings)).not.toContain('S3cr3t');
  });

  it('reads events.k8s.io series the same way as every check: the series count and its last observation', async () => {
    const series = { ...ev('web-5d8f-a', 'Unhealthy', liveFail, 1, 'web', 30), series: { count: 6, lastObservedTime: ago(2) as unknown as Date } };
    const { findings } = await run(base([probed()], crashStatus(), [series]));
    expect(findings[0]!.evidence!.livenessFailures).toMatchObject({ unhealthyEvents: 6, lastSeen: ago(2).replace('.000Z', 'Z') });
  });

  it('leaves lastSeen out when the events carry no time', async () => {
    const timeless: CoreV1Event = { ...ev('web-5d8f-a', 'Unhealthy', liveFail, 3), lastTimestamp: undefined };
    const { findings } = await run(base([probed()], crashStatus(), [timeless]));
    expect(findings.map(brief)).toEqual(['warning Deployment/web[web] liveness-restarts']);
    const failures = findings[0]!.evidence!.livenessFailures as Record<string, unknown>;
    expect(failures).toMatchObject({ unhealthyEvents: 3, lastMessage: liveFail });
    expect('lastSeen' in failures).toBe(false);
    expect(JSON.stringify(findings)).not.toContain('1970');
  });

  it('counts a container with many recent restarts that is running again', async () => {
    const { findings } = await run(base([probed()], crashStatus('web', false), [ev('web-5d8f-a', 'Unhealthy', liveFail, 4)]));
    expect(findings.map(brief)).toEqual(['warning Deployment/web[web] liveness-restarts']);
  });

  it('ignores a crash-looping mesh proxy, whatever its events say', async () => {
    const proxy: V1Container = { name: 'istio-proxy', image: 'proxyv2', livenessProbe: http('/healthz/ready', 15021) };
    const { findings } = await run(base([probed(), proxy], crashStatus('istio-proxy'), [ev('web-5d8f-a', 'Unhealthy', liveFail, 12, 'istio-proxy')]));
    expect(findings).toEqual([]);
  });

  it.each<[string, V1Pod['status'], CoreV1Event[]]>([
    ['crash loop without events (an app crash, not a probe)', crashStatus(), []],
    ['only readiness failures', crashStatus(), [ev('web-5d8f-a', 'Unhealthy', 'Readiness probe failed: connection refused', 12)]],
    ['liveness failures of another container', crashStatus(), [ev('web-5d8f-a', 'Unhealthy', liveFail, 12, 'sidecar')]],
    ['liveness failures on a healthy pod', { phase: 'Running', containerStatuses: [{ name: 'web', image: 'w', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] }, [ev('web-5d8f-a', 'Unhealthy', liveFail, 2)]],
  ])('no restart finding: %s', async (_, status, events) => {
    expect((await run(base([probed()], status, events))).findings).toEqual([]);
  });
});

describe('missing-probes over the demo cluster', () => {
  it('flags exactly the demo\'s problem workloads and none of the healthy ones', async () => {
    const { result, findings } = await runCheck(check, { objects: loadDemoObjects(), now: demoNow() });
    expect(result.status).toBe('fail');
    expect(findings.map((f) => `${brief(f)} ${f.target.namespace}`)).toEqual([
      'info Deployment/coredns[coredns] slow-start kube-system',
      'info Deployment/grafana[grafana] slow-start observability',
      'warning Deployment/cart[cart] readiness shop',
      'warning Deployment/cart[cart] liveness shop',
      'warning Deployment/catalog[catalog] identical shop',
      'info Deployment/catalog[catalog] slow-start shop',
      'warning Deployment/wishlist[wishlist] tcp-on-http shop',
      'warning ReplicaSet/legacy-api[legacy-api] readiness default',
      'warning Pod/echo-server[echo] liveness default',
    ]);
    const catalog = findings.find((f) => rule(f) === 'identical')!;
    expect(catalog.evidence).toMatchObject({
      check: 'HTTP GET :8080/actuator/health',
      livenessFailures: { crashLoopingPods: 1, unhealthyEvents: 21, killedByLiveness: 7, pods: [{ restartCount: 7, state: 'CrashLoopBackOff' }] },
    });
    const grafana = findings.find((f) => f.target.name === 'grafana')!;
    expect(grafana.evidence).toMatchObject({ initialDelaySeconds: 60, startBudgetSeconds: 160 });
    const flagged = new Set(findings.map((f) => f.target.name));
    for (const healthy of ['frontend', 'recommendations', 'payments-api', 'payments-worker', 'payments-db', 'node-exporter', 'log-collector',
      'kube-proxy', 'kube-flannel-ds', 'debug-shell', 'reindex-catalog', 'nightly-report', 'etcd-demo-control-plane']) {
      expect([healthy, flagged.has(healthy)]).toEqual([healthy, false]);
    }
  });
});

describe('missing-probes: settings', () => {
  it('slowStartDelaySeconds moves the line for a liveness delay without a startupProbe', async () => {
    const objects = { Deployment: [deploy('web', spec([probed({ livenessProbe: tcp('http', { initialDelaySeconds: 45 }) })]))] };
    expect((await run(objects)).findings.map(brief)).toEqual([]);
    const strict = await runCheck(check, { objects, now: NOW, options: { slowStartDelaySeconds: 30 } });
    expect(strict.findings.map(brief)).toEqual(['info Deployment/web[web] slow-start']);
  });
});
