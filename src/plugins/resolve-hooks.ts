// Module resolution hook for external checks: `import … from 'kubectl-checkup/check'` inside a plugin
// resolves to the running CLI's own public entry, whether or not the plugin's folder has a copy of
// kubectl-checkup installed. One copy of the API means one engine and one set of helpers.
// Registered by src/plugins/load.ts with module.register() before the first plugin is imported.
let checkUrl = '';

export function initialize(data: { checkUrl: string }): void {
  checkUrl = data.checkUrl;
}

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === 'kubectl-checkup/check' && checkUrl) return { url: checkUrl, shortCircuit: true };
  return next(specifier, context);
}
