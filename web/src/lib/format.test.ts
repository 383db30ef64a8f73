import { describe, expect, test } from 'vitest';
import { dayKey, dayLabel, mrnLabel } from './format';

// Local times: the labels follow the reader's calendar.
const local = (year: number, month: number, day: number, hour = 12, minute = 0) => new Date(year, month - 1, day, hour, minute).getTime();

describe('dayLabel', () => {
  const now = local(2025, 6, 12, 0, 30); // a Thursday, just after midnight

  test('today and yesterday by the calendar, not by 24 hours', () => {
    expect(dayLabel(local(2025, 6, 12, 0, 5), now)).toBe('Today');
    expect(dayLabel(local(2025, 6, 11, 23, 59), now)).toBe('Yesterday');
    expect(dayLabel(local(2025, 6, 11, 0, 1), now)).toBe('Yesterday');
  });

  test('the weekday within the last week, then the date, with the year when it is another year', () => {
    expect(dayLabel(local(2025, 6, 10), now)).toBe(new Intl.DateTimeFormat([], { weekday: 'long' }).format(local(2025, 6, 10)));
    expect(dayLabel(local(2025, 6, 6), now)).toBe(new Intl.DateTimeFormat([], { weekday: 'long' }).format(local(2025, 6, 6)));
    expect(dayLabel(local(2025, 6, 5), now)).toBe(new Intl.DateTimeFormat([], { weekday: 'short', day: 'numeric', month: 'short' }).format(local(2025, 6, 5)));
    expect(dayLabel(local(2024, 12, 30), now)).toBe(new Intl.DateTimeFormat([], { day: 'numeric', month: 'short', year: 'numeric' }).format(local(2024, 12, 30)));
  });

  test('across a change to or from summer time a day is still one day', () => {
    expect(dayLabel(local(2025, 3, 30, 1), local(2025, 3, 31, 1))).toBe('Yesterday');
    expect(dayLabel(local(2025, 10, 26, 23), local(2025, 10, 27, 0, 30))).toBe('Yesterday');
  });

  test('dayKey is the local date', () => {
    expect(dayKey(local(2025, 6, 2, 0, 0))).toBe('2025-06-02');
    expect(dayKey(local(2025, 12, 31, 23, 59))).toBe('2025-12-31');
  });
});

describe('mrnLabel', () => {
  test('labels the number once, whether or not the value carries the label', () => {
    expect(mrnLabel('100234')).toBe('MRN 100234');
    expect(mrnLabel('MRN-100234')).toBe('MRN 100234');
    expect(mrnLabel('mrn: 100234')).toBe('MRN 100234');
    expect(mrnLabel('MRN100234')).toBe('MRN 100234');
  });
});
