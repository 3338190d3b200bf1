import { diffLines, type Change } from 'diff';

/**
 * The line of head where a line of base went: for a line both revisions keep, its head line;
 * for a removed line, the first head line after the removal (the last line when the removal
 * ends the file). Viewers that only show head files annotate there, not at base's numbering.
 */
export function headLineOf(baseText: string, headText: string, baseLine: number): number | undefined {
  const headLines = headText === '' ? 0 : headText.split('\n').length - (headText.endsWith('\n') ? 1 : 0);
  if (headLines === 0) return undefined;
  const { line, parts } = diffFromFirstChange(baseText, headText);
  // Lines before the first change are where they were.
  if (baseLine < line) return baseLine;
  let b = line;
  let h = line;
  for (const part of parts) {
    const n = part.count ?? 0;
    if (part.added) {
      h += n;
      continue;
    }
    if (baseLine < b + n) return part.removed ? Math.min(h, headLines) : h + (baseLine - b);
    b += n;
    if (!part.removed) h += n;
  }
  return Math.min(h, headLines);
}

/**
 * Where the last line that both texts hold whole, from their start, ends (0: none). A line
 * diff takes this longest common start before its first edit, whatever follows: diffing from
 * here gives the same parts after it, without splitting and comparing what comes before.
 */
function commonLineStart(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i && a.lastIndexOf('\n', i - 1) + 1;
}

/** How many lines end before `end`. */
function newlinesBefore(text: string, end: number): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at >= 0 && at < end; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

/** The first line (1-based) at which two different texts differ, as their line diff shows it. */
export const firstChangedLine = (a: string, b: string): number =>
  1 + newlinesBefore(a, commonLineStart(a, b));

/**
 * The line diff of two texts from the first line at which they differ: that line (1-based, in
 * both) and the diff's parts from there on, which are those of the whole texts' diff.
 */
export function diffFromFirstChange(a: string, b: string): { line: number; parts: Change[] } {
  const start = commonLineStart(a, b);
  return { line: 1 + newlinesBefore(a, start), parts: diffLines(a.slice(start), b.slice(start)) };
}
