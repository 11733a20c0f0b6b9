// TCP counters of the node's network namespace (/proc/net/netstat TcpExt, /proc/net/snmp Tcp), sampled
// twice so checks can compute rates: the counters are cumulative since boot (check-facts §0.2).
import { defineProbe, ProbeError, type RawSample } from '../probe-types.js';
import { catFilesScript, readFiles, unreadableReason } from '../parsers/marked.js';
import { parseMibLines, type Mib } from '../parsers/mib.js';
import { dict } from '../../util/dict.js';

export interface Netstat {
  /** One parsed read per sample, in order (two when --sample-interval > 0). */
  samples: Mib[];
  intervalSeconds: number;
}

const FILES = ['/proc/net/netstat', '/proc/net/snmp'];

export const netstat = defineProbe<Netstat>({
  script: catFilesScript(FILES),
  sampled: true,
  parse(samples, intervalSeconds) {
    if (!samples.length) throw new ProbeError('netstat: no sample');
    return { samples: samples.map(parseOne), intervalSeconds };
  },
});

function parseOne(s: RawSample): Mib {
  const files = readFiles(s.stdout, 'netstat');
  const mib: Mib = dict();
  for (const path of FILES) {
    const read = files.get(path);
    if (read?.state !== 'ok') throw new ProbeError(`netstat: ${unreadableReason(path, read)}`);
    parseMibLines(read.lines, path, mib);
  }
  if (!mib.TcpExt || !mib.Tcp) throw new ProbeError('netstat: no TcpExt or Tcp counters in the output');
  return mib;
}
