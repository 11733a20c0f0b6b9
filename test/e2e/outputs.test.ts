// End to end: the built CLI against the test API server (https, bearer token), several -o at once —
// one to stdout, the rest to files — all rendering the same report; files complete and written by
// rename; bad -o values refused with exit 2 before the cluster is touched.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { runCli, ROOT } from '../support/cli.js';
import { DEMO, serveDemoCluster } from '../support/demo-server.js';
import type { Report } from '../../src/report/model.js';
import { md } from '../../src/report/markdown.js';
import { sanitizeLine } from '../../src/report/sanitize.js';


const demo = serveDemoCluster({ token: 'outputs-secret-token', context: 'outputs', name: 'outputs' });

describe('several -o in one run', () => {
  const out = join(demo.tmp, 'reports');
  let stdout: string;
  let code: number;
  let report: Report;
  let oldInode: number;

  beforeAll(async () => {
    mkdirSync(out);
    // A stale file from an earlier run: it is replaced, not written into.
    writeFileSync(join(out, 'checkup.sarif'), 'stale');
    oldInode = statSync(join(out, 'checkup.sarif')).ino;
    const r = await runCli(['--kubeconfig', demo.kubeconfig, '--no-ssh', '--fail-on', 'critical',
      '-o', 'json', '-o', `yaml=${join(out, 'checkup.yaml')}`, '-o', `junit=${join(out, 'checkup.xml')}`,
      '-o', `sarif=${join(out, 'checkup.sarif')}`, '-o', `markdown=${join(out, 'checkup.md')}`,
      '-o', `github=${join(out, 'annotations.txt')}`, '-o', `wide=${join(out, 'wide.txt')}`, '-o', `text=${join(out, 'text.txt')}`]);
    ({ stdout, code } = r);
    expect(r.stderr).toBe('');
    report = JSON.parse(stdout) as Report;
  }, 60_000);

  const file = (name: string) => readFileSync(join(out, name), 'utf8');

  it('exits by --fail-on as always, with the JSON on stdout', () => {
    expect(report.summary.findings.critical).toBeGreaterThan(0);
    expect(code).toBe(1);
    expect(report.cluster.context).toBe('outputs');
  });

  it('writes exactly the named files, by rename, no temporary file left behind', () => {
    expect(readdirSync(out).sort()).toEqual(['annotations.txt', 'checkup.md', 'checkup.sarif', 'checkup.xml', 'checkup.yaml', 'text.txt', 'wide.txt']);
    expect(statSync(join(out, 'checkup.sarif')).ino).not.toBe(oldInode);
  });

  it('renders the same report in every file', () => {
    expect(parseYaml(file('checkup.yaml'))).toEqual(report);

    const xml = file('checkup.xml');
    expect(XMLValidator.validate(xml)).toBe(true);
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testsuite' || n === 'testcase' })
      .parse(xml) as { testsuites: { testsuite: { name: string; testcase: { failure?: unknown }[] }[] } };
    expect(junit.testsuites.testsuite.map((s) => s.name)).toEqual(report.checks.map((c) => c.id));
    expect(junit.testsuites.testsuite.flatMap((s) => s.testcase).filter((c) => c.failure)).toHaveLength(report.summary.findings.critical + report.summary.findings.warning);

    const sarif = JSON.parse(file('checkup.sarif')) as { runs: { results: { ruleId: string }[] }[] };
    expect(sarif.runs[0]!.results.map((r) => r.ruleId)).toEqual(report.findings.map((f) => `${f.check}/${f.rule ?? f.check}`));

    const md = file('checkup.md');
    for (const c of report.checks.filter((x) => x.status === 'fail')) expect(md).toContain(`### ${c.id} — `);
    expect(md.match(/^#### /gm)).toHaveLength(report.findings.length);

    const gh = file('annotations.txt').trimEnd().split('\n');
    expect(gh.filter((l) => /^::(error|warning|notice) /.test(l))).toHaveLength(report.findings.length);
    expect(gh.filter((l) => l.startsWith('::error '))).toHaveLength(report.summary.findings.critical);

    const text = file('text.txt');
    const wide = file('wide.txt');
    expect(text).toMatch(/^kubectl-checkup \d+\.\d+\.\d+ · context outputs/);
    expect(text).not.toContain('evidence:');
    expect(wide).toContain('evidence:');
    // Files never get colour, and never the token.
    for (const f of [text, wide, md, xml, file('checkup.sarif')]) {
      expect(f).not.toMatch(/\u001b\[/);
      expect(f).not.toContain('outputs-secret-token');
    }
  });
});

describe('-o values', () => {
  it('with every -o going to a file, the text report still goes to stdout', async () => {
    const sarif = join(demo.tmp, 'only.sarif');
    const r = await runCli(['--snapshot', DEMO, '--fail-on', 'none', '-o', `sarif=${sarif}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('FINDINGS');
    expect(r.stdout).toContain('SUMMARY');
    expect(JSON.parse(readFileSync(sarif, 'utf8')).version).toBe('2.1.0');
  });

  it.each([
    [['-o', 'xml'], /^error: -o xml: unknown format "xml"; expected one of text, wide, json, yaml, junit, sarif, markdown, github/],
    [['-o', 'json', '-o', 'yaml'], /^error: -o: json and yaml would both go to stdout; write all but one to a file with -o FORMAT=FILE/],
    [['-o', 'junit='], /^error: -o junit=: the file name after "=" is empty/],
    [['-o', 'json=a.json', '-o', 'yaml=a.json'], /^error: -o: a.json is named twice/],
    [['-o', 'sarif=/nonexistent-dir/x.sarif'], /^error: -o sarif=\/nonexistent-dir\/x.sarif: directory \/nonexistent-dir does not exist/],
  ])('%j → exit 2 with a clear message, before the cluster is asked anything', async (args, message) => {
    const before = demo.server.requests.length;
    const r = await runCli(['--kubeconfig', demo.kubeconfig, '--no-ssh', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(demo.server.requests.length).toBe(before);
  });

  it('a reader that stops early (| head) is no error: no stack trace, the exit code still reports the findings', async () => {
    const r = await execa('bash', ['-c', `"${process.execPath}" "${join(ROOT, 'bin', 'kubectl-checkup')}" --snapshot "${DEMO}" -o json | head -c 10; exit \${PIPESTATUS[0]}`], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.stdout).toBe('{\n  "apiVe');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(1); // the demo cluster has critical findings
  });

  it('list -o keeps its own formats', async () => {
    const r = await runCli(['list', '-o', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((c) => c.id)).toContain('missing-probes');
    expect((await runCli(['list', '-o', 'sarif'])).code).toBe(2);
  });
});

describe('a hostile pod name through the built CLI', () => {
  // The demo cluster's standalone Pod default/echo-server (a missing-probes finding on the Pod itself),
  // renamed — pod and container — to everything that breaks an output format.
  const EVIL = 'echo|`x`%25%0A::error::pwned\n::warning::two\r\u001b[31mred<b>&';
  const snap = join(demo.tmp, 'hostile-snapshot');
  const dir = join(demo.tmp, 'hostile-out');
  let r: Awaited<ReturnType<typeof runCli>>;
  const file = (name: string) => readFileSync(join(dir, name), 'utf8');

  beforeAll(async () => {
    cpSync(DEMO, snap, { recursive: true });
    const pods = join(snap, 'api', 'Pod.jsonl');
    writeFileSync(pods, readFileSync(pods, 'utf8').split('\n').map((line) => {
      if (!line.includes('"echo-server"')) return line;
      const pod = JSON.parse(line) as { metadata: { name: string }; spec: { containers: { name: string }[] } };
      pod.metadata.name = `pod-${EVIL}`;
      pod.spec.containers[0]!.name = `c-${EVIL}`;
      return JSON.stringify(pod);
    }).join('\n'));
    mkdirSync(dir);
    r = await runCli(['--snapshot', snap, '--fail-on', 'none', '-o', 'github', '-o', `markdown=${join(dir, 'r.md')}`,
      '-o', `junit=${join(dir, 'r.xml')}`, '-o', `json=${join(dir, 'r.json')}`, '-o', `yaml=${join(dir, 'r.yaml')}`]);
  }, 60_000);

  it('is one finding in the report, its target intact (control characters made visible)', () => {
    expect(r.code).toBe(0);
    const report = JSON.parse(file('r.json')) as Report;
    const hostile = report.findings.filter((f) => f.target.name.startsWith('pod-echo|'));
    expect(hostile).toHaveLength(1);
    expect(hostile[0]!.target).toEqual({ kind: 'Pod', namespace: 'default', name: sanitizeLine(`pod-${EVIL}`), container: sanitizeLine(`c-${EVIL}`) });
    expect(parseYaml(file('r.yaml'))).toEqual(report);
  });

  it('stays one GitHub command per finding', () => {
    const report = JSON.parse(file('r.json')) as Report;
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('::'))).toHaveLength(report.findings.length);
    expect(lines.filter((l) => /^::(error|warning|notice) /.test(l))).toHaveLength(report.findings.length);
    expect(r.stdout).not.toMatch(/[\r\u001b]/);
  });

  it('stays one Markdown heading and well-formed JUnit', () => {
    const doc = file('r.md');
    const heading = doc.split('\n').filter((l) => l.startsWith('#### ') && l.includes('pod-echo'));
    expect(heading).toHaveLength(1);
    expect(heading[0]).toBe(`#### 🟠 WARNING · ${md(sanitizeLine(`Pod/default/pod-${EVIL} container c-${EVIL}`))}`);
    const xml = file('r.xml');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('name="Pod/default/pod-echo|`x`%25%0A::error::pwned\\n::warning::two\\x0d\\x1b[31mred&lt;b&gt;&amp; container c-echo');
  });
});
