// TCP listeners of the node's network namespace from `ss -ltn`. For a LISTEN socket ss shows the
// current accept-queue length as Recv-Q and the effective backlog, min(listen() backlog, somaxconn),
// as Send-Q (check-facts §1.2). Sampled: a queue that is full at both looks is not a blip.
import { defineProbe, ProbeError, type RawSample } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';

export interface Listener {
  /** Local address without brackets, e.g. "0.0.0.0", "::", "127.0.0.53%lo", "*". */
  address: string;
  port: number;
  /** Accept queue length now. */
  recvQ: number;
  /** Accept queue limit (effective backlog). */
  sendQ: number;
}

export interface Listeners {
  /** One list per sample. */
  samples: Listener[][];
}

// -H is not used: ss before iproute2 4.13 does not know it; the header is skipped instead.
export const listeners = defineProbe<Listeners>({
  script: [
    `if command -v ss >/dev/null 2>&1; then echo "${MARK}ss"; ss -ltn; echo "${MARK}exit $?"; else echo "${MARK}no-ss"; fi`,
    `echo "${MARK}end"`,
  ].join('\n'),
  sampled: true,
  parse(samples) {
    if (!samples.length) throw new ProbeError('listeners: no sample');
    return { samples: samples.map(parseOne) };
  },
});

function parseOne(s: RawSample): Listener[] {
  const { sections } = splitMarked(s.stdout, 'listeners');
  if (sections.some((x) => x.marker === 'no-ss')) throw new ProbeError('listeners: the ss command is not installed (iproute2)');
  const body = sections.find((x) => x.marker === 'ss');
  const exit = sections.find((x) => x.marker.startsWith('exit '));
  if (!body || !exit) throw new ProbeError('listeners: unexpected output');
  if (exit.marker !== 'exit 0') throw new ProbeError(`listeners: ss -ltn failed (${exit.marker})`);
  const out: Listener[] = [];
  for (const line of body.lines) {
    const t = line.trim().split(/\s+/);
    if (!t[0] || t[0] === 'State' || t[0] === 'Recv-Q') continue;
    // Some ss versions omit the State column when a single state is listed.
    const cols = /^\d+$/.test(t[0]) ? t : t.slice(1);
    const [recvQ, sendQ, local] = cols;
    if (!recvQ || !sendQ || !local || !/^\d+$/.test(recvQ) || !/^\d+$/.test(sendQ)) {
      throw new ProbeError(`listeners: unexpected ss line ${JSON.stringify(line.slice(0, 80))}`);
    }
    const m = /^\[?(.*?)\]?:(\d+|\*)$/.exec(local);
    if (!m) throw new ProbeError(`listeners: unexpected local address ${JSON.stringify(local.slice(0, 60))}`);
    if (m[2] === '*') continue;
    out.push({ address: m[1]!, port: Number(m[2]), recvQ: Number(recvQ), sendQ: Number(sendQ) });
  }
  return out;
}
