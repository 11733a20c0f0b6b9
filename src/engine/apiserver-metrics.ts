// The API server's /metrics for the checks that ask for it: the first scrape when the run starts, the
// second after the API lists once --sample-interval has passed (the lists fill the wait), so rates
// cost no extra time. Each scrape is parsed at once, keeping only the families the checks named; the
// raw text is kept only as long as a snapshot recorder still needs it.
import { MetricsParseError, parseExposition, type Exposition } from '../metrics/prometheus-text.js';
import { ResourceUnavailable, type ApiSource, type MetricsScrape, type Recorder } from './source.js';
import type { ApiserverMetrics, CheckDefinition, Gap } from './types.js';

export class ApiserverMetricsCollector {
  private readonly families: Set<string>;
  private first?: { scrape: MetricsScrape; parsed: Exposition };
  private failure?: string;

  constructor(private readonly api: ApiSource, checks: readonly CheckDefinition[], private readonly intervalSeconds: number,
    private readonly recorder?: Recorder) {
    this.families = new Set(checks.flatMap((c) => c.needs.apiserverMetrics?.families ?? []));
  }

  get wanted(): boolean {
    return this.families.size > 0;
  }

  private started: Promise<void> = Promise.resolve();

  /** Starts the first scrape; the lists need not wait for it (finish does). */
  start(): void {
    this.started = this.scrapeFirst();
  }

  private async scrapeFirst(): Promise<void> {
    if (!this.wanted) return;
    if (!this.api.scrapeMetrics) { this.failure = 'this data source has no API server metrics'; return; }
    try {
      const scrape = await this.api.scrapeMetrics(0);
      this.first = { scrape: this.recorder ? scrape : { text: '', at: scrape.at }, parsed: this.parse(scrape.text) };
    } catch (err) {
      this.failure = reasonOf(err);
    }
  }

  /** The second scrape (when the interval is > 0), recorded and parsed; a gap when there are no metrics. */
  async finish(): Promise<{ metrics: ApiserverMetrics; gap?: Gap }> {
    await this.started;
    const fail = (reason: string) => ({ metrics: { ok: false as const, reason }, gap: { source: 'api' as const, resource: '/metrics', reason } });
    if (this.failure || !this.first) {
      const reason = this.failure ?? 'not collected';
      await this.recorder?.metrics?.({ ok: false, reason });
      return fail(reason);
    }
    const scrapes = [this.first.scrape];
    const parsed = [this.first.parsed];
    let intervalSeconds = 0;
    if (this.intervalSeconds > 0) {
      try {
        const second = await this.api.scrapeMetrics!(this.intervalSeconds * 1000, this.first.scrape);
        parsed.push(this.parse(second.text));
        scrapes.push(second);
        intervalSeconds = (second.at - this.first.scrape.at) / 1000;
      } catch (err) {
        // One scrape still shows totals and gauges; the check says it had no second one.
        const reason = reasonOf(err);
        await this.recorder?.metrics?.({ ok: true, scrapes });
        return { metrics: { ok: true, scrapes: parsed, intervalSeconds: 0 }, gap: { source: 'api', resource: '/metrics (second scrape)', reason } };
      }
    }
    await this.recorder?.metrics?.({ ok: true, scrapes });
    this.first = undefined;
    return { metrics: { ok: true, scrapes: parsed, intervalSeconds } };
  }

  private parse(text: string): Exposition {
    return parseExposition(text, (family) => this.families.has(family));
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof ResourceUnavailable) return err.reason;
  if (err instanceof MetricsParseError) return `the /metrics answer is not the Prometheus text format (${err.message})`;
  throw err;
}
