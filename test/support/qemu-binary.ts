/**
 * Real QEMU binaries of any Debian suite, for tests that use them as oracles. The machine's own
 * release's binary is the system package (`qemu-system-x86`, installed by scripts/test.sh);
 * every other suite's is installed under .tmp/qemu/<suite>/ by scripts/fetch-qemu-binary.sh on
 * first use: unpacked .debs for the machine's own backports, a debootstrap chroot for other
 * releases. Each is a {@link QemuBinary} that test/support/qmp.ts knows how to start.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './debian-source.js';
import type { QemuBinary } from './qmp.js';

export const qemuBinaryCacheDir = path.join(repoRoot, '.tmp', 'qemu');
const fetchScript = path.join(repoRoot, 'scripts', 'fetch-qemu-binary.sh');

/** This machine's Debian release (`bookworm`), from /etc/os-release. */
export function systemCodename(): string {
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const codename = /^VERSION_CODENAME=("?)([^"\n]*)\1$/m.exec(osRelease)?.[2];
  if (!codename) throw new Error('/etc/os-release names no VERSION_CODENAME: not a Debian system?');
  return codename;
}

/** Where a suite's binary lives once installed. */
export function qemuBinaryDir(suite: string): string {
  return path.join(qemuBinaryCacheDir, suite);
}

const pending = new Map<string, Promise<QemuBinary>>();

/**
 * Debian `suite`'s qemu-system-x86_64, e.g. `await qemuBinary('trixie')` for QEMU 10.0.13.
 * Installs it on first use (minutes for a chroot); needs root for any suite but the system's.
 */
export function qemuBinary(suite: string): Promise<QemuBinary> {
  let result = pending.get(suite);
  if (!result) {
    result = suite === systemCodename() ? Promise.resolve({ path: 'qemu-system-x86_64' }) : install(suite);
    pending.set(suite, result);
  }
  return result;
}

async function install(suite: string): Promise<QemuBinary> {
  const dir = qemuBinaryDir(suite);
  await new Promise<void>((resolve, reject) =>
    execFile(
      'bash',
      [fetchScript, suite, dir],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60 * 1000 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        pending.delete(suite);
        reject(
          new Error(
            `Could not install Debian ${suite}'s qemu-system-x86 into ${dir}:\n${stderr.trim()}\n` +
              `Run scripts/fetch-qemu-binary.sh ${suite} ${dir} by hand to see the whole story.`,
          ),
        );
      },
    ),
  );
  const marker = await readFile(path.join(dir, '.qemu-binary'), 'utf8');
  const mode = /^Mode: (\S+)$/m.exec(marker)?.[1];
  if (mode === 'chroot') return { path: '/usr/bin/qemu-system-x86_64', prefix: ['chroot', dir] };
  if (mode === 'unpacked') {
    // The .debs' own modules and libraries, never the system's (another QEMU version's).
    const lib = path.join(dir, 'usr', 'lib', 'x86_64-linux-gnu');
    return {
      path: path.join(dir, 'usr', 'bin', 'qemu-system-x86_64'),
      dataDirs: [path.join(dir, 'usr', 'share', 'qemu'), path.join(dir, 'usr', 'share', 'seabios')],
      env: { QEMU_MODULE_DIR: path.join(lib, 'qemu'), LD_LIBRARY_PATH: lib },
    };
  }
  throw new Error(`${dir}/.qemu-binary names no known Mode (chroot or unpacked): ${marker}`);
}
