import { describe, expect, test } from 'vitest';
import { highlightPieces } from './search';

describe('highlightPieces', () => {
  test('marks whole words without case or accents', () => {
    expect(highlightPieces('Café: potassium 5.9, POTASSIUM again', ['cafe', 'potassium'])).toEqual([
      { text: 'Café', match: true },
      { text: ': ', match: false },
      { text: 'potassium', match: true },
      { text: ' 5.9, ', match: false },
      { text: 'POTASSIUM', match: true },
      { text: ' again', match: false },
    ]);
  });

  test('does not mark a word that only starts with one', () => {
    expect(highlightPieces('potassium', ['potass'])).toEqual([{ text: 'potassium', match: false }]);
  });

  test("keeps an apostrophe inside its word, as the server's fold does", () => {
    expect(highlightPieces("Call O'Brien now", ['obrien'])).toEqual([
      { text: 'Call ', match: false },
      { text: "O'Brien", match: true },
      { text: ' now', match: false },
    ]);
  });

  test('a body without the words is one unmarked piece', () => {
    expect(highlightPieces('lunch at noon', ['sats'])).toEqual([{ text: 'lunch at noon', match: false }]);
  });
});
