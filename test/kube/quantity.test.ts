import { describe, expect, it } from '@jest/globals';
import {
  formatBytes, parseJvmSize, parseQuantity, quantityMilliValue, quantityNumber, quantityValue,
} from '../../src/kube/quantity.js';

describe('Kubernetes quantities', () => {
  it.each([
    ['128974848', 128974848],
    ['129e6', 129000000],
    ['129M', 129000000],
    ['123Mi', 128974848],
    ['1Gi', 1073741824],
    ['1.5Gi', 1610612736],
    ['2Ti', 2 * 1024 ** 4],
    ['1k', 1000],
    ['1Ki', 1024],
    ['1E', 1e18],
    ['1E3', 1000],
    ['1e-3', 1], // Value() rounds up to a whole unit
    ['0.1Gi', 107374183], // 107374182.4 rounded up, like Quantity.Value()
    ['500m', 1],
    ['.5Gi', 536870912],
    ['5.', 5],
    ['+2Mi', 2097152],
    [' 64Mi ', 67108864],
    [2, 2],
  ])('%j → %d bytes', (text, bytes) => {
    expect(quantityValue(text)).toBe(bytes);
  });

  it.each([
    ['500m', 500],
    ['2', 2000],
    ['0.25', 250],
    ['1.5', 1500],
    ['100u', 1], // 0.1 milli rounds up
    ['250000n', 1],
    [0.5, 500],
    ['1e-1', 100],
  ])('%j → %d millicores', (text, milli) => {
    expect(quantityMilliValue(text)).toBe(milli);
  });

  it('keeps exact fractions', () => {
    expect(parseQuantity('0.1Gi')).toEqual({ numerator: 536870912n, denominator: 5n });
    expect(parseQuantity('500m')).toEqual({ numerator: 1n, denominator: 2n });
    expect(parseQuantity('-1.5')).toEqual({ numerator: -3n, denominator: 2n });
    expect(quantityValue('-1.5')).toBe(-2); // away from zero
    expect(quantityNumber('1.5Gi')).toBe(1610612736);
    expect(quantityNumber('250m')).toBe(0.25);
  });

  it.each(['', 'Gi', '1KI', '1K', '1gi', '1.5.2', '1 Gi', 'abc', '1e', '1ee3', '1Gi3', '--1', '1e1000', 'NaN'])(
    'rejects %j', (text) => {
      expect(parseQuantity(text)).toBeUndefined();
      expect(quantityValue(text)).toBeUndefined();
    });

  it('rejects missing and non-finite input', () => {
    expect(parseQuantity(undefined)).toBeUndefined();
    expect(parseQuantity(null)).toBeUndefined();
    expect(parseQuantity(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('rejects a suffix that names an Object property (text from a manifest or snapshot), without throwing', () => {
    for (const text of ['1constructor', '1toString', '2__proto__', '1hasOwnProperty', '3valueOf']) {
      expect(parseQuantity(text)).toBeUndefined();
      expect(quantityMilliValue(text)).toBeUndefined();
    }
  });
});

describe('JVM sizes', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['512M', 512 * 1024 ** 2],
    ['2g', 2 * 1024 ** 3],
    ['2G', 2 * 1024 ** 3],
    ['1t', 1024 ** 4],
    ['65536k', 64 * 1024 ** 2],
    ['1073741824', 1073741824],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseJvmSize(text)).toBe(bytes);
  });

  it.each(['1.5g', '2gb', '2Gi', '', 'g', '-1g', '2 g'])('rejects %j as the JVM does', (text) => {
    expect(parseJvmSize(text)).toBeUndefined();
  });
});

describe('formatBytes', () => {
  it.each([
    [300, '300 B'],
    [1024, '1 KiB'],
    [536870912, '512 MiB'],
    [1610612736, '1.5 GiB'],
    [858993459, '819.2 MiB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
