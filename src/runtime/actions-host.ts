/** The GitHub Actions host, on `@actions/core`. Annotations are capped per level; the rest go to the log. */
import * as core from '@actions/core';
import type { Host } from './host';

/** GitHub shows at most 10 annotations per level and step; beyond that they only clutter. */
const ANNOTATION_CAP = 10;

export function actionsHost(): Host {
  const counts = { notice: 0, warning: 0, error: 0 };
  // The runner masks secrets in the log; the job summary is a file this code writes, so it masks
  // them itself, as the CLI host does.
  const secrets: string[] = [];
  const mask = (text: string) => secrets.reduce((t, s) => t.split(s).join('***'), text);
  const annotate = (level: 'notice' | 'warning' | 'error', message: string) => {
    counts[level]++;
    if (counts[level] <= ANNOTATION_CAP) core[level](message);
    else {
      if (counts[level] === ANNOTATION_CAP + 1) core[level](`More ${level}s than ${ANNOTATION_CAP}: see the log and the job summary for all of them`);
      core.info(`${level}: ${message}`);
    }
  };
  return {
    input: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    setSecret: (value) => {
      core.setSecret(value);
      if (value.length >= 4 && !secrets.includes(value)) secrets.push(value);
    },
    debug: (m) => core.debug(m),
    // The runner hides debug lines unless step debugging is on; then they are worth writing.
    debugEnabled: core.isDebug(),
    info: (m) => core.info(m),
    notice: (m) => annotate('notice', m),
    warning: (m) => annotate('warning', m),
    error: (m) => annotate('error', m),
    group: (name, fn) => core.group(name, fn),
    writeSummary: async (md) => {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(mask(md), true).write();
    },
    fail: (m) => core.setFailed(m),
    env: process.env,
    cwd: process.env.GITHUB_WORKSPACE || process.cwd(),
  };
}
