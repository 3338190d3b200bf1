/**
 * The README's truth tables, read back so that tests hold the numbers they print against what
 * the README states.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './debian-source.js';

/**
 * The cells of the rows of the tables under the README heading `## <section>` whose first cell
 * is `first`, e.g. `readmeRows('Checked against the real binaries', '7.2')`.
 */
export async function readmeRows(section: string, first: string): Promise<string[][]> {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${section}"`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    )
    .filter((cells) => cells[0] === first);
}

export const TRUTH_TABLE_SECTION = 'Checked against the real binaries';
