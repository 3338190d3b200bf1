import * as core from '@actions/core';

/** Reads one input as the runner passes it; an unset input reads as the empty string. */
export type InputReader = (name: string) => string;

/** A workflow-command annotation: shown on the file's line in the run and the pull request. */
export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  title: string;
  message: string;
  file?: string;
  startLine?: number;
  endLine?: number;
}

/** What the action needs from the runner; actionsRunner() provides it through @actions/core. */
export interface RunnerIO {
  input: InputReader;
  env: NodeJS.ProcessEnv;
  info(message: string): void;
  annotate(annotation: Annotation): void;
  setOutput(name: string, value: string): void;
  appendSummary(markdown: string): Promise<void>;
  setFailed(message: string): void;
}

/** The runner as @actions/core speaks to it: inputs, workflow commands, outputs, job summary. */
export function actionsRunner(env: NodeJS.ProcessEnv = process.env): RunnerIO {
  return {
    env,
    input: (name) => core.getInput(name),
    info: (message) => core.info(message),
    annotate: (a) => {
      const properties: core.AnnotationProperties = { title: a.title };
      if (a.file) properties.file = a.file;
      if (a.startLine) properties.startLine = a.startLine;
      if (a.endLine) properties.endLine = a.endLine;
      if (a.level === 'error') core.error(a.message, properties);
      else if (a.level === 'warning') core.warning(a.message, properties);
      else core.notice(a.message, properties);
    },
    setOutput: (name, value) => core.setOutput(name, value),
    appendSummary: async (markdown) => {
      // Without GITHUB_STEP_SUMMARY (a local run) there is no job summary to write.
      if (!env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    setFailed: (message) => core.setFailed(message),
  };
}
