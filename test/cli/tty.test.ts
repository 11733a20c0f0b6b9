import { describe, expect, it } from '@jest/globals';
import { colorLevel } from '../../src/cli/tty.js';

const tty = { isTTY: true, getColorDepth: () => 8 } as unknown as NodeJS.WriteStream;
const pipe = { isTTY: false } as unknown as NodeJS.WriteStream;

describe('colorLevel', () => {
  it('colours a terminal and not a pipe', () => {
    expect(colorLevel(tty, {})).toBe(2);
    expect(colorLevel(pipe, {})).toBe(0);
  });
  it('honours NO_COLOR over everything, and FORCE_COLOR on a pipe', () => {
    expect(colorLevel(tty, { NO_COLOR: '1' })).toBe(0);
    expect(colorLevel(tty, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(0);
    expect(colorLevel(pipe, { FORCE_COLOR: '1' })).toBe(1);
    expect(colorLevel(pipe, { FORCE_COLOR: '3' })).toBe(3);
    expect(colorLevel(tty, { FORCE_COLOR: '0' })).toBe(0);
    expect(colorLevel(pipe, { FORCE_COLOR: '' })).toBe(1);
  });
});
