import type { VerifyStep } from '../source/verify-binaries.js';

/**
 * Progress of a long run, on standard error (standard output carries the report): one line
 * rewritten in place on a terminal, a line per step in a log (a CI job's output).
 */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

interface Progress<S> {
  step: (s: S) => void;
  done: () => void;
}

/** `text` in place on a terminal; in a log only when `logged`, on a line of its own. */
function progressLine(stream: ProgressStream): {
  show: (text: string, logged: boolean) => void;
  done: () => void;
} {
  let live = false;
  return {
    show: (text, logged) => {
      if (stream.isTTY) {
        stream.write(`\r\x1b[K${text}`);
        live = true;
      } else if (logged) stream.write(`${text}\n`);
    },
    done: () => {
      if (live) stream.write('\r\x1b[K');
      live = false;
    },
  };
}

export function commitProgress(
  stream: ProgressStream,
): Progress<{ index: number; total: number; commit: string }> {
  const line = progressLine(stream);
  return {
    step: ({ index, total, commit }) =>
      line.show(`cpu-model-guard: checking commit ${index} of ${total} (${commit.slice(0, 12)})`, true),
    done: line.done,
  };
}

/**
 * `verify`'s QEMU processes: every start and end on a terminal; in a log, a line as a phase
 * begins and each time another tenth of it has finished (thousands of guests, a line each,
 * would bury the job's output).
 */
export function verifyProgress(stream: ProgressStream): Progress<VerifyStep> {
  const line = progressLine(stream);
  const tenths = new Map<VerifyStep['phase'], number>();
  return {
    step: ({ phase, started, finished, total }) => {
      const tenth = Math.floor((finished * 10) / total);
      const logged = !tenths.has(phase) || tenth > tenths.get(phase)!;
      if (logged) tenths.set(phase, tenth);
      const what = phase === 'machine-types' ? 'machine types dumped' : 'CPUID guests finished';
      line.show(
        `cpu-model-guard: verify: ${what}: ${finished} of ${total} (${started - finished} running)`,
        logged,
      );
    },
    done: line.done,
  };
}
