// Which containers of a pod a Service sends its traffic to. Shared by missing-probes (which containers
// need a readiness probe) and graceful-termination (which containers need a drain delay).
import type { V1Container, V1PodSpec, V1Service } from '@kubernetes/client-node';
import { MESH_SIDECARS } from './mesh.js';

/** A Service as far as traffic to containers goes: its name and the targetPort of each port. */
export interface ServicePorts {
  name: string;
  /** A number, or the name of a container port. */
  targetPorts: (number | string)[];
}

export interface ServedContainer {
  container: V1Container;
  /** An init container with restartPolicy Always: it runs for the pod's life, beside the app. */
  nativeSidecar: boolean;
  /** Names of the Services whose traffic reaches this container (empty: none does). */
  services: string[];
}

/** The targetPort of each port of a Service (the port itself when unset). A numeric string is a number:
 * the API server only accepts names that contain a letter. */
export function serviceTargetPorts(svc: V1Service): (number | string)[] {
  const ports = svc.spec?.ports;
  return (Array.isArray(ports) ? ports : []).map((p) => {
    const t = p.targetPort ?? p.port;
    return typeof t === 'string' && /^\d+$/.test(t) ? Number(t) : t;
  });
}

const declares = (c: V1Container, target: number | string) =>
  (c.ports ?? []).some((p) => (typeof target === 'number' ? p.containerPort === target : p.name === target));

/** The containers that run for the pod's life — regular containers and native sidecars, minus mesh proxies
 * (they belong to the mesh) — each with the Services it receives traffic from. A Service reaches the
 * containers that declare one of its target ports (by number or name). Declaring ports is optional, so
 * when no container declares any of them, the traffic goes to some app container: every regular
 * non-mesh container counts as reached. A Service that targets only a mesh proxy's port reaches none
 * of the containers returned. */
export function serviceTargets(spec: V1PodSpec, services: ServicePorts[]): ServedContainer[] {
  const all: ServedContainer[] = [
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => ({ container: c, nativeSidecar: true, services: [] as string[] })),
    ...(spec.containers ?? []).map((c) => ({ container: c, nativeSidecar: false, services: [] as string[] })),
  ];
  for (const svc of services) {
    const targets = all.filter((p) => svc.targetPorts.some((t) => declares(p.container, t)));
    const reached = targets.length ? targets : all.filter((p) => !p.nativeSidecar && !MESH_SIDECARS.has(p.container.name));
    for (const p of reached) if (!p.services.includes(svc.name)) p.services.push(svc.name);
  }
  return all.filter((p) => !MESH_SIDECARS.has(p.container.name));
}
