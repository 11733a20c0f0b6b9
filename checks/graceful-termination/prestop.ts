// What a container's preStop hook does before SIGTERM: a sleep of known length, something else of
// unknown length, or nothing. The native sleep action is beta (on by default) from Kubernetes 1.30;
// before that, exec ["sleep", "N"] or a shell with "sleep N" is the usual form.
import type { V1Container } from '@kubernetes/client-node';

export type PreStop = { kind: 'none' } | { kind: 'sleep'; seconds: number; form: 'sleep' | 'exec' } | { kind: 'other'; form: string };

const UNIT: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

export function preStopOf(container: V1Container): PreStop {
  const hook = container.lifecycle?.preStop;
  if (!hook) return { kind: 'none' };
  if (hook.sleep) return { kind: 'sleep', seconds: Number(hook.sleep.seconds) || 0, form: 'sleep' };
  if (hook.exec?.command?.length) {
    const seconds = sleepSeconds(hook.exec.command);
    return seconds === undefined ? { kind: 'other', form: 'exec' } : { kind: 'sleep', seconds, form: 'exec' };
  }
  return { kind: 'other', form: hook.httpGet ? 'httpGet' : hook.tcpSocket ? 'tcpSocket' : 'unknown' };
}

/** Seconds slept by an exec hook: ["sleep","10"], ["/bin/sleep","5s"], ["sh","-c","sleep 5 && nginx -s quit"]. */
export function sleepSeconds(command: string[]): number | undefined {
  const [first, ...rest] = command;
  if (first && basename(first) === 'sleep') return duration(rest.join(' '));
  const script = command.join(' ');
  let total: number | undefined;
  for (const m of script.matchAll(/(?:^|[\s;&|(])(?:\/\S*\/)?sleep\s+([\d.]+[smhd]?)/g)) {
    const s = duration(m[1]!);
    if (s !== undefined) total = (total ?? 0) + s;
  }
  return total;
}

function duration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)([smhd]?)\b/.exec(text);
  return m ? Number(m[1]) * UNIT[m[2]!]! : undefined;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
