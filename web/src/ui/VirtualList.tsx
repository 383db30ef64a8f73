import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { RowHeights, rowAt, rowOffsets, visibleRange } from '../lib/windowing';

export interface Row {
  key: string;
}

// A scrolling list that renders only the rows near the viewport. It starts at the
// bottom and stays there while new rows arrive, unless the user scrolled up; rows
// added above (older pages) keep the visible row in place: the first row is a fixed
// header (it stays at offset 0 whatever is inserted after it), so the anchor is the
// first row below it that reaches into the viewport, restored before the browser paints.
export function VirtualList<T extends Row>(props: {
  rows: T[];
  render: (row: T) => ComponentChildren;
  onNearTop: () => void;
  label: string;
  resetKey: string | number;
}) {
  const { rows } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useMemo(() => new RowHeights(76), [props.resetKey]);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [measureTick, setMeasureTick] = useState(0);
  const atBottom = useRef(true);
  const anchor = useRef<{ key: string; delta: number } | null>(null);

  const keys = rows.map((r) => r.key);
  const offsets = rowOffsets(keys, heights);
  const total = offsets[keys.length];
  const range = visibleRange(offsets, scrollTop, viewport, 6);
  const latest = useRef({ keys, offsets });
  latest.current = { keys, offsets };

  useLayoutEffect(() => {
    atBottom.current = true;
    anchor.current = null;
  }, [props.resetKey]);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setViewport(element.clientHeight || 600));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    let changed = false;
    for (const child of element.querySelectorAll<HTMLElement>('[data-row-key]')) {
      if (heights.set(child.dataset.rowKey!, child.offsetHeight)) changed = true;
    }
    if (changed) {
      setMeasureTick((t) => t + 1);
      return;
    }
    if (atBottom.current) {
      const bottom = Math.max(0, total - element.clientHeight);
      if (Math.abs(element.scrollTop - bottom) > 1) element.scrollTop = bottom;
    } else if (anchor.current) {
      const index = keys.indexOf(anchor.current.key);
      if (index >= 0) {
        const wanted = offsets[index] + anchor.current.delta;
        if (Math.abs(element.scrollTop - wanted) > 1) element.scrollTop = wanted;
      }
    }
    if (element.scrollTop !== scrollTop) setScrollTop(element.scrollTop);
  });

  function onScroll() {
    const element = scroller.current;
    if (!element) return;
    const top = element.scrollTop;
    const { keys: currentKeys, offsets: currentOffsets } = latest.current;
    atBottom.current = top + element.clientHeight >= element.scrollHeight - 32;
    if (currentKeys.length > 0) {
      const index = Math.min(Math.max(rowAt(currentOffsets, top), 1), currentKeys.length - 1);
      anchor.current = { key: currentKeys[index], delta: top - currentOffsets[index] };
    }
    setScrollTop(top);
    if (top < 400) props.onNearTop();
  }

  return (
    <div class="scroller" ref={scroller} onScroll={onScroll} role="log" aria-label={props.label} tabIndex={0} data-measure={measureTick}>
      <div class="scroller-content" style={{ height: `${total}px` }}>
        {rows.slice(range.start, range.end).map((row, i) => (
          <div key={row.key} data-row-key={row.key} class="row" style={{ top: `${offsets[range.start + i]}px` }}>
            {props.render(row)}
          </div>
        ))}
      </div>
    </div>
  );
}
