// What "no prototype changed" means in the hardening tests: the built-in prototypes have the same own
// properties with the same values, and a fresh object inherits nothing new.
import { expect } from '@jest/globals';

/** Keys that mean something to a plain object. */
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'];

const PROTOS: [string, object][] = [['Object', Object.prototype], ['Array', Array.prototype], ['Function', Function.prototype], ['String', String.prototype]];

export type PrototypeState = Map<string, unknown>;

export function prototypeState(): PrototypeState {
  const out = new Map<string, unknown>();
  for (const [name, proto] of PROTOS) {
    for (const key of Reflect.ownKeys(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key)!;
      out.set(`${name}.${String(key)}`, d.value ?? d.get);
    }
    out.set(`${name} [[Prototype]]`, Object.getPrototypeOf(proto));
  }
  return out;
}

export function expectPrototypesIntact(before: PrototypeState): void {
  const now = prototypeState();
  const changed = [...new Set([...before.keys(), ...now.keys()])].filter((k) => before.get(k) !== now.get(k));
  expect(changed).toEqual([]);
  const fresh: Record<string, unknown> = {};
  for (const k of ['polluted', 'a', 'b', '1', 'TcpExt', 'noise']) expect(fresh[k]).toBeUndefined();
}
