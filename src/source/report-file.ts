import { fstatSync, writevSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';

/** Why a path cannot be read or written, in the words of someone who can fix it. */
export function fileErrorMessage(err: unknown): string | undefined {
  switch ((err as NodeJS.ErrnoException)?.code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EISDIR':
      return 'a folder, expected a file';
    case 'ENOTDIR':
      return 'a part of this path is a file, expected a folder';
    case 'ELOOP':
      return 'a symbolic link that leads to itself';
    case 'EACCES':
    case 'EPERM':
      return 'not accessible to this user';
    case 'EROFS':
      return 'on a read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return undefined;
  }
}

/** An input error for a file system failure a user can fix; anything else stays what it is. */
export function asFileError(err: unknown, file: string, hint?: string): Error {
  const message = fileErrorMessage(err);
  return message ? new InputError(message, { path: file }, hint) : (err as Error);
}

/**
 * Where a report goes. The file is opened before anything is written, so a folder that does
 * not exist or a path that is a folder is an input error before the run has done its work.
 */
export interface ReportFile {
  /** Several parts are written together (one `writev`), without being copied into one. */
  write(text: string | Uint8Array | readonly Uint8Array[]): Promise<void>;
  close(): Promise<void>;
}

/** What a {@link ReportFile.write} call writes, as a list of parts. */
const partsOf = (text: string | Uint8Array | readonly Uint8Array[]): readonly (string | Uint8Array)[] =>
  typeof text === 'string' || text instanceof Uint8Array ? [text] : text;

export interface ReportFileOptions {
  /** Create missing parent folders (the action's report inputs); the CLI's `--output` does not. */
  createFolders?: boolean;
}

export async function openReportFile(file: string, options: ReportFileOptions = {}): Promise<ReportFile> {
  const hint = 'pass --output a file path in a folder that exists';
  try {
    if (options.createFolders) await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(file, 'w');
    // The stream owns the handle: it closes it when it ends, and keeps it from being collected.
    const stream = handle.createWriteStream();
    let failure: Error | undefined;
    stream.on('error', (err) => (failure = asFileError(err, file, hint)));
    return {
      write: (text) =>
        new Promise<void>((resolve, reject) => {
          if (failure) return reject(failure);
          const parts = partsOf(text);
          if (!parts.length) return resolve();
          stream.cork();
          parts.forEach((part, i) =>
            stream.write(
              part,
              i < parts.length - 1
                ? undefined
                : (err) => (err ? reject(asFileError(err, file, hint)) : resolve()),
            ),
          );
          stream.uncork();
        }),
      close: () =>
        new Promise<void>((resolve, reject) => {
          stream.end(() => (failure ? reject(failure) : resolve()));
        }),
    };
  } catch (err) {
    throw asFileError(err, file, hint);
  }
}

/**
 * Standard output when it is a regular file (`> out.json`), else `undefined` (a terminal or a
 * pipe, which Node's own stream batches). Node writes to a file on standard output
 * synchronously, one system call per part written; `expand` writes two parts per model, about
 * 14,000 calls for QEMU 7.2, where one `writev` per call of `write` does.
 */
export function stdoutFile(): ReportFile | undefined {
  const fd = 1;
  try {
    if (!fstatSync(fd).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return {
    write: (text) => {
      let parts = partsOf(text)
        .map((part) => (typeof part === 'string' ? Buffer.from(part) : part))
        .filter((part) => part.length > 0);
      try {
        while (parts.length) {
          // A regular file takes a whole writev unless the disk fills; go on from where it stopped.
          let written = writevSync(fd, parts);
          while (parts.length && written >= parts[0]!.length) written -= parts.shift()!.length;
          if (written > 0) parts = [parts[0]!.subarray(written), ...parts.slice(1)];
        }
      } catch (err) {
        return Promise.reject(asFileError(err, 'standard output'));
      }
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

/** Writes a whole report to a file, ending it with a newline. */
export async function writeReportFile(
  file: string,
  text: string,
  options: ReportFileOptions = {},
): Promise<void> {
  const out = await openReportFile(file, options);
  await out.write(text.endsWith('\n') ? text : `${text}\n`);
  await out.close();
}
