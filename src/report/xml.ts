// XML 1.0 escaping for the JUnit report. Cluster strings can hold anything: markup characters are
// escaped, and characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/F)
// become U+FFFD, because a parser rejects the whole file for one of them.

// Allowed: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF] (pairs matched first).
const NOT_XML = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g;

function xmlChars(s: string): string {
  return s.replace(NOT_XML, (m) => (m.length === 2 ? m : '\uFFFD'));
}

export function xmlText(s: string): string {
  return xmlChars(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Attribute values: also quotes, and whitespace as references so a parser does not normalise a
 * newline in a message into a space. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
