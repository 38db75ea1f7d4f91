import path from 'node:path';
import { formatIssue } from '../../definitions/issues.js';
import { loadTaskflow } from '../../definitions/load-taskflow.js';
import { SessionStore } from '../../sessions/session-store.js';
import { ignoredWordsWarning } from '../compat-argv.js';
import { checkRunningFlags } from '../check-flags.js';
import { checkModelTargets, modelEnvironment } from '../check-model-targets.js';
import { createLoader } from '../create-loader.js';
import { sessionFingerprint } from '../session-fingerprint.js';
import { executeRun } from '../execute-run.js';
import { openQueueOption } from '../queue-option.js';
import { applyGlobalOverrides, parseGlobalFlags } from '../parse-globals.js';
import { packageVersion, searchPaths, type RuntimeContext } from '../runtime-context.js';
import { sessionRoot } from '../session-root.js';

export interface RunOptions {
  readonly global: readonly string[];
  readonly modelConfig?: string;
  readonly headless?: boolean;
  readonly path: readonly string[];
  readonly output?: string;
  readonly sessionDir?: string;
  readonly record?: string;
  readonly replay?: string;
  /** `--strict`: definition warnings are errors (exit 2, nothing runs). */
  readonly strict?: boolean;
  /** `--until-fanout`: stop at the first fan-out with its branch list recorded (planned). */
  readonly untilFanout?: boolean;
  /** `--queue <redis-url>`: fan-out branches run on `taskflow worker`s (else TASKFLOW_QUEUE). */
  readonly queue?: string;
  /** Words after `-t X` that seclab would take as a prompt it never uses (warned about). */
  readonly ignoredWords?: readonly string[];
}

/**
 * `taskflow run <taskflow>`: validate everything (exit 2, no session, when invalid),
 * create a session, then run the tasks in order with checkpoints.
 */
export async function runCommand(
  context: RuntimeContext,
  reference: string,
  options: RunOptions,
): Promise<number> {
  const flags = checkRunningFlags(context, options, { sessions: true });
  const overrides = parseGlobalFlags(options.global);
  const loader = createLoader(context, options.path);
  const loaded = loadTaskflow(loader, reference, {
    ...(options.modelConfig && { modelConfigOverride: options.modelConfig }),
    globalFlags: Object.keys(overrides),
    strict: options.strict ?? false,
  });
  checkModelTargets(loaded, modelEnvironment(context.environment, flags.replay));
  const globals = applyGlobalOverrides(loaded.taskflow.globals, overrides);
  const modelConfig = options.modelConfig ?? loaded.taskflow.modelConfig;
  const queue = await openQueueOption(context, options.queue, options);
  let session;
  try {
    session = new SessionStore(sessionRoot(context, options.sessionDir)).create({
      taskflow: { reference, path: loaded.taskflow.filePath },
      globals,
      ...(modelConfig !== undefined && { modelConfig }),
      fingerprint: sessionFingerprint(loaded, loader),
      runner: { version: packageVersion(context.bundleRoot) },
      taskNames: loaded.tasks.map((task) => task.name),
      // Resume runs where the run ran, with the same search roots.
      workingDirectory: context.workingDirectory,
      searchPaths: searchPaths(options.path, context.environment).map((entry) =>
        path.resolve(context.workingDirectory, entry),
      ),
    });
  } catch (error) {
    await queue?.close();
    throw error;
  }
  return executeRun(context, {
    session,
    loaded,
    reference,
    globals,
    resumed: false,
    headless: options.headless ?? false,
    ...(options.untilFanout && { distribution: { kind: 'plan' } }),
    ...(queue && { queue }),
    ...flags,
    warnings: [
      ...optional(ignoredWordsWarning('-t', options.ignoredWords ?? [])),
      ...loader.issues.warnings.map((issue) => formatIssue(issue, context.workingDirectory)),
    ],
  });
}

function optional(value: string | undefined): string[] {
  return value === undefined ? [] : [value];
}
