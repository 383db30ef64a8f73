import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { RowHeights, rowAt, rowOffsets, visibleRange } from '../lib/windowing';

export interface Row {
  key: string;
  // The row belongs to the one after it and moves with it (a day's separator moves up
  // when older messages of that day are added): it is never the anchor.
  headsNext?: boolean;
}

// What a parent may ask of the list.
export interface VirtualListControl {
  scrollToBottom(): void;
  // Scrolls the row with this key to the top, now or as soon as it is in `rows`.
  scrollToKey(key: string): void;
}

// A scrolling list that renders only the rows near the viewport. It starts at the
// bottom and stays there while new rows arrive, unless the user scrolled up; rows
// added above (older pages) keep the visible row in place: the first row is a fixed
// header (it stays at offset 0 whatever is inserted after it), so the anchor is the
// first row below it that reaches into the viewport (or the row it heads), restored
// before the browser paints.
// `startKey` names a row to open at instead of the bottom (the new-messages divider):
// the first time that row is in `rows`, the list scrolls it to the top, unless the
// user has scrolled away from the bottom by then.
export function VirtualList<T extends Row>(props: {
  rows: T[];
  render: (row: T) => ComponentChildren;
  onNearTop: () => void;
  label: string;
  resetKey: string | number;
  startKey?: string;
  // Called when the list reaches or leaves the bottom.
  onAtBottom?: (atBottom: boolean) => void;
  control?: { current: VirtualListControl | null };
}) {
  const { rows } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useMemo(() => new RowHeights(76), [props.resetKey]);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [measureTick, setMeasureTick] = useState(0);
  const atBottom = useRef(true);
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  const startPending = useRef(true);
  const wantedKey = useRef<string | null>(null);

  const keys = rows.map((r) => r.key);
  const offsets = rowOffsets(keys, heights);
  const total = offsets[keys.length];
  const range = visibleRange(offsets, scrollTop, viewport, 6);
  const latest = useRef({ rows, keys, offsets });
  latest.current = { rows, keys, offsets };

  function setAtBottom(value: boolean) {
    if (atBottom.current === value) return;
    atBottom.current = value;
    props.onAtBottom?.(value);
  }

  if (props.control) {
    props.control.current = {
      scrollToBottom() {
        const element = scroller.current;
        if (!element) return;
        anchor.current = null;
        setAtBottom(true);
        element.scrollTop = element.scrollHeight;
        setScrollTop(element.scrollTop);
      },
      scrollToKey(key: string) {
        wantedKey.current = key;
        setMeasureTick((t) => t + 1);
      },
    };
  }

  useLayoutEffect(() => {
    atBottom.current = true;
    anchor.current = null;
    startPending.current = true;
    wantedKey.current = null;
    props.onAtBottom?.(true);
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
    if (startPending.current && props.startKey !== undefined && keys.includes(props.startKey)) {
      startPending.current = false;
      if (atBottom.current) {
        anchor.current = { key: props.startKey, delta: -8 };
        setAtBottom(false);
      }
    }
    if (wantedKey.current !== null && keys.includes(wantedKey.current)) {
      anchor.current = { key: wantedKey.current, delta: -8 };
      wantedKey.current = null;
      setAtBottom(false);
    }
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
    const { rows: currentRows, keys: currentKeys, offsets: currentOffsets } = latest.current;
    setAtBottom(top + element.clientHeight >= element.scrollHeight - 32);
    if (currentKeys.length > 0) {
      let index = Math.min(Math.max(rowAt(currentOffsets, top), 1), currentKeys.length - 1);
      while (index + 1 < currentKeys.length && currentRows[index].headsNext) index++;
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
