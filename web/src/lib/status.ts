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

// Read marks of one user in one thread: ascending up_to_seq with the time of each.
export type ReadMarks = { upTo: number; at: string }[];

export function addReadMark(marks: ReadMarks, upTo: number, at: string): void {
  const last = marks[marks.length - 1];
  if (last && last.upTo >= upTo) {
    // An older mark learned late (from a status answer): keep the list sorted.
    if (!marks.some((m) => m.upTo === upTo)) {
      marks.push({ upTo, at });
      marks.sort((a, b) => a.upTo - b.upTo);
    }
    return;
  }
  marks.push({ upTo, at });
}

export function readAtFor(marks: ReadMarks | undefined, seq: number): string | null {
  if (!marks) return null;
  for (const mark of marks) if (mark.upTo >= seq) return mark.at;
  return null;
}

// Status of message `seq` for each recipient. A read mark covering the message also
// means it was delivered, even when no delivered event came (section 8).
export function recipientStatuses(
  recipientIds: number[],
  seq: number,
  deliveredAt: Map<number, string> | undefined,
  readMarks: Map<number, ReadMarks>,
): RecipientStatus[] {
  return recipientIds.map((userId) => {
    const readAt = readAtFor(readMarks.get(userId), seq);
    const delivered = deliveredAt?.get(userId) ?? null;
    return {
      userId,
      readAt,
      deliveredAt: delivered ?? readAt,
      read: readAt !== null,
      delivered: delivered !== null || readAt !== null,
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
