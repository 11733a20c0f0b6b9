// Service-mesh sidecars. They bring their own probes and drain behaviour and balance per request,
// so checks about probes, graceful termination and HTTP/2 balancing treat them differently.

/** Container names the Istio and Linkerd injectors use (also as native sidecars in initContainers). */
export const MESH_SIDECARS: ReadonlySet<string> = new Set(['istio-proxy', 'linkerd-proxy']);


export type Mesh = 'istio' | 'linkerd';

interface Meta { labels?: Record<string, string>; annotations?: Record<string, string> }
/** A pod or a pod template: both carry the injection flags in metadata and the proxy in spec. */
interface PodLike {
  metadata?: Meta;
  spec?: { containers?: { name: string }[]; initContainers?: { name: string; restartPolicy?: string }[] };
}

/** The meshes whose injector adds a sidecar to new pods of a namespace, from its metadata: Istio with
 * the label istio-injection=enabled or a revision label istio.io/rev (unless istio-injection=disabled),
 * Linkerd with the annotation linkerd.io/inject: enabled. */
export function namespaceMeshes(meta: Meta | undefined): Mesh[] {
  const labels = meta?.labels ?? {};
  const istio = labels['istio-injection'] === 'enabled' || (labels['istio-injection'] !== 'disabled' && (labels['istio.io/rev'] ?? '') !== '');
  const linkerd = meta?.annotations?.['linkerd.io/inject'] === 'enabled';
  return [...(istio ? ['istio' as const] : []), ...(linkerd ? ['linkerd' as const] : [])];
}

/** A pod (or the pods of a template) runs an Istio or Linkerd proxy: one is in the spec — a container or a
 * native sidecar (restartPolicy Always; Istio ≥ 1.19 and Linkerd ≥ 2.15 can inject it so) — or an injector
 * adds it: the pod's own sidecar.istio.io/inject / linkerd.io/inject (annotation or label), else the
 * injection of its namespace, when the caller knows it (namespaceMeshes). An opt-out stops only its own
 * mesh's injector, never a proxy already in the spec. */
export function runsMeshSidecar(pod: PodLike, namespace: readonly Mesh[] = []): boolean {
  const spec = pod.spec;
  const proxies = [...(spec?.containers ?? []), ...(spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  if (proxies.some((c) => MESH_SIDECARS.has(c.name))) return true;
  const meta = pod.metadata;
  const flag = (key: string) => meta?.annotations?.[key] ?? meta?.labels?.[key];
  const istio = flag('sidecar.istio.io/inject');
  const linkerd = flag('linkerd.io/inject');
  const istioInjects = istio === 'true' || (istio !== 'false' && namespace.includes('istio'));
  const linkerdInjects = linkerd === 'enabled' || linkerd === 'ingress' || (linkerd !== 'disabled' && namespace.includes('linkerd'));
  return istioInjects || linkerdInjects;
}
