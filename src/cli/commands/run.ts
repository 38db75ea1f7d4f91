import { randomBytes } from 'node:crypto';
import { loadTaskflow } from '../../definitions/load-taskflow.js';
import { formatIssue } from '../../definitions/issues.js';
import { runTaskflow, type RunEnd } from '../../engine/run-taskflow.js';
import { emitEvent, type RunStatus } from '../../events.js';
import { createModelClient } from '../../model/create-model-client.js';
import { defaultModelName, resolveModelTarget } from '../../model/resolve-model.js';
import { summaryFromEvents, writeStepSummary } from '../../output/index.js';
import { createLoader } from '../create-loader.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { applyGlobalOverrides, parseGlobalFlags } from '../parse-globals.js';
import { reportError } from '../report-error.js';
import type { RuntimeContext } from '../runtime-context.js';
import { startRunningCommand } from '../running-command.js';

export interface RunOptions {
  readonly global: readonly string[];
  readonly modelConfig?: string;
  readonly headless?: boolean;
  readonly path: readonly string[];
  readonly output?: string;
}

function exitCodeOf(end: RunEnd): number {
  switch (end.status) {
    case 'succeeded':
      return EXIT.ok;
    case 'failed':
      return EXIT.failed;
    case 'stopped':
      return exitCodeFor(end.code);
  }
}

function runStatusOf(end: RunEnd): RunStatus {
  if (end.status === 'stopped') return end.code === 'cancelled' ? 'interrupted' : 'stopped';
  return end.status;
}

/** `taskflow run <taskflow>`: validate everything, then run the tasks in order. */
export async function runCommand(
  context: RuntimeContext,
  reference: string,
  options: RunOptions,
): Promise<number> {
  const overrides = parseGlobalFlags(options.global);
  const loader = createLoader(context, options.path);
  const loaded = loadTaskflow(loader, reference, {
    ...(options.modelConfig && { modelConfigOverride: options.modelConfig }),
  });
  const globals = applyGlobalOverrides(loaded.taskflow.globals, overrides);

  const command = startRunningCommand(context, {
    ...(options.output !== undefined && { output: options.output }),
  });
  const { reporter, logger, redactor, interrupt } = command;
  const summary = summaryFromEvents();
  const onEvent = (event: Parameters<typeof reporter.onEvent>[0]) => {
    summary.onEvent(event);
    reporter.onEvent(event);
  };
  for (const issue of loader.issues.warnings)
    reporter.warn(formatIssue(issue, context.workingDirectory));
  const sessionId = randomBytes(6).toString('hex');
  const started = Date.now();
  emitEvent(onEvent, { type: 'taskflow-start', sessionId, taskflow: reference, resumed: false });
  try {
    const environment = context.environment;
    const result = await runTaskflow(
      {
        loaded,
        environment,
        workingDirectory: context.workingDirectory,
        runner: command.runner,
        onEvent,
        logger,
        redactor,
        signal: interrupt.signal,
        headless: options.headless ?? false,
        ...(command.approver && { approve: command.approver }),
        createClient: (target) => createModelClient(target),
        resolveModel: (name, taskSettings) =>
          resolveModelTarget({
            name,
            ...(loaded.modelConfig && { modelConfig: loaded.modelConfig }),
            taskSettings,
            environment,
          }),
        defaultModel: defaultModelName(environment),
      },
      globals,
    );
    const exitCode =
      interrupt.interruptedBy() !== undefined ? EXIT.interrupted : exitCodeOf(result.end);
    const status: RunStatus =
      exitCode === EXIT.interrupted ? 'interrupted' : runStatusOf(result.end);
    const error = result.end.status === 'succeeded' ? undefined : result.end.error;
    emitEvent(onEvent, {
      type: 'taskflow-end',
      sessionId,
      status,
      exitCode,
      usage: result.state.usage,
      durationMs: Date.now() - started,
      ...(error && { error: error.message }),
    });
    if (result.end.status === 'stopped' && exitCode !== EXIT.interrupted)
      reportError(result.end.error, context.stderr, context.debug);
    const stepSummaryPath = context.environment.GITHUB_STEP_SUMMARY;
    const runSummary = summary.summary();
    if (stepSummaryPath && runSummary) {
      try {
        writeStepSummary(stepSummaryPath, runSummary);
      } catch (summaryError) {
        reporter.warn(`could not write the step summary: ${(summaryError as Error).message}`);
      }
    }
    return exitCode;
  } finally {
    await command.dispose();
  }
}
