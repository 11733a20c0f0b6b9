// Progress on stderr while collecting (ora spinner), only when stderr is a terminal and not in CI:
// stdout carries the report, and piped or CI output must not fill up with spinner frames.
// ora (and its dozen dependencies) is imported only when a spinner will show: ~0.1 s of startup.
import type { ProgressEvent } from '../engine/run.js';
import { sanitizeLine } from '../report/sanitize.js';

export async function createProgress(opts: { nodesVia?: string } = {}): Promise<{ update: (e: ProgressEvent) => void; stop: () => void }> {
  // A pseudo-terminal that reports 0 columns (`script`, some CI runners) makes ora 9 compute an
  // infinite number of lines to clear and spin forever: no spinner there.
  const enabled = Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0 && !process.env.CI;
  if (!enabled) return { update: () => {}, stop: () => {} };
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, text: 'connecting', discardStdin: false }).start();
  return {
    update(e) {
      if (e.type === 'list') spinner.text = `listing ${e.kind} … ${e.count}`;
      else if (e.type === 'nodes') spinner.text = `probing nodes ${opts.nodesVia ?? 'over SSH'} … ${e.done}/${e.total}${e.node ? ` (${sanitizeLine(e.node)})` : ''}`;
      else spinner.text = 'evaluating';
    },
    stop: () => spinner.stop(),
  };
}
