import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** The webhook payload the runner writes for the job (GITHUB_EVENT_PATH), as an object. */
export async function readEventPayload(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`cannot read the event payload ${file}: ${(err as Error).message}`, { path: file });
  }
}
