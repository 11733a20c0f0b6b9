// What missing-probes needs to know about a pod template's containers: which ones can have probes,
// which ones a Service sends traffic to, and whether two probes run the same check.
import type { V1Container, V1PodSpec, V1Probe } from '@kubernetes/client-node';
import { MESH_SIDECARS } from '../../src/kube/mesh.js';

/** Service-mesh proxies inject and probe themselves; their probes are the mesh's business. */

export interface ServiceRef {
  name: string;
  selector: Record<string, string>;
  /** targetPort of each Service port (defaults to port): a number or a container port name. */
  targetPorts: (number | string)[];
}

export interface ProbedContainer {
  container: V1Container;
  /** A native sidecar: an init container with restartPolicy Always, which runs alongside the app. */
  nativeSidecar: boolean;
  /** Services whose traffic reaches this container. */
  services: string[];
}

const declares = (c: V1Container, target: number | string) =>
  (c.ports ?? []).some((p) => (typeof target === 'number' ? p.containerPort === target : p.name === target));

/** The containers that run for the pod's life and may carry probes (regular init containers cannot),
 * minus mesh proxies, each with the Services whose target port it declares. When no container declares
 * a Service's target port (declaring ports is optional), the traffic goes to some app container: all
 * regular ones count as served. */
export function probedContainers(spec: V1PodSpec, services: ServiceRef[]): ProbedContainer[] {
  const all: ProbedContainer[] = [
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => ({ container: c, nativeSidecar: true, services: [] as string[] })),
    ...spec.containers.map((c) => ({ container: c, nativeSidecar: false, services: [] as string[] })),
  ];
  for (const svc of services) {
    const targets = all.filter((p) => svc.targetPorts.some((t) => declares(p.container, t)));
    const served = targets.length ? targets : all.filter((p) => !p.nativeSidecar && !MESH_SIDECARS.has(p.container.name));
    for (const p of served) p.services.push(svc.name);
  }
  return all.filter((p) => !MESH_SIDECARS.has(p.container.name));
}

/** A probe port as a number when the container names it. */
export function resolvePort(port: number | string | undefined, c: V1Container): number | string | undefined {
  if (typeof port !== 'string') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort ?? port;
}

/** The check a probe runs, with defaults applied and named ports resolved, for comparison. */
function action(p: V1Probe, c: V1Container): string | undefined {
  if (p.httpGet) {
    const h = p.httpGet;
    return JSON.stringify(['http', h.scheme ?? 'HTTP', h.host ?? '', resolvePort(h.port as number | string, c), h.path || '/', h.httpHeaders ?? []]);
  }
  if (p.tcpSocket) return JSON.stringify(['tcp', p.tcpSocket.host ?? '', resolvePort(p.tcpSocket.port as number | string, c)]);
  if (p.grpc) return JSON.stringify(['grpc', p.grpc.port, p.grpc.service ?? '']);
  if (p.exec) return JSON.stringify(['exec', p.exec.command ?? []]);
  return undefined;
}

export function sameCheck(a: V1Probe, b: V1Probe, c: V1Container): boolean {
  const x = action(a, c);
  return x !== undefined && x === action(b, c);
}

/** An exec command as its program and "…": the arguments often carry a password (redis-cli -a <pw> ping,
 * mysqladmin -p<pw> ping), and findings are printed, saved and pasted into tickets. */
export function execProgram(command: string[] | undefined): string {
  const [first = '', ...rest] = command ?? [];
  // exec runs no shell, so a first element with spaces is one odd program name: keep only its first word.
  const [program = '', ...words] = first.trim().split(/\s+/);
  if (!program) return '(empty command)';
  return `${program.slice(0, 80)}${rest.length || words.length ? ' …' : ''}`;
}

/** "HTTP GET :8080/actuator/health", "TCP :5432", "gRPC :50051", "exec pg_isready …". */
export function describeProbe(p: V1Probe, c: V1Container): string {
  if (p.httpGet) {
    const h = p.httpGet;
    return `${h.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP'} GET ${h.host ?? ''}:${resolvePort(h.port as number | string, c)}${h.path || '/'}`;
  }
  if (p.tcpSocket) return `TCP ${p.tcpSocket.host ?? ''}:${resolvePort(p.tcpSocket.port as number | string, c)}`;
  if (p.grpc) return `gRPC :${p.grpc.port}${p.grpc.service ? ` service ${p.grpc.service}` : ''}`;
  if (p.exec) return `exec ${execProgram(p.exec.command)}`;
  return 'no handler';
}

/** The port to put in a suggested probe: the container's first declared port, else a numeric
 * Service target port, else a placeholder. */
export function suggestedPort(c: V1Container, services: ServiceRef[]): { port: number | string; number?: number; grpc: boolean } {
  const declared = c.ports?.[0];
  if (declared) return { port: declared.name ?? declared.containerPort, number: declared.containerPort, grpc: /^grpc/.test(declared.name ?? '') };
  const numeric = services.flatMap((s) => s.targetPorts).find((t): t is number => typeof t === 'number');
  return { port: numeric ?? '<port>', number: numeric, grpc: false };
}
