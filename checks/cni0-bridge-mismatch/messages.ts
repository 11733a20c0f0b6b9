// The rules of cni0-bridge-mismatch and their words; index.ts decides, this file speaks.
import type { Remediation, Wording } from '../../src/check.js';
import type { Verdict } from './compare.js';
import type { SandboxFailures } from './events.js';

type Bridge = Extract<Verdict, { state: 'evaluated' }>;
/** Recent FailedCreatePodSandBox events of the node, and how long ago the newest was. */
interface Events { failures: SandboxFailures; ageS: number | undefined }

export const rules = {
  bridgeAddressMismatch: {
    description: 'The cni0 bridge carries an address outside the node\'s pod CIDR / flannel lease.',
    message: (d: { node: string; bridge: Bridge; podCIDR?: string; events?: Events }): Wording => {
      const b = d.bridge;
      const expected = b.expected.join(', ');
      const stale = b.staleLease.length ? ` flannel's lease itself (${b.staleLease.map((s) => s.flannel).join(', ')}) also disagrees with podCIDR ${d.podCIDR}.` : '';
      return {
        message: `${d.node}: cni0 has ${b.conflicts.join(', ')} but flannel expects ${expected}${d.podCIDR ? ` (podCIDR ${d.podCIDR})` : ''}: ` +
          (b.forceAddress ? 'forceAddress is set, so the bridge plugin will replace the address when the next pod starts.'
            : 'every new pod on this node fails to start with "already has an IP address different from".') + stale + eventText(d.events, ' '),
        expected, actual: b.conflicts.join(', '),
        remediation: recreateBridge(d.node, expected, d.podCIDR, b.staleLease.length > 0, d.events?.failures),
      };
    },
  },
  staleFlannelLease: {
    description: 'flannel\'s lease (/run/flannel/subnet.env) differs from the node\'s podCIDR.',
    message: (d: { node: string; bridge: Bridge; podCIDR?: string; podGateways: string[]; events?: Events }): Wording => {
      const s = d.bridge.staleLease;
      return {
        message: `${d.node}: flannel's lease ${s.map((x) => x.flannel).join(', ')} (/run/flannel/subnet.env) differs from the node's podCIDR ${d.podCIDR}: ` +
          'flanneld is holding a stale lease; when it restarts, cni0 will carry the old gateway and new pods will fail.' + eventText(d.events, ' '),
        expected: s.map((x) => x.podCIDR).join(', '), actual: s.map((x) => x.flannel).join(', '),
        remediation: recreateBridge(d.node, d.podGateways.join(', '), d.podCIDR, true, d.events?.failures),
      };
    },
  },
  sandboxFailures: {
    description: 'Pod sandboxes fail with a cni0 address conflict (FailedCreatePodSandBox events).',
    message: (d: { node: string; events: Events; recent: boolean; fixedNow: boolean; verdict?: Verdict; bridge?: Bridge; podCIDR?: string; pluginDisagrees: boolean }): Wording => {
      const wanted = [...d.events.failures.wanted].join(', ');
      const nodeView = d.fixedNow ? ` The bridge on ${d.node} carries no conflicting address now (${d.bridge!.addresses.join(', ') || 'no cni0'}): the failures are from before it was fixed.`
        : ` ${verdictNote(d.node, d.verdict)} Confirm with \`ip -4 addr show cni0\` and \`cat /run/flannel/subnet.env\` on ${d.node}.`;
      return {
        message: `${d.node}: ${eventText(d.events, '')}` + (d.recent ? '' : ' No failure in the last hour.') + nodeView +
          (d.pluginDisagrees ? ` The plugin wanted ${wanted}, which is not the gateway of podCIDR ${d.podCIDR}: flannel's lease is stale too.` : ''),
        expected: `cni0 carries only ${wanted}`, actual: 'pod sandboxes fail: bridge address conflict',
        remediation: recreateBridge(d.node, wanted, d.podCIDR, d.pluginDisagrees, d.events.failures),
      };
    },
  },
};

function eventText(events: Events | undefined, lead: string): string {
  return events ? lead + describeEvents(events.failures, events.ageS) : '';
}

function verdictNote(node: string, v: Verdict | undefined): string {
  switch (v?.state) {
    case undefined: return `No node data was collected from ${node} over SSH.`;
    case 'not-evaluated': return `The bridge on ${node} could not be read (see gaps).`;
    case 'no-flannel-lease': return `${node} has no /run/flannel/subnet.env (flanneld not running or not flannel).`;
    case 'other-cni': return `${node}'s first CNI config ${v.file} is ${v.types.join('+') || 'not flannel'}, so its bridge was not compared.`;
    case 'custom-bridge': return `${node}'s CNI config ${v.file} names the bridge ${v.bridge}, which this check does not read.`;
    default: return '';
  }
}

function describeEvents(ev: SandboxFailures, ageS: number | undefined): string {
  const pods = ev.pods.join(', ') + (ev.morePods ? ` and ${ev.morePods} more` : '');
  const when = ageS === undefined ? '' : `, last ${ageS < 120 ? `${ageS} s` : `${Math.round(ageS / 60)} min`} ago`;
  return `${ev.count} pod sandbox attempt${ev.count === 1 ? '' : 's'} failed with "${[...ev.bridges].join(', ')}" already has an IP address different from ${[...ev.wanted].join(', ')}${when} (pods ${pods}).`;
}

function recreateBridge(node: string, expected: string, podCIDR: string | undefined, staleLease: boolean, ev: SandboxFailures | undefined): Remediation {
  const restartFlannel = `kubectl -n kube-flannel delete pod -l app=flannel --field-selector spec.nodeName=${node} (older manifests run flannel in kube-system)`;
  return {
    summary: `Drain ${node}, delete its cni0 bridge and restart flannel there so the bridge is recreated with ${expected || 'the gateway of the pod CIDR'}`,
    steps: [
      `kubectl cordon ${node} && kubectl drain ${node} --ignore-daemonsets --delete-emptydir-data — deleting the bridge detaches every running pod on the node.`,
      ...(staleLease ? [`flannel's lease disagrees with podCIDR ${podCIDR ?? '(unknown)'}: restart flannel first: ${restartFlannel}.`] : []),
      `On ${node}: ip link set cni0 down && ip link delete cni0 (optionally also flannel.1, which flanneld recreates).`,
      `Restart flannel on the node: ${restartFlannel}; then \`cat /run/flannel/subnet.env\` on ${node} must show FLANNEL_SUBNET=${expected || '<podCIDR gateway>'}${podCIDR ? ` for podCIDR ${podCIDR}` : ''}.`,
      `If the subnet changed, remove the old reservations in /var/lib/cni/networks/cbr0/ on ${node} once no pods run there.`,
      `Delete the stuck pods${ev?.pods.length ? ` (${ev.pods.slice(0, 5).join(', ')}${ev.pods.length > 5 || ev.morePods ? ', …' : ''})` : ''} or \`kubectl rollout restart\` their workloads, then kubectl uncordon ${node}.`,
      'Alternative: "forceAddress": true in the flannel CNI config\'s delegate block makes the bridge plugin replace the address itself — it also hides the root cause (a re-registered node, a changed cluster CIDR); use it deliberately.',
    ],
  };
}
