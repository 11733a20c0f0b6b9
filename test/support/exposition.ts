// Writes Prometheus text expositions for tests, in the format kube-apiserver serves (TYPE lines,
// cumulative histogram buckets with le labels, +Inf last).

type Labels = Record<string, string>;
const fmt = (labels: Labels): string => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

export class Exposition {
  private readonly lines: string[] = [];
  private readonly typed = new Set<string>();

  private type(name: string, type: string): void {
    if (this.typed.has(name)) return;
    this.typed.add(name);
    this.lines.push(`# HELP ${name} test metric`, `# TYPE ${name} ${type}`);
  }

  gauge(name: string, labels: Labels, value: number): this {
    this.type(name, 'gauge');
    this.lines.push(`${name}${fmt(labels)} ${value}`);
    return this;
  }

  counter(name: string, labels: Labels, value: number): this {
    this.type(name, 'counter');
    this.lines.push(`${name}${fmt(labels)} ${value}`);
    return this;
  }

  /** counts: observations per bucket (not cumulative), one per bound, then the +Inf overflow. */
  histogram(name: string, labels: Labels, bounds: number[], counts: number[], sum = 0): this {
    this.type(name, 'histogram');
    let cumulative = 0;
    bounds.forEach((le, i) => {
      cumulative += counts[i] ?? 0;
      this.lines.push(`${name}_bucket${fmt({ ...labels, le: String(le) })} ${cumulative}`);
    });
    cumulative += counts[bounds.length] ?? 0;
    this.lines.push(`${name}_bucket${fmt({ ...labels, le: '+Inf' })} ${cumulative}`, `${name}_sum${fmt(labels)} ${sum}`, `${name}_count${fmt(labels)} ${cumulative}`);
    return this;
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

/** kube-apiserver's request duration buckets. */
export const REQUEST_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
