import { InputError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A catalog file's bytes as text. Catalogs are UTF-8: a byte sequence that is not would be
 * replaced by U+FFFD and read as some other name, so it is an error at its line instead.
 */
export function catalogText(bytes: Uint8Array, file: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    // A line feed never occurs inside a multi-byte sequence: the first line that does not
    // decode on its own holds the first invalid byte.
    let start = 0;
    for (let line = 1; ; line++) {
      const end = bytes.indexOf(0x0a, start);
      const slice = bytes.subarray(start, end < 0 ? bytes.length : end);
      try {
        decoder.decode(slice);
      } catch {
        throw new InputError(
          'not UTF-8 text: this line holds a byte sequence that is not UTF-8',
          { path: file, line },
          'catalog files are UTF-8; convert the file (iconv -t UTF-8) or remove the stray bytes',
        );
      }
      if (end < 0) break;
      start = end + 1;
    }
    throw new InputError('not UTF-8 text', { path: file });
  }
}
