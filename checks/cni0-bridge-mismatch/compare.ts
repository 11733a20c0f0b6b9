// What the node's bridge, flannel lease and pod CIDR say, decided the way the bridge CNI plugin's
// ensureAddr() decides (containernetworking/plugins bridge.go): for IPv4 any address other than the
// gateway is a conflict; for IPv6 only an address whose subnet overlaps the gateway's (link-local
// fe80::/64 never does, so dual-stack and IPv4-only nodes are not flagged for it).
import { contains, formatCidr, gateway, network, parseCidr, sameCidr, type Cidr } from '../../src/node/parsers/cidr.js';
import type { Cni0Addrs } from '../../src/node/probes/cni0Addrs.js';
import { primaryCniFile, type CniConfig } from '../../src/node/probes/cniConfig.js';
import type { FlannelSubnetEnv } from '../../src/node/probes/flannelSubnetEnv.js';

export interface NodeApiInfo {
  podCIDRs: string[];
  /** flannel.alpha.coreos.com/kube-subnet-manager: "true": the lease is the node's podCIDR. */
  kubeSubnetManager: boolean;
}

export type Verdict =
  | { state: 'not-evaluated' } // a probe failed: its gap says why
  | { state: 'no-flannel-lease' } // no /run/flannel/subnet.env: nothing to compare with
  | { state: 'other-cni'; file: string; types: string[] }
  | { state: 'custom-bridge'; bridge: string; file: string }
  | {
    state: 'evaluated';
    bridgePresent: boolean;
    addresses: string[];
    /** Addresses the bridge plugin will refuse (IPv4 other than the gateway; overlapping IPv6). */
    conflicts: string[];
    expected: string[];
    flannelSubnet?: string;
    flannelIpv6Subnet?: string;
    /** flannel's lease differs from the node's podCIDR (kube subnet manager mode only). */
    staleLease: { flannel: string; podCIDR: string }[];
    forceAddress: boolean;
    cniFile?: string;
  };

export function decide(
  cni0: Cni0Addrs | undefined, env: FlannelSubnetEnv | undefined, cfg: CniConfig | undefined, api: NodeApiInfo | undefined,
): Verdict {
  if (!cni0 || !env) return { state: 'not-evaluated' };
  if (!env.present) return { state: 'no-flannel-lease' };
  const primary = cfg ? primaryCniFile(cfg) : undefined;
  if (primary && primary.readable && !primary.types.includes('flannel')) return { state: 'other-cni', file: primary.name, types: primary.types };
  const bridge = primary?.bridges.find((b) => b !== '');
  if (bridge && bridge !== 'cni0') return { state: 'custom-bridge', bridge, file: primary!.name };

  const gateways = [env.subnet, env.ipv6Subnet].filter((c): c is Cidr => !!c).map(gateway);
  const addrs = cni0.present ? cni0.addrs : [];
  const conflicts = addrs.filter((a) => {
    const gw = gateways.find((g) => g.family === a.cidr.family);
    if (!gw || sameCidr(a.cidr, gw)) return false;
    if (a.cidr.family === 4) return true;
    return contains(a.cidr, gw.addr, 6) || contains(gw, a.cidr.addr, 6);
  });

  const staleLease: { flannel: string; podCIDR: string }[] = [];
  if (api?.kubeSubnetManager) {
    for (const lease of [env.subnet, env.ipv6Subnet]) {
      if (!lease) continue;
      const pod = api.podCIDRs.map(parseCidr).find((c): c is Cidr => !!c && c.family === lease.family);
      if (pod && !sameCidr(network(pod), network(lease))) staleLease.push({ flannel: formatCidr(network(lease)), podCIDR: formatCidr(network(pod)) });
    }
  }
  return {
    state: 'evaluated',
    bridgePresent: cni0.present,
    addresses: addrs.map((a) => a.text),
    conflicts: conflicts.map((a) => a.text),
    expected: gateways.map(formatCidr),
    flannelSubnet: env.subnet ? formatCidr(env.subnet) : undefined,
    flannelIpv6Subnet: env.ipv6Subnet ? formatCidr(env.ipv6Subnet) : undefined,
    staleLease,
    forceAddress: primary?.forceAddress ?? false,
    cniFile: primary?.name,
  };
}

/** The gateway flannel would use for a pod CIDR (network + 1), e.g. 10.244.3.1/24 for 10.244.3.0/24. */
export function gatewayOf(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  return c ? formatCidr(gateway(c)) : undefined;
}
