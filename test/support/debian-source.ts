/**
 * Real upstream sources for tests, unpacked from Debian's source packages (Debian's patches
 * applied; the upstream tarball alone where the archive does not serve Debian's part, as for
 * bookworm-backports' QEMU 10.0.2) by scripts/fetch-debian-source.sh. Every test that needs a tree asks for it here, so
 * a test file run on its own fetches what it needs; trees are cached under .tmp/debian/.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const debianCacheDir = path.join(repoRoot, '.tmp', 'debian');
const fetchScript = path.join(repoRoot, 'scripts', 'fetch-debian-source.sh');

export interface DebianSourceOptions {
  /**
   * An exact Debian version (`1:10.2.2+ds-1`), for suites that list several versions of the
   * package; without it the suite's newest version is taken.
   */
  version?: string;
}

const pending = new Map<string, Promise<string>>();

/** The directory a tree lives in, whether or not it has been fetched yet. */
export function debianSourceDir(pkg: string, suite: string, options: DebianSourceOptions = {}): string {
  const pinned = options.version ? `-${options.version.replace(/^\d+:/, '')}` : '';
  return path.join(debianCacheDir, `${pkg}-${suite}${pinned}`);
}

/**
 * Absolute path of the unpacked source tree of `pkg` in Debian `suite`, e.g.
 * `await debianSource('qemu', 'bookworm')` for QEMU 7.2. Fetches it on first use.
 */
export function debianSource(pkg: string, suite: string, options: DebianSourceOptions = {}): Promise<string> {
  const dest = debianSourceDir(pkg, suite, options);
  let result = pending.get(dest);
  if (!result) {
    result = fetchTree(pkg, suite, options, dest);
    pending.set(dest, result);
  }
  return result;
}

function fetchTree(pkg: string, suite: string, options: DebianSourceOptions, dest: string): Promise<string> {
  // .upstream-only: the archive served the upstream tarball but not Debian's part (see the script).
  const unpacked =
    existsSync(path.join(dest, 'debian', 'control')) || existsSync(path.join(dest, '.upstream-only'));
  if (unpacked && !options.version) return Promise.resolve(dest);
  const spec = options.version ? `${pkg}=${options.version}` : pkg;
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [fetchScript, spec, suite, dest],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60 * 1000 },
      (error, _stdout, stderr) => {
        if (error) {
          pending.delete(dest);
          reject(
            new Error(
              `Could not fetch the Debian source package ${spec} (${suite}) into ${dest}:\n${stderr.trim()}\n` +
                `Run scripts/fetch-debian-source.sh ${spec} ${suite} ${dest} by hand to see the whole story.`,
            ),
          );
        } else {
          resolve(dest);
        }
      },
    );
  });
}
