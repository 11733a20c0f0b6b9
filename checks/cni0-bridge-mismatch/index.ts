// Upstream: containernetworking/plugins plugins/main/bridge/bridge.go ensureAddr()/calcGatewayIP(), flannel-io/cni-plugin; check-facts §3.
import type { V1Node } from '@kubernetes/client-node';
import { defineCheck, optional, reporter, type Reporter } from '../../src/check.js';
import { rules } from './messages.js';
import { addSandboxEvent, type SandboxFailures } from './events.js';
import { decide, gatewayOf, type NodeApiInfo, type Verdict } from './compare.js';

/** Failed sandboxes are retried with back-off, each retry updates the event: older than this, the failures have stopped. */
const RECENT_SECONDS = 3600;
const KSM_ANNOTATION = 'flannel.alpha.coreos.com/kube-subnet-manager';

type Say = Reporter<typeof rules>;

export default defineCheck({
  id: 'cni0-bridge-mismatch',
  title: 'The cni0 bridge address matches the node\'s flannel subnet and pod CIDR',
  severity: 'critical',
  description: 'Compares the IPv4 (and overlapping IPv6) addresses on each node\'s cni0 bridge with the gateway of flannel\'s lease in ' +
    '/run/flannel/subnet.env and with node.spec.podCIDR; a mismatch makes every new pod on the node fail with "already has an IP address ' +
    'different from". FailedCreatePodSandBox events with that message raise the node even when it cannot be reached over SSH.',
  rules,
  settings: {
    recentMinutes: { type: 'number', default: RECENT_SECONDS / 60, min: 1, description: 'Sandbox failures within this many minutes are critical (older ones are history, info).' },
  },
  needs: {
    // Sandbox failures are events in the pod's namespace, but the bridge belongs to the node: every namespace.
    api: [{ kind: 'Node', optional: true }, { kind: 'Event', fieldSelector: 'reason=FailedCreatePodSandBox', optional: true, allNamespaces: true }],
    // Sandbox failure events decide without node data, so every probe is evidence: a node without
    // cni0Addrs is a gap, and the check still judges the events.
    probes: optional('cni0Addrs', 'flannelSubnetEnv', 'cniConfig'),
  },
  create(ctx) {
    const say = reporter(ctx, rules);
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
        for (const name of names) reportNode(say, ctx.now, Number(ctx.options.recentMinutes) * 60, name, nodes.get(name), verdicts.get(name), failures.get(name));
      },
    };
  },
});

function reportNode(say: Say, now: Date, recentSeconds: number, node: string, api: NodeApiInfo | undefined, v: Verdict | undefined, ev: SandboxFailures | undefined): void {
  const podCIDR = api?.podCIDRs.join(',') || undefined;
  const ageS = ev?.lastSeen !== undefined ? Math.max(0, Math.round((now.getTime() - ev.lastSeen) / 1000)) : undefined;
  const recent = !!ev && (ageS === undefined || ageS <= recentSeconds);
  const events = ev ? { failures: ev, ageS } : undefined;
  const evidenceEvents = ev ? {
    sandboxFailures: ev.count, lastSeenSecondsAgo: ageS, pods: ev.pods, morePods: ev.morePods || undefined,
    bridgeWanted: [...ev.wanted], example: ev.example,
  } : undefined;
  const evaluated = v?.state === 'evaluated' ? v : undefined;
  const target = { kind: 'Node', name: node };

  if (evaluated && evaluated.conflicts.length) {
    say('bridgeAddressMismatch', {
      // forceAddress: the bridge plugin replaces the address itself when the next pod starts.
      severity: evaluated.forceAddress ? 'info' : 'critical',
      target,
      evidence: {
        cni0: evaluated.addresses, conflicting: evaluated.conflicts, flannelSubnet: evaluated.flannelSubnet, flannelIpv6Subnet: evaluated.flannelIpv6Subnet,
        podCIDR, staleLease: evaluated.staleLease.length ? evaluated.staleLease : undefined, cniConfig: evaluated.cniFile,
        forceAddress: evaluated.forceAddress || undefined, events: evidenceEvents,
      },
    }, { node, bridge: evaluated, podCIDR, events });
    return;
  }

  if (evaluated && evaluated.staleLease.length) {
    say('staleFlannelLease', {
      severity: 'warning',
      target,
      evidence: { cni0: evaluated.addresses, flannelSubnet: evaluated.flannelSubnet, flannelIpv6Subnet: evaluated.flannelIpv6Subnet, podCIDR, staleLease: evaluated.staleLease, events: evidenceEvents },
    }, { node, bridge: evaluated, podCIDR, podGateways: (api?.podCIDRs ?? []).map(gatewayOf).filter((g): g is string => !!g), events });
    return;
  }

  if (!ev) return;
  const podGateways = (api?.podCIDRs ?? []).map(gatewayOf).filter((g): g is string => !!g);
  const pluginDisagrees = podGateways.length > 0 && [...ev.wanted].some((w) => !podGateways.includes(w));
  const fixedNow = !!evaluated && (evaluated.bridgePresent ? evaluated.conflicts.length === 0 : true);
  say('sandboxFailures', {
    severity: recent && !fixedNow ? 'critical' : 'info',
    target,
    evidence: { events: evidenceEvents, podCIDR, cni0: evaluated?.addresses, flannelSubnet: evaluated?.flannelSubnet },
  }, { node, events: events!, recent, fixedNow, verdict: v, bridge: evaluated, podCIDR, pluginDisagrees });
}
