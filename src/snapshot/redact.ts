// Secrets a pod spec can carry in plain text, removed before an object is saved to a snapshot
// (a snapshot is made to be shared: a bug report, a colleague, a ticket). The report already hides
// them; the snapshot must too. What is removed:
// - env values of variables whose name says secret (DB_PASSWORD, API_TOKEN, AWS_SECRET_ACCESS_KEY…);
// - in any env value, command or argument: the value of a `name=value` whose name says secret
//   (-Djavax.net.ssl.keyStorePassword=…, --token=…), the name kept;
// - the arguments of exec probes (redis-cli -a <pw> ping), the program kept;
// - httpGet probe header values (Authorization: Basic …).
// Each removed value becomes "<redacted:xxxxxxxx>", a hash with a salt that lives only for this save:
// equal values stay equal within the snapshot (checks compare a container's probes with each other),
// and a short password cannot be found by hashing guesses.
import { createHash, randomBytes } from 'node:crypto';
import { isObject } from '../util/dict.js';
import { POD_SPEC_PATHS, valueAt } from '../kube/pod-specs.js';

const SECRET_NAME = /pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|cookie|session/i;
// name=value inside a longer string; the name may be dotted or dashed (-Dx.y.password=…, --db-password=…).
const INLINE_NAME = /pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential/i;
const NAME_CHAR = /[A-Za-z0-9_.-]/;
const VALUE_STOP = /[\s,;&"']/;

export class Redactor {
  private readonly salt = randomBytes(16);

  token(value: string): string {
    return `<redacted:${createHash('sha256').update(this.salt).update(value).digest('hex').slice(0, 8)}>`;
  }

  /** Secret-looking `name=value` pairs inside a string get their value replaced. One pass over the
   * text (a regular expression with a lazy name before the keyword backtracks cubically, and env
   * values are written by whoever may create a pod). */
  inline(text: string): string {
    let out = '';
    for (let i = 0; i < text.length;) {
      let j = i;
      while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
      const sep = text[j];
      if (j > i && (sep === '=' || sep === ':') && INLINE_NAME.test(text.slice(i, j))) {
        let k = j + 1;
        const quote = text[k];
        if (quote === '"' || quote === "'") {
          const close = text.indexOf(quote, k + 1);
          k = close < 0 ? text.length : close + 1;
        } else {
          while (k < text.length && !VALUE_STOP.test(text[k]!)) k++;
        }
        out += k > j + 1 ? `${text.slice(i, j + 1)}${this.token(text.slice(j + 1, k))}` : text.slice(i, k);
        i = k;
      } else {
        const next = Math.max(j, i + 1); // a name that is not a secret's, or one other character
        out += text.slice(i, next);
        i = next;
      }
    }
    return out;
  }

  /** A copy of the object with the secrets of every pod spec in it replaced (the object is not changed). */
  object<T>(obj: T): T {
    const specs = podSpecPaths(obj);
    if (!specs.length) return obj;
    const copy = structuredClone(obj);
    for (const path of specs) {
      this.podSpec(valueAt(copy, path) as Record<string, unknown>);
    }
    return copy;
  }

  private podSpec(spec: Record<string, unknown>): void {
    for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
      const containers = spec[list];
      if (!Array.isArray(containers)) continue;
      for (const c of containers) if (isObject(c)) this.container(c);
    }
  }

  private container(c: Record<string, unknown>): void {
    for (const key of ['command', 'args']) {
      const argv = c[key];
      if (Array.isArray(argv)) c[key] = argv.map((a) => (typeof a === 'string' ? this.inline(a) : a));
    }
    if (Array.isArray(c.env)) {
      for (const e of c.env) {
        if (!isObject(e) || typeof e.value !== 'string') continue;
        e.value = typeof e.name === 'string' && SECRET_NAME.test(e.name) && e.value !== '' ? this.token(e.value) : this.inline(e.value);
      }
    }
    for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const probe = c[key];
      if (!isObject(probe)) continue;
      const exec = probe.exec;
      if (isObject(exec) && Array.isArray(exec.command)) {
        exec.command = exec.command.map((a, i) => (i === 0 || typeof a !== 'string' ? a : this.token(a)));
      }
      const http = probe.httpGet;
      if (isObject(http) && Array.isArray(http.httpHeaders)) {
        for (const h of http.httpHeaders) if (isObject(h) && typeof h.value === 'string') h.value = this.token(h.value);
      }
    }
  }
}

/** Where pod specs sit: a Pod's spec, a workload's spec.template.spec, a CronJob's job template. */
function podSpecPaths(obj: unknown): (readonly string[])[] {
  const out: (readonly string[])[] = [];
  for (const path of POD_SPEC_PATHS) {
    const spec = valueAt(obj, path);
    if (isObject(spec) && (Array.isArray(spec.containers) || Array.isArray(spec.initContainers) || Array.isArray(spec.ephemeralContainers))) out.push(path);
  }
  return out;
}
