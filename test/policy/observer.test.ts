// The engine's RunObserver tap: sees what is listed for the checks, lists `listAlways` kinds for
// itself, and a failure of such a list is reported to it, not as a gap of the run.
import { describe, expect, it } from '@jest/globals';
import { memoryApiSource } from '../../src/engine/memory-source.js';
import { runChecks, type RunObserver } from '../../src/engine/run.js';
import { defineCheck, type ApiKind, type CheckDefinition } from '../../src/engine/types.js';

const podCheck = defineCheck({ id: 'missing-probes', title: 't', severity: 'warning', description: 'd', needs: { api: ['Deployment', 'Pod'] }, rules: {}, create: () => ({}) } as unknown as CheckDefinition);
const objects = {
  Namespace: [{ metadata: { name: 'shop' } }],
  Deployment: [{ metadata: { namespace: 'shop', name: 'cart' } }],
  Pod: [{ metadata: { namespace: 'shop', name: 'cart-1' } }],
  Service: [{ metadata: { namespace: 'shop', name: 'cart' } }],
};

function observer(): RunObserver & { seen: string[]; missing: string[] } {
  const seen: string[] = [];
  const missing: string[] = [];
  return {
    kinds: ['Namespace', 'Deployment', 'Pod', 'Service'] as ApiKind[], listAlways: ['Namespace'], seen, missing,
    see: (kind, obj) => seen.push(`${kind} ${obj.metadata?.name}`),
    unavailable: (kind, reason) => missing.push(`${kind}: ${reason}`),
  };
}

describe('RunObserver', () => {
  it('sees the listed kinds in streaming order, and Namespaces listed for it alone', async () => {
    const o = observer();
    const out = await runChecks({ checks: [podCheck], api: memoryApiSource(objects), scope: {}, settings: { sampleIntervalSeconds: 0 }, observe: o });
    // Services are not listed (no check needs them): the observer sees only what is listed anyway.
    expect(o.seen).toEqual(['Namespace shop', 'Deployment cart', 'Pod cart-1']);
    expect(out.gaps).toEqual([]);
  });

  it('reports a failed list of its own kind to the observer, not as a gap', async () => {
    const o = observer();
    const out = await runChecks({ checks: [podCheck], api: memoryApiSource(objects, { unavailable: { Namespace: 'forbidden' } }), scope: {}, settings: { sampleIntervalSeconds: 0 }, observe: o });
    expect(o.missing).toEqual(['Namespace: forbidden']);
    expect(out.gaps).toEqual([]);
    expect(out.results[0]!.status).toBe('pass');
  });
});
