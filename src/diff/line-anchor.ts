import { diffLines } from 'diff';

/**
 * The line of head where a line of base went: for a line both revisions keep, its head line;
 * for a removed line, the first head line after the removal (the last line when the removal
 * ends the file). Viewers that only show head files annotate there, not at base's numbering.
 */
export function headLineOf(baseText: string, headText: string, baseLine: number): number | undefined {
  const headLines = headText === '' ? 0 : headText.split('\n').length - (headText.endsWith('\n') ? 1 : 0);
  if (headLines === 0) return undefined;
  let b = 1;
  let h = 1;
  for (const part of diffLines(baseText, headText)) {
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
