// kube-proxy's conntrack settings as the cluster configures them: the KubeProxyConfiguration in a
// kube-system ConfigMap (kubeadm: kube-proxy/config.conf; EKS: kube-proxy-config/config) and the
// --conntrack-* flags of the kube-proxy DaemonSet. kube-proxy sets nf_conntrack_max at start to
// max(maxPerCore × CPUs, min) when maxPerCore > 0 (cmd/kube-proxy/app getConntrackMax; defaults
// 32768 and 131072 in pkg/proxy/apis/config/v1alpha1/defaults.go), so that is where a lasting fix goes.
// Only the conntrack fields are kept; nothing else of the ConfigMap leaves this module.
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import yaml from 'js-yaml';

export const DEFAULT_MAX_PER_CORE = 32768;
export const DEFAULT_MIN = 131072;

export interface KubeProxyConntrack {
  /** Where the values come from, e.g. "ConfigMap kube-system/kube-proxy (config.conf)". */
  source: string;
  maxPerCore?: number;
  min?: number;
  tcpEstablishedTimeout?: string;
  tcpCloseWaitTimeout?: string;
}

/** The conntrack block of a KubeProxyConfiguration in a kube-system ConfigMap, if it holds one. */
export function kubeProxyConntrackFromConfigMap(cm: V1ConfigMap): KubeProxyConntrack | undefined {
  if (cm.metadata?.namespace !== 'kube-system' || !cm.metadata.name?.startsWith('kube-proxy')) return undefined;
  for (const [key, text] of Object.entries(cm.data ?? {})) {
    if (!/kind:\s*["']?KubeProxyConfiguration/.test(text)) continue;
    let doc: unknown;
    try { doc = yaml.load(text, { schema: yaml.CORE_SCHEMA }); } catch { continue; }
    const ct = (doc as { conntrack?: Record<string, unknown> } | null)?.conntrack ?? {};
    return {
      source: `ConfigMap kube-system/${cm.metadata.name} (${key})`,
      maxPerCore: intOrUndefined(ct.maxPerCore), min: intOrUndefined(ct.min),
      tcpEstablishedTimeout: strOrUndefined(ct.tcpEstablishedTimeout), tcpCloseWaitTimeout: strOrUndefined(ct.tcpCloseWaitTimeout),
    };
  }
  return undefined;
}

/** --conntrack-max-per-core / --conntrack-min given to a kube-proxy DaemonSet's container. */
export function kubeProxyConntrackFromDaemonSet(ds: V1DaemonSet): KubeProxyConntrack | undefined {
  if (ds.metadata?.namespace !== 'kube-system' || !ds.metadata.name?.startsWith('kube-proxy')) return undefined;
  const argv = (ds.spec?.template?.spec?.containers ?? []).flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]);
  const flag = (name: string) => {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
      if (a === `--${name}`) return argv[i + 1];
    }
    return undefined;
  };
  const maxPerCore = intOrUndefined(flag('conntrack-max-per-core'));
  const min = intOrUndefined(flag('conntrack-min'));
  if (maxPerCore === undefined && min === undefined) return undefined;
  return { source: `DaemonSet kube-system/${ds.metadata.name} flags`, maxPerCore, min };
}

/** What kube-proxy writes to nf_conntrack_max on a node with `cpus` CPUs; 0 = it leaves it alone. */
export function kubeProxyMax(c: Pick<KubeProxyConntrack, 'maxPerCore' | 'min'>, cpus: number): number {
  const perCore = c.maxPerCore ?? DEFAULT_MAX_PER_CORE;
  if (perCore <= 0) return 0;
  return Math.max(perCore * cpus, c.min ?? DEFAULT_MIN);
}

function intOrUndefined(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}
const strOrUndefined = (v: unknown) => (typeof v === 'string' ? v : undefined);
