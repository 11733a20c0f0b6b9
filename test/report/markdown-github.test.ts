// Markdown and GitHub workflow commands against their escaping rules, with a pod name that holds
// `|`, backticks, `%`, newlines, `::` and ANSI escapes: a table row stays one row, a finding stays one
// command, and what the reader sees is the text that was in the cluster (control characters made visible).
import { describe, expect, it } from '@jest/globals';
import { escapeData, escapeProperty, renderGithub } from '../../src/report/github.js';
import { md, renderMarkdown } from '../../src/report/markdown.js';
import { sanitizeLine } from '../../src/report/sanitize.js';
import { EVIL, hostileReport } from './hostile-report.js';

/** GFM cells of a table row: split on pipes that no backslash escapes. */
function cells(row: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < row.length; i++) {
    if (row[i] === '\\') { cur += row[i]! + (row[i + 1] ?? ''); i++; continue; }
    if (row[i] === '|') { out.push(cur); cur = ''; continue; }
    cur += row[i];
  }
  out.push(cur);
  return out.slice(1, -1); // leading and trailing pipe
}

/** Outside fenced code: the lines a renderer parses as Markdown. */
function prose(doc: string): string[] {
  const lines: string[] = [];
  let fence: string | null = null;
  for (const l of doc.split('\n')) {
    const m = /^(`{3,})/.exec(l);
    if (fence) { if (m && m[1] === fence && l === fence) fence = null; continue; }
    if (m) { fence = m[1]!; continue; }
    lines.push(l);
  }
  expect(fence).toBeNull(); // every fence closed
  return lines;
}

describe('markdown', () => {
  const report = hostileReport();
  const doc = renderMarkdown(report);

  it('keeps every table row one row with the header\'s number of cells', () => {
    const tables = prose(doc).filter((l) => l.startsWith('|'));
    const checkRows = tables.filter((l) => cells(l).length === 6);
    const suppressedRows = tables.filter((l) => cells(l).length === 5);
    expect(checkRows).toHaveLength(2 + report.checks.length);
    expect(suppressedRows).toHaveLength(2 + report.suppressed.length);
    expect(checkRows.length + suppressedRows.length).toBe(tables.length);
    // The hostile suppressed target is one row, the whole name in one cell.
    const row = suppressedRows.find((l) => l.includes('job-'))!;
    expect(cells(row)[0]!.trim()).toBe(md(sanitizeLine(`Deployment/batch/job-${EVIL} container c`)));
  });

  it('lets no backtick, < or control character from the cluster through unescaped outside code blocks', () => {
    for (const line of prose(doc)) {
      const bare = line.replace(/\\./g, '');
      expect([line, /`/.test(bare)]).toEqual([line, false]);
      // Only our own tags and the docs autolink.
      expect([line, bare.replace(/<\/?(details|summary|br)>|<https:\/\/[^\s<>]+>/g, '').includes('<')]).toEqual([line, false]);
      expect([line, /[\u0000-\u0008\u000b-\u001f]/.test(line)]).toEqual([line, false]);
    }
  });

  it('puts each finding\'s target on its heading line and its fix steps in a numbered list', () => {
    const heading = prose(doc).find((l) => l.startsWith('#### ') && l.includes('pod-'))!;
    expect(heading).toBe(`#### 🔴 CRITICAL · ${md(sanitizeLine(`Pod/ns-${EVIL}/pod-${EVIL} container c-${EVIL}`))}`);
    // A newline inside a step is a line break within its list item, never a new block.
    expect(doc).toContain(`1. ${md(sanitizeLine(`kubectl delete pod ${EVIL}`))}\n2. ${md(sanitizeLine('line one\nline two'))}`);
    expect(doc).toContain('<details><summary>Evidence</summary>');
  });

  it('escapes exactly: pipes, backticks, emphasis, HTML, mentions; newlines become spaces', () => {
    expect(md('a|b`c`*d*_e_<x>&y@z\nw\\')).toBe('a\\|b\\`c\\`\\*d\\*\\_e\\_&lt;x&gt;&amp;y@\u200bz w\\\\');
  });

  it('fences evidence with more backticks than it contains', () => {
    const r = hostileReport();
    r.findings[0]!.evidence = { note: '```` four ```` and ``` three' };
    const out = renderMarkdown(r);
    expect(out).toContain('`````json\n');
    expect(prose(out).some((l) => l.includes('four'))).toBe(false);
  });
});

/** What the Actions runner does with a command line (actions/runner ActionCommand parsing). */
function parseCommand(line: string): { command: string; props: Record<string, string>; message: string } | null {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) return null;
  const unescape = (s: string, prop: boolean) => {
    let out = s.replace(/%0D/g, '\r').replace(/%0A/g, '\n');
    if (prop) out = out.replace(/%3A/g, ':').replace(/%2C/g, ',');
    return out.replace(/%25/g, '%');
  };
  const props = Object.fromEntries((m[2] ?? '').split(',').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), unescape(kv.slice(i + 1), true)];
  }));
  return { command: m[1]!, props, message: unescape(m[3]!, false) };
}

describe('github workflow commands', () => {
  const report = hostileReport();
  const out = renderGithub(report);
  const lines = out.trimEnd().split('\n');
  const commands = lines.filter((l) => l.startsWith('::'));

  it('is one command per finding, and no other line is a command', () => {
    expect(commands).toHaveLength(report.findings.length);
    // Plus plain log lines: the tally and the report's warnings, the hostile one kept on its line.
    expect(lines.slice(commands.length)).toEqual([
      expect.stringMatching(/^kubectl-checkup: 2 critical, 3 warning, 1 info, 3 suppressed; 2 gap/),
      `kubectl-checkup warning suppression-expired: ${sanitizeLine(`expired ${EVIL}`)}`,
    ]);
  });

  it('reads back, as the runner parses it, to the finding\'s text with control characters made visible', () => {
    const parsed = commands.map(parseCommand);
    expect(parsed.map((p) => p?.command)).toEqual(report.findings.map((f) => ({ critical: 'error', warning: 'warning', info: 'notice' })[f.severity]));
    const first = parsed[0]!;
    const f = report.findings[0]!;
    expect(first.props).toEqual({ title: sanitizeLine(`missing-probes/noReadinessProbe: Pod/ns-${EVIL}/pod-${EVIL} container c-${EVIL}`) });
    expect(first.message).toBe(`${sanitizeLine(f.message)}\nFix: ${sanitizeLine(f.remediation.summary)}\n1. ${sanitizeLine(f.remediation.steps![0]!)}\n2. ${sanitizeLine(f.remediation.steps![1]!)}`);
    expect(out).not.toMatch(/\u001b|\r/);
  });

  it('names file and line only for a manifest finding (from stdin: the Helm template, without a line)', () => {
    const parsed = commands.map(parseCommand);
    expect(parsed[4]!.props).toEqual({ file: 'deploy/my app, v1:prod%.yaml', line: '12', title: 'graceful-termination/noPreStop: Deployment/web/front container app' });
    expect(parsed[5]!.props).toEqual({ file: 'chart/templates/back.yaml', title: 'graceful-termination/noPreStop: Deployment/web/back container app' });
    expect(parsed[3]!.props).toEqual({ title: sanitizeLine(`evicted-pods: Node/node-${EVIL}`) });
  });

  it('escapes like the Actions toolkit', () => {
    expect(escapeData('50%\r\n:,')).toBe('50%25%0D%0A:,');
    expect(escapeProperty('50%\r\n:,')).toBe('50%25%0D%0A%3A%2C');
  });
});
