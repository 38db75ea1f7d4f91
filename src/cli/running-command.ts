import envPaths from 'env-paths';
import type { Approver } from '../agent/types.js';
import { createLogger, type Logger } from '../logger.js';
import { chooseOutputMode, createReporter, type Reporter } from '../output/index.js';
import { Redactor } from '../redactor.js';
import { redactingReporter, redactingStream } from '../redaction/redacting-output.js';
import type { RunnerInfo } from '../engine/runner-info.js';
import { answerOutput, type AnswerOutput } from './answer-output.js';
import { stopWhenStdoutCloses } from './broken-pipe.js';
import { colorEnabled } from './color-choice.js';
import { installInterruptHandler, type InterruptHandle } from './interrupt.js';
import type { RuntimeContext } from './runtime-context.js';
import { createTtyApprover } from './tty-approver.js';

export interface RunningCommandOptions {
  readonly output?: string;
  /** The run's session: on every log line. */
  readonly sessionId?: string;
  /** The session's folder for server state (`runner.stateDir` in toolbox templates). */
  readonly stateDir?: string;
  /** `ask`: stdout carries only the answer, progress goes to stderr (see answer-output.ts);
   *  not with `--output jsonl`, whose stdout is the events. */
  readonly answerOnStdout?: boolean;
}

/** What every command that runs agents needs: cancellation, logging, output, approval. */
export interface RunningCommand {
  readonly interrupt: InterruptHandle;
  readonly logger: Logger;
  readonly redactor: Redactor;
  /** Redacts every event and message before it is shown (see redaction/redacting-output). */
  readonly reporter: Reporter;
  /** The context's stderr, redacted: for error reports and stack traces. */
  readonly stderr: NodeJS.WritableStream;
  readonly runner: RunnerInfo;
  /** Undefined without a terminal: approval-needing tools are denied. */
  readonly approver?: Approver;
  /** With `answerOnStdout` (not jsonl): prints the final answer (already redacted). */
  readonly answer?: Pick<AnswerOutput, 'finish'>;
  dispose(): Promise<void>;
}

export async function startRunningCommand(
  context: RuntimeContext,
  options: RunningCommandOptions,
): Promise<RunningCommand> {
  const redactor = new Redactor();
  // Known before anything runs: a shell task may print a token no template ever read.
  redactor.addEnvironment(context.environment);
  const logger = createLogger({
    directory: envPaths('taskflow', { suffix: '' }).log,
    redactor,
    ...(context.debug && { debugStream: context.stderr }),
    ...(options.sessionId !== undefined && { sessionId: options.sessionId }),
  });
  const stdoutIsTty = context.stdout.isTTY === true;
  const ci =
    context.environment.CI !== undefined &&
    context.environment.CI !== '' &&
    context.environment.CI !== 'false';
  const mode = chooseOutputMode(options.output, { stdoutIsTty, ci });
  const answerOnStdout = options.answerOnStdout === true && mode !== 'jsonl';
  const modeReporter = await createReporter({
    mode,
    stdout: answerOnStdout ? context.stderr : context.stdout,
    stderr: context.stderr,
    color: colorEnabled({
      flag: context.colorFlag,
      environment: context.environment,
      stdoutIsTty,
    }),
    // ora draws on stderr and hangs on a 0-column terminal (see output/activity-spinner).
    spinner:
      mode === 'tty' &&
      stdoutIsTty &&
      context.stderr.isTTY === true &&
      (context.stderr.columns ?? 0) > 0 &&
      !ci,
  });
  const answer = answerOnStdout
    ? answerOutput(modeReporter, context.stdout, { live: stdoutIsTty })
    : undefined;
  const shownReporter = answer?.reporter ?? modeReporter;
  const reporter = redactingReporter(shownReporter, redactor);
  const interrupt = stopWhenStdoutCloses(
    installInterruptHandler(context.stderr, { beforeForcedExit: () => reporter.close() }),
    context.stderr,
  );
  const interactive =
    process.stdin.isTTY === true &&
    context.stderr === process.stderr &&
    process.stderr.isTTY === true;
  const ttyApprover = interactive
    ? createTtyApprover({
        input: process.stdin,
        output: process.stderr,
        pause: () => reporter.pause(),
        resume: () => reporter.resume(),
      })
    : undefined;
  const approver: Approver | undefined =
    ttyApprover &&
    ((request, options) =>
      ttyApprover({ ...request, arguments: redactor.redact(request.arguments) }, options));
  return {
    interrupt,
    logger,
    redactor,
    reporter,
    stderr: redactingStream(context.stderr, redactor),
    runner: {
      node: process.execPath,
      root: context.bundleRoot,
      ...(options.stateDir !== undefined && { stateDir: options.stateDir }),
    },
    ...(approver && { approver }),
    ...(answer && { answer }),
    async dispose() {
      reporter.close();
      interrupt.dispose();
      await logger.close();
    },
  };
}
