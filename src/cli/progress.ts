/**
 * Progress of a long run, on standard error (standard output carries the report): one line
 * rewritten in place on a terminal, a line per step in a log (a CI job's output).
 */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export function commitProgress(stream: ProgressStream): {
  step: (s: { index: number; total: number; commit: string }) => void;
  done: () => void;
} {
  let live = false;
  return {
    step: ({ index, total, commit }) => {
      const text = `cpu-model-guard: checking commit ${index} of ${total} (${commit.slice(0, 12)})`;
      if (stream.isTTY) {
        stream.write(`\r\x1b[K${text}`);
        live = true;
      } else stream.write(`${text}\n`);
    },
    done: () => {
      if (live) stream.write('\r\x1b[K');
      live = false;
    },
  };
}
