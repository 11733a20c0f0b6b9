// The addresses on the cni0 bridge (the bridge CNI plugin's default name, used by flannel). No cni0
// is a valid answer: the bridge plugin creates it when the first pod sandbox is set up.
import { defineProbe, ProbeError } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';
import { parseCidr, type Cidr } from '../parsers/cidr.js';

export interface BridgeAddr {
  /** As `ip` prints it, e.g. "10.244.1.1/24". */
  text: string;
  cidr: Cidr;
  /** "global", "link", "host". */
  scope?: string;
}

export type Cni0Addrs = { present: false } | { present: true; addrs: BridgeAddr[] };

export const cni0Addrs = defineProbe<Cni0Addrs>({
  script: [
    `if ! command -v ip >/dev/null 2>&1; then echo "${MARK}no-ip"`,
    `elif ! ip link show dev cni0 >/dev/null 2>&1; then echo "${MARK}absent"`,
    'else',
    // iproute2 before 4.14 has no -j: fall back to the one-line format.
    '  j=$(ip -j addr show dev cni0 2>/dev/null)',
    `  if [ -n "$j" ]; then echo "${MARK}json"; printf '%s\\n' "$j"`,
    `  else echo "${MARK}oneline"; ip -o addr show dev cni0; echo "${MARK}exit $?"; fi`,
    'fi',
    `echo "${MARK}end"`,
  ].join('\n'),
  parse([s]) {
    const { sections } = splitMarked(s!.stdout, 'cni0Addrs');
    const kind = sections[0]?.marker;
    if (kind === 'no-ip') throw new ProbeError('cni0Addrs: the ip command is not installed (iproute2)');
    if (kind === 'absent' && sections.length === 1) return { present: false };
    if (kind === 'json' && sections.length === 1) return { present: true, addrs: fromJson(sections[0]!.lines.join('\n')) };
    if (kind === 'oneline' && sections[1]?.marker === 'exit 0') return { present: true, addrs: fromOneline(sections[0]!.lines) };
    if (kind === 'oneline') throw new ProbeError(`cni0Addrs: ip -o addr show dev cni0 failed (${sections[1]?.marker ?? 'no exit status'})`);
    throw new ProbeError('cni0Addrs: unexpected output');
  },
});

interface IpJsonAddr { family?: string; local?: string; prefixlen?: number; scope?: string }

function fromJson(text: string): BridgeAddr[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ProbeError('cni0Addrs: ip -j output is not valid JSON (truncated?)');
  }
  if (!Array.isArray(doc)) throw new ProbeError('cni0Addrs: ip -j output is not a list');
  const link = doc.find((l): l is { ifname?: string; addr_info?: IpJsonAddr[] } => typeof l === 'object' && l !== null && (l as { ifname?: string }).ifname === 'cni0');
  if (!link) throw new ProbeError('cni0Addrs: ip -j output has no cni0 entry');
  const out: BridgeAddr[] = [];
  for (const a of link.addr_info ?? []) {
    if ((a.family !== 'inet' && a.family !== 'inet6') || !a.local) continue;
    const text = `${a.local}/${a.prefixlen}`;
    const cidr = parseCidr(text);
    if (!cidr) throw new ProbeError(`cni0Addrs: unexpected address ${JSON.stringify(text.slice(0, 60))}`);
    out.push({ text, cidr, scope: a.scope });
  }
  return out;
}

// "5: cni0    inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0\       valid_lft forever …"
const ONELINE = /^\d+:\s+cni0\s+(inet6?)\s+(\S+)(?:.*?\sscope\s+(\S+))?/;

function fromOneline(lines: string[]): BridgeAddr[] {
  const out: BridgeAddr[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    const m = ONELINE.exec(line);
    const cidr = m ? parseCidr(m[2]!) : undefined;
    if (!m || !cidr) throw new ProbeError(`cni0Addrs: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    out.push({ text: m[2]!, cidr, scope: m[3] });
  }
  return out;
}
