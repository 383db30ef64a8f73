// Messages that need the user's attention, from the user events `reminder`,
// `unanswered` and `alert` (docs/protocol.md, "Event"; docs/routing.md, "Reminders"
// and "Escalation"). Pure functions: the store keeps the list, the shell shows it.
import type { AttentionKind } from './types';

export interface Attention {
  kind: AttentionKind;
  messageId: number;
  // The event's id: a repeated alert for the same message replaces the one shown.
  eventId: number;
}

const kAttentionText: Record<AttentionKind, string> = {
  reminder: 'Reminder: nobody has read your message yet',
  unanswered: 'Nobody read your urgent message, and no one is left to escalate it to',
  alert: 'Urgent message waiting to be read',
};

export function attentionText(kind: AttentionKind): string {
  return kAttentionText[kind];
}

// Alert and unanswered sound like an urgent message; a reminder the user asked for
// is silent.
export function attentionSounds(kind: AttentionKind): boolean {
  return kind !== 'reminder';
}

function sameAttention(a: Attention, b: Attention): boolean {
  return a.kind === b.kind && a.messageId === b.messageId;
}

// The list with `attention` added, newest first: one entry per kind and message.
export function addAttention(list: Attention[], attention: Attention): Attention[] {
  return [attention, ...list.filter((shown) => !sameAttention(shown, attention))];
}

export function removeAttention(list: Attention[], attention: Attention): Attention[] {
  return list.filter((shown) => !sameAttention(shown, attention));
}
