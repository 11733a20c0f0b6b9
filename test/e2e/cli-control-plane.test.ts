// The API-side control-plane checks end to end: the built CLI against the test API server serving
// APIServices, a ConfigMap near etcd's size limit, and /metrics in the real exposition format whose
// counters move between the two scrapes. Also: the run records the scrapes in a snapshot and a replay
// judges the same; /metrics forbidden skips only apiserver-health; real kubectl reads the same server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { Exposition, REQUEST_BUCKETS } from '../support/exposition.js';
import { describeReal } from '../support/real.js';
import type { KubeObject } from '../../src/kube/resources.js';
import type { Report } from '../../src/report/model.js';

const MiB = 1024 * 1024;
const CHECKS = 'apiservice-availability,object-scale,apiserver-health';
const created = '2026-10-01T00:00:00Z';

const apiService = (name: string, svc?: [string, string], available: [string, string, string] = ['True', 'Passed', 'all checks passed']): KubeObject => ({
  metadata: { name, uid: `uid-${name}`, creationTimestamp: created },
  spec: { group: name.split('.').slice(1).join('.'), version: name.split('.')[0], groupPriorityMinimum: 100, versionPriority: 100, ...(svc ? { service: { namespace: svc[0], name: svc[1], port: 443 } } : {}) },
  status: { conditions: [{ type: 'Available', status: available[0], reason: available[1], message: available[2], lastTransitionTime: '2026-11-25T09:00:00Z' }] },
} as unknown as KubeObject);
const service = (namespace: string, name: string): KubeObject => ({ metadata: { namespace, name, uid: `uid-svc-${name}`, creationTimestamp: created }, spec: { ports: [{ name: 'https', port: 443 }] } } as unknown as KubeObject);
const slice = (namespace: string, svc: string, ready: boolean[]): KubeObject => ({
  metadata: { namespace, name: `${svc}-x1`, labels: { 'kubernetes.io/service-name': svc }, uid: `uid-es-${svc}`, creationTimestamp: created },
  addressType: 'IPv4', endpoints: ready.map((r, i) => ({ addresses: [`10.244.1.${i + 2}`], conditions: { ready: r } })),
} as unknown as KubeObject);
// Dashboards JSON with non-ASCII text: sizes are bytes on the wire, not characters.
const configMap = (name: string, bytes: number): KubeObject => ({
  metadata: { namespace: 'observability', name, uid: `uid-cm-${name}`, creationTimestamp: created },
  data: { 'dashboards.json': `{"title":"Überblick ✓","panels":"${'é'.repeat(Math.floor(bytes / 2))}"}` },
} as unknown as KubeObject);
const node = (name: string): KubeObject => ({ metadata: { name, uid: `uid-${name}`, creationTimestamp: created } } as unknown as KubeObject);
const lease = (name: string): KubeObject => ({ metadata: { namespace: 'kube-node-lease', name, uid: `uid-lease-${name}`, creationTimestamp: created }, spec: { holderIdentity: name } } as unknown as KubeObject);

function scrape(i: number): string {
  const e = new Exposition().gauge('kubernetes_build_info', { git_version: 'v1.32.4', major: '1', minor: '32' }, 1);
  const buckets = REQUEST_BUCKETS.map((le) => (le === 0.025 ? 100 + 50 * i : 0));
  e.histogram('apiserver_request_duration_seconds', { verb: 'GET', scope: 'resource', group: '', resource: 'pods', subresource: '', component: 'apiserver', dry_run: '', version: 'v1' }, REQUEST_BUCKETS, buckets, 1);
  e.counter('apiserver_request_total', { code: '200', resource: 'pods', verb: 'GET', component: 'apiserver' }, 100 + 50 * i);
  e.counter('apiserver_flowcontrol_rejected_requests_total', { flow_schema: 'system-nodes', priority_level: 'node-high', reason: 'queue-full' }, 3 + 9 * i);
  e.gauge('apiserver_current_inflight_requests', { request_kind: 'readOnly' }, 12);
  e.gauge('apiserver_current_inflight_requests', { request_kind: 'mutating' }, 2);
  e.counter('apiserver_storage_list_fetched_objects_total', { resource: 'pods' }, 1_000_000 + 150_000 * i);
  e.counter('apiserver_storage_list_returned_objects_total', { resource: 'pods' }, 5_000 + 40 * i);
  e.gauge('apiserver_storage_objects', { resource: 'pods' }, 3);
  e.gauge('apiserver_storage_objects', { resource: 'events' }, 420);
  return e.text();
}

const objects = {
  Node: [node('cp-1'), node('worker-1')],
  Lease: [lease('cp-1'), lease('worker-1')],
  Namespace: ['default', 'kube-system', 'observability', 'monitoring'].map((n) => ({ metadata: { name: n, uid: `uid-ns-${n}`, creationTimestamp: created } } as unknown as KubeObject)),
  APIService: [
    apiService('v1.apps'),
    apiService('v1beta1.metrics.k8s.io', ['kube-system', 'metrics-server']),
    apiService('v1beta1.custom.metrics.k8s.io', ['monitoring', 'prometheus-adapter'], ['False', 'MissingEndpoints', 'endpoints for service/prometheus-adapter in "monitoring" have no addresses with port name "https"']),
  ],
  Service: [service('default', 'kubernetes'), service('kube-system', 'metrics-server'), service('monitoring', 'prometheus-adapter')],
  EndpointSlice: [slice('kube-system', 'metrics-server', [true]), slice('monitoring', 'prometheus-adapter', [])],
  ConfigMap: [configMap('grafana-dashboards', 1.1 * MiB), configMap('grafana-dashboards-k8s', 0.7 * MiB)],
  Pod: [], Endpoints: [],
};

const json = (s: string) => JSON.parse(s) as Report;
const brief = (r: Report) => r.findings.map((f) => `${f.check} ${f.rule} ${f.severity} ${f.target.kind}/${f.target.namespace ? `${f.target.namespace}/` : ''}${f.target.name}`).sort();

describe('control-plane checks through the built CLI', () => {
  let server: FakeApiServer;
  let tmp: string;
  let kubeconfig: string;
  let live: Report;
  let code: number;

  beforeAll(async () => {
    server = await startFakeApiServer({ objects, tls: true, token: 'cp-e2e', metrics: [scrape(0), scrape(1)] });
    tmp = mkdtempSync(join(tmpdir(), 'checkup-cp-e2e-'));
    kubeconfig = join(tmp, 'kubeconfig');
    server.writeKubeconfig(kubeconfig, { context: 'cp' });
    const r = await runCli(['--kubeconfig', kubeconfig, '--checks', CHECKS, '--no-ssh', '--sample-interval', '1', '--save-snapshot', join(tmp, 'snap'), '-o', 'json']);
    expect(r.stderr.trim()).toMatch(/^snapshot saved to /);
    code = r.code;
    live = json(r.stdout);
  });
  afterAll(async () => {
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('finds the unavailable APIService, the big ConfigMap, the node-high rejections and the wasteful LISTs — nothing on the look-alikes', () => {
    expect(brief(live)).toEqual([
      'apiserver-health apfRejections critical PriorityLevelConfiguration/node-high',
      'apiserver-health listFetchesFarMoreThanReturned warning APIResource/pods',
      'apiservice-availability apiServiceUnavailable critical APIService/v1beta1.custom.metrics.k8s.io',
      'object-scale objectNearSizeLimit warning ConfigMap/observability/grafana-dashboards',
    ]);
    expect(live.checks.map((c) => [c.id, c.status])).toEqual([['apiserver-health', 'fail'], ['apiservice-availability', 'fail'], ['object-scale', 'fail']]);
    expect(code).toBe(1);
  });

  it('measured the ConfigMap from the bytes the server sent', () => {
    const f = live.findings.find((x) => x.rule === 'objectNearSizeLimit')!;
    const { kind: _k, apiVersion: _a, ...item } = objects.ConfigMap[0] as unknown as Record<string, unknown>;
    expect((f.evidence as { bytes: number }).bytes).toBe(Buffer.byteLength(JSON.stringify(item)));
  });

  it('judged the window between two scrapes of /metrics, and only ever read', () => {
    const apf = live.findings.find((x) => x.rule === 'apfRejections')!;
    expect(apf.evidence).toMatchObject({ rejected: 9 });
    expect((apf.evidence as { windowSeconds: number }).windowSeconds).toBeGreaterThanOrEqual(1);
    expect(live.findings.find((x) => x.rule === 'apiServiceUnavailable')!.message).toContain('0 ready and 0 not-ready');
    expect(server.requests.filter((q) => q.path === '/metrics')).toHaveLength(2);
    expect(server.requests.every((q) => q.method === 'GET' && q.authorized)).toBe(true);
  });

  it('replays the saved snapshot (objects and both scrapes) to the same findings', async () => {
    expect(JSON.parse(readFileSync(join(tmp, 'snap', 'metrics', 'apiserver.json'), 'utf8')).scrapes).toHaveLength(2);
    const r = await runCli(['--snapshot', join(tmp, 'snap'), '--checks', CHECKS, '--no-ssh', '-o', 'json']);
    const replay = json(r.stdout);
    expect(brief(replay)).toEqual(brief(live));
    expect(replay.findings.find((x) => x.rule === 'objectNearSizeLimit')!.evidence).toEqual(live.findings.find((x) => x.rule === 'objectNearSizeLimit')!.evidence);
  });

  it('with /metrics forbidden, apiserver-health is skipped with the reason and the rest still judge', async () => {
    const s = await startFakeApiServer({ objects, tls: true, token: 'cp-e2e', metrics: [scrape(0)], forbid: ['/metrics'] });
    try {
      const kc = join(tmp, 'kc-forbidden');
      s.writeKubeconfig(kc);
      const r = json((await runCli(['--kubeconfig', kc, '--checks', CHECKS, '--no-ssh', '-o', 'json'])).stdout);
      expect(r.checks.map((c) => [c.id, c.status, c.reason])).toEqual([
        ['apiserver-health', 'skip', 'API server metrics: forbidden'],
        ['apiservice-availability', 'fail', null],
        ['object-scale', 'fail', null],
      ]);
      expect(r.gaps).toContainEqual({ source: 'api', resource: '/metrics', reason: 'forbidden' });
    } finally {
      await s.close();
    }
  });

  it('explain prints each new check\'s README', async () => {
    for (const id of CHECKS.split(',').concat('etcd-health')) {
      const r = await runCli(['explain', id]);
      expect([id, r.code, r.stdout.includes('## How to fix')]).toEqual([id, 0, true]);
    }
  });
});

describeReal('real kubectl reads the new kinds and /metrics from the test API server', { commands: ['kubectl', 'openssl'] }, () => {
  it('kubectl get apiservices and kubectl get --raw /metrics', async () => {
    const server = await startFakeApiServer({ objects, tls: true, token: 'cp-kubectl', metrics: [scrape(0)] });
    const dir = mkdtempSync(join(tmpdir(), 'checkup-cp-kubectl-'));
    try {
      const kc = join(dir, 'kubeconfig');
      server.writeKubeconfig(kc);
      const kubectl = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile('kubectl', ['--kubeconfig', kc, '--cache-dir', join(dir, 'cache'), ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } },
          (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
      });
      const list = await kubectl('get', 'apiservices');
      expect(list.stderr).toBe('');
      expect(list.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/).slice(0, 3))).toEqual(expect.arrayContaining([
        ['NAME', 'SERVICE', 'AVAILABLE'],
        ['v1.apps', 'Local', 'True'],
        ['v1beta1.custom.metrics.k8s.io', 'monitoring/prometheus-adapter', 'False (MissingEndpoints)'],
      ]));
      const raw = await kubectl('get', '--raw', '/metrics');
      expect(raw.code).toBe(0);
      expect(raw.stdout).toContain('apiserver_flowcontrol_rejected_requests_total{flow_schema="system-nodes",priority_level="node-high",reason="queue-full"} 3');
      const ep = await kubectl('get', 'endpoints', '-A');
      expect(ep.code).toBe(0);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
