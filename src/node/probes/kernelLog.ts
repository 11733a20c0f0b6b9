// Kernel log lines about SYN floods, neighbour-table overflow and a full conntrack table, from the best readable source
// (check-facts §0.3): journalctl -k for the last hour (wall-clock stamps), else dmesg with ISO stamps,
// else plain dmesg (seconds since boot; the fragment adds /proc/uptime to turn them into ages). The
// filter runs on the node so only the few interesting lines travel. dmesg_restrict=1 without root
// leaves nothing readable: that is a gap, never "no lines".
import { defineProbe, ProbeError } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';
import { parseKernelLogLine, type KernelLogLine } from '../parsers/kernel-log.js';

export type KernelLogSource = 'journalctl' | 'dmesg-iso' | 'dmesg';

export interface KernelLog {
  source: KernelLogSource;
  /** Set when the node already limited the lines to a window (journalctl --since). */
  windowSeconds?: number;
  lines: KernelLogLine[];
}

export const KERNEL_LOG_WINDOW_SECONDS = 3600;
const LIMIT = 500;

export const kernelLog = defineProbe<KernelLog>({
  script: [
    "pat='possible syn flooding|neighbou?r table overflow|net_ratelimit|nf_conntrack: table full'",
    // journalctl exits 0 with no lines when it cannot read the kernel journal (no journald, not in
    // group adm/systemd-journal): only a kernel line from this boot proves the source works.
    'if command -v journalctl >/dev/null 2>&1 && [ -n "$(journalctl -k -n 1 -q --no-pager 2>/dev/null)" ]; then',
    `  echo "${MARK}source journalctl"`,
    `  journalctl -k --since=-1h -o short-iso -q --no-pager 2>/dev/null | grep -i -E "$pat" | tail -n ${LIMIT}`,
    'elif dmesg --time-format=iso >/dev/null 2>&1; then',
    `  echo "${MARK}source dmesg-iso"`,
    `  dmesg --time-format=iso 2>/dev/null | grep -i -E "$pat" | tail -n ${LIMIT}`,
    'elif dmesg >/dev/null 2>&1; then',
    `  echo "${MARK}source dmesg"`,
    `  echo "${MARK}uptime $(cut -d' ' -f1 /proc/uptime)"`,
    `  dmesg 2>/dev/null | grep -i -E "$pat" | tail -n ${LIMIT}`,
    `else echo "${MARK}source none $(cat /proc/sys/kernel/dmesg_restrict 2>/dev/null)"; fi`,
    `echo "${MARK}end"`,
  ].join('\n'),
  parse([s]) {
    const { sections } = splitMarked(s!.stdout, 'kernelLog');
    const head = sections[0]?.marker.split(' ') ?? [];
    if (head[0] !== 'source') throw new ProbeError('kernelLog: unexpected output');
    const source = head[1];
    if (source === 'none') {
      throw new ProbeError(head[2] === '1'
        ? 'kernel log not readable (dmesg_restrict; use --sudo)'
        : 'kernel log not readable (no kernel lines in the journal and dmesg failed)');
    }
    if (source !== 'journalctl' && source !== 'dmesg-iso' && source !== 'dmesg') throw new ProbeError(`kernelLog: unknown source ${source}`);
    let uptime: number | undefined;
    const raw = [...sections[0]!.lines];
    for (const sec of sections.slice(1)) {
      const m = /^uptime (\d+(?:\.\d+)?)$/.exec(sec.marker);
      if (!m) throw new ProbeError(`kernelLog: unexpected marker ${sec.marker}`);
      uptime = Number(m[1]);
      for (const l of sec.lines) raw.push(l); // no spread: a node decides how many lines there are
    }
    if (source === 'dmesg' && uptime === undefined) throw new ProbeError('kernelLog: plain dmesg without /proc/uptime');
    const lines = raw.filter((l) => l.trim() !== '').map((l) => parseKernelLogLine(l, source, uptime));
    return { source, windowSeconds: source === 'journalctl' ? KERNEL_LOG_WINDOW_SECONDS : undefined, lines };
  },
});
