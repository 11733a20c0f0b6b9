// The kubelet's configuration as the node has it: the file named by the running kubelet's --config
// (else the usual locations: kubeadm, EKS, GKE), plus the command-line flags that override it. This
// is the fallback for GET /api/v1/nodes/<n>/proxy/configz (check-facts §4.2, §4.4: flags and
// drop-ins can make the file differ from the effective config, so configz is preferred).
// Only the flags named below leave the node: a kubelet command line may carry other things.
import yaml from 'js-yaml';
import { defineProbe, ProbeError } from '../probe-types.js';
import { dict } from '../../util/dict.js';

/** The settings the disk checks read; everything else in the config is dropped at parse time. */
export interface KubeletSettings {
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
  imageMinimumGCAge?: string;
  imageMaximumGCAge?: string;
  /** Signal → threshold ("10%", "100Mi"), exactly as configured. */
  evictionHard?: Record<string, string>;
  mergeDefaultEvictionSettings?: boolean;
  containerLogMaxSize?: string;
  containerLogMaxFiles?: number;
}

export interface KubeletConfigFile {
  /** The kubelet process was found (its command line read). */
  kubeletRunning: boolean;
  /** --config as the kubelet was started with it, if it was. */
  configFlag?: string;
  /** --config-dir drop-ins (kubelet ≥ 1.28): they may override the file; not merged here. */
  configDir?: string;
  /** The file that was read, or why none was. */
  file: { path: string; settings: KubeletSettings } | { path: string | null; error: string };
  /** Settings after the overriding flags were applied (flags win over the file). */
  settings: KubeletSettings;
  /** Flags that overrode the file, as given (name → value). */
  flags: Record<string, string>;
}

const FLAGS = ['config', 'config-dir', 'eviction-hard', 'image-gc-high-threshold', 'image-gc-low-threshold'] as const;

/** Where distributions put the file when the kubelet's command line does not say. */
export const CONFIG_CANDIDATES = [
  '/var/lib/kubelet/config.yaml',
  '/etc/kubernetes/kubelet/config.json',
  '/etc/kubernetes/kubelet/kubelet-config.json',
  '/etc/kubernetes/kubelet-config.yaml',
  '/home/kubernetes/kubelet-config.yaml',
];

const MAX_BYTES = 262144;



export const kubeletConfig = defineProbe<KubeletConfigFile>({
  // comm is at most 15 characters and is exactly "kubelet" for the kubelet binary. The awk filter keeps
  // only the flags above (and the value after a flag given as "--flag value").
  script: [
    'pid=',
    'for d in /proc/[0-9]*; do',
    '  c=; read -r c < "$d/comm" 2>/dev/null || continue',
    '  if [ "$c" = kubelet ]; then pid=${d#/proc/}; break; fi',
    'done',
    'cfg=',
    'if [ -n "$pid" ]; then',
    '  echo "@@ pid $pid"',
    `  tr '\\000' '\\n' < "/proc/$pid/cmdline" | awk 'w { print "@@ arg " $0; w = 0; next } /^--(${FLAGS.join('|')})(=|$)/ { print "@@ arg " $0; if ($0 !~ /=/) w = 1 }'`,
    `  cfg=$(tr '\\000' '\\n' < "/proc/$pid/cmdline" | awk 'f { print; exit } /^--config=/ { sub(/^--config=/, ""); print; exit } $0 == "--config" { f = 1 }')`,
    'fi',
    'if [ -n "$cfg" ]; then',
    '  set -- "$cfg"',
    // A kubelet in a container (kind, k3d) sees its own root; /proc/<pid>/root reaches it from the host.
    '  case $cfg in /*) set -- "/proc/$pid/root$cfg" "$cfg";; esac',
    'else',
    `  set -- ${CONFIG_CANDIDATES.join(' ')}`,
    'fi',
    'found=',
    'for f in "$@"; do',
    '  [ -f "$f" ] || continue',
    // A file that names staticPodURLHeader (the one setting that holds credentials) is not printed at
    // all: with --node-access pod this output passes through the probe pod's log, which a log shipper
    // may keep, before the tool cuts the file down to the settings it reads.
    '  if [ ! -r "$f" ]; then echo "@@ unreadable $f"',
    '  elif grep -qi urlheader -- "$f" </dev/null; then echo "@@ withheld $f"',
    `  else echo "@@ file $f"; head -c ${MAX_BYTES} -- "$f" </dev/null; echo; echo "@@ endfile"`,
    '  fi',
    '  found=1; break',
    'done',
    '[ -n "$found" ] || echo "@@ nofile $*"',
    'echo "@@ end"',
  ].join('\n'),
  parse([s]) {
    return parseKubeletConfigOutput(s!.stdout);
  },
  reduce: reduceKubeletConfigOutput,
});

/** A kubelet config file can hold credentials (staticPodURLHeader) and anything else an operator put
 * there: as soon as the output arrives, each file is replaced by the settings the checks read (as JSON),
 * so the rest never reaches a report or a snapshot. An unparsable file keeps only the reason. */
export function reduceKubeletConfigOutput(stdout: string): string {
  const lines = stdout.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const close = line.startsWith('@@ file ') ? lines.indexOf('@@ endfile', i + 1) : -1;
    if (close < 0) { out.push(line); continue; }
    const path = line.slice('@@ file '.length);
    const file = readSettings(path, lines.slice(i + 1, close).join('\n'));
    if ('settings' in file) out.push(line, JSON.stringify({ kind: 'KubeletConfiguration', ...file.settings }), '@@ endfile');
    else out.push(`@@ invalid ${path}\t${file.error}`);
    i = close;
  }
  return out.join('\n');
}

export function parseKubeletConfigOutput(stdout: string): KubeletConfigFile {
  const lines = stdout.split('\n');
  const end = lines.indexOf('@@ end');
  if (end < 0) throw new ProbeError('kubeletConfig: output is truncated (no end marker)');
  let kubeletRunning = false;
  const args: string[] = [];
  let file: KubeletConfigFile['file'] | undefined;
  for (let i = 0; i < end; i++) {
    const line = lines[i]!;
    if (/^@@ pid \d+$/.test(line)) { kubeletRunning = true; continue; }
    if (line.startsWith('@@ arg ')) { args.push(line.slice('@@ arg '.length)); continue; }
    if (line.startsWith('@@ file ')) {
      const path = hostPath(line.slice('@@ file '.length));
      const close = lines.indexOf('@@ endfile', i + 1);
      if (close < 0 || close > end) throw new ProbeError(`kubeletConfig: ${path} is cut off`);
      const text = lines.slice(i + 1, close).join('\n');
      file = readSettings(path, text);
      i = close;
      continue;
    }
    if (line.startsWith('@@ invalid ')) {
      const [path, error] = line.slice('@@ invalid '.length).split('\t');
      file = { path: hostPath(path!), error: error ?? 'not valid YAML/JSON' };
      continue;
    }
    if (line.startsWith('@@ withheld ')) {
      file = { path: hostPath(line.slice('@@ withheld '.length)), error: 'it holds staticPodURLHeader (credentials), so it is not read from the node; configz through the API server is the source' };
      continue;
    }
    if (line.startsWith('@@ unreadable ')) {
      file = { path: hostPath(line.slice('@@ unreadable '.length)), error: 'permission denied (use --sudo)' };
      continue;
    }
    if (line.startsWith('@@ nofile')) {
      const tried = line.slice('@@ nofile'.length).trim();
      file = { path: null, error: `no kubelet config file found (tried ${tried || 'nothing'})` };
      continue;
    }
    if (line.trim() !== '') throw new ProbeError(`kubeletConfig: unexpected output ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (!file) throw new ProbeError('kubeletConfig: no file section in the output');

  const flags = parseFlags(args);
  const base = 'settings' in file ? file.settings : {};
  const settings: KubeletSettings = { ...base };
  const overrides = dict<string>();
  const high = flags.get('image-gc-high-threshold');
  if (high !== undefined && /^\d+$/.test(high)) { settings.imageGCHighThresholdPercent = Number(high); overrides['image-gc-high-threshold'] = high; }
  const low = flags.get('image-gc-low-threshold');
  if (low !== undefined && /^\d+$/.test(low)) { settings.imageGCLowThresholdPercent = Number(low); overrides['image-gc-low-threshold'] = low; }
  const hard = flags.get('eviction-hard');
  if (hard !== undefined) {
    // The flag replaces the whole map, like a partial evictionHard in the file.
    settings.evictionHard = parseEvictionFlag(hard);
    overrides['eviction-hard'] = hard;
  }
  return {
    kubeletRunning,
    configFlag: flags.get('config'),
    configDir: flags.get('config-dir'),
    file,
    settings,
    flags: overrides,
  };
}

/** "/proc/123/root/var/lib/kubelet/config.yaml" → "/var/lib/kubelet/config.yaml": the path as the kubelet names it. */
function hostPath(path: string): string {
  return path.replace(/^\/proc\/\d+\/root(?=\/)/, '');
}

function parseFlags(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]!);
    if (!m) continue;
    const value = m[2] ?? args[i + 1];
    if (m[2] === undefined) i++;
    // The last occurrence wins, as with the kubelet's flag parsing.
    if (value !== undefined) out.set(m[1]!, value);
  }
  return out;
}

/** "memory.available<100Mi,nodefs.available<10%" → { 'memory.available': '100Mi', … }. */
export function parseEvictionFlag(text: string): Record<string, string> {
  const out = dict<string>();
  for (const part of text.split(',')) {
    const m = /^\s*([a-z.A-Z]+)\s*<\s*(\S+)\s*$/.exec(part);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function readSettings(path: string, text: string): KubeletConfigFile['file'] {
  let doc: unknown;
  try {
    // JSON is YAML, so the EKS JSON files read the same way. CORE_SCHEMA: no YAML 1.1 surprises
    // (timestamps, `yes`), like the kubelet's own decoder, which goes through JSON.
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA, json: true, filename: path });
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { path, error: `not valid YAML/JSON: ${reason}` };
  }
  if (!isRecord(doc)) return { path, error: 'not a KubeletConfiguration (no mapping at the top level)' };
  if (doc.kind !== undefined && doc.kind !== 'KubeletConfiguration') {
    return { path, error: `not a KubeletConfiguration (kind: ${String(doc.kind).slice(0, 40)})` };
  }
  return { path, settings: pickSettings(doc) };
}

/** The settings the checks use, from a KubeletConfiguration object (the file, or configz's
 * `kubeletconfig`). Fields of the wrong type are left out, as if unset. */
export function pickSettings(obj: unknown): KubeletSettings {
  if (!isRecord(obj)) return {};
  const out: KubeletSettings = {};
  const num = (k: keyof KubeletSettings) => {
    const v = obj[k];
    if (typeof v === 'number' && Number.isFinite(v)) (out as Record<string, unknown>)[k] = v;
  };
  const str = (k: keyof KubeletSettings) => {
    const v = obj[k];
    if (typeof v === 'string') (out as Record<string, unknown>)[k] = v;
  };
  num('imageGCHighThresholdPercent');
  num('imageGCLowThresholdPercent');
  str('imageMinimumGCAge');
  str('imageMaximumGCAge');
  str('containerLogMaxSize');
  num('containerLogMaxFiles');
  if (typeof obj.mergeDefaultEvictionSettings === 'boolean') out.mergeDefaultEvictionSettings = obj.mergeDefaultEvictionSettings;
  if (isRecord(obj.evictionHard)) {
    out.evictionHard = dict();
    for (const [k, v] of Object.entries(obj.evictionHard)) {
      if (typeof v === 'string' || typeof v === 'number') out.evictionHard[k] = String(v);
    }
  }
  // `evictionHard:` with nothing after it is null in YAML: left unset, so the defaults apply.
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
