import { describe, expect, it } from '@jest/globals';
import { namespaceMeshes, runsMeshSidecar, type Mesh } from '../../src/kube/mesh.js';

type Pod = Parameters<typeof runsMeshSidecar>[0];
const app = { name: 'web' };
const pod = (o: { containers?: { name: string }[]; init?: { name: string; restartPolicy?: string }[]; annotations?: Record<string, string>; labels?: Record<string, string> } = {}): Pod => ({
  metadata: { annotations: o.annotations, labels: o.labels },
  spec: { containers: o.containers ?? [app], initContainers: o.init },
});

describe('runsMeshSidecar', () => {
  it.each<[string, Pod, Mesh[], boolean]>([
    ['a plain pod', pod(), [], false],
    ['an istio-proxy container', pod({ containers: [app, { name: 'istio-proxy' }] }), [], true],
    ['a linkerd-proxy container', pod({ containers: [app, { name: 'linkerd-proxy' }] }), [], true],
    ['istio-proxy as a native sidecar', pod({ init: [{ name: 'istio-proxy', restartPolicy: 'Always' }] }), [], true],
    ['an init container that runs to completion is no proxy', pod({ init: [{ name: 'istio-proxy' }] }), [], false],
    ['istio-init alone (the iptables setup, not the proxy)', pod({ init: [{ name: 'istio-init' }] }), [], false],
    ['annotation sidecar.istio.io/inject: "true"', pod({ annotations: { 'sidecar.istio.io/inject': 'true' } }), [], true],
    ['label sidecar.istio.io/inject: "true"', pod({ labels: { 'sidecar.istio.io/inject': 'true' } }), [], true],
    ['annotation linkerd.io/inject: enabled', pod({ annotations: { 'linkerd.io/inject': 'enabled' } }), [], true],
    ['linkerd.io/inject: ingress (ingress mode still injects the proxy)', pod({ annotations: { 'linkerd.io/inject': 'ingress' } }), [], true],
    ['an injecting Istio namespace', pod(), ['istio'], true],
    ['an injecting Linkerd namespace', pod(), ['linkerd'], true],
    ['Istio namespace, pod opts out', pod({ annotations: { 'sidecar.istio.io/inject': 'false' } }), ['istio'], false],
    ['Istio namespace, pod opts out by label', pod({ labels: { 'sidecar.istio.io/inject': 'false' } }), ['istio'], false],
    ['Linkerd namespace, pod opts out', pod({ annotations: { 'linkerd.io/inject': 'disabled' } }), ['linkerd'], false],
    ['an Istio opt-out does not stop Linkerd', pod({ annotations: { 'sidecar.istio.io/inject': 'false' } }), ['linkerd'], true],
    ['an opt-out does not remove a proxy already in the spec', pod({ containers: [app, { name: 'istio-proxy' }], annotations: { 'sidecar.istio.io/inject': 'false' } }), [], true],
    ['ambient mode has no sidecar', pod({ labels: { 'istio.io/dataplane-mode': 'ambient' } }), [], false],
  ])('%s → %s', (_, p, ns, want) => {
    expect(runsMeshSidecar(p, ns)).toBe(want);
  });
});

describe('namespaceMeshes', () => {
  it.each<[string, Parameters<typeof namespaceMeshes>[0], Mesh[]]>([
    ['istio-injection=enabled', { labels: { 'istio-injection': 'enabled' } }, ['istio']],
    ['a revision label', { labels: { 'istio.io/rev': 'canary' } }, ['istio']],
    ['istio-injection=disabled wins over a revision label', { labels: { 'istio-injection': 'disabled', 'istio.io/rev': 'canary' } }, []],
    ['linkerd.io/inject: enabled annotation', { annotations: { 'linkerd.io/inject': 'enabled' } }, ['linkerd']],
    ['a linkerd.io/inject label is not read (Linkerd reads the namespace annotation)', { labels: { 'linkerd.io/inject': 'enabled' } }, []],
    ['both', { labels: { 'istio-injection': 'enabled' }, annotations: { 'linkerd.io/inject': 'enabled' } }, ['istio', 'linkerd']],
    ['nothing', undefined, []],
  ])('%s', (_, meta, want) => {
    expect(namespaceMeshes(meta)).toEqual(want);
  });
});
