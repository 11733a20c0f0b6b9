// Upstream: containernetworking/plugins plugins/main/bridge/bridge.go ensureAddr()/calcGatewayIP(), flannel-io/cni-plugin; check-facts §3.
import type { V1Node } from '@kubernetes/client-node';
import { defineCheck, optional, type CheckContext, type FindingInput, type Severity } from '../../src/check.js';
import { addSandboxEvent, type SandboxFailures } from './events.js';
import { decide, gatewayOf, type NodeApiInfo, type Verdict } from './compare.js';

/** Failed sandboxes are retried with back-off, each retry updates the event: older than this, the failures have stopped. */
const RECENT_SECONDS = 3600;
const KSM_ANNOTATION = 'flannel.alpha.coreos.com/kube-subnet-manager';

export default defineCheck({
  id: 'cni0-bridge-mismatch',
  title: 'The cni0 bridge address matches the node\'s flannel subnet and pod CIDR',
  severity: 'critical',
  description: 'Compares the IPv4 (and overlapping IPv6) addresses on each node\'s cni0 bridge with the gateway of flannel\'s lease in ' +
    '/run/flannel/subnet.env and with node.spec.podCIDR; a mismatch makes every new pod on the node fail with "already has an IP address ' +
    'different from". FailedCreatePodSandBox events with that message raise the node even when it cannot be reached over SSH.',
  rules: {
    bridgeAddressMismatch: { description: 'The cni0 bridge carries an address outside the node\'s pod CIDR / flannel lease.' },
    staleFlannelLease: { description: 'flannel\'s lease (/run/flannel/subnet.env) differs from the node\'s podCIDR.' },
    sandboxFailures: { description: 'Pod sandboxes fail with a cni0 address conflict (FailedCreatePodSandBox events).' },
  },
  needs: {
    // Sandbox failures are events in the pod's namespace, but the bridge belongs to the node: every namespace.
    api: [{ kind: 'Node', optional: true }, { kind: 'Event', fieldSelector: 'reason=FailedCreatePodSandBox', optional: true, allNamespaces: true }],
    // Sandbox failure events decide without node data, so every probe is evidence: a node without
    // cni0Addrs is a gap, and the check still judges the events.
    probes: optional('cni0Addrs', 'flannelSubnetEnv', 'cniConfig'),
  },
  create(ctx) {
    const nodes = new Map<string, NodeApiInfo>();
    const failures = new Map<string, SandboxFailures>();
    const verdicts = new Map<string, Verdict>();
    return {
      Node(node: V1Node) {
        const name = node.metadata?.name;
        if (!name) return;
        const cidrs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
        nodes.set(name, { podCIDRs: cidrs, kubeSubnetManager: node.metadata?.annotations?.[KSM_ANNOTATION] === 'true' });
      },
      Event(e) { addSandboxEvent(failures, e); },
      NodeProbes({ node, probes: p }) {
        verdicts.set(node, decide(
          p.cni0Addrs?.ok ? p.cni0Addrs.value : undefined,
          p.flannelSubnetEnv?.ok ? p.flannelSubnetEnv.value : undefined,
          p.cniConfig?.ok ? p.cniConfig.value : undefined,
          nodes.get(node),
        ));
      },
      finish() {
        const names = [...new Set([...verdicts.keys(), ...failures.keys()])].sort();
        for (const name of names) reportNode(ctx, name, nodes.get(name), verdicts.get(name), failures.get(name));
      },
    };
  },
});

function reportNode(ctx: CheckContext, node: string, api: NodeApiInfo | undefined, v: Verdict | undefined, ev: SandboxFailures | undefined): void {
  const podCIDR = api?.podCIDRs.join(',') || undefined;
  const ageS = ev?.lastSeen !== undefined ? Math.max(0, Math.round((ctx.now.getTime() - ev.lastSeen) / 1000)) : undefined;
  const recent = !!ev && (ageS === undefined || ageS <= RECENT_SECONDS);
  const eventText = ev ? describeEvents(ev, ageS) : '';
  const evidenceEvents = ev ? {
    sandboxFailures: ev.count, lastSeenSecondsAgo: ageS, pods: ev.pods, morePods: ev.morePods || undefined,
    bridgeWanted: [...ev.wanted], example: ev.example,
  } : undefined;
  const evaluated = v?.state === 'evaluated' ? v : undefined;

  if (evaluated && evaluated.conflicts.length) {
    const expected = evaluated.expected.join(', ');
    const severity: Severity = evaluated.forceAddress ? 'info' : 'critical';
    const stale = evaluated.staleLease.length ? ` flannel's lease itself (${evaluated.staleLease.map((s) => s.flannel).join(', ')}) also disagrees with podCIDR ${podCIDR}.` : '';
    ctx.report({
      rule: 'bridgeAddressMismatch',
      severity,
      target: { kind: 'Node', name: node },
      message: `${node}: cni0 has ${evaluated.conflicts.join(', ')} but flannel expects ${expected}${podCIDR ? ` (podCIDR ${podCIDR})` : ''}: ` +
        (evaluated.forceAddress ? 'forceAddress is set, so the bridge plugin will replace the address when the next pod starts.'
          : 'every new pod on this node fails to start with "already has an IP address different from".') + stale + (ev ? ` ${eventText}` : ''),
      evidence: {
        cni0: evaluated.addresses, conflicting: evaluated.conflicts, flannelSubnet: evaluated.flannelSubnet, flannelIpv6Subnet: evaluated.flannelIpv6Subnet,
        podCIDR, staleLease: evaluated.staleLease.length ? evaluated.staleLease : undefined, cniConfig: evaluated.cniFile,
        forceAddress: evaluated.forceAddress || undefined, events: evidenceEvents,
      },
      expected, actual: evaluated.conflicts.join(', '),
      remediation: recreateBridge(node, expected, podCIDR, evaluated.staleLease.length > 0, ev),
    });
    return;
  }

  if (evaluated && evaluated.staleLease.length) {
    const s = evaluated.staleLease;
    ctx.report({
      rule: 'staleFlannelLease',
      severity: 'warning',
      target: { kind: 'Node', name: node },
      message: `${node}: flannel's lease ${s.map((x) => x.flannel).join(', ')} (/run/flannel/subnet.env) differs from the node's podCIDR ${podCIDR}: ` +
        'flanneld is holding a stale lease; when it restarts, cni0 will carry the old gateway and new pods will fail.' + (ev ? ` ${eventText}` : ''),
      evidence: { cni0: evaluated.addresses, flannelSubnet: evaluated.flannelSubnet, flannelIpv6Subnet: evaluated.flannelIpv6Subnet, podCIDR, staleLease: s, events: evidenceEvents },
      expected: s.map((x) => x.podCIDR).join(', '), actual: s.map((x) => x.flannel).join(', '),
      remediation: recreateBridge(node, (api?.podCIDRs ?? []).map(gatewayOf).filter(Boolean).join(', '), podCIDR, true, ev),
    });
    return;
  }

  if (!ev) return;
  const wanted = [...ev.wanted].join(', ');
  const podGateway = (api?.podCIDRs ?? []).map(gatewayOf).filter((g): g is string => !!g);
  const pluginDisagrees = podGateway.length > 0 && [...ev.wanted].some((w) => !podGateway.includes(w));
  const fixedNow = evaluated && (evaluated.bridgePresent ? evaluated.conflicts.length === 0 : true);
  const severity: Severity = recent && !fixedNow ? 'critical' : 'info';
  const nodeView = fixedNow ? ` The bridge on ${node} carries no conflicting address now (${evaluated!.addresses.join(', ') || 'no cni0'}): the failures are from before it was fixed.`
    : ` ${verdictNote(node, v)} Confirm with \`ip -4 addr show cni0\` and \`cat /run/flannel/subnet.env\` on ${node}.`;
  ctx.report({
    rule: 'sandboxFailures',
    severity,
    target: { kind: 'Node', name: node },
    message: `${node}: ${eventText}` + (recent ? '' : ' No failure in the last hour.') + nodeView +
      (pluginDisagrees ? ` The plugin wanted ${wanted}, which is not the gateway of podCIDR ${podCIDR}: flannel's lease is stale too.` : ''),
    evidence: { events: evidenceEvents, podCIDR, cni0: evaluated?.addresses, flannelSubnet: evaluated?.flannelSubnet },
    expected: `cni0 carries only ${wanted}`, actual: 'pod sandboxes fail: bridge address conflict',
    remediation: recreateBridge(node, wanted, podCIDR, pluginDisagrees, ev),
  });
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

function recreateBridge(node: string, expected: string, podCIDR: string | undefined, staleLease: boolean, ev: SandboxFailures | undefined): FindingInput['remediation'] {
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
