// Delivery status of one's own messages: per recipient and summarized
// (docs/protocol.md section 8).

export type Stage = 'sending' | 'failed' | 'sent' | 'delivered' | 'read';

export interface RecipientStatus {
  userId: number;
  deliveredAt: string | null;
  readAt: string | null;
  delivered: boolean;
  read: boolean;
}

// Read marks of one user in one thread: ascending up_to_seq with the time of each. A
// mark from a history page's read positions has no time (null): it says the messages
// up to it are read, not when.
export type ReadMarks = { upTo: number; at: string | null }[];

export function addReadMark(marks: ReadMarks, upTo: number, at: string | null): void {
  const last = marks[marks.length - 1];
  if (last && last.upTo >= upTo) {
    // An older mark learned late (from a status answer or a history page): keep the
    // list sorted, and learn the time of a mark known without one.
    const same = marks.find((m) => m.upTo === upTo);
    if (same) {
      if (same.at === null) same.at = at;
      return;
    }
    marks.push({ upTo, at });
    marks.sort((a, b) => a.upTo - b.upTo);
    return;
  }
  marks.push({ upTo, at });
}

// The first mark covering `seq`: when the message was read. Undefined if unread.
function markFor(marks: ReadMarks | undefined, seq: number): ReadMarks[number] | undefined {
  return marks?.find((mark) => mark.upTo >= seq);
}

// Status of message `seq` for each recipient. A read mark covering the message also
// means it was delivered, even when no delivered event came (section 8).
export function recipientStatuses(
  recipientIds: number[],
  seq: number,
  deliveredAt: Map<number, string | null> | undefined,
  readMarks: Map<number, ReadMarks>,
): RecipientStatus[] {
  return recipientIds.map((userId) => {
    const mark = markFor(readMarks.get(userId), seq);
    const readAt = mark?.at ?? null;
    const delivered = deliveredAt?.get(userId) ?? null;
    return {
      userId,
      readAt,
      deliveredAt: delivered ?? readAt,
      read: mark !== undefined,
      delivered: deliveredAt?.has(userId) === true || mark !== undefined,
    };
  });
}

export interface Summary {
  stage: Stage;
  total: number;
  delivered: number;
  read: number;
}

export function summarize(recipients: RecipientStatus[]): Summary {
  const total = recipients.length;
  const read = recipients.filter((r) => r.read).length;
  const delivered = recipients.filter((r) => r.delivered).length;
  let stage: Stage = 'sent';
  // Any read outranks delivery: "Read by 1 of 2" says more than "Delivered".
  if (read > 0) stage = 'read';
  else if (delivered > 0) stage = 'delivered';
  return { stage, total, delivered, read };
}

// "Sent", "Delivered", "Read", or for groups "Read by 1 of 3" / "Delivered to 2 of 3".
export function summaryLabel(summary: Summary): string {
  const { stage, total, delivered, read } = summary;
  if (stage === 'read') return read === total ? 'Read' : `Read by ${read} of ${total}`;
  if (stage === 'delivered') return delivered === total ? 'Delivered' : `Delivered to ${delivered} of ${total}`;
  return 'Sent';
}
