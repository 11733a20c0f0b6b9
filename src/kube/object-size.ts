// How many bytes each object took on the wire, measured from the list response as it arrives, so a
// check can judge objects against etcd's request limit without serialising them again. Sizes hang
// off the objects themselves in a WeakMap: they go when the page goes, and no object is changed.

const sizes = new WeakMap<object, number>();

/** Records the serialized size of an object (the source that parsed it knows it). */
export function recordObjectBytes(obj: object, bytes: number): void {
  sizes.set(obj, bytes);
}

/** The serialized size of an object as its source received it, or undefined when not measured. */
export function objectBytes(obj: object): number | undefined {
  return sizes.get(obj);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The byte length of each element of the top-level `items` array of a JSON list response, in order,
 * found by one pass over the raw bytes (strings and escapes tracked, nothing allocated per item).
 * UTF-8 continuation bytes are ≥ 0x80, so they can never be mistaken for JSON structure.
 * Returns undefined when the body does not look like a list (the caller then records nothing).
 */
export function listItemByteLengths(body: Uint8Array): number[] | undefined {
  const out: number[] = [];
  let depth = 0;
  let lastKeyIsItems = false;
  let inItems = false;
  let itemStart = -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === QUOTE) {
      // Strings are most of the bytes: jump to the closing quote (one not escaped by an odd run of
      // backslashes) with the native search instead of stepping through them.
      const start = i;
      let end = body.indexOf(QUOTE, i + 1);
      while (end > 0 && escaped(body, end)) end = body.indexOf(QUOTE, end + 1);
      if (end < 0) return undefined;
      // A string at depth 1 is a top-level key (or value); remember whether it was "items".
      if (depth === 1) lastKeyIsItems = end - start === 6 && isItems(body, start + 1);
      if (inItems && depth === 2) out.push(end - start + 1); // a string item (not expected in a list)
      i = end;
      continue;
    }
    switch (c) {
      case 0x7b: // {
      case 0x5b: // [
        if (depth === 1 && c === 0x5b && lastKeyIsItems) inItems = true;
        else if (inItems && depth === 2) itemStart = i;
        depth++;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        depth--;
        if (inItems && depth === 2 && itemStart >= 0) { out.push(i - itemStart + 1); itemStart = -1; }
        if (inItems && depth === 1) inItems = false;
        if (depth < 0) return undefined;
        break;
      case 0x2c: // ,
        if (depth === 1) lastKeyIsItems = false;
        break;
      default:
    }
  }
  return depth === 0 ? out : undefined;
}

/** The quote at `at` is escaped when an odd number of backslashes precede it. */
function escaped(b: Uint8Array, at: number): boolean {
  let n = 0;
  for (let j = at - 1; j >= 0 && b[j] === BACKSLASH; j--) n++;
  return n % 2 === 1;
}

function isItems(b: Uint8Array, at: number): boolean {
  return b[at] === 0x69 && b[at + 1] === 0x74 && b[at + 2] === 0x65 && b[at + 3] === 0x6d && b[at + 4] === 0x73;
}
