// Server-side printing (meta.k8s.io Table) as kube-apiserver does it for `kubectl get`: the server
// computes the cells, including AGE against its own clock, and kubectl only lays them out. Pods and
// nodes get their real columns; the other kinds NAME/AGE. Written from the observed output, not ported.
import type { ApiKind } from '../../src/kube/resources.js';

// Objects are raw JSON as the server stores them, hence `any` for field access.
type Obj = any;

interface Column { name: string; type: string; format: string; description: string; priority: number }
const col = (name: string, description: string, priority = 0, type = 'string', format = ''): Column =>
  ({ name, type, format, description, priority });

const NAME_COL = col('Name', 'Name must be unique within a namespace.', 0, 'string', 'name');
const AGE_COL = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

/** kubectl's/apimachinery's HumanDuration: coarser as things get older ("45s", "5m30s", "3h10m", "10d"). */
export function humanDuration(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec < -1) return '<invalid>';
  if (sec < 0) return '0s';
  if (sec < 120) return `${sec}s`;
  const min = Math.floor(sec / 60);
  const two = (big: number, bigU: string, small: number, smallU: string): string => (small === 0 ? `${big}${bigU}` : `${big}${bigU}${small}${smallU}`);
  if (min < 10) return two(min, 'm', sec % 60, 's');
  if (min < 180) return `${min}m`;
  const h = Math.floor(min / 60);
  if (h < 8) return two(h, 'h', min % 60, 'm');
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return two(Math.floor(h / 24), 'd', h % 24, 'h');
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  if (h < 24 * 365 * 8) return two(Math.floor(h / 24 / 365), 'y', Math.floor(h / 24) % 365, 'd');
  return `${Math.floor(h / 24 / 365)}y`;
}

const since = (t: string | undefined, now: Date): string => {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? '<unknown>' : humanDuration(now.getTime() - ms);
};

function podStatus(p: Obj): string {
  let reason: string = p.status?.reason || p.status?.phase || '';
  const gated = (p.status?.conditions ?? []).find((c: Obj) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated');
  if (gated) reason = 'SchedulingGated';
  const inits: Obj[] = p.status?.initContainerStatuses ?? [];
  let initializing = false;
  for (let i = 0; i < inits.length; i++) {
    const st = inits[i].state ?? {};
    if (st.terminated?.exitCode === 0) continue;
    initializing = true;
    if (st.terminated) {
      const t = st.terminated;
      reason = `Init:${t.reason || (t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`)}`;
    } else if (st.waiting?.reason && st.waiting.reason !== 'PodInitializing') {
      reason = `Init:${st.waiting.reason}`;
    } else {
      reason = `Init:${i}/${(p.spec?.initContainers ?? inits).length}`;
    }
    break;
  }
  if (!initializing) {
    let running = false;
    for (const c of [...(p.status?.containerStatuses ?? [])].reverse()) {
      const st = c.state ?? {};
      if (st.waiting?.reason) reason = st.waiting.reason;
      else if (st.terminated?.reason) reason = st.terminated.reason;
      else if (st.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode}`;
      else if (st.running && c.ready) running = true;
    }
    if (reason === 'Completed' && running) {
      const ready = (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (p.metadata?.deletionTimestamp) reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function podRow(p: Obj, now: Date): unknown[] {
  const statuses: Obj[] = p.status?.containerStatuses ?? [];
  const total = (p.spec?.containers ?? []).length;
  const ready = statuses.filter((c) => c.ready).length;
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const lastRestart = statuses.map((c) => c.lastState?.terminated?.finishedAt).filter(Boolean).sort().pop();
  const gates: Obj[] = p.spec?.readinessGates ?? [];
  const gatesTrue = gates.filter((g) => (p.status?.conditions ?? []).some((c: Obj) => c.type === g.conditionType && c.status === 'True')).length;
  return [
    p.metadata?.name, `${ready}/${total}`, podStatus(p),
    lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts),
    since(p.metadata?.creationTimestamp, now),
    p.status?.podIP || '<none>', p.spec?.nodeName || '<none>', p.status?.nominatedNodeName || '<none>',
    gates.length ? `${gatesTrue}/${gates.length}` : '<none>',
  ];
}

function nodeRow(n: Obj, now: Date): unknown[] {
  const ready = (n.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  const status = [ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown'];
  if (n.spec?.unschedulable) status.push('SchedulingDisabled');
  const roles = new Set<string>();
  for (const [k, v] of Object.entries<string>(n.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  const addr = (type: string): string => (n.status?.addresses ?? []).find((a: Obj) => a.type === type)?.address ?? '<none>';
  const info = n.status?.nodeInfo ?? {};
  return [
    n.metadata?.name, status.join(','), roles.size ? [...roles].sort().join(',') : '<none>',
    since(n.metadata?.creationTimestamp, now), info.kubeletVersion ?? '',
    addr('InternalIP'), addr('ExternalIP'), info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>',
  ];
}

const PRINTERS: Partial<Record<ApiKind, { columns: Column[]; row: (o: Obj, now: Date) => unknown[] }>> = {
  Pod: {
    columns: [NAME_COL,
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE_COL,
      col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'NodeName is a request to schedule this pod onto a specific node.', 1),
      col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
      col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1)],
    row: podRow,
  },
  Node: {
    columns: [NAME_COL,
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      AGE_COL,
      col('Version', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      col('External-IP', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', 'Kernel Version reported by the node from \'uname -r\' (e.g. 3.16.0-0.bpo.4-amd64).', 1),
      col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1)],
    row: nodeRow,
  },
  // kube-aggregator's printer: SERVICE is "Local" or namespace/name; AVAILABLE is "True" or "False (Reason)".
  APIService: {
    columns: [NAME_COL, col('Service', 'The reference to the service that hosts this API endpoint.'),
      col('Available', 'Whether this service is available.'), AGE_COL],
    row: (o, now) => {
      const c = (o.status?.conditions ?? []).find((x: Obj) => x.type === 'Available');
      const available = !c ? 'Unknown' : c.status === 'True' ? 'True' : `${c.status} (${c.reason ?? ''})`;
      return [o.metadata?.name, o.spec?.service ? `${o.spec.service.namespace}/${o.spec.service.name}` : 'Local', available, since(o.metadata?.creationTimestamp, now)];
    },
  },
  Namespace: {
    columns: [NAME_COL, col('Status', 'The status of the namespace'), AGE_COL],
    row: (o, now) => [o.metadata?.name, o.status?.phase ?? 'Active', since(o.metadata?.creationTimestamp, now)],
  },
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function partialMetadata(o: Obj, apiVersion = 'meta.k8s.io/v1'): object {
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: o.metadata ?? {} };
}

/** `objects` must already carry kind/apiVersion (needed for includeObject=Object). */
export function toTable(kind: ApiKind, objects: Obj[], opts: {
  now: Date; tableVersion: string; includeObject: IncludeObject; listMeta: object;
}): object {
  const p = PRINTERS[kind] ?? { columns: [NAME_COL, AGE_COL], row: (o: Obj, now: Date) => [o.metadata?.name, since(o.metadata?.creationTimestamp, now)] };
  const apiVersion = `meta.k8s.io/${opts.tableVersion}`;
  return {
    kind: 'Table', apiVersion, metadata: opts.listMeta,
    columnDefinitions: p.columns,
    rows: objects.map((o) => ({
      cells: p.row(o, opts.now),
      ...(opts.includeObject === 'None' ? {} : { object: opts.includeObject === 'Object' ? o : partialMetadata(o, apiVersion) }),
    })),
  };
}
