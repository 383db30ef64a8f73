import { describe, expect, test } from 'vitest';
import { composeBody, kQuoteChars, lengthCheck, quoteOf, splitQuote, utf8Length } from './compose';

describe('replies', () => {
  test('the body is the quote lines, a blank line, then the text, and splits back', () => {
    const quote = quoteOf('Olivia Harper, RN', 'Dr. Patel, are you on the unit\nthis afternoon?');
    const body = composeBody(quote, '  Yes, from 2pm.  ');
    expect(body).toBe('> Olivia Harper, RN:\n> Dr. Patel, are you on the unit this afternoon?\n\nYes, from 2pm.');
    expect(splitQuote(body)).toEqual({ quote: { author: 'Olivia Harper, RN', text: 'Dr. Patel, are you on the unit this afternoon?' }, text: 'Yes, from 2pm.' });
  });

  test('a quote of a reply quotes only its own text, and a long text is cut', () => {
    const reply = composeBody(quoteOf('A', 'first'), 'second');
    expect(quoteOf('B', reply)).toEqual({ author: 'B', text: 'second' });
    const long = quoteOf('A', 'x'.repeat(500));
    expect([...long.text].length).toBe(kQuoteChars);
    expect(long.text.endsWith('…')).toBe(true);
  });

  test('no quote, or nothing typed: the text alone; other bodies are not replies', () => {
    expect(composeBody(null, ' hi ')).toBe('hi');
    expect(composeBody(quoteOf('A', 'q'), '   ')).toBe('');
    expect(splitQuote('> just a line starting with a quote mark')).toBeNull();
    expect(splitQuote('> A:\n> q\n\n')).toBeNull();
  });
});

describe('lengthCheck', () => {
  test('counts bytes of UTF-8 as the server does', () => {
    expect(utf8Length('é')).toBe(2);
    expect(lengthCheck('x'.repeat(4096), 'x'.repeat(4096))).toEqual({ left: 0, over: 0 });
    expect(lengthCheck('é'.repeat(2048), 'é'.repeat(2048))).toEqual({ left: 0, over: 0 });
  });

  test('over the limit: how many characters to remove from the end to fit', () => {
    expect(lengthCheck('é'.repeat(2049), 'é'.repeat(2049))).toEqual({ left: -2, over: 1 });
    expect(lengthCheck('x'.repeat(4095) + 'é', 'x'.repeat(4095) + 'é')).toEqual({ left: -1, over: 1 });
    expect(lengthCheck('é' + 'x'.repeat(4100), 'é' + 'x'.repeat(4100))).toEqual({ left: -6, over: 6 });
    const emoji = 'x'.repeat(4094) + '👍🏽';
    expect(lengthCheck(emoji, emoji)).toEqual({ left: -6, over: 1 });
  });
});
