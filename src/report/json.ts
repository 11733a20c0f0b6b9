import type { Report } from './model.js';
import { sanitizeDeep } from './sanitize.js';

export function renderJson(report: Report): string {
  let out = '';
  writeJson(report, (s) => { out += s; });
  return out;
}

/** What JSON.stringify([[x]], null, 2) puts around x. */
const NESTED_OPEN = '[\n  [\n    ';
const NESTED_CLOSE = '\n  ]\n]';

/** The same text as JSON.stringify(sanitizeDeep(report), null, 2) + '\n', written a piece at a time:
 * large arrays (tens of thousands of findings on a big cluster) go out element by element, so neither
 * a sanitised copy of the whole report nor its whole text is ever in memory at once (issue 14). */
export function writeJson(report: Report, sink: (chunk: string) => void): void {
  // Pieces are gathered into chunks of ~64 KB: one write (a syscall on a pipe) per finding would cost more.
  let buf = '';
  const write = (s: string) => {
    buf += s;
    if (buf.length >= 65_536) { sink(buf); buf = ''; }
  };
  const entries = Object.entries(report).filter(([, v]) => v !== undefined && typeof v !== 'function');
  write('{');
  entries.forEach(([key, value], i) => {
    write(`${i ? ',' : ''}\n  ${JSON.stringify(key)}: `);
    if (Array.isArray(value) && value.length) {
      write('[');
      value.forEach((el, j) => {
        // Depth counted from the document's root, as the other formats count it (report → key → element).
        // Elements sit two levels deep: stringified inside [[ ]], JSON.stringify indents them so
        // (cheaper than re-indenting every line), and the brackets are cut off again.
        const text = JSON.stringify([[sanitizeDeep(el, 2)]], null, 2);
        write(`${j ? ',' : ''}\n    ${text.slice(NESTED_OPEN.length, -NESTED_CLOSE.length)}`);
      });
      write('\n  ]');
    } else {
      write(JSON.stringify(sanitizeDeep(value, 1), null, 2).replace(/\n/g, '\n  '));
    }
  });
  write(entries.length ? '\n}\n' : '}\n');
  sink(buf);
}
