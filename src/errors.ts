// The error kinds the CLI turns into exit code 2 (src/cli/main.ts is the only place that maps errors).
// Everything that should not stop a run (forbidden lists, unreachable nodes) is a gap instead.

/** Bad flags or arguments: exit 2 with the message and a hint. */
export class UsageError extends Error {}

/** The tool cannot run at all: no kubeconfig, unknown context, API unreachable, unreadable snapshot. Exit 2. */
export class ConfigError extends Error {}

