import { distance } from 'fastest-levenshtein';

/**
 * Errors a user can act on. Every front end turns them into one clear message and exit code 2;
 * anything else escaping the engine is a bug and is reported as such.
 */
export interface ErrorLocation {
  path: string;
  line?: number;
  column?: number;
}

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly location?: ErrorLocation,
    /** What the user can do about it. */
    readonly hint?: string,
  ) {
    super(message);
  }

  /** `path:line:column: message (hint)`, the form compilers and editors understand. */
  describe(): string {
    const where = this.location
      ? [this.location.path, this.location.line, this.location.column]
          .filter((p) => p !== undefined)
          .join(':') + ': '
      : '';
    return `${where}${this.message}${this.hint ? `\n  hint: ${this.hint}` : ''}`;
  }
}

/** A catalog that cannot be read, or not completely: never reported as "no findings". */
export class CatalogError extends InputError {}

/** Wrong flags, inputs or configuration. */
export class UsageError extends InputError {}

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_INPUT_ERROR = 2;
/** A bug in cpu-model-guard itself: distinct so that CI logs tell the two apart. */
export const EXIT_INTERNAL_ERROR = 3;
/** A QEMU binary that does not start, is not QEMU, or does not answer in time (`verify`). */
export const EXIT_BINARY_ERROR = 4;

/**
 * `did you mean X?` for a name someone mistyped, when one known name is close enough to be
 * the one meant: within a third of its length in edits, or the same name in another case.
 */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  let best: { candidate: string; edits: number } | undefined;
  for (const candidate of known) {
    const edits = candidate.toLowerCase() === name.toLowerCase() ? 0.5 : distance(name, candidate);
    if (edits <= Math.max(1, Math.floor(candidate.length / 3)) && (!best || edits < best.edits))
      best = { candidate, edits };
  }
  return best && `did you mean ${best.candidate}?`;
}
