// flanneld's per-node lease as the flannel CNI plugin reads it: /run/flannel/subnet.env. Absent is a
// valid answer (not flannel, or flanneld has not started). Only FLANNEL_* lines leave the node.
import { defineProbe, ProbeError } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';
import { parseCidr, type Cidr } from '../parsers/cidr.js';
import { dict, own } from '../../util/dict.js';

export const SUBNET_ENV = '/run/flannel/subnet.env';

export type FlannelSubnetEnv =
  | { present: false }
  | {
    present: true;
    /** FLANNEL_NETWORK, the cluster-wide pod network. */
    network?: Cidr;
    /** FLANNEL_SUBNET, this node's lease, written as its first address (e.g. 10.244.1.1/24). */
    subnet?: Cidr;
    ipv6Network?: Cidr;
    ipv6Subnet?: Cidr;
    /** The raw FLANNEL_* assignments, for evidence. */
    vars: Record<string, string>;
  };

export const flannelSubnetEnv = defineProbe<FlannelSubnetEnv>({
  script: [
    `f=${SUBNET_ENV}`,
    `if [ ! -e "$f" ]; then echo "${MARK}missing"`,
    `elif [ ! -r "$f" ]; then echo "${MARK}unreadable"`,
    `else echo "${MARK}file"; grep -E '^[[:space:]]*FLANNEL_[A-Z0-9_]*=' "$f"; fi`,
    `echo "${MARK}end"`,
  ].join('\n'),
  parse([s]) {
    const { sections } = splitMarked(s!.stdout, 'flannelSubnetEnv');
    const sec = sections[0];
    if (sections.length !== 1 || !sec) throw new ProbeError('flannelSubnetEnv: unexpected output');
    if (sec.marker === 'missing') return { present: false };
    if (sec.marker === 'unreadable') throw new ProbeError(`${SUBNET_ENV}: permission denied (use --sudo)`);
    if (sec.marker !== 'file') throw new ProbeError(`flannelSubnetEnv: unexpected marker ${sec.marker}`);
    const vars = dict<string>();
    for (const line of sec.lines) {
      const m = /^\s*(FLANNEL_[A-Z0-9_]*)=\s*"?([^"\s]*)"?\s*$/.exec(line);
      if (!m) throw new ProbeError(`flannelSubnetEnv: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
      vars[m[1]!] = m[2]!;
    }
    const cidr = (key: string): Cidr | undefined => {
      const v = own(vars, key);
      if (v === undefined || v === '') return undefined;
      const c = parseCidr(v);
      if (!c) throw new ProbeError(`${SUBNET_ENV}: ${key}=${JSON.stringify(v.slice(0, 60))} is not a CIDR`);
      return c;
    };
    const env = {
      present: true as const,
      network: cidr('FLANNEL_NETWORK'), subnet: cidr('FLANNEL_SUBNET'),
      ipv6Network: cidr('FLANNEL_IPV6_NETWORK'), ipv6Subnet: cidr('FLANNEL_IPV6_SUBNET'),
      vars,
    };
    if (!env.subnet && !env.ipv6Subnet) throw new ProbeError(`${SUBNET_ENV} has no FLANNEL_SUBNET (flanneld still writing it?)`);
    return env;
  },
});
