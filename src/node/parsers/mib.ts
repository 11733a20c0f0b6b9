// /proc/net/netstat and /proc/net/snmp: pairs of lines "Group: name name …" / "Group: value value …".
// Columns differ by kernel version, so names are zipped with values, never read by position.
import { ProbeError } from '../probe-types.js';
import { dict } from '../../util/dict.js';

/** Counters per group, e.g. mib.TcpExt.ListenOverflows, mib.Tcp.PassiveOpens. */
export type Mib = Record<string, Record<string, number>>;

export function parseMibLines(lines: readonly string[], what: string, into: Mib = dict()): Mib {
  const rows = lines.filter((l) => l.trim() !== '');
  if (rows.length % 2) throw new ProbeError(`${what}: odd number of lines (truncated?)`);
  for (let i = 0; i < rows.length; i += 2) {
    const head = splitRow(rows[i]!, what);
    const vals = splitRow(rows[i + 1]!, what);
    if (head.group !== vals.group) throw new ProbeError(`${what}: header ${head.group} followed by ${vals.group}`);
    if (head.fields.length !== vals.fields.length) {
      throw new ProbeError(`${what}: ${head.group} has ${head.fields.length} names but ${vals.fields.length} values (truncated?)`);
    }
    // Group and counter names are node output: prototype-free maps, so `__proto__` is just a name.
    const group: Record<string, number> = (into[head.group] ??= dict());
    head.fields.forEach((name, j) => {
      const v = vals.fields[j]!;
      // Tcp MaxConn is -1 ("no limit"); everything else is an unsigned counter.
      if (!/^-?\d+$/.test(v)) throw new ProbeError(`${what}: ${head.group} ${name} is not a number: ${JSON.stringify(v.slice(0, 30))}`);
      group[name] = Number(v);
    });
  }
  return into;
}

function splitRow(row: string, what: string): { group: string; fields: string[] } {
  const m = /^(\w+):\s*(.*)$/.exec(row.trim());
  if (!m) throw new ProbeError(`${what}: unexpected line ${JSON.stringify(row.slice(0, 60))}`);
  return { group: m[1]!, fields: m[2]!.split(/\s+/).filter(Boolean) };
}
