// Error responses as kube-apiserver writes them: a meta/v1 Status with the same reasons and messages,
// so clients (and our error mapping) are tested against the real wording.
import type { Served } from './fake-apiserver-discovery.js';

export interface StatusReply { code: number; body: object; headers?: Record<string, string> }

export function status(code: number, reason: string, message: string, details?: object, extra: object = {}): StatusReply {
  return {
    code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: extra, status: 'Failure', message, reason, ...(details ? { details } : {}), code },
  };
}

const kindDetails = (s: Served, name?: string): object => ({ ...(name ? { name } : {}), ...(s.group ? { group: s.group } : {}), kind: s.plural });

export const unauthorized = (): StatusReply => status(401, 'Unauthorized', 'Unauthorized');

export const pathNotFound = (): StatusReply => status(404, 'NotFound', 'the server could not find the requested resource', {});

export const objectNotFound = (s: Served, name: string): StatusReply =>
  status(404, 'NotFound', `${s.name} "${name}" not found`, kindDetails(s, name));

export const methodNotAllowed = (): StatusReply =>
  status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

export const badRequest = (message: string): StatusReply => status(400, 'BadRequest', message);

export function forbidden(user: string, verb: string, s: Served, opts: { namespace?: string; name?: string; subresource?: string }): StatusReply {
  const resource = opts.subresource ? `${s.plural}/${opts.subresource}` : s.plural;
  const scope = opts.namespace ? `in the namespace "${opts.namespace}"` : 'at the cluster scope';
  const subject = opts.name ? `${s.name} "${opts.name}"` : s.name;
  return status(403, 'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${s.group}" ${scope}`,
    kindDetails(s, opts.name));
}

export function expired(freshContinue: string): StatusReply {
  return status(410, 'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    undefined, { continue: freshContinue });
}

export function fault(code: number): StatusReply {
  switch (code) {
    case 429: return { ...status(429, 'TooManyRequests', 'Too many requests, please try again later.', {}), headers: { 'Retry-After': '0' } };
    case 500: return status(500, 'InternalError', 'Internal error occurred: injected fault', { causes: [{ message: 'injected fault' }] });
    case 503: return status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request', {});
    case 504: return status(504, 'Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request', {});
    default: return status(code, '', `injected fault ${code}`, {});
  }
}
