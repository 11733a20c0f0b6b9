// One GET to the API server, with the limits every request of a run has: a deadline for the whole
// exchange and a cap on the body. Used in the main thread and in the request thread alike
// (src/kube/request-thread.ts), so both fail in the same words.
import http from 'node:http';
import https from 'node:https';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as received. */
  bytes: Uint8Array;
}

export interface RequestLimits {
  /** For the whole answer (0 = none): a server that drips bytes is cut off too. */
  timeoutMs: number;
  maxBytes: number;
}

export class RequestFailed extends Error {
  constructor(readonly reason: string, readonly retryable = false, readonly credentials = false) {
    super(reason);
  }
}

const RETRYABLE_ERRNO = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

export function httpGet(url: URL, options: https.RequestOptions, limits: RequestLimits): Promise<RawResponse> {
  const { timeoutMs, maxBytes } = limits;
  return new Promise<RawResponse>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const fail = (e: RequestFailed) => { clearTimeout(timer); reject(e); };
    const req = (url.protocol === 'http:' ? http : https).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const tooLarge = () => {
        const e = new RequestFailed(`the answer is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`);
        fail(e);
        req.destroy(e);
      };
      if (Number(res.headers['content-length']) > maxBytes) { tooLarge(); return; }
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes > maxBytes) { tooLarge(); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes) });
      });
      res.on('error', (e) => fail(describeNetworkError(e, timeoutMs)));
    });
    // The deadline covers the whole exchange (connect, headers and every byte of the body), unlike
    // a socket idle timeout, which a server sending one byte a second never trips.
    if (timeoutMs > 0) {
      timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'CHECKUP_TIMEOUT' })), timeoutMs);
    }
    req.on('error', (e) => fail(e instanceof RequestFailed ? e : describeNetworkError(e, timeoutMs)));
    req.end();
  });
}

export function describeNetworkError(e: Error & { code?: string }, timeoutMs = 0): RequestFailed {
  const code = e.code ?? '';
  const reasons: Record<string, string> = {
    CHECKUP_TIMEOUT: `timed out after ${timeoutMs / 1000}s`,
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted by the kubeconfig (certificate-authority)',
    SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate is not signed by the kubeconfig\'s certificate authority',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate cannot be verified with the kubeconfig\'s certificate authority',
    ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not match the server address',
    CERT_HAS_EXPIRED: 'the server certificate has expired',
  };
  return new RequestFailed(reasons[code] ?? (e.message || code || 'request failed'), RETRYABLE_ERRNO.has(code));
}
