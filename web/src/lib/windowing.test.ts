import { describe, expect, test } from 'vitest';
import { RowHeights, rowAt, rowOffsets, visibleRange } from './windowing';

describe('windowing', () => {
  test('10,000 rows render only the few around the viewport', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `m${i}`);
    const heights = new RowHeights(60);
    const offsets = rowOffsets(keys, heights);
    expect(offsets[keys.length]).toBe(600_000);
    const range = visibleRange(offsets, 300_000, 800, 5);
    expect(range.start).toBe(4995);
    expect(range.end - range.start).toBeLessThan(30);
    const bottom = visibleRange(offsets, 600_000 - 800, 800, 5);
    expect(bottom.end).toBe(10_000);
  });

  test('measured heights move the rows below them', () => {
    const keys = ['a', 'b', 'c'];
    const heights = new RowHeights(50);
    expect(heights.set('b', 120)).toBe(true);
    expect(heights.set('b', 120.2)).toBe(false);
    const offsets = rowOffsets(keys, heights);
    expect([...offsets]).toEqual([0, 50, 170, 220]);
    expect(rowAt(offsets, 0)).toBe(0);
    expect(rowAt(offsets, 60)).toBe(1);
    expect(rowAt(offsets, 169)).toBe(1);
    expect(rowAt(offsets, 170)).toBe(2);
    expect(rowAt(offsets, 9999)).toBe(2);
  });

  test('an empty list has an empty range', () => {
    expect(visibleRange(rowOffsets([], new RowHeights(10)), 0, 500, 3)).toEqual({ start: 0, end: 0 });
  });

  test('computing offsets for 10,000 rows is fast', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => i);
    const heights = new RowHeights(70);
    const started = performance.now();
    for (let i = 0; i < 50; i++) rowOffsets(keys, heights);
    expect((performance.now() - started) / 50).toBeLessThan(5);
  });
});
