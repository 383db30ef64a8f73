// Which rows of a long list to render: the rows that intersect the viewport plus an
// overscan margin, given each row's measured (or estimated) height.

export class RowHeights {
  private readonly measured = new Map<string | number, number>();
  constructor(readonly estimate: number) {}

  get(key: string | number): number {
    return this.measured.get(key) ?? this.estimate;
  }

  // Returns whether the height changed.
  set(key: string | number, height: number): boolean {
    const old = this.measured.get(key);
    if (old !== undefined && Math.abs(old - height) < 0.5) return false;
    this.measured.set(key, height);
    return true;
  }
}

// offsets[i] is the top of row i; offsets[n] is the total height.
export function rowOffsets(keys: readonly (string | number)[], heights: RowHeights): Float64Array {
  const offsets = new Float64Array(keys.length + 1);
  for (let i = 0; i < keys.length; i++) offsets[i + 1] = offsets[i] + heights.get(keys[i]);
  return offsets;
}

// The first row whose bottom is below y.
export function rowAt(offsets: Float64Array, y: number): number {
  const count = offsets.length - 1;
  let low = 0;
  let high = count;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (offsets[mid + 1] <= y) low = mid + 1;
    else high = mid;
  }
  return Math.min(low, Math.max(0, count - 1));
}

export interface VisibleRange {
  start: number;
  end: number; // exclusive
}

export function visibleRange(offsets: Float64Array, scrollTop: number, viewportHeight: number, overscan: number): VisibleRange {
  const count = offsets.length - 1;
  if (count === 0) return { start: 0, end: 0 };
  const first = rowAt(offsets, Math.max(0, scrollTop));
  const last = rowAt(offsets, scrollTop + viewportHeight);
  return { start: Math.max(0, first - overscan), end: Math.min(count, last + 1 + overscan) };
}
