// What is made of an answer where it arrives: the byte length of each listed object (object-scale),
// or a kubelet endpoint's answer parsed. In the request thread this runs beside the checks instead of
// between them (issue 14); without one, the same code runs in the main thread.
import type { KubeletPath } from '../engine/source.js';
import type { RawResponse } from './http-get.js';
import { listItemByteLengths } from './object-size.js';
import { summaryHead } from './summary-head.js';

export type Digest =
  | { kind: 'none' }
  /** A page of a list: its continue token read from the head, and the size of each item as sent
   * when asked for. */
  | { kind: 'list'; itemLengths: boolean }
  /** A kubelet endpoint through the node proxy: parsed, the body not kept. */
  | { kind: 'kubelet'; path: KubeletPath };

export interface Digested {
  status: number;
  headers: RawResponse['headers'];
  /** The body as text, except for a kubelet answer that parsed. Text, not bytes, crosses from the
   * request thread: a string is copied into the main thread's heap and its message freed at once,
   * where a moved buffer lingers outside the heap until a GC finds it (~50 MB of them at 150k pods). */
  body?: string;
  itemLengths?: number[];
  /** A list page's continue token ('' on the last page), read before the page is parsed; absent when
   * the head did not say (then only the parsed page does). */
  continueHint?: string;
  kubelet?: { value: unknown } | { notJson: true };
}

export function digestAnswer(raw: RawResponse, digest: Digest): Digested {
  const { status, headers, bytes } = raw;
  if (status !== 200 || digest.kind === 'none') return { status, headers, body: textOf(bytes) };
  if (digest.kind === 'list') {
    return { status, headers, body: textOf(bytes), continueHint: continueHint(bytes), ...(digest.itemLengths ? { itemLengths: listItemByteLengths(bytes) } : {}) };
  }
  const body = textOf(bytes);
  const value = readKubeletAnswer(digest.path, body);
  return value === NOT_JSON ? { status, headers, body, kubelet: { notJson: true } } : { status, headers, kubelet: { value } };
}

function textOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

const NOT_JSON = Symbol('not JSON');

function readKubeletAnswer(path: KubeletPath, body: string): unknown {
  let value: unknown;
  try {
    // Of a Summary only the node's own stats are used: its pods part is left unparsed (issue 14).
    value = (path === 'stats/summary' ? summaryHead(body) : undefined) ?? JSON.parse(body) as unknown;
  } catch {
    return NOT_JSON;
  }
  // The one kubelet setting that can hold credentials never goes further (report, snapshot).
  const config = (value as { kubeletconfig?: Record<string, unknown> } | null)?.kubeletconfig;
  if (path === 'configz' && config && typeof config === 'object' && 'staticPodURLHeader' in config) config.staticPodURLHeader = {};
  return value;
}

/** An API server writes a list's kind, apiVersion and metadata before its items:
 * {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1","continue":"…"},"items":[…]}. */
const LIST_HEAD = /^\s*\{\s*(?:"(?:kind|apiVersion)"\s*:\s*"[^"\\]*"\s*,\s*)*"metadata"\s*:\s*(\{[^{}]*\})/;

/** The continue token from the head of a list page, so the next page can be asked for while this one
 * is parsed (issue 14); undefined when the head is not in that form. The parsed page stays the truth. */
function continueHint(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096)).toString('latin1');
  const m = LIST_HEAD.exec(head);
  if (!m) return undefined;
  try {
    const meta = JSON.parse(m[1]!) as { continue?: unknown };
    return meta.continue === undefined || meta.continue === null ? '' : typeof meta.continue === 'string' ? meta.continue : undefined;
  } catch {
    return undefined;
  }
}
