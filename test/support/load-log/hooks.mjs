// Module hooks run on a thread of their own: the log is a file, not the console.
import { appendFileSync } from 'node:fs';
import process from 'node:process';

export async function load(url, context, nextLoad) {
  if (process.env.CMG_LOAD_LOG && url.startsWith('file:'))
    appendFileSync(process.env.CMG_LOAD_LOG, `${url}\n`);
  return nextLoad(url, context);
}
