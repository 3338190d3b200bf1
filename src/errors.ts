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
