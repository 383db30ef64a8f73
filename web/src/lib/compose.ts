// What the composer sends: the typed text, after a quote when it is a reply, within the
// server's limit of 4096 bytes of UTF-8 (docs/protocol.md, "Limits").
//
// A reply has no field of its own in the protocol; the quote travels in the body, in
// the plain-text form of docs/protocol.md ("Quoting a message in a reply"):
//
//   > Olivia Harper, RN:
//   > Dr. Patel, are you on the unit this afternoon?
//
//   Yes, from 2pm.

export const kBodyLimitBytes = 4096;
// The counter shows from this many bytes left.
export const kCounterFromBytes = 200;
// A quote keeps the first characters of the quoted text only.
export const kQuoteChars = 160;

export interface Quote {
  author: string;
  text: string;
}

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

let segmenter: Intl.Segmenter | null = null;

// User-perceived characters (grapheme clusters where the browser can tell them apart).
function characters(text: string): string[] {
  if (typeof Intl.Segmenter !== 'function') return [...text];
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return [...segmenter.segment(text)].map((s) => s.segment);
}

// The quote of a message: its own text (a quote inside it is left out), on one line,
// cut to kQuoteChars characters.
export function quoteOf(author: string, body: string): Quote {
  const own = splitQuote(body)?.text ?? body;
  const line = own.replace(/\s+/g, ' ').trim();
  const chars = characters(line);
  const text = chars.length > kQuoteChars ? chars.slice(0, kQuoteChars - 1).join('').trimEnd() + '…' : line;
  return { author: author.replace(/\s+/g, ' ').trim(), text };
}

// The body to send: the trimmed text, after the quote's lines when there is one.
export function composeBody(quote: Quote | null, text: string): string {
  const typed = text.trim();
  if (!quote || !typed) return typed;
  return `> ${quote.author}:\n> ${quote.text}\n\n${typed}`;
}

// A body in the reply form, split; null when the body is not a reply.
export function splitQuote(body: string): { quote: Quote; text: string } | null {
  const match = /^> ([^\n]*):\n((?:> [^\n]*\n)+)\n([\s\S]+)$/.exec(body);
  if (!match) return null;
  const lines = match[2].split('\n').filter(Boolean).map((line) => line.slice(2));
  return { quote: { author: match[1], text: lines.join('\n') }, text: match[3] };
}

export interface LengthCheck {
  // Bytes left under the limit; negative when over it.
  left: number;
  // Characters to remove from the end of the typed text to fit (0 when it fits).
  over: number;
}

// Measures the body as the server does (bytes of UTF-8). `text` is the typed part, the
// end of `body`, from which characters are taken away to fit.
export function lengthCheck(body: string, text: string): LengthCheck {
  const left = kBodyLimitBytes - utf8Length(body);
  if (left >= 0) return { left, over: 0 };
  // Every character takes at least one byte, so the last -left characters are enough:
  // only a tail of the text is split into characters (its first one may be cut, and is
  // only reached when the tail is the whole text).
  const typed = text.trimEnd();
  const tail = characters(typed.slice(Math.max(0, typed.length - 8 * -left - 16)));
  let excess = -left;
  let over = 0;
  for (let i = tail.length - 1; i >= 0 && excess > 0; i--) {
    excess -= utf8Length(tail[i]);
    over++;
  }
  return { left, over };
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
