// Kernel release strings as nodes report them (node.status.nodeInfo.kernelVersion, `uname -r`):
// "3.10.0-1160.el7.x86_64", "4.14.152-127.182.amzn2.x86_64", "4.15.0-1050-aws", "4.19.0-6-amd64",
// "4.19.112+", "5.4.0-rc3", "5.10.0-35-cloud-amd64". Only major.minor decides the CFS fix: de53fd7aedb1
// was merged for 5.4 (so every 5.4 release candidate has it); older lines depend on backports.

export interface KernelRelease {
  raw: string;
  major: number;
  minor: number;
  patch: number;
  /** Release candidate number, for "-rcN". */
  rc?: number;
  /** Who built it, when the string says so. */
  vendor?: string;
}

const VENDORS: [RegExp, string][] = [
  [/\.el(\d+)uek\b/, 'Oracle Linux UEK'],
  [/\.el(\d+)(?:_\d+)?\b/, 'Red Hat Enterprise Linux / CentOS'],
  [/\.amzn(\d+)\b/, 'Amazon Linux'],
  [/\.fc(\d+)\b/, 'Fedora'],
  [/coreos|flatcar/, 'Container Linux / Flatcar'],
  [/^\d+\.\d+\.\d+-\d+-(?:generic|aws|azure|gcp|gke|gkeop|kvm|lowlatency|oracle|ibm|raspi)\b/, 'Ubuntu'],
  [/^\d+\.\d+\.\d+-\d+-(?:amd64|arm64|cloud-amd64|cloud-arm64|rt-amd64)\b/, 'Debian'],
  [/^\d+\.\d+\.\d+-[\d.]+-(?:default|azure)$/, 'SUSE'],
  [/^\d+\.\d+\.\d+\+$/, 'a custom build (e.g. Container-Optimized OS)'],
];

export function parseKernelRelease(text: string | undefined): KernelRelease | undefined {
  const raw = (text ?? '').trim();
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(raw);
  if (!m) return undefined;
  const rc = /-rc(\d+)/.exec(raw);
  const vendor = VENDORS.find(([re]) => re.test(raw));
  return {
    raw, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0),
    ...(rc ? { rc: Number(rc[1]) } : {}),
    ...(vendor ? { vendor: vendor[1] } : {}),
  };
}

/** Mainline 5.4 and later carry de53fd7aedb1 (CVE-2019-19922). */
export function hasMainlineCfsFix(k: KernelRelease): boolean {
  return k.major > 5 || (k.major === 5 && k.minor >= 4);
}

export function formatKernel(k: KernelRelease): string {
  return k.vendor ? `${k.raw} (${k.vendor})` : k.raw;
}
