// The manifests as an ApiSource: the engine lists kinds from it exactly as from a live cluster or a
// snapshot, so the same visitors and checks run, and a Service and its Deployment from different files
// meet the way they do live. No kubeconfig, no network.
import type { ApiSource, ClusterInfo, ListRequest } from '../engine/source.js';
import { ResourceUnavailable } from '../engine/source.js';
import type { Finding, SourceLocation } from '../engine/types.js';
import { resourceInfo, type ApiKind, type KubeObject } from '../kube/resources.js';
import { parseFieldSelector, parseLabelSelector } from '../kube/selectors.js';
import type { ManifestObject, ManifestProblem } from './parse.js';

const PAGE = 500;
const NO_CLUSTER = 'needs a live cluster';

export class ManifestSource implements ApiSource {
  private readonly byKind = new Map<ApiKind, KubeObject[]>();
  private readonly located = new Map<string, ManifestObject>();
  /** Objects given twice (same kind, namespace and name): the later one wins, as with kubectl apply. */
  readonly duplicates: ManifestProblem[] = [];

  /** `namespace` (-n) is where objects without one would be applied; otherwise `default`, as kubectl. */
  constructor(objects: ManifestObject[], namespace?: string) {
    for (const m of objects) {
      const info = resourceInfo(m.kind);
      const meta = (m.object.metadata ?? {}) as { name: string; namespace?: string };
      const object = info.namespaced && !meta.namespace
        ? { ...m.object, metadata: { ...meta, namespace: namespace ?? 'default' } } as KubeObject
        : m.object;
      const key = objectKey(m.kind, object.metadata?.namespace, meta.name);
      const earlier = this.located.get(key);
      if (earlier) {
        this.duplicates.push({ code: 'manifest-duplicate', file: m.file, line: m.line,
          message: `${m.kind} ${describe(object)} is also in ${earlier.file}:${earlier.line}; this later one is checked` });
        const list = this.byKind.get(m.kind)!;
        list.splice(list.findIndex((o) => o.metadata?.name === meta.name && o.metadata?.namespace === object.metadata?.namespace), 1);
      }
      this.located.set(key, { ...m, object });
      let list = this.byKind.get(m.kind);
      if (!list) this.byKind.set(m.kind, (list = []));
      list.push(object);
    }
  }

  get size(): number {
    return this.located.size;
  }

  async open(): Promise<{ cluster: ClusterInfo; now: Date; identity: string }> {
    // Nothing here comes from a cluster, so there is no server clock to ask: "now" is this machine's.
    // The manifest checks judge specs and do not depend on it. Fingerprints of manifest findings are
    // keyed on "manifests" (DESIGN §2.5), so the same spec problem keeps its fingerprint across files.
    return { cluster: { context: null, server: null, version: null }, now: new Date(), identity: 'manifests' };
  }

  async *list(req: ListRequest): AsyncIterable<KubeObject[]> {
    const labels = req.labelSelector ? parseLabelSelector(req.labelSelector) : () => true;
    const fields = req.fieldSelector ? parseFieldSelector(req.fieldSelector) : () => true;
    const ns = req.info.fixedNamespace ?? req.namespace;
    const all = (this.byKind.get(req.info.kind) ?? [])
      .filter((o) => !(req.info.namespaced && ns) || o.metadata?.namespace === ns)
      .filter((o) => labels(o) && fields(o));
    for (let i = 0; i < all.length; i += PAGE) yield all.slice(i, i + PAGE);
  }

  async getNodeProxy(): Promise<unknown> {
    throw new ResourceUnavailable('nodes/proxy', NO_CLUSTER);
  }

  /** Where a finding's target was read: the container's `name:` line for a container finding, else
   * the object's `kind:` line. A finding on a Deployment points at the Deployment, on a Pod at the Pod. */
  locate(f: Finding): SourceLocation | undefined {
    const t = f.target;
    const m = this.located.get(objectKey(t.kind, t.namespace, t.name));
    if (!m) return undefined;
    const line = (t.container !== undefined ? m.containers.get(t.container) : undefined) ?? m.line;
    return { file: m.file, line, ...(m.source ? { source: m.source } : {}) };
  }
}

function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

function describe(o: KubeObject): string {
  return `${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
}

export { NO_CLUSTER };
