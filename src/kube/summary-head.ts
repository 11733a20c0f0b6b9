// The kubelet's Summary API answers with the node's stats first and then every pod's (network,
// volumes, containers): tens of KB per node, of which the checks use the node's filesystems only
// (src/node/node-disk.ts). At 5,000 nodes JSON.parse of whole Summaries cost more CPU than parsing
// all 150k pods (issue 14). The kubelet writes its Go struct in field order, so "node" comes first:
// this parses that member alone and leaves the pods unread.

/** `{ node }` from a Summary body whose first member is "node", or undefined (then parse it all). */
export function summaryHead(body: string): { node: unknown } | undefined {
  let i = skipSpace(body, 0);
  if (body[i] !== '{') return undefined;
  i = skipSpace(body, i + 1);
  if (!body.startsWith('"node"', i)) return undefined;
  i = skipSpace(body, i + 6);
  if (body[i] !== ':') return undefined;
  const start = skipSpace(body, i + 1);
  if (body[start] !== '{') return undefined;
  const end = matchingBrace(body, start);
  if (end < 0) return undefined;
  try {
    return { node: JSON.parse(body.slice(start, end + 1)) as unknown };
  } catch {
    return undefined;
  }
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

/** Index of the brace closing the object that opens at `open`, skipping strings; -1 if none. */
function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) { // a string: to its closing quote, past escapes
      for (i++; i < s.length && s.charCodeAt(i) !== 0x22; i++) if (s.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return c === 0x7d ? i : -1;
    }
  }
  return -1;
}
