// Preloaded with --import in a test: any attempt to load @kubernetes/client-node fails the process.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === '@kubernetes/client-node' || specifier.startsWith('@kubernetes/client-node/')) {
    throw new Error('@kubernetes/client-node was loaded');
  }
  return next(specifier, context);
}`));
