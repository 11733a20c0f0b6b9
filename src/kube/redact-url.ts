// A server URL for people: reports, errors and snapshots never show a user:password@ in it.
// Its own module so the light kubeconfig loader can use it without importing client-node.
/** A URL without the user:password@ part (a kubeconfig may carry basic-auth credentials there). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    // Not a URL: cut anything up to an @ after the scheme, to be safe.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
  }
}
