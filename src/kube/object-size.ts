// How many bytes each object took on the wire, measured from the list response as it arrives, so a
// check can judge objects against etcd's request limit without serialising them again. Sizes hang
// off the objects themselves in a WeakMap: they go when the page goes, and no object is changed.

/** Only objects this large are recorded: nothing judges smaller ones (object-scale's lowest size line
 * is 0.5 MiB, a snapshot keeps objects whole from 512 KiB), and a WeakMap entry for every listed
 * object cost ~160 ms of the main thread at 150k pods, and more in every full GC (issue 14). */
export const SIZES_RECORDED_FROM = 256 * 1024;

const sizes = new WeakMap<object, number>();

/** Records the serialized size of an object (the source that parsed it knows it), when it is at
 * least SIZES_RECORDED_FROM. */
export function recordObjectBytes(obj: object, bytes: number): void {
  if (bytes >= SIZES_RECORDED_FROM) sizes.set(obj, bytes);
}

/** The serialized size of an object as its source received it, or undefined when not measured or
 * smaller than SIZES_RECORDED_FROM. */
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
  const n = body.length;
  let depth = 0;
  let lastKeyIsItems = false;
  let inItems = false;
  let itemStart = -1;
  for (let i = 0; i < n; i++) {
    const c = body[i]!;
    if (c === QUOTE) {
      // To the closing quote, stepping over each escaped byte. Most strings are a few bytes long: a
      // loop here is faster than a native search per string (a third of the scan's time, issue 14).
      const start = i;
      for (i++; i < n; i++) {
        const d = body[i]!;
        if (d === QUOTE) break;
        if (d === BACKSLASH) i++;
      }
      if (i >= n) return undefined;
      // A string at depth 1 is a top-level key (or value); remember whether it was "items".
      if (depth === 1) lastKeyIsItems = i - start === 6 && isItems(body, start + 1);
      if (inItems && depth === 2) out.push(i - start + 1); // a string item (not expected in a list)
      continue;
    }
    if (c === 0x7b || c === 0x5b) { // { [
      if (depth === 1 && c === 0x5b && lastKeyIsItems) inItems = true;
      else if (inItems && depth === 2) itemStart = i;
      depth++;
    } else if (c === 0x7d || c === 0x5d) { // } ]
      depth--;
      if (inItems && depth === 2 && itemStart >= 0) { out.push(i - itemStart + 1); itemStart = -1; }
      if (inItems && depth === 1) inItems = false;
      if (depth < 0) return undefined;
    } else if (c === 0x2c && depth === 1) { // ,
      lastKeyIsItems = false;
    }
  }
  return depth === 0 ? out : undefined;
}

function isItems(b: Uint8Array, at: number): boolean {
  return b[at] === 0x69 && b[at + 1] === 0x74 && b[at + 2] === 0x65 && b[at + 3] === 0x6d && b[at + 4] === 0x73;
}
