// fieldSelector and labelSelector as kube-apiserver evaluates them: field labels are a fixed,
// per-kind list (anything else is "field label not supported"), a missing field compares as "" (or
// "false" for booleans), and label `!=`/`notin` match objects that lack the label.
import type { ApiKind } from '../../src/kube/resources.js';

export class BadRequest extends Error {}

// Objects are raw JSON as the server stores them, hence `any` for field access.
type Getter = (o: any) => string;
const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const bool = (v: unknown): string => String(v === true);

const NAME: Record<string, Getter> = { 'metadata.name': (o) => s(o.metadata?.name) };
const NAMESPACED: Record<string, Getter> = { ...NAME, 'metadata.namespace': (o) => s(o.metadata?.namespace) };

const FIELDS: Record<ApiKind, Record<string, Getter>> = {
  Node: { ...NAME, 'spec.unschedulable': (o) => bool(o.spec?.unschedulable) },
  Namespace: { ...NAME, 'status.phase': (o) => s(o.status?.phase) },
  APIService: NAME,
  Endpoints: NAMESPACED,
  PersistentVolume: NAME,
  Pod: {
    ...NAMESPACED,
    'spec.nodeName': (o) => s(o.spec?.nodeName),
    'spec.restartPolicy': (o) => s(o.spec?.restartPolicy),
    'spec.schedulerName': (o) => s(o.spec?.schedulerName),
    'spec.serviceAccountName': (o) => s(o.spec?.serviceAccountName),
    'spec.hostNetwork': (o) => bool(o.spec?.hostNetwork),
    'status.phase': (o) => s(o.status?.phase),
    'status.podIP': (o) => s(o.status?.podIP),
    'status.nominatedNodeName': (o) => s(o.status?.nominatedNodeName),
  },
  Event: {
    ...NAMESPACED,
    'involvedObject.kind': (o) => s(o.involvedObject?.kind),
    'involvedObject.namespace': (o) => s(o.involvedObject?.namespace),
    'involvedObject.name': (o) => s(o.involvedObject?.name),
    'involvedObject.uid': (o) => s(o.involvedObject?.uid),
    'involvedObject.apiVersion': (o) => s(o.involvedObject?.apiVersion),
    'involvedObject.resourceVersion': (o) => s(o.involvedObject?.resourceVersion),
    'involvedObject.fieldPath': (o) => s(o.involvedObject?.fieldPath),
    reason: (o) => s(o.reason),
    reportingComponent: (o) => s(o.reportingComponent),
    source: (o) => s(o.source?.component),
    type: (o) => s(o.type),
  },
  ReplicaSet: { ...NAMESPACED, 'status.replicas': (o) => s(o.status?.replicas ?? 0) },
  Job: { ...NAMESPACED, 'status.successful': (o) => s(o.status?.succeeded ?? 0) },
  Service: NAMESPACED, EndpointSlice: NAMESPACED, ConfigMap: NAMESPACED, Deployment: NAMESPACED,
  StatefulSet: NAMESPACED, DaemonSet: NAMESPACED, CronJob: NAMESPACED, Lease: NAMESPACED, HorizontalPodAutoscaler: NAMESPACED,
  NodeMetrics: NAME,
};

// events.k8s.io/v1 names the involved object "regarding"; the server maps it back to the core fields.
const EVENTS_V1_ALIASES: Record<string, string> = {
  'regarding.kind': 'involvedObject.kind', 'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name', 'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion', 'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath', reportingController: 'reportingComponent', 'deprecatedSource.component': 'source',
};

export type Matcher = (o: any) => boolean;
const ALL: Matcher = () => true;

/** Splits on commas not escaped with a backslash (field selector values escape `,` `=` `\`). */
function splitEscaped(sel: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < sel.length; i++) {
    if (sel[i] === '\\' && i + 1 < sel.length) { cur += sel[i]! + sel[i + 1]!; i++; } else if (sel[i] === ',') { out.push(cur); cur = ''; } else cur += sel[i];
  }
  out.push(cur);
  return out;
}

export function fieldMatcher(kind: ApiKind, selector: string | undefined, eventsV1 = false): Matcher {
  if (!selector) return ALL;
  const tests = splitEscaped(selector).map((term): Matcher => {
    const m = /^([^=!]+)(!=|==|=)(.*)$/.exec(term);
    if (!m) throw new BadRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const label = eventsV1 ? (EVENTS_V1_ALIASES[m[1]!] ?? m[1]!) : m[1]!;
    const get = FIELDS[kind][label];
    if (!get) throw new BadRequest(`field label not supported: ${m[1]}`);
    const value = m[3]!.replace(/\\(.)/g, '$1');
    return m[2] === '!=' ? (o) => get(o) !== value : (o) => get(o) === value;
  });
  return (o) => tests.every((t) => t(o));
}

const KEY = '(?:[A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?';
const VALUE = '(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?';
const EXISTS = new RegExp(`^(!?)\\s*(${KEY})$`);
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(\\s*(${VALUE}(?:\\s*,\\s*${VALUE})*)\\s*\\)$`);
const COMPARE = new RegExp(`^(${KEY})\\s*(<|>)\\s*(-?\\d+)$`);

/** Splits on commas outside parentheses: `app in (a,b),!tier`. */
function splitRequirements(sel: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out.map((r) => r.trim());
}

export function labelMatcher(selector: string | undefined): Matcher {
  if (!selector || !selector.trim()) return ALL;
  const tests = splitRequirements(selector).map((req): Matcher => {
    const labels = (o: any): Record<string, string> => o.metadata?.labels ?? {};
    let m: RegExpExecArray | null;
    if ((m = EXISTS.exec(req))) {
      const [, not, key] = m;
      return (o) => (key! in labels(o)) !== (not === '!');
    }
    if ((m = EQUALITY.exec(req))) {
      const [, key, op, value] = m;
      return op === '!=' ? (o) => labels(o)[key!] !== value : (o) => labels(o)[key!] === value;
    }
    if ((m = SET.exec(req))) {
      const [, key, op, list] = m;
      const values = new Set(list!.split(',').map((v) => v.trim()));
      return op === 'in' ? (o) => key! in labels(o) && values.has(labels(o)[key!]!) : (o) => !(key! in labels(o)) || !values.has(labels(o)[key!]!);
    }
    if ((m = COMPARE.exec(req))) {
      const [, key, op, n] = m;
      return (o) => {
        const v = labels(o)[key!];
        if (v === undefined || !/^-?\d+$/.test(v)) return false;
        return op === '>' ? Number(v) > Number(n) : Number(v) < Number(n);
      };
    }
    throw new BadRequest(`unable to parse requirement: found '${req}', expected: in, notin, =, ==, !=, gt, lt`);
  });
  return (o) => tests.every((t) => t(o));
}
