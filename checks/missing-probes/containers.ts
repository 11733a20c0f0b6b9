// What missing-probes needs to know about a pod template's containers: how to name and compare their
// probes, and which port to suggest. Which containers a Service reaches is src/kube/service-targets.ts.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import type { ServicePorts } from '../../src/kube/service-targets.js';

export interface ServiceRef extends ServicePorts {
  selector: Record<string, string>;
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

/** Why `port` of container `c` serves HTTP, from the spec alone (no guessing from port numbers): its
 * name says so (http, https, http-api, web), or another probe of the container speaks HTTP to it. */
export function httpPortEvidence(c: V1Container, port: number | string): string | undefined {
  const declared = c.ports?.find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
  if (declared?.name && /^(https?|web)($|-)/.test(declared.name)) return `the port is named "${declared.name}"`;
  const startup = c.startupProbe?.httpGet;
  if (startup && resolvePort(startup.port as number | string, c) === port) return 'the startupProbe sends it HTTP requests';
  return undefined;
}
