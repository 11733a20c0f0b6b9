// Suppressions written on the objects themselves (DESIGN §2.8): `checkup.k8s.io/ignore` (a comma list
// of `check` or `check/rule`), `checkup.k8s.io/ignore-reason` (required) and optional
// `checkup.k8s.io/ignore-until` on workloads, Pods, Services, Nodes and Namespaces. A Namespace's
// annotation covers everything in it; a workload's covers its pods.
//
// The index watches the objects the engine lists anyway (RunObserver) and keeps only the annotated
// ones as (kind, namespace, name) → entry, plus which pods belong to an annotated workload — never the
// objects themselves.
import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import type { RunObserver } from '../engine/run.js';
import type { ApiKind, Finding, KubeObject } from '../engine/types.js';
import type { ReportWarning } from '../report/model.js';
import { OwnerIndex, controllerOf } from '../kube/owners.js';
import { formatRef, isExpired, parseCheckRef, parseUntil, refMatches, type CheckRef } from './refs.js';

export const IGNORE = 'checkup.k8s.io/ignore';
export const IGNORE_REASON = 'checkup.k8s.io/ignore-reason';
export const IGNORE_UNTIL = 'checkup.k8s.io/ignore-until';

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'] as const;
const OBSERVED: readonly ApiKind[] = ['Node', 'Namespace', 'Service', ...WORKLOADS, 'Pod'];

export interface IgnoreEntry {
  refs: CheckRef[];
  reason: string;
  until: string | null;
  /** "Deployment shop/cart", for messages. */
  object: string;
}

const key = (kind: string, namespace: string | undefined, name: string) => `${kind}\u0000${namespace ?? ''}\u0000${name}`;

export class AnnotationIndex implements RunObserver {
  readonly kinds = OBSERVED;
  /** Namespaces are listed for their annotations even when no check reads them. */
  readonly listAlways: readonly ApiKind[] = ['Namespace'];
  readonly warnings: ReportWarning[] = [];
  private readonly entries = new Map<string, IgnoreEntry>();
  /** Pod key → the key of its annotated workload (only pods whose workload has an entry). */
  private readonly podWorkload = new Map<string, string>();
  private readonly owners = new OwnerIndex();

  constructor(private readonly checkIds: readonly string[]) {}

  see(kind: ApiKind, obj: KubeObject): void {
    const meta = obj.metadata;
    const name = meta?.name;
    if (!name) return;
    const namespace = meta.namespace;
    // Owners are resolved from what ReplicaSets and Jobs say (streamed before Pods, like in the checks).
    if (kind === 'ReplicaSet' || kind === 'Job') this.owners.add(kind, obj as never);
    const entry = this.parse(kind, meta);
    if (entry) this.entries.set(key(kind, namespace, name), entry);
    // With nothing annotated so far (most clusters) no pod can belong to an annotated workload.
    if (kind === 'Pod' && this.entries.size) {
      const pod = obj as V1Pod;
      // Workloads are listed before Pods, so an annotated owner is already known here.
      const direct = controllerOf(meta);
      const top = this.owners.workloadOf(pod);
      for (const w of [top, direct && { kind: direct.kind, name: direct.name }]) {
        if (w && w.kind !== 'Pod' && this.entries.has(key(w.kind, namespace, w.name))) {
          this.podWorkload.set(key('Pod', namespace, name), key(w.kind, namespace, w.name));
          break;
        }
      }
    }
  }

  unavailable(kind: ApiKind, reason: string): void {
    this.warnings.push({ code: 'annotations-unavailable', message: `could not list ${kind} objects (${reason}): suppressions annotated on them are not applied` });
  }

  /** The entries that may cover a finding, nearest first: the object, its workload, its namespace. */
  entriesFor(f: Finding): IgnoreEntry[] {
    const t = f.target;
    const keys = [key(t.kind, t.namespace, t.name)];
    if (t.kind === 'Pod') {
      const w = this.podWorkload.get(key('Pod', t.namespace, t.name));
      if (w) keys.push(w);
    }
    if (t.namespace) keys.push(key('Namespace', undefined, t.namespace));
    return keys.flatMap((k) => this.entries.get(k) ?? []);
  }

  /** The first unexpired entry that covers the finding; expired ones that would have are returned
   * apart so the caller can warn that they stopped suppressing. */
  match(f: Finding, now: Date): { entry?: IgnoreEntry; expired: IgnoreEntry[] } {
    const expired: IgnoreEntry[] = [];
    for (const e of this.entriesFor(f)) {
      if (!e.refs.some((r) => refMatches(r, f))) continue;
      if (isExpired(e.until, now)) { expired.push(e); continue; }
      return { entry: e, expired };
    }
    return { expired };
  }

  private parse(kind: string, meta: V1ObjectMeta): IgnoreEntry | undefined {
    const a = meta.annotations;
    const ignore = a?.[IGNORE];
    if (ignore === undefined) return undefined;
    const object = `${kind} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}`;
    const reason = a?.[IGNORE_REASON]?.trim();
    if (!reason) {
      this.warnings.push({ code: 'annotation-without-reason', message: `${object} has ${IGNORE} but no ${IGNORE_REASON}: the annotation is ignored (say why the finding is accepted)` });
      return undefined;
    }
    const until = a?.[IGNORE_UNTIL]?.trim() || null;
    if (until !== null && !parseUntil(until).ok) {
      this.warnings.push({ code: 'annotation-invalid', message: `${object}: ${IGNORE_UNTIL} "${until}" is not a date YYYY-MM-DD: the annotation is ignored` });
      return undefined;
    }
    const refs = ignore.split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseCheckRef(s, this.checkIds));
    for (const r of refs.filter((x) => !x.known)) {
      this.warnings.push({ code: 'annotation-unknown-check', message: `${object}: ${IGNORE} names "${formatRef(r)}", which is not a known check` });
    }
    return { refs: refs.map(({ check, rule }) => (rule === undefined ? { check } : { check, rule })), reason, until, object };
  }
}
