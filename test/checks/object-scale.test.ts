import { describe, expect, it } from '@jest/globals';
import type { V1ConfigMap, V1Endpoints, V1Lease, V1Node, V1Pod } from '@kubernetes/client-node';
import check from '../../checks/object-scale/index.js';
import fc from 'fast-check';
import { listItemByteLengths } from '../../src/kube/object-size.js';
import { runCheck, type CheckCase } from '../../src/check.js';

const MiB = 1024 * 1024;
const node = (name: string): V1Node => ({ metadata: { name } });
const lease = (name: string): V1Lease => ({ metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name } });
const pod = (ns: string, i: number): V1Pod => ({ metadata: { name: `p-${i}`, namespace: ns } });
/** A ConfigMap whose JSON is `bytes` long (multi-byte characters count as bytes, as on the wire). */
function configMap(name: string, bytes: number, char = 'x'): V1ConfigMap {
  const base = { metadata: { name, namespace: 'shop' }, data: { blob: '' } };
  const overhead = Buffer.byteLength(JSON.stringify(base));
  const per = Buffer.byteLength(char);
  base.data.blob = char.repeat(Math.floor((bytes - overhead) / per));
  return base;
}
const base = { Node: [node('n1')], Namespace: [{ metadata: { name: 'shop' } }], Service: [], Pod: [] };

describe('object-scale', () => {
  it('warns above 1 MiB and is critical above 1.3 MiB, measured in bytes (UTF-8), silent below', async () => {
    const { result, findings } = await runCheck(check, {
      objects: { ...base, ConfigMap: [configMap('small', 900 * 1024), configMap('big', 1.1 * MiB), configMap('huge', 1.35 * MiB, 'é')] },
    });
    expect(result.status).toBe('fail');
    const sizes = findings.filter((f) => f.rule === 'objectNearSizeLimit');
    expect(sizes.map((f) => [f.target.name, f.severity])).toEqual([['big', 'warning'], ['huge', 'critical']]);
    expect(sizes[1]!.evidence).toMatchObject({ limitBytes: 1.5 * MiB });
    expect((sizes[1]!.evidence as { bytes: number }).bytes).toBeGreaterThan(1.3 * MiB);
    expect(sizes[1]!.remediation.summary).toContain('move the blob out of the ConfigMap');
  });

  it('counts pods per namespace against the 3000 threshold', async () => {
    const pods = [...Array.from({ length: 3001 }, (_, i) => pod('crowded', i)), ...Array.from({ length: 3000 }, (_, i) => pod('full', i))];
    const { findings } = await runCheck(check, { objects: { ...base, Pod: pods } });
    const counts = findings.filter((f) => f.rule === 'beyondScalabilityThreshold');
    expect(counts).toHaveLength(1);
    expect(counts[0]).toMatchObject({ severity: 'warning', target: { kind: 'Namespace', name: 'crowded' }, evidence: { count: 3001, threshold: 3000 } });
  });

  it('reports Endpoints truncated at 1000 addresses, not ordinary ones', async () => {
    const ep = (name: string, annotation?: string): V1Endpoints => ({
      metadata: { name, namespace: 'shop', ...(annotation ? { annotations: { 'endpoints.kubernetes.io/over-capacity': annotation } } : {}) },
      subsets: [{ addresses: Array.from({ length: annotation ? 1000 : 3 }, (_, i) => ({ ip: `10.0.${i >> 8}.${i & 255}` })) }],
    });
    const { findings } = await runCheck(check, { objects: { ...base, Endpoints: [ep('web', 'truncated'), ep('api')] } });
    expect(findings.map((f) => f.rule)).toEqual(['endpointsOverCapacity']);
    expect(findings[0]).toMatchObject({ target: { kind: 'Service', namespace: 'shop', name: 'web' }, evidence: { addressesInEndpoints: 1000 } });
  });

  it('names nodes without a Lease; no Lease at all (unreadable) is not a finding', async () => {
    const nodes = [node('n1'), node('n2'), node('n3')];
    const some = await runCheck(check, { objects: { ...base, Node: nodes, Lease: [lease('n1'), lease('n3')] } });
    expect(some.findings.map((f) => [f.rule, f.target.name])).toEqual([['nodeWithoutLease', 'n2']]);
    const none = await runCheck(check, { objects: { ...base, Node: nodes }, unavailable: { Lease: 'forbidden' } });
    expect(none.findings).toEqual([]);
    expect(none.result.status).toBe('pass');
  });

  it('takes cluster counts from the object-count metric (renamed across releases), ignores −1, flags an event flood', async () => {
    const old = '# TYPE etcd_object_counts gauge\netcd_object_counts{resource="events"} 250000\netcd_object_counts{resource="pods"} 12\n';
    const current = '# TYPE apiserver_storage_objects gauge\napiserver_storage_objects{resource="events"} 150001\napiserver_storage_objects{resource="pods"} -1\n';
    const newest = '# TYPE apiserver_resource_objects gauge\napiserver_resource_objects{group="",resource="pods"} 150001\napiserver_resource_objects{group="events.k8s.io",resource="events"} 120000\n' + current;
    for (const [text, events, pods] of [[old, 250000, false], [current, 150001, false], [newest, 120000, true]] as const) {
      const { findings } = await runCheck(check, { objects: base, metrics: [text] });
      expect(findings.find((f) => f.rule === 'eventFlood')?.evidence).toMatchObject({ events });
      expect(findings.some((f) => f.rule === 'beyondScalabilityThreshold' && (f.evidence as { resource: string }).resource === 'pods')).toBe(pods);
    }
  });

  it('still runs from the lists when /metrics is forbidden', async () => {
    const { result, findings } = await runCheck(check, { objects: base, metrics: 'forbidden' });
    expect(result.status).toBe('pass');
    expect(findings).toEqual([]);
  });

  describe('settings move the lines', () => {
    const found = async (objects: CheckCase['objects'], options: Record<string, number> = {}, metrics?: string[]) =>
      (await runCheck(check, { objects: { ...base, ...objects }, options, ...(metrics ? { metrics } : {}) })).findings
        .map((f) => [f.rule, f.severity, f.target.name]);

    it('sizeWarningMiB, sizeCriticalMiB', async () => {
      const objects = { ConfigMap: [configMap('mid', 0.8 * MiB), configMap('big', 1.2 * MiB)] };
      expect(await found(objects)).toEqual([['objectNearSizeLimit', 'warning', 'big']]);
      expect(await found(objects, { sizeWarningMiB: 0.75 })).toEqual([['objectNearSizeLimit', 'warning', 'mid'], ['objectNearSizeLimit', 'warning', 'big']]);
      expect(await found(objects, { sizeCriticalMiB: 1.1 })).toEqual([['objectNearSizeLimit', 'critical', 'big']]);
      // A critical line below the warning one still reports what is above it.
      expect(await found(objects, { sizeCriticalMiB: 0.75 })).toEqual([['objectNearSizeLimit', 'critical', 'mid'], ['objectNearSizeLimit', 'critical', 'big']]);
      const lowered = await runCheck(check, { objects: { ...base, ...objects }, options: { sizeWarningMiB: 0.75 } });
      expect(lowered.findings[0]!.expected).toBe('< 0.75 MiB');
    });

    it('maxPodsPerNamespace, maxServicesPerNamespace', async () => {
      const objects = { Pod: Array.from({ length: 30 }, (_, i) => pod('shop', i)), Service: Array.from({ length: 20 }, (_, i) => ({ metadata: { name: `s-${i}`, namespace: 'shop' } })) };
      expect(await found(objects)).toEqual([]);
      expect(await found(objects, { maxPodsPerNamespace: 29 })).toEqual([['beyondScalabilityThreshold', 'warning', 'shop']]);
      expect(await found(objects, { maxServicesPerNamespace: 19 })).toEqual([['beyondScalabilityThreshold', 'warning', 'shop']]);
      const { findings } = await runCheck(check, { objects: { ...base, ...objects }, options: { maxPodsPerNamespace: 29 } });
      expect(findings[0]!.message).toContain('namespace shop has 30 pods, beyond the 29 set for this check (per namespace; SIG-scalability tests 3000)');
    });

    it('maxNodes, maxPods, maxNamespaces, maxServices', async () => {
      const objects = {
        Node: [node('n1'), node('n2'), node('n3')],
        Namespace: [{ metadata: { name: 'shop' } }, { metadata: { name: 'web' } }],
        Pod: [pod('shop', 1), pod('web', 1)],
        Service: [{ metadata: { name: 's', namespace: 'shop' } }, { metadata: { name: 's', namespace: 'web' } }],
      };
      expect(await found(objects)).toEqual([]);
      for (const [setting, resource] of [['maxNodes', 'nodes'], ['maxPods', 'pods'], ['maxNamespaces', 'namespaces'], ['maxServices', 'services']] as const) {
        const { findings } = await runCheck(check, { objects: { ...base, ...objects }, options: { [setting]: 1 } });
        expect(findings.map((f) => [f.rule, f.target.kind, (f.evidence as { resource: string }).resource])).toEqual([['beyondScalabilityThreshold', 'Cluster', resource]]);
      }
    });

    it('maxEvents', async () => {
      const metrics = ['# TYPE apiserver_storage_objects gauge\napiserver_storage_objects{resource="events"} 5000\n'];
      expect(await found({}, {}, metrics)).toEqual([]);
      expect(await found({}, { maxEvents: 4000 }, metrics)).toEqual([['eventFlood', 'warning', 'cluster']]);
    });
  });
});

describe('listItemByteLengths', () => {
  it('finds each item of a list body, whatever strings, escapes and nesting they hold', () => {
    const items = [{ a: 'x"}]{[', b: [1, { c: '\\' }] }, { metadata: { name: 'é✓😀' } }, {}];
    const body = `{"kind":"List","metadata":{"items":"decoy"},"items":[${items.map((i) => JSON.stringify(i)).join(',')}],"other":[{"x":1}]}`;
    expect(listItemByteLengths(Buffer.from(body))).toEqual(items.map((i) => Buffer.byteLength(JSON.stringify(i))));
    expect(listItemByteLengths(Buffer.from('{"items":[]}'))).toEqual([]);
    expect(listItemByteLengths(Buffer.from('{"items":[{}'))).toBeUndefined();
  });

  it('agrees with the bytes of each object for random JSON (escapes, quotes, backslashes, any text), and a cut body is undefined', () => {
    const text = fc.string({ unit: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', 'a', 'é', '😀', '\n', '\u0000') });
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(text, tie('v'), { maxKeys: 3 })),
    })).v;
    fc.assert(fc.property(fc.array(fc.dictionary(text, value, { maxKeys: 4 }), { maxLength: 6 }), fc.nat(), (items, cut) => {
      const body = Buffer.from(`{"kind":"List","metadata":{"continue":"x\\\"]"},"items":[${items.map((i) => JSON.stringify(i)).join(',')}]}`);
      expect(listItemByteLengths(body)).toEqual(items.map((i) => Buffer.byteLength(JSON.stringify(i))));
      expect(listItemByteLengths(body.subarray(0, 1 + (cut % (body.length - 1))))).toBeUndefined();
    }), { seed: Number(process.env.FUZZ_SEED ?? 20261206), numRuns: 300 });
  });
});
