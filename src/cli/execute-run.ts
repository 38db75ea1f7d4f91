import { NUDGE_MESSAGE } from '../agent/run-agent.js';
import type { LoadedTaskflow } from '../definitions/load-taskflow.js';
import { createResilienceRuntime } from '../engine/model-caller.js';
import { runTaskflow, type RunEnd } from '../engine/run-taskflow.js';
import { errorMessage, isTaskflowError } from '../errors.js';
import { emitEvent, type RunStatus, type TaskflowEvent } from '../events.js';
import { defaultModelName } from '../model/resolve-model.js';
import { summaryFromEvents, writeStepSummary } from '../output/index.js';
import { isResumableStop } from '../resilience/resumable-stop.js';
import type { Manifest } from '../sessions/manifest.js';
import type { Session } from '../sessions/session.js';
import { SessionRecorder } from '../sessions/session-recorder.js';
import { modelEnvironment } from './check-model-targets.js';
import { EXIT, exitCodeFor, exitCodeForInterrupt } from './exit-codes.js';
import {
  modelClientFactory,
  modelResolver,
  redactModelConfigTokens,
  resilienceOverridesOf,
} from './model-clients.js';
import { rateLimitsFromEnvironment } from './rate-limits-environment.js';
import { reportError } from './report-error.js';
import type { RuntimeContext } from './runtime-context.js';
import {
  appendSummaryLines,
  branchExecutorFor,
  deferredStatus,
  distributionLines,
  recordShardEnd,
  recordShardStart,
  type RunDistribution,
} from './run-distribution.js';
import { startRunningCommand } from './running-command.js';
import type { QueueConnection } from '../queue/queue-connection.js';
import type { FanOutExecutor, RemoteBranchExecutor } from '../engine/branch-executor.js';
import type { Redactor } from '../redactor.js';

export interface ExecuteRunInput {
  readonly session: Session;
  readonly loaded: LoadedTaskflow;
  readonly reference: string;
  readonly globals: Readonly<Record<string, unknown>>;
  readonly resumed: boolean;
  readonly headless: boolean;
  readonly output?: string;
  readonly record?: string;
  readonly replay?: string;
  /** `resume --force`: continue at task granularity only. */
  readonly taskGranularity?: boolean;
  /** Messages to show once the reporter exists (definition warnings, changed files). */
  readonly warnings?: readonly string[];
  /** `--until-fanout` / `--shard K/N`: which fan-out branches run here (default all). */
  readonly distribution?: RunDistribution;
  /** `--queue`: fan-out branches run on `taskflow worker`s; pacing budgets live in Redis. */
  readonly queue?: QueueConnection;
}

function exitCodeOf(end: RunEnd): number {
  switch (end.status) {
    case 'succeeded':
      return EXIT.ok;
    case 'failed':
      return EXIT.failed;
    case 'stopped':
      return exitCodeFor(end.code);
    case 'deferred':
      return end.failedTasks.length > 0 ? EXIT.failed : EXIT.ok;
  }
}

/**
 * Run (or continue) a session: every finished unit of work is checkpointed as it
 * happens; the manifest ends with the run's status, error and `resumeNotBefore`.
 * Returns the exit code of cli.md.
 */
export async function executeRun(context: RuntimeContext, input: ExecuteRunInput): Promise<number> {
  const { session } = input;
  const command = await startRunningCommand(context, {
    ...(input.output !== undefined && { output: input.output }),
    sessionId: session.id,
    stateDir: session.stateDir,
  });
  const { reporter, logger, redactor, interrupt } = command;
  redactModelConfigTokens(input.loaded.modelConfig, context.environment, redactor);
  const summary = summaryFromEvents();
  const onEvent = (event: TaskflowEvent) => {
    summary.onEvent(event);
    reporter.onEvent(event);
  };
  reporter.info(`${input.resumed ? 'resuming' : 'session'} ${session.id}`);
  const recorder = new SessionRecorder(session, {
    redact: (value) => redactor.redactValue(value),
    nudgeMessage: NUDGE_MESSAGE,
    ...(input.taskGranularity && { taskGranularity: true }),
  });
  const started = Date.now();
  session.updateManifest((manifest) => {
    manifest.status = 'running';
    delete manifest.finishedAt;
  });
  recordShardStart(session, input.distribution);
  const waitedBefore = waitedIn(session.manifest, input.distribution);
  emitEvent(onEvent, {
    type: 'taskflow-start',
    sessionId: session.id,
    taskflow: input.reference,
    resumed: input.resumed,
  });
  // Definition warnings are events like any other, so `--output jsonl` carries them too.
  for (const message of input.warnings ?? []) emitEvent(onEvent, { type: 'warning', message });
  const environment = modelEnvironment(context.environment, input.replay);
  let exitCode: number = EXIT.failed;
  try {
    const rateLimits = rateLimitsFromEnvironment(context.environment);
    const branchExecutor: FanOutExecutor = input.queue
      ? await queueExecutor(input.queue, session, recorder, redactor, context.workingDirectory)
      : branchExecutorFor(input.distribution);
    const result = await runTaskflow(
      {
        loaded: input.loaded,
        environment,
        workingDirectory: context.workingDirectory,
        runner: command.runner,
        onEvent,
        logger,
        redactor,
        signal: interrupt.signal,
        headless: input.headless,
        ...(command.approver && { approve: command.approver }),
        resilience: createResilienceRuntime({
          // A cassette answers at once: no budget to keep to.
          pacing: input.replay === undefined,
          ...(rateLimits !== undefined && { rateLimits }),
          ...(input.queue && { pacerStore: input.queue.pacerStore }),
        }),
        resilienceOverrides: resilienceOverridesOf,
        recorder,
        branchExecutor,
        createClient: modelClientFactory({
          redactor,
          logModelError: (line) => logger.warn(line),
          ...(input.record && { record: input.record }),
          ...(input.replay && { replay: input.replay }),
        }),
        resolveModel: modelResolver(input.loaded.modelConfig, environment),
        defaultModel: defaultModelName(environment),
      },
      input.globals,
    );
    const interruptedBy = interrupt.interruptedBy();
    const interrupted = interruptedBy !== undefined;
    exitCode = interrupted ? exitCodeForInterrupt(interruptedBy) : exitCodeOf(result.end);
    const status: RunStatus = interrupted
      ? 'interrupted'
      : result.end.status === 'stopped'
        ? result.end.code === 'cancelled'
          ? 'interrupted'
          : 'stopped'
        : result.end.status === 'deferred'
          ? deferredStatus(input.distribution)
          : result.end.status;
    const error = result.end.status === 'succeeded' ? undefined : result.end.error;
    const failedTask =
      result.end.status === 'failed' || result.end.status === 'deferred'
        ? result.end.failedTasks[0]
        : undefined;
    if (!interrupted) {
      const waited = waitedIn(session.manifest, input.distribution);
      recordShardEnd(session, input.distribution, result.end, {
        waitMs: waited.waitMs - waitedBefore.waitMs,
        pacedMs: waited.pacedMs - waitedBefore.pacedMs,
      });
    }
    session.updateManifest((manifest) =>
      finishManifest(manifest, status, error, redactor.redact.bind(redactor), failedTask),
    );
    emitEvent(onEvent, {
      type: 'taskflow-end',
      sessionId: session.id,
      status,
      exitCode,
      usage: result.state.usage,
      durationMs: Date.now() - started,
      ...(error && { error: redactor.redact(error.message) }),
    });
    if (result.end.status === 'stopped' && !interrupted && result.end.code !== 'cancelled') {
      reportError(result.end.error, command.stderr, context.debug);
      const resumeNotBefore = session.manifest.resumeNotBefore;
      if (resumeNotBefore) reporter.info(`resume possible after ${resumeNotBefore}`);
    }
    writeSummary(context, redactor.redactValue(summary.summary()), (message) =>
      reporter.warn(message),
    );
    const shardLines = distributionLines(session.manifest, input.distribution, result.end).map(
      (line) => redactor.redact(line),
    );
    for (const line of shardLines) reporter.info(line);
    appendSummaryLines(context.environment.GITHUB_STEP_SUMMARY, 'Shards', shardLines, (message) =>
      reporter.warn(message),
    );
  } catch (error) {
    // Failures of our own code: the checkpoint stays usable; say where to continue.
    session.updateManifest((manifest) =>
      finishManifest(
        manifest,
        'failed',
        error instanceof Error ? error : new Error(String(error)),
        redactor.redact.bind(redactor),
      ),
    );
    reportError(error, command.stderr, context.debug);
    exitCode = isTaskflowError(error) ? exitCodeFor(error.code) : EXIT.failed;
  } finally {
    reporter.close();
    if (exitCode !== EXIT.ok) context.stderr.write(`Resume with: taskflow resume ${session.id}\n`);
    session.close();
    await input.queue?.close();
    await command.dispose();
  }
  return exitCode;
}

/** The executor handing a run's fan-outs to the queue's workers (loaded only for a queue). */
async function queueExecutor(
  queue: QueueConnection,
  session: Session,
  recorder: SessionRecorder,
  redactor: Redactor,
  workingDirectory: string,
): Promise<RemoteBranchExecutor> {
  const { queueBranchExecutor } = await import('../queue/queue-executor.js');
  const { portableFiles, portablePath } = await import('../queue/fan-out-context.js');
  const { manifest } = session;
  return queueBranchExecutor({
    redis: queue.redis,
    reader: queue.reader,
    queue: await queue.queue(),
    display: queue.url.display,
    session,
    recorder,
    taskflow: {
      reference: manifest.taskflow.reference,
      ...(manifest.modelConfig !== undefined && { modelConfig: manifest.modelConfig }),
      searchPaths: (manifest.searchPaths ?? []).map((entry) =>
        portablePath(entry, workingDirectory),
      ),
    },
    files: portableFiles(manifest.fingerprint.files, workingDirectory),
    redact: (value) => redactor.redactValue(value),
    lostAfterMs: QUEUE_LOST_AFTER_MS,
  });
}

/** Redis away this long during a run: the run stops, resumable (exit 75). */
const QUEUE_LOST_AFTER_MS = 5_000;

/**
 * The final status and error of a run. The error names its task: the error's own
 * `taskIndex`, else `failedTask`, else the task still marked running (a stop mid-task).
 */
function finishManifest(
  manifest: Manifest,
  status: RunStatus,
  error: Error | undefined,
  redact: (text: string) => string,
  failedTask?: number,
): void {
  manifest.status = status;
  manifest.finishedAt = new Date().toISOString();
  delete manifest.resumeNotBefore;
  if (status === 'succeeded' || !error) {
    delete manifest.error;
    return;
  }
  const classification = (error as { classification?: { errorClass?: string } }).classification;
  manifest.error = {
    code: isTaskflowError(error) ? error.code : 'internal',
    message: redact(errorMessage(error)),
    ...(classification?.errorClass && { class: classification.errorClass }),
    ...(isResumableStop(error) && { class: error.reason }),
  };
  const task =
    (isTaskflowError(error) ? error.taskIndex : undefined) ??
    failedTask ??
    manifest.tasks.find((entry) => entry.status === 'running')?.index;
  if (task !== undefined) manifest.error.task = task;
  if (isResumableStop(error) && error.resumeNotBefore !== undefined) {
    manifest.resumeNotBefore = new Date(error.resumeNotBefore).toISOString();
  }
}

function writeSummary(
  context: RuntimeContext,
  runSummary: ReturnType<ReturnType<typeof summaryFromEvents>['summary']>,
  warn: (message: string) => void,
): void {
  const stepSummaryPath = context.environment.GITHUB_STEP_SUMMARY;
  if (!stepSummaryPath || !runSummary) return;
  try {
    writeStepSummary(stepSummaryPath, runSummary);
  } catch (error) {
    warn(`could not write the step summary: ${errorMessage(error)}`);
  }
}

/** Waiting so far in the task a shard runs (its end record reports this run's part). */
function waitedIn(
  manifest: Manifest,
  distribution: RunDistribution | undefined,
): { waitMs: number; pacedMs: number } {
  if (distribution?.kind !== 'shard') return { waitMs: 0, pacedMs: 0 };
  const task = manifest.tasks.find((entry) => entry.index === distribution.taskIndex);
  return { waitMs: task?.waitMs ?? 0, pacedMs: task?.pacedMs ?? 0 };
}
