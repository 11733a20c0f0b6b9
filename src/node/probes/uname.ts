import { defineProbe, ProbeError } from '../probe-types.js';

export interface Uname {
  /** `uname -r`, e.g. "5.10.0-35-amd64" or "3.10.0-1160.el7.x86_64". */
  release: string;
}

export const uname = defineProbe<Uname>({
  script: 'uname -r',
  parse([s]) {
    const release = s.stdout.trim();
    if (s.exitCode !== 0 || !/^\d+\.\d+/.test(release)) throw new ProbeError(`unexpected uname -r output: ${JSON.stringify(release.slice(0, 80))}`);
    return { release };
  },
});
