import { describe, expect, test } from 'vitest';
import { addReadMark, recipientStatuses, summarize, summaryLabel, type ReadMarks } from './status';

describe('message status', () => {
  test('a direct message goes sent, delivered, read', () => {
    const marks = new Map<number, ReadMarks>();
    const delivered = new Map<number, string>();
    expect(summaryLabel(summarize(recipientStatuses([3], 5, delivered, marks)))).toBe('Sent');
    delivered.set(3, '2025-06-02T14:03:13Z');
    expect(summaryLabel(summarize(recipientStatuses([3], 5, delivered, marks)))).toBe('Delivered');
    marks.set(3, [{ upTo: 5, at: '2025-06-02T14:03:14Z' }]);
    const [status] = recipientStatuses([3], 5, delivered, marks);
    expect(status.readAt).toBe('2025-06-02T14:03:14Z');
    expect(summaryLabel(summarize([status]))).toBe('Read');
  });

  test('a read mark counts as delivery even without a delivered event', () => {
    const marks = new Map<number, ReadMarks>([[3, [{ upTo: 9, at: 't9' }]]]);
    const [status] = recipientStatuses([3], 4, undefined, marks);
    expect(status).toMatchObject({ delivered: true, deliveredAt: 't9', read: true, readAt: 't9' });
  });

  test('a read mark below the message does not cover it', () => {
    const marks = new Map<number, ReadMarks>([[3, [{ upTo: 3, at: 't3' }]]]);
    expect(recipientStatuses([3], 4, undefined, marks)[0].read).toBe(false);
  });

  test('groups say how many of the recipients read or received it', () => {
    const delivered = new Map([
      [3, 'a'],
      [9, 'b'],
    ]);
    const marks = new Map<number, ReadMarks>([[9, [{ upTo: 1, at: 'c' }]]]);
    const statuses = recipientStatuses([3, 9, 10], 1, delivered, marks);
    expect(summarize(statuses)).toEqual({ stage: 'read', total: 3, delivered: 2, read: 1 });
    expect(summaryLabel(summarize(statuses))).toBe('Read by 1 of 3');
    expect(summaryLabel(summarize(recipientStatuses([3, 9, 10], 1, delivered, new Map())))).toBe('Delivered to 2 of 3');
    expect(summaryLabel(summarize(recipientStatuses([3, 9], 1, delivered, new Map())))).toBe('Delivered');
  });

  test('read marks stay sorted when an older one is learned late', () => {
    const marks: ReadMarks = [];
    addReadMark(marks, 5, 't5');
    addReadMark(marks, 2, 't2');
    addReadMark(marks, 5, 'again');
    expect(marks).toEqual([
      { upTo: 2, at: 't2' },
      { upTo: 5, at: 't5' },
    ]);
    const readAt = (seq: number) => recipientStatuses([3], seq, undefined, new Map([[3, marks]]))[0].readAt;
    expect(readAt(1)).toBe('t2');
    expect(readAt(3)).toBe('t5');
    expect(readAt(6)).toBeNull();
  });

  test('a read position without a time covers the message; its time is learned later', () => {
    const marks: ReadMarks = [];
    addReadMark(marks, 7, null);
    const status = () => recipientStatuses([3], 4, undefined, new Map([[3, marks]]))[0];
    expect(status()).toMatchObject({ read: true, readAt: null, delivered: true, deliveredAt: null });
    addReadMark(marks, 4, 't4');
    expect(status().readAt).toBe('t4');
    addReadMark(marks, 7, 't7');
    expect(marks).toEqual([
      { upTo: 4, at: 't4' },
      { upTo: 7, at: 't7' },
    ]);
  });
});
