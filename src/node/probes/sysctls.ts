// Kernel settings the network checks compare against, read from /proc/sys one file per key so a key
// the kernel (or this network namespace) does not have is told apart from an unreadable one.
import { defineProbe, ProbeError } from '../probe-types.js';
import { catFilesScript, readFiles, unreadableReason } from '../parsers/marked.js';

export const SYSCTL_KEYS = [
  'net.core.somaxconn',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.neigh.default.gc_thresh1',
  'net.ipv4.neigh.default.gc_thresh2',
  'net.ipv4.neigh.default.gc_thresh3',
  'net.ipv6.neigh.default.gc_thresh1',
  'net.ipv6.neigh.default.gc_thresh2',
  'net.ipv6.neigh.default.gc_thresh3',
] as const;
export type SysctlKey = (typeof SYSCTL_KEYS)[number];

export interface Sysctls {
  /** Integer value per key; absent when the key could not be read (see `unavailable`). */
  values: Partial<Record<SysctlKey, number>>;
  /** Why a key has no value, e.g. "/proc/sys/net/ipv4/neigh/default/gc_thresh3 does not exist". */
  unavailable: Partial<Record<SysctlKey, string>>;
}

const pathOf = (key: SysctlKey) => `/proc/sys/${key.replaceAll('.', '/')}`;

export const sysctls = defineProbe<Sysctls>({
  script: catFilesScript(SYSCTL_KEYS.map(pathOf)),
  parse([s]) {
    const files = readFiles(s!.stdout, 'sysctls');
    const values: Sysctls['values'] = {};
    const unavailable: Sysctls['unavailable'] = {};
    for (const key of SYSCTL_KEYS) {
      const read = files.get(pathOf(key));
      if (read?.state !== 'ok') { unavailable[key] = unreadableReason(pathOf(key), read); continue; }
      const text = read.lines.join(' ').trim();
      if (!/^-?\d+$/.test(text)) throw new ProbeError(`sysctls: ${key} is not an integer: ${JSON.stringify(text.slice(0, 40))}`);
      values[key] = Number(text);
    }
    if (!Object.keys(values).length) {
      throw new ProbeError(`sysctls: no key readable (${Object.values(unavailable)[0] ?? 'no output'})`);
    }
    return { values, unavailable };
  },
});
