/**
 * Shared pieces of the unixctl text parsers. OVS formats these outputs for people, not programs,
 * and they change between releases, so every parser works line by line: a line it recognises
 * updates the result, any other non-blank line is skipped and counted, never fatal.
 */

/** A parsed command output plus how many lines the parser did not understand. */
export interface Parsed<T> {
  readonly value: T;
  readonly skippedLines: number;
}

/** A result type's writable twin, for filling it in while parsing. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Counts lines a parser could not use. */
export class LineCounter {
  skipped = 0;

  skip(): void {
    this.skipped++;
  }
}

/** Non-blank lines with their indentation width. */
export function* meaningfulLines(text: string): Generator<{ readonly line: string; readonly indent: number }> {
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    yield { line, indent: line.length - line.trimStart().length };
  }
}

/** `key:number` tokens anywhere in `text` (memory/show, "hit:7 missed:7 lost:0"). */
export function keyNumbers(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/([A-Za-z][\w./-]*):(-?\d+(?:\.\d+)?)(?=\s|$|,)/g)) out.set(m[1], Number(m[2]));
  return out;
}
