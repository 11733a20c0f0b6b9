// `-o yaml`: the JSON report document (DESIGN §2.5) as YAML 1.2. Many readers still speak YAML 1.1
// (PyYAML, Go's yaml.v2, Ruby's Psych), where a plain `yes`, `on`, `0777` or `1:20` is a boolean or a
// number: every string such a reader would take for something else is quoted, so the document reads
// back as the same data in both versions.
import { Document, isScalar, parseDocument, Scalar, visit } from 'yaml';
import type { Report } from './model.js';
import { sanitizeDeep } from './sanitize.js';

export function renderYaml(report: Report): string {
  // Through JSON first: the YAML document is exactly what `-o json` prints (undefined fields dropped,
  // the same sanitised strings), only spelled differently.
  const data: unknown = JSON.parse(JSON.stringify(sanitizeDeep(report)));
  const doc = new Document(data, { version: '1.2', aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && ambiguousIn11(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0, minContentWidth: 0 });
}

/** Would a YAML 1.1 reader resolve this string, written plain, to something other than a string? */
export function ambiguousIn11(s: string): boolean {
  // Merge key and value tag of the 1.1 type repository.
  if (s === '<<' || s === '=') return true;
  // Every 1.1 bool, null, int, float and timestamp starts with one of these (y/yes, n/no/null, t/true,
  // f/false, o/on/off, ~, digits, sign, `.inf`; e for `e0`, which the yaml package's 1.1 reader takes
  // for a float); the parse below is the slow path for them only.
  if (!/^[-+.0-9~yYnNtTfFoOeE]/.test(s)) return false;
  try {
    const doc = parseDocument(s, { version: '1.1', schema: 'yaml-1.1', prettyErrors: false });
    if (doc.errors.length) return false; // not a valid plain scalar: the 1.2 writer quotes it anyway
    return isScalar(doc.contents) && typeof doc.contents.value !== 'string';
  } catch {
    return false;
  }
}
