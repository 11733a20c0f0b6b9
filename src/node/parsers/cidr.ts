// IPv4/IPv6 address arithmetic for comparing bridge addresses, flannel subnets and pod CIDRs.
// Addresses are BigInts so both families share one code path.

export interface Cidr {
  family: 4 | 6;
  /** The address as written (host bits kept: 10.244.1.1/24 stays .1). */
  addr: bigint;
  prefix: number;
}

const bits = (f: 4 | 6) => (f === 4 ? 32 : 128);

export function parseIp(text: string): { family: 4 | 6; addr: bigint } | undefined {
  if (typeof text !== 'string') return undefined; // API data of the wrong type is no address
  const s = text.trim().replace(/%.*$/, ''); // drop an IPv6 zone ("fe80::1%eth0")
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { family: 4, addr: parts.reduce((a, p) => (a << 8n) | BigInt(p), 0n) };
  }
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return undefined;
  let head = s;
  let tail4: bigint | undefined;
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (dotted) { // "::ffff:10.0.0.1"
    const v4 = parseIp(dotted[2]!);
    if (!v4) return undefined;
    head = `${dotted[1]!}0:0`;
    tail4 = v4.addr;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - left.length - right.length;
  if (halves.length === 1 ? left.length !== 8 : fill < 1) return undefined;
  const all = [...left, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...right];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  let addr = all.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tail4 !== undefined) addr = (addr & ~0xffffffffn) | tail4;
  return { family: 6, addr };
}

export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (!ip || prefix > bits(ip.family)) return undefined;
  return { ...ip, prefix };
}

function mask(c: Pick<Cidr, 'family' | 'prefix'>): bigint {
  const n = BigInt(bits(c.family));
  return ((1n << n) - 1n) ^ ((1n << (n - BigInt(c.prefix))) - 1n);
}

/** The network address with the prefix, e.g. 10.244.1.0/24 for 10.244.1.1/24. */
export function network(c: Cidr): Cidr {
  return { family: c.family, prefix: c.prefix, addr: c.addr & mask(c) };
}

/** The bridge plugin's gateway: network + 1 with the subnet's prefix (calcGatewayIP). */
export function gateway(c: Cidr): Cidr {
  return { ...network(c), addr: network(c).addr + 1n };
}

export function contains(c: Cidr, addr: bigint, family: 4 | 6): boolean {
  return c.family === family && (addr & mask(c)) === network(c).addr;
}

export function sameCidr(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.prefix === b.prefix && a.addr === b.addr;
}

export function formatIp(family: 4 | 6, addr: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((addr >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((addr >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on a tie.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.addr)}/${c.prefix}`;
}
