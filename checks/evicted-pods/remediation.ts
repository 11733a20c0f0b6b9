// What to do about a node's evictions, written with the node's, workloads' and containers' own names
// and the quantities the kubelet wrote into the eviction messages.
import type { Remediation } from '../../src/check.js';
import type { WorkloadRef } from '../../src/kube/owners.js';
import type { EvictionCause, Offender } from '../../src/kube/eviction.js';

export interface OffenderSeen extends Offender {
  workload: WorkloadRef;
  cause: EvictionCause;
}

/** Deletes evicted pods only: a blanket status.phase=Failed delete would also remove Job pods kept
 * for debugging and pods rejected for other reasons. status.reason has no field selector, hence jq. */
export function cleanupCommand(opts: { node?: string; namespace?: string }): string {
  const scope = opts.namespace ? `-n ${opts.namespace}` : '-A';
  const fields = ['status.phase=Failed', ...(opts.node ? [`spec.nodeName=${opts.node}`] : [])].join(',');
  return `kubectl get pods ${scope} --field-selector=${fields} -o json ` +
    `| jq -r '.items[] | select(.status.reason=="Evicted") | "-n \\(.metadata.namespace) \\(.metadata.name)"' ` +
    '| xargs -r -L1 kubectl delete pod';
}

const SETTABLE = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);
const who = (w: WorkloadRef) => `${w.kind} ${w.namespace}/${w.name}`;

function setRequest(o: OffenderSeen, resource: string, value: string): string {
  const w = o.workload;
  return SETTABLE.has(w.kind)
    ? `kubectl -n ${w.namespace} set resources ${w.kind.toLowerCase()}/${w.name} -c ${o.name} --requests=${resource}=${value}`
    : `edit the manifest of ${who(w)} (container ${o.name}): resources.requests.${resource}: ${value}`;
}

function offenderSteps(resource: string, offenders: OffenderSeen[]): string[] {
  return offenders.slice(0, 5).map((o) => {
    const w = who(o.workload);
    if (o.cause === 'over-limit') {
      const what = o.scope === 'emptyDir' ? `emptyDir volume "${o.name}" went over its sizeLimit ${o.limit}`
        : o.scope === 'container' ? `container ${o.name} went over its own ephemeral-storage limit ${o.limit}`
        : `went over the sum of its containers' ephemeral-storage limits (${o.limit})`;
      return `${w}: ${what}. Find what it writes locally (emptyDir, writable layer, logs) and move it to a volume or to stdout, or raise the limit deliberately.`;
    }
    const name = o.scope === 'pod' ? `pod ${o.name}` : `container ${o.name}`;
    const base = `${w}: ${name} used ${o.usage} of ${resource} with a request of ${o.request}`;
    return o.scope === 'container'
      ? `${base}. Raise its request towards that working set and keep a limit: ${setRequest(o, resource, o.usage!)}`
      : `${base}. Raise the pod-level request (spec.resources.requests.${resource}) towards that usage.`;
  });
}

export function remediation(g: { node: string; resource: string; count: number; workloads: WorkloadRef[]; offenders: OffenderSeen[]; namespace?: string }): Remediation {
  const { node, resource } = g;
  const names = g.workloads.slice(0, 3).map(who).join(', ') + (g.workloads.length > 3 ? ', …' : '');
  const cleanup = `Then delete the evicted pods (only those; other Failed pods stay): ${cleanupCommand({ node, namespace: g.namespace })}`;
  const noDataFor = g.workloads.filter((w) => !g.offenders.some((o) => o.workload.kind === w.kind && o.workload.namespace === w.namespace && o.workload.name === w.name));
  const sizeOthers = (res: string) => (noDataFor.length
    ? [`Set ${res} requests close to the steady usage, and limits, on ${noDataFor.slice(0, 5).map(who).join(', ')}.`] : []);
  const describe = `kubectl describe node ${node} — check Conditions and "Allocated resources" (requests) against Allocatable.`;

  if (resource === 'memory') {
    return {
      summary: `Relieve memory pressure on ${node}: size memory requests for ${names}, give the kubelet headroom, then delete the evicted pods`,
      steps: [
        describe,
        'kubectl top pods -A --sort-by=memory | head -20 — pods using more than they request are evicted first (needs metrics-server).',
        ...offenderSteps('memory', g.offenders),
        ...sizeOthers('memory'),
        'Give pods that must survive a PriorityClass: under pressure the kubelet evicts lower-priority pods that use more than they request first.',
        `In ${node}'s kubelet config reserve memory for the system and evict softly before the hard threshold: systemReserved/kubeReserved memory, ` +
          'evictionSoft memory.available: 500Mi with evictionSoftGracePeriod 1m30s, evictionHard memory.available: 200Mi, evictionMinimumReclaim. ' +
          'Setting any evictionHard key replaces the whole default map, so list the nodefs/imagefs keys too.',
        cleanup,
      ],
    };
  }
  if (resource.includes('ephemeral-storage') || resource === 'inodes') {
    return {
      summary: `Free disk on ${node} and bound local storage for ${names}, then delete the evicted pods`,
      steps: [
        describe,
        `On ${node}, find what fills the disk (read-only): du -xsh /var/lib/containerd /var/lib/kubelet/pods /var/log/pods /var/log 2>/dev/null | sort -h; crictl imagefsinfo`,
        ...offenderSteps('ephemeral-storage', g.offenders),
        ...sizeOthers('ephemeral-storage'),
        'Bound scratch space with emptyDir.sizeLimit, log to stdout (the kubelet rotates it), and prune unused images (crictl rmi --prune) or lower imageGCHighThresholdPercent.',
        `In ${node}'s kubelet config keep the full evictionHard map (nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree) ` +
          'and add evictionSoft with grace periods and evictionMinimumReclaim so the kubelet reclaims before it evicts.',
        cleanup,
      ],
    };
  }
  if (resource === 'pids') {
    return {
      summary: `Find the process leak on ${node} and cap PIDs per pod, then delete the evicted pods`,
      steps: [
        describe,
        `On ${node}: ps -eo pid,ppid,comm --sort=ppid | awk '{print $3}' | sort | uniq -c | sort -n | tail — which program forks without reaping.`,
        'Set podPidsLimit in the kubelet config (e.g. 4096) so one pod cannot exhaust the node, and evictionHard pid.available.',
        cleanup,
      ],
    };
  }
  return {
    summary: `Read why ${node} evicted ${names}, then delete the evicted pods`,
    steps: [describe, `kubectl get pods -A --field-selector=status.phase=Failed,spec.nodeName=${node} -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,REASON:.status.reason,MESSAGE:.status.message`, cleanup],
  };
}
