// Call back and quick notes in the web app (docs/callback.md, docs/quick_notes.md):
// the tel: link of a number, which number a message offers, and the placeholders a quick
// note's text holds, filled in from the conversation's patient and the sender.
import type { MessageEvent, Patient, User } from './types';

// The number rule the server applies (core/phone_number.hpp): separators dropped, then
// "+" and 8 to 15 digits not starting with 0, or an extension of 2 to 6 digits. Returns
// the normalised number, or null when the server would refuse it.
export function normalizePhone(typed: string): string | null {
  if (typed.length > 32) return null;
  const match = /^[\s().-]*(\+)?([\d\s().-]*)$/.exec(typed);
  if (!match) return null;
  const digits = match[2].replace(/[\s().-]/g, '');
  if (!/^\d*$/.test(digits)) return null;
  if (match[1]) return digits.length >= 8 && digits.length <= 15 && digits[0] !== '0' ? `+${digits}` : null;
  return digits.length >= 2 && digits.length <= 6 ? digits : null;
}

// A normalised number as the href of a link that dials it.
export function telHref(number: string): string {
  return `tel:${number}`;
}

// "+15550102000" as "+1 555 010 2000" for reading (NANP numbers only; others as they are).
export function phoneText(number: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
  return nanp ? `+1 ${nanp[1]} ${nanp[2]} ${nanp[3]}` : number;
}

// The number a message offers to call back on: the one its sender attached, else the
// sender's call-back number as the reader may see it; null for none, and for the
// reader's own messages.
export function messageCallback(message: MessageEvent, sender: User | undefined, selfId: number): string | null {
  if (message.sender_id === selfId) return null;
  return message.callback || sender?.callback || null;
}

// What a note's placeholders become; a value that is missing (undefined or "") leaves its
// placeholder written out, for the sender to see before sending.
export interface NoteContext {
  patient: Patient | null;
  myName: string;
  myCallback: string | null;
}

const kPlaceholder = /\{([a-z0-9._]+)\}/g;

export function expandNote(text: string, context: NoteContext): string {
  const values: Record<string, string | undefined> = {
    'patient.name': context.patient?.name,
    'patient.room': context.patient?.location,
    'patient.location': context.patient?.location,
    'patient.mrn': context.patient?.mrn,
    'me.name': context.myName,
    'me.callback': context.myCallback ?? undefined,
  };
  return text.replace(kPlaceholder, (whole, name: string) => values[name] || whole);
}

// The placeholders of a text the server would refuse (unknown names), for the editor to
// say before saving.
export function unknownPlaceholders(text: string, known: string[]): string[] {
  const unknown: string[] = [];
  for (const match of text.matchAll(kPlaceholder)) {
    if (!known.includes(match[0]) && !unknown.includes(match[0])) unknown.push(match[0]);
  }
  return unknown;
}
