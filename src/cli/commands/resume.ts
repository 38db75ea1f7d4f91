import fs from 'node:fs';
import { formatDuration } from '../../duration.js';
import { formatIssue } from '../../definitions/issues.js';
import { TaskflowError } from '../../errors.js';
import type { Manifest } from '../../sessions/manifest.js';
import { SessionStore } from '../../sessions/session-store.js';
import { ignoredWordsWarning } from '../compat-argv.js';
import { checkRunningFlags } from '../check-flags.js';
import { checkModelTargets, modelEnvironment } from '../check-model-targets.js';
import { createLoader } from '../create-loader.js';
import { checkResumeEdits, syncTaskEntries } from '../resume-edits.js';
import { executeRun } from '../execute-run.js';
import { openQueueOption } from '../queue-option.js';
import { EXIT } from '../exit-codes.js';
import type { RuntimeContext } from '../runtime-context.js';
import { parseShardSpec, type ShardSpec } from '../../engine/shard-executor.js';
import { shardTarget, type RunDistribution } from '../run-distribution.js';
import { sessionRoot } from '../session-root.js';

export interface ResumeOptions {
  readonly force?: boolean;
  readonly wait?: boolean;
  readonly global: readonly string[];
  readonly path: readonly string[];
  readonly headless?: boolean;
  readonly output?: string;
  readonly sessionDir?: string;
  readonly record?: string;
  readonly replay?: string;
  /** Words after `--resume X` (seclab form): ignored with a warning, as seclab ignores them. */
  readonly ignoredWords?: readonly string[];
  /** `--shard K/N`: run only this shard's branches of the planned fan-out (sharded). */
  readonly shard?: string;
  /** `--until-fanout`: stop at the next fan-out with its branch list recorded (planned). */
  readonly untilFanout?: boolean;
  /** `--queue <redis-url>`: fan-out branches run on `taskflow worker`s (else TASKFLOW_QUEUE). */
  readonly queue?: string;
}

function optional(value: string | undefined): string[] {
  return value === undefined ? [] : [value];
}

/**
 * The context to resume in: the run's own working directory (definitions are found and
 * shell tasks run where the run started), else the current one with a warning.
 */
function runLocation(
  context: RuntimeContext,
  manifest: Manifest,
): { context: RuntimeContext; warnings: string[] } {
  const recorded = manifest.workingDirectory;
  if (recorded === undefined || recorded === context.workingDirectory) {
    return { context, warnings: [] };
  }
  if (!fs.statSync(recorded, { throwIfNoEntry: false })?.isDirectory()) {
    return {
      context,
      warnings: [
        `the run's working directory ${recorded} is gone; resuming in ${context.workingDirectory}`,
      ],
    };
  }
  return {
    context: { ...context, workingDirectory: recorded },
    warnings: [`resuming in ${recorded}, where the run started`],
  };
}

/**
 * `--shard K/N`, checked against the other flags: a shard resumes exactly the planned
 * branch list, so it cannot restart tasks (--force) or plan (--until-fanout).
 */
function shardOption(options: ResumeOptions): ShardSpec | undefined {
  if (options.shard === undefined) return undefined;
  const shard = parseShardSpec(options.shard);
  const conflicting = options.force
    ? '--force'
    : options.untilFanout
      ? '--until-fanout'
      : undefined;
  if (conflicting) {
    throw new TaskflowError('usage', `--shard cannot be combined with ${conflicting}`);
  }
  return shard;
}

/** Sleep until `time`, ending early (false) on Ctrl-C. */
function waitUntil(time: number, context: RuntimeContext): Promise<boolean> {
  return new Promise((resolve) => {
    const onSignal = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(
      () => {
        process.off('SIGINT', onSignal);
        resolve(true);
      },
      Math.max(0, time - Date.now()),
    );
    process.once('SIGINT', onSignal);
    context.stderr.write(
      `taskflow: waiting until ${new Date(time).toISOString()} before resuming\n`,
    );
  });
}

/**
 * `taskflow resume <id>` (sessions.md "Resume"): finished sessions exit 0 without a
 * request; a session that may not resume yet exits 75; edits to work the session keeps are
 * refused (78; see resume-edits.ts) unless --force; a session held by a live process, unknown, or written by a newer
 * taskflow (schema version) is a session error (exit 1); otherwise the run continues from
 * its checkpoint, in the working directory the run started in.
 */
export async function resumeCommand(
  context: RuntimeContext,
  id: string,
  options: ResumeOptions,
): Promise<number> {
  if (options.global.length > 0) {
    throw new TaskflowError(
      'usage',
      'resume cannot change globals (-g): a resumed run is the same run; start a new one with taskflow run',
    );
  }
  const shard = shardOption(options);
  const flags = checkRunningFlags(context, options, { sessions: true });
  const store = new SessionStore(sessionRoot(context, options.sessionDir));
  const session = store.open(id);
  let handedOver = false;
  try {
    const manifest = session.manifest;
    if (manifest.status === 'succeeded') {
      context.stdout.write(
        `session ${session.id} (${manifest.taskflow.reference}) already finished successfully; nothing to do\n`,
      );
      return EXIT.ok;
    }
    const notBefore = manifest.resumeNotBefore ? Date.parse(manifest.resumeNotBefore) : undefined;
    if (notBefore !== undefined && notBefore > Date.now()) {
      if (!options.wait) {
        context.stderr.write(
          `taskflow: session ${session.id} can resume after ${manifest.resumeNotBefore} (in ${formatDuration(notBefore - Date.now())}); run again then, or use --wait\n`,
        );
        return EXIT.stopped;
      }
      if (!(await waitUntil(notBefore, context))) return EXIT.interrupted;
    }
    const location = runLocation(context, manifest);
    const runContext = location.context;
    const loader = createLoader(runContext, [...options.path, ...(manifest.searchPaths ?? [])]);
    const checked = checkResumeEdits(session, loader, options.force ?? false);
    const { loaded } = checked;
    let distribution: RunDistribution | undefined = options.untilFanout
      ? { kind: 'plan' }
      : undefined;
    if (shard) {
      const target = shardTarget(session, loaded);
      if (!target) {
        context.stdout.write(`session ${session.id} has nothing left to run; nothing to shard\n`);
        return EXIT.ok;
      }
      distribution = { kind: 'shard', shard, ...target };
    }
    const unfinished = new Set(
      loaded.tasks
        .map((task) => task.index)
        .filter((index) => {
          const status = manifest.tasks.find((entry) => entry.index === index)?.status;
          return status !== 'succeeded' && status !== 'skipped';
        }),
    );
    checkModelTargets(loaded, modelEnvironment(runContext.environment, flags.replay), unfinished);
    if (checked.fingerprint) {
      const fingerprint = checked.fingerprint;
      // The resumed run is the session from now on: later resumes compare against it.
      session.updateManifest((draft) => {
        draft.fingerprint = fingerprint;
        draft.tasks = syncTaskEntries(
          draft.tasks,
          loaded.tasks.map((task) => task.name),
        );
      });
    }
    const queue = await openQueueOption(context, options.queue, options);
    handedOver = true;
    return await executeRun(runContext, {
      ...(queue && { queue }),
      session,
      loaded,
      reference: manifest.taskflow.reference,
      globals: manifest.globals,
      resumed: true,
      headless: options.headless ?? false,
      ...flags,
      ...(checked.taskGranularity && { taskGranularity: true }),
      ...(distribution && { distribution }),
      warnings: [
        ...location.warnings,
        ...session.warnings,
        ...optional(ignoredWordsWarning('--resume', options.ignoredWords ?? [])),
        ...checked.warnings,
        ...loader.issues.warnings.map((issue) => formatIssue(issue, runContext.workingDirectory)),
      ],
    });
  } finally {
    if (!handedOver) session.close();
  }
}
