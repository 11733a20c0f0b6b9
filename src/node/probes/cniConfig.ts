// What the node's CNI configuration says, reduced to the few facts the bridge check needs: for each
// file in /etc/cni/net.d (in the byte order the container runtime uses to pick the first one), the
// plugin "type"s, any "bridge" name, and "forceAddress". Nothing else of the files leaves the node.
import { defineProbe, ProbeError } from '../probe-types.js';
import { MARK, splitMarked } from '../parsers/marked.js';

export interface CniConfigFile {
  name: string;
  types: string[];
  bridges: string[];
  forceAddress: boolean;
  readable: boolean;
}

export interface CniConfig {
  /** False when /etc/cni/net.d does not exist. */
  present: boolean;
  files: CniConfigFile[];
}

export const cniConfig = defineProbe<CniConfig>({
  script: [
    'LC_ALL=C; export LC_ALL',
    'd=/etc/cni/net.d',
    `if [ ! -d "$d" ]; then echo "${MARK}missing"`,
    'else',
    `  echo "${MARK}dir"`,
    '  for f in "$d"/*; do',
    '    [ -f "$f" ] || continue',
    `    echo "${MARK}file \${f##*/}"`,
    `    if [ -r "$f" ]; then grep -o -E '"(type|bridge|forceAddress)"[[:space:]]*:[[:space:]]*("[^"]*"|true|false)' "$f"; else echo "${MARK}unreadable"; fi`,
    '  done',
    'fi',
    `echo "${MARK}end"`,
  ].join('\n'),
  parse([s]) {
    const { sections } = splitMarked(s!.stdout, 'cniConfig');
    const first = sections[0]?.marker;
    if (first === 'missing' && sections.length === 1) return { present: false, files: [] };
    if (first !== 'dir') throw new ProbeError('cniConfig: unexpected output');
    const files: CniConfigFile[] = [];
    for (const sec of sections.slice(1)) {
      if (sec.marker === 'unreadable' && files.length) { files.at(-1)!.readable = false; continue; }
      const m = /^file (.+)$/.exec(sec.marker);
      if (!m) throw new ProbeError(`cniConfig: unexpected marker ${JSON.stringify(sec.marker.slice(0, 60))}`);
      const file: CniConfigFile = { name: m[1]!, types: [], bridges: [], forceAddress: false, readable: true };
      for (const line of sec.lines) {
        const kv = /^"(type|bridge|forceAddress)"\s*:\s*(?:"([^"]*)"|(true|false))$/.exec(line.trim());
        if (!kv) throw new ProbeError(`cniConfig: unexpected line ${JSON.stringify(line.slice(0, 80))}`);
        if (kv[1] === 'type') file.types.push(kv[2] ?? '');
        else if (kv[1] === 'bridge') file.bridges.push(kv[2] ?? '');
        else if (kv[3] === 'true' || kv[2] === 'true') file.forceAddress = true;
      }
      files.push(file);
    }
    return { present: true, files };
  },
});

/** The file the container runtime uses: the first .conf/.conflist/.json in byte order. */
export function primaryCniFile(cfg: CniConfig): CniConfigFile | undefined {
  return cfg.files.filter((f) => /\.(conflist|conf|json)$/.test(f.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
}
