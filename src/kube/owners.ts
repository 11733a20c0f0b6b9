// Resolves a Pod to the workload whose spec is the thing to fix: Pod → ReplicaSet → Deployment,
// Pod → StatefulSet/DaemonSet/Job, Job → CronJob. Pods only name their direct controller, so the
// second hop needs what the ReplicaSets and Jobs said about their own controllers; those lists are
// streamed before Pods (src/kube/resources.ts), so a check feeds them here and asks as Pods arrive.
import type { V1Job, V1ObjectMeta, V1OwnerReference, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';

export interface WorkloadRef {
  kind: string;
  name: string;
  namespace: string;
  /** True when the top hop was guessed from naming conventions because its object was not seen
   * (e.g. the ReplicaSet list was forbidden): Deployment from the pod-template-hash suffix. */
  inferred?: boolean;
}

/** The ownerReference with controller: true, if any (other owners do not manage the object). */
export function controllerOf(meta: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return meta?.ownerReferences?.find((o) => o.controller === true);
}

/** Static pods show up as mirror pods owned by their Node; the manifest on the node is the workload. */
export function isMirrorPod(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined || controllerOf(pod.metadata)?.kind === 'Node';
}

type Indexed = 'ReplicaSet' | 'Job';

/** A ReplicaSet's or Job's place in an index: where it is, and the workload its pods resolve to. */
interface Entry { kind: Indexed; namespace: string; name: string; top: Readonly<WorkloadRef> }

/** Each object's entry, made once: every check that resolves workloads keeps an index of its own,
 * and all of them are fed the same objects — seven indexes at 10k ReplicaSets held seven copies of
 * the same keys and parents (issue 14). Now they share them; an entry goes with its last index. */
const entries = new WeakMap<object, Entry>();

/** What ReplicaSets and Jobs say about their controllers: one small entry each, never the object. */
export class OwnerIndex {
  /** kind → namespace → name → the workload. Nested maps, so a lookup per pod makes no key string
   * (several checks ask for each of 150k pods, issue 14). */
  private readonly tops: Record<Indexed, Map<string, Map<string, Readonly<WorkloadRef>>>> = { ReplicaSet: new Map(), Job: new Map() };

  /** Remember a ReplicaSet's or Job's controller. */
  add(kind: Indexed, obj: V1ReplicaSet | V1Job): void {
    let e = entries.get(obj);
    if (e?.kind !== kind) {
      const name = obj.metadata?.name;
      if (!name) return;
      const namespace = obj.metadata?.namespace ?? '';
      const parent = controllerOf(obj.metadata);
      // Its pods belong to its controller; to itself when it has none.
      const top = Object.freeze(parent ? { kind: parent.kind, name: parent.name, namespace } : { kind, name, namespace });
      entries.set(obj, (e = { kind, namespace, name, top }));
    }
    const inNamespace = this.tops[kind].get(e.namespace) ?? new Map<string, Readonly<WorkloadRef>>();
    this.tops[kind].set(e.namespace, inNamespace.set(e.name, e.top));
  }

  /** The workload that owns a Pod; the Pod itself when it has no controller (a bare or static pod).
   * The answer may be shared with other pods and checks: it is frozen. */
  workloadOf(pod: V1Pod): Readonly<WorkloadRef> {
    const namespace = pod.metadata?.namespace ?? '';
    const direct = controllerOf(pod.metadata);
    if (!direct || direct.kind === 'Node') return { kind: 'Pod', name: pod.metadata?.name ?? '', namespace };
    if (direct.kind !== 'ReplicaSet' && direct.kind !== 'Job') return { kind: direct.kind, name: direct.name, namespace };
    const top = this.tops[direct.kind].get(namespace)?.get(direct.name);
    if (top) return top;
    // Not seen: a Deployment names its ReplicaSets <deployment>-<pod-template-hash>.
    const hash = pod.metadata?.labels?.['pod-template-hash'];
    if (direct.kind === 'ReplicaSet' && hash && direct.name.endsWith(`-${hash}`)) {
      return { kind: 'Deployment', name: direct.name.slice(0, -hash.length - 1), namespace, inferred: true };
    }
    return { kind: direct.kind, name: direct.name, namespace };
  }
}

/** "Deployment shop/cart" — how findings name a workload. */
export function describeWorkload(w: WorkloadRef): string {
  return `${w.kind} ${w.namespace ? `${w.namespace}/` : ''}${w.name}`;
}
