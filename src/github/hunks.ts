import { parsePatch } from 'diff';
import type { FindingLocation } from '../report/finding.js';

/**
 * The lines of a pull request's diff that GitHub accepts review comments on. A comment on any
 * other line makes the whole review fail, so each finding is placed against this map first.
 */
export interface DiffFile {
  /** The file's path in head; for a deleted file, its path in base. Review comments use it. */
  path: string;
  /** The path in base (differs from `path` for a rename). */
  basePath: string;
  /** Head lines inside a hunk: added or context. Commentable with `side: RIGHT`. */
  right: Set<number>;
  /** Base lines the change removed. Commentable with `side: LEFT`. */
  left: Set<number>;
  /** Head lines the change added (for suggestions: only these are the author's own). */
  added: Set<number>;
}

export interface DiffMap {
  files: Map<string, DiffFile>;
  /** Base path to the file entry, for findings that point at removed lines of a renamed file. */
  byBasePath: Map<string, DiffFile>;
}

function stripPrefix(name: string | undefined, prefix: string): string | undefined {
  if (name === undefined || name === '/dev/null') return undefined;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/**
 * Reads `git diff --src-prefix=a/ --dst-prefix=b/` output. Git must be told
 * `core.quotePath=false` so that names with unusual characters come through verbatim.
 */
export function parseDiffMap(unifiedDiff: string): DiffMap {
  const files = new Map<string, DiffFile>();
  const byBasePath = new Map<string, DiffFile>();
  for (const patch of parsePatch(unifiedDiff)) {
    const headPath = stripPrefix(patch.newFileName, 'b/');
    const basePath = stripPrefix(patch.oldFileName, 'a/');
    const filePath = headPath ?? basePath;
    if (filePath === undefined) continue;
    const file: DiffFile = {
      path: filePath,
      basePath: basePath ?? filePath,
      right: new Set(),
      left: new Set(),
      added: new Set(),
    };
    for (const hunk of patch.hunks) {
      let oldLine = hunk.oldStart;
      let newLine = hunk.newStart;
      for (const line of hunk.lines) {
        const mark = line[0];
        if (mark === '+') {
          file.right.add(newLine);
          file.added.add(newLine);
          newLine++;
        } else if (mark === '-') {
          file.left.add(oldLine);
          oldLine++;
        } else if (mark === ' ') {
          file.right.add(newLine);
          oldLine++;
          newLine++;
        }
        // `\ No newline at end of file` belongs to the line before it and moves neither side.
      }
    }
    files.set(file.path, file);
    byBasePath.set(file.basePath, file);
  }
  return { files, byBasePath };
}

/** Where a review comment goes: GitHub's fields, ready for the review's `comments[]`. */
export interface CommentPlacement {
  path: string;
  line: number;
  side: 'RIGHT' | 'LEFT';
  /** For a comment over several lines, the first one (same side). */
  startLine?: number;
}

/**
 * Places a finding on the diff, or says it lies outside every hunk. A multi-line finding is
 * shortened to the part inside the diff, as long as its last line is in it: the last line is
 * where GitHub anchors a comment.
 */
export function placeOnDiff(map: DiffMap, location: FindingLocation): CommentPlacement | undefined {
  const file =
    location.side === 'LEFT'
      ? (map.byBasePath.get(location.path) ?? map.files.get(location.path))
      : map.files.get(location.path);
  if (!file) return undefined;
  const lines = location.side === 'LEFT' ? file.left : file.right;
  const end =
    location.endLine !== undefined && location.endLine > location.line ? location.endLine : location.line;
  if (!lines.has(end)) {
    return lines.has(location.line)
      ? { path: file.path, line: location.line, side: location.side }
      : undefined;
  }
  let start = end;
  while (start > location.line && lines.has(start - 1)) start--;
  return start < end
    ? { path: file.path, line: end, side: location.side, startLine: start }
    : { path: file.path, line: end, side: location.side };
}

/** True when every line from `start` to `end` of head is in the same hunk's commentable range. */
export function coversRightLines(map: DiffMap, filePath: string, start: number, end: number): boolean {
  const file = map.files.get(filePath);
  if (!file) return false;
  for (let l = start; l <= end; l++) if (!file.right.has(l)) return false;
  return true;
}
