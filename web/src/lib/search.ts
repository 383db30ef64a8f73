import { foldForSearch } from './directory';
import type { MessageEvent } from './types';

// Message search (docs/search.md): the server finds whole words, folded; the app only
// marks them in each hit's text.

export interface MessageSearchPage {
  hits: MessageEvent[];
  words: string[]; // The query's words as the server compared them.
  next_before: number | null;
}

export interface Piece {
  text: string;
  match: boolean;
}

// `body` cut into pieces, the words of `words` (folded, as the server gives them) marked.
// Apostrophes join a word as the server's fold does ("O'Brien" is "obrien").
export function highlightPieces(body: string, words: string[]): Piece[] {
  const wanted = new Set(words);
  const pieces: Piece[] = [];
  const pattern = /[\p{L}\p{N}\p{M}'’]+/gu;
  let last = 0;
  for (const found of body.matchAll(pattern)) {
    const start = found.index ?? 0;
    const word = found[0];
    const folded = foldForSearch(word.replace(/['’]/g, ''));
    if (!wanted.has(folded)) continue;
    if (start > last) pieces.push({ text: body.slice(last, start), match: false });
    pieces.push({ text: word, match: true });
    last = start + word.length;
  }
  if (last < body.length) pieces.push({ text: body.slice(last), match: false });
  return pieces;
}
