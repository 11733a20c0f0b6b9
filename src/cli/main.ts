// The commander program: flags → options → run. The only place that turns errors into exit codes
// (DESIGN §2.2: 0 ok · 1 findings at or above --fail-on · 2 could not run · 130 interrupted).
// --help, --version, list and explain must stay fast: the Kubernetes client is imported lazily.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, UsageError } from '../errors.js';
import { OUTPUT_FORMATS } from '../report/output-targets.js';
import { sanitize } from '../report/sanitize.js';
import { toolVersion } from './version.js';

const program = new Command('kubectl-checkup');

program
  .usage('[flags]   (as a kubectl plugin: kubectl checkup [flags])')
  .description('Diagnose a Kubernetes cluster: API checks with your kubeconfig, node checks over SSH, and for every finding the evidence and the fix.')
  .version(toolVersion(), '--version', 'print the version')
  .helpOption('-h, --help', 'show this help')
  .showHelpAfterError('(run with --help for usage)')
  // Throw instead of exiting, so usage errors of subcommands too map to exit 2 below (subcommands
  // inherit this setting when they are created after it).
  .exitOverride()
  .enablePositionalOptions()
  // Cluster access: same names and meaning as kubectl's flags.
  .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
  .option('--context <name>', 'kubeconfig context to use')
  .option('-n, --namespace <ns>', 'check only this namespace (default: all namespaces — a health check is about the whole cluster)')
  .option('-A, --all-namespaces', 'check all namespaces (the default; accepted for kubectl muscle memory)')
  .option('-l, --selector <selector>', 'label selector for workloads and pods, e.g. app=web,tier!=cache')
  .option('--request-timeout <duration>', 'timeout of each API request, e.g. 30s, 1m; 0 = none', '30s')
  .addOption(new Option('-o, --output <format[=file]>', `report format, repeatable: ${OUTPUT_FORMATS.join(', ')}; FORMAT=FILE writes a file (at most one format goes to stdout; text when none does)`).argParser(collect).default([], 'text'))
  // What to run.
  .option('--checks <ids>', 'run only these checks (comma-separated ids; see `list`)')
  .option('--skip <ids>', 'do not run these checks (comma-separated ids)')
  .addOption(new Option('--plugin <module>', 'load external checks from a JS module file or an installed package, repeatable (see docs/writing-checks.md)').argParser(collect).default([], 'none'))
  .option('--nodes <names|selector>', 'node checks only on these nodes: comma-separated names, or a label selector (role=worker)')
  .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['critical', 'warning', 'info', 'none']).default('critical'))
  .option('--sample-interval <seconds>', 'seconds between the two samples of node counters (0 = one sample, no rates)', '5')
  // Nodes over SSH (OpenSSH client: your ~/.ssh/config, agent, known_hosts and bastions apply).
  .option('--no-ssh', 'API checks only: do not connect to nodes')
  .option('--ssh-user <user>', 'SSH user (default: from your ssh config)')
  .option('--ssh-identity <file>', 'SSH private key (ssh -i)')
  .option('--ssh-port <port>', 'SSH port (ssh -p)')
  .option('--ssh-config <file>', 'ssh config file (ssh -F)')
  .addOption(new Option('--ssh-option <KEY=VALUE>', 'extra ssh option (ssh -o), repeatable').argParser(collect).default([], 'none'))
  .option('--ssh-jump <host>', 'jump host / bastion (ssh -J)')
  .option('--sudo', 'run node probes through sudo -n (for non-root SSH users)')
  .addOption(new Option('--ssh-address <type>', 'which node address to connect to').choices(['internal-ip', 'external-ip', 'hostname', 'name']).default('internal-ip'))
  .option('--ssh-concurrency <n>', 'SSH sessions (or probe pods) at work at once; a session sleeping out --sample-interval on its node does not count', '16')
  .option('--node-timeout <seconds>', 'give up on a node after this long (plus the sample interval)', '30')
  // Nodes through short-lived pods (the one mode that writes to the cluster; see README).
  .addOption(new Option('--node-access <how>', 'how to reach nodes: ssh, pod (a short-lived probe pod per node, for clusters without SSH), none (= --no-ssh)').choices(['ssh', 'pod', 'none']))
  .option('--probe-image <image>', 'image of the probe pods; needs only sh and chroot (default busybox:1.36)')
  .option('--probe-namespace <ns>', 'namespace for the probe pods (default: default)')
  .option('--dry-run', 'with --node-access pod: print the probe pod manifests and exit; create nothing')
  // Offline.
  .option('--snapshot <dir>', 'evaluate a saved snapshot instead of a live cluster')
  .option('--save-snapshot <dir>', 'also save what was collected, for offline evaluation or a bug report')
  // Manifests instead of a cluster (the pre-deploy gate).
  .addOption(new Option('-f, --filename <path>', 'evaluate manifests instead of a cluster: a file, a folder, or - for stdin (repeatable)').argParser((v: string, prev?: string[]) => [...(prev ?? []), v]))
  .option('-R, --recursive', 'with -f: also read the subfolders of a folder')
  // Policy (CI gates).
  .option('--config <file>', 'config file (default: .checkup.yaml in the current directory, if present)')
  .option('--baseline <file>', 'an earlier JSON report: its findings are suppressed, only new ones count')
  .option('--no-annotation-suppressions', 'ignore checkup.k8s.io/ignore annotations on objects and namespaces')
  .option('--fail-on-gaps', 'also exit 1 when data could not be collected (gaps) or a check errored')
  .addHelpText('after', `
Exit codes: 0 no finding at or above --fail-on · 1 findings at or above it (or gaps, with --fail-on-gaps) · 2 could not run · 130 interrupted

Examples:
  kubectl checkup                                   all checks, API and nodes over SSH
  kubectl checkup --no-ssh -n shop                  API checks on one namespace
  kubectl checkup --checks syn-backlog --nodes node-3 --sudo --ssh-user admin
  kubectl checkup -o json --fail-on warning         CI gate: fail the pipeline on warnings
  kubectl checkup -o github -o sarif=checkup.sarif  GitHub Actions: annotations in the log, SARIF for code scanning
  kubectl checkup -o junit=checkup.xml              GitLab/Jenkins test report (the text report still goes to stdout)
  kubectl checkup --save-snapshot ./snap            collect once, then: kubectl checkup --snapshot ./snap
  kubectl checkup --snapshot fixtures/demo-cluster  the bundled demo cluster, no cluster needed
  helm template web ./chart | kubectl checkup -f -  pre-deploy gate on a rendered chart (also: -f k8s/ -R)`)
  .action(async (opts) => {
    // A live run: the request thread boots (~100 ms: a new V8 isolate, its modules, TLS) while the
    // checks and the engine load, instead of after them (issue 14).
    if (!opts.snapshot && !opts.filename && !opts.dryRun) void import('../kube/request-thread.js').then((m) => m.startRequestThreadEarly(), () => {});
    const { runCommand } = await import('./run-command.js');
    process.exitCode = await runCommand(opts);
  });

program
  .command('list')
  .description('list the checks and whether they need SSH')
  .addOption(new Option('-o, --output <format>', 'list format').choices(['text', 'json']).default('text'))
  .addOption(new Option('--plugin <module>', 'also list the checks of this module, repeatable').argParser(collect).default([], 'none'))
  .action(async (opts: { output: 'text' | 'json'; plugin: string[] }) => {
    const { listChecks, registryWith } = await import('./list-command.js');
    process.stdout.write(listChecks(opts.output, await registryWith(opts.plugin)));
  });

program
  .command('explain')
  .description('what a check looks at, why it matters, how to fix it')
  .argument('<check-id>')
  .addOption(new Option('--plugin <module>', 'load this module first (to explain its checks), repeatable').argParser(collect).default([], 'none'))
  .action(async (id: string, opts: { plugin: string[] }) => {
    const { explainCheck, registryWith } = await import('./list-command.js');
    process.stdout.write(explainCheck(id, await registryWith(opts.plugin)));
  });

program
  .command('new-check')
  .description('write a folder with a working external check, its README and its test, to start from')
  .argument('<scope/name>', 'the check id, e.g. acme/memory-limits')
  .option('--dir <folder>', 'where to write it (default: ./<name>)')
  .action(async (id: string, opts: { dir?: string }) => {
    const { scaffoldCheck } = await import('../plugins/scaffold.js');
    const out = scaffoldCheck(id, opts.dir, toolVersion());
    process.stdout.write(`wrote ${out.files.join(', ')} in ${out.dir}\n` +
      `next: cd ${out.dir} && npm install && npm test, then kubectl checkup --plugin ${out.dir}/index.js --checks ${id}\n`);
  });

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

// An error that escapes every handler (a stream's 'error' event, a callback) would make Node exit
// with 1, which means "findings" to a CI gate: it is a crash, so it exits 2 like any internal error.
const crash = (err: unknown) => {
  process.stderr.write(`internal error (a bug — please report it with this output):\n${sanitize(String(err instanceof Error ? err.stack : err))}\n`);
  process.exit(2);
};
process.on('uncaughtException', crash);
// `kubectl checkup --help | head`, `list | head`, `-o json | head`: the reader leaving early is not a
// crash and changes nothing of the run: the exit code still says what the run found.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') crash(err);
});
process.on('unhandledRejection', crash);

// Ctrl-C: run what must not be skipped (the pod transport deletes its pods), then exit 130. A second
// Ctrl-C exits at once.
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\ninterrupted\n');
  void import('../engine/interrupt.js')
    .then((m) => m.runInterruptCleanups())
    .finally(() => process.exit(130));
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeFor(err);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help/version text).
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
  }
  // Collection stopped by Ctrl-C: the SIGINT handler finishes cleaning up and exits 130.
  if (err instanceof Error && err.name === 'CollectionInterrupted') return 130;
  if (err instanceof UsageError || err instanceof ConfigError) {
    // Messages can quote a snapshot file or a server answer: never raw escape sequences on stderr.
    // Our messages may list several problems a line each; control characters from the cluster or a
    // file are still made visible.
    process.stderr.write(`error: ${sanitize(err.message)}\n`);
    return 2;
  }
  process.stderr.write(`internal error (a bug — please report it with this output):\n${sanitize(String(err instanceof Error ? err.stack : err))}\n`);
  return 2;
}
