import * as core from '@actions/core';
import type { RunnerIO } from '../action/run.js';

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
