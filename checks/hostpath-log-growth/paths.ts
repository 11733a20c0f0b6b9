// hostPath paths come from pod specs, which anyone allowed to create a pod writes. Before one is sent to
// a node (as data, never code: check-facts §7.3) it must be a plain absolute path; anything else is
// reported, not measured. Paths also reach remediation text, where a person may paste them into a
// shell: there they are single-quoted.
import { posix } from 'node:path';

/** PATH_MAX on Linux. */
export const MAX_PATH_BYTES = 4096;

export type PathVerdict = { ok: true; path: string } | { ok: false; reason: string };

// C0 controls (newline, carriage return, NUL, escape…), DEL and C1 controls. A newline would split
// one path into two input lines; the others have no business in a directory name and can rewrite
// the terminal of whoever reads the report.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function validateHostPath(raw: unknown): PathVerdict {
  if (typeof raw !== 'string' || raw === '') return { ok: false, reason: 'empty or not a string' };
  const control = CONTROL.exec(raw);
  if (control) return { ok: false, reason: `contains a control character (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})` };
  if (Buffer.byteLength(raw, 'utf8') > MAX_PATH_BYTES) return { ok: false, reason: `longer than ${MAX_PATH_BYTES} bytes` };
  if (!raw.startsWith('/')) return { ok: false, reason: 'not an absolute path' };
  // The API server rejects ".." in hostPath.path (no backtracking); one that gets here did not come
  // through it unchanged (e.g. an edited snapshot).
  if (raw.split('/').includes('..')) return { ok: false, reason: 'contains a ".." segment' };
  const path = posix.normalize(raw).replace(/(.)\/+$/, '$1');
  return { ok: true, path };
}

/** Node directories many system DaemonSets mount (log shippers, node exporters, CNI, kube-proxy). Their
 * size is the node's, not the pod's: attributing it to the workload would be wrong. */
const NODE_DIRECTORIES = new Set([
  '/', '/boot', '/etc', '/home', '/lib', '/lib/modules', '/opt', '/root', '/run', '/tmp', '/usr', '/var', '/var/run',
  '/var/lib', '/var/lib/docker', '/var/lib/docker/containers', '/var/lib/containerd', '/var/lib/containers',
  '/var/lib/kubelet', '/var/lib/kubelet/pods', '/var/lib/kubelet/plugins', '/var/lib/kubelet/plugins_registry',
  '/var/log', '/var/log/pods', '/var/log/containers', '/var/log/journal', '/run/log/journal',
  '/etc/cni/net.d', '/opt/cni/bin', '/var/lib/cni',
]);
const VIRTUAL = ['/proc', '/sys', '/dev'];

export function isNodeDirectory(path: string): boolean {
  return NODE_DIRECTORIES.has(path) || VIRTUAL.some((v) => path === v || path.startsWith(`${v}/`));
}

/** Under /var/log, or a path segment that says log/logs (app-logs, nginx_log, logs.d). */
export function isLogLike(path: string): boolean {
  return path.startsWith('/var/log/') || path.split('/').some((seg) => /(^|[._-])logs?($|[._-])/i.test(seg));
}

/** POSIX sh single-quoting: every character literal; a ' becomes '\'' (close, escaped quote, reopen).
 * Words made only of characters no shell treats specially stay as they are, for readability. */
export function shQuote(s: string): string {
  if (/^[A-Za-z0-9_/.,:+@%=-]+$/.test(s)) return s;
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** What a directory that holds data on a hostPath by design is for. Their size is the point: a share of
 * the filesystem says nothing, and "use an emptyDir" would lose the data (or, for etcd, the cluster). */
export interface DataPurpose {
  kind: 'etcd' | 'storage' | 'metrics';
  /** The system, as findings name it: "etcd", "local-path-provisioner", "Longhorn", … */
  system: string;
}

/** Known data directories by path: the defaults each system documents (and kubeadm uses for etcd). */
const DATA_PATHS: [RegExp, DataPurpose][] = [
  [/^\/var\/lib\/etcd(?:[-_.][^/]*)?(?:\/|$)/, { kind: 'etcd', system: 'etcd' }],
  [/^\/opt\/local-path-provisioner(?:\/|$)/, { kind: 'storage', system: 'local-path-provisioner' }],
  [/^\/var\/lib\/rancher\/k3s\/storage(?:\/|$)/, { kind: 'storage', system: 'local-path-provisioner (k3s)' }],
  [/^\/var\/lib\/longhorn(?:\/|$)/, { kind: 'storage', system: 'Longhorn' }],
  [/^\/var\/openebs(?:\/|$)/, { kind: 'storage', system: 'OpenEBS' }],
  [/^\/var\/lib\/rook(?:\/|$)/, { kind: 'storage', system: 'Rook' }],
];

/** Images whose writable hostPaths are their data directory, whatever the path: etcd run as a static
 * pod with another --data-dir, Prometheus (or a compatible TSDB) on a local disk. */
const DATA_IMAGES: [RegExp, DataPurpose][] = [
  [/(^|\/)etcd(:|@|$)/, { kind: 'etcd', system: 'etcd' }],
  [/(^|\/)prometheus(:|@|$)/, { kind: 'metrics', system: 'Prometheus' }],
  [/(^|\/)(thanos|vmstorage|victoria-metrics|mimir)(:|@|$)/, { kind: 'metrics', system: 'a metrics TSDB' }],
];

/** The purpose of a hostPath as a data directory, from its path first, then from the image of a
 * container that mounts it writable (images are what the pod runs; names are chosen freely). */
export function dataPurpose(path: string, writerImages: readonly string[]): DataPurpose | undefined {
  for (const [re, p] of DATA_PATHS) if (re.test(path)) return p;
  // A log directory stays a log directory whoever writes it.
  if (isLogLike(path)) return undefined;
  for (const image of writerImages) for (const [re, p] of DATA_IMAGES) if (re.test(image)) return p;
  return undefined;
}
