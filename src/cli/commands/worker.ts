import { setMaxListeners } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { parseDuration } from '../../duration.js';
import { createResilienceRuntime } from '../../engine/model-caller.js';
import type { RunDependencies } from '../../engine/run-types.js';
import { TaskflowError } from '../../errors.js';
import type { TaskflowEvent } from '../../events.js';
import { defaultModelName } from '../../model/resolve-model.js';
import { BranchWorker } from '../../queue/branch-worker.js';
import { connectQueue, redisOptions } from '../../queue/queue-connection.js';
import { parseRedisUrl } from '../../queue/redis-url.js';
import { modelEnvironment } from '../check-model-targets.js';
import { createLoader } from '../create-loader.js';
import { EXIT } from '../exit-codes.js';
import {
  modelClientFactory,
  modelResolver,
  redactModelConfigTokens,
  resilienceOverridesOf,
} from '../model-clients.js';
import { rateLimitsFromEnvironment } from '../rate-limits-environment.js';
import type { RuntimeContext } from '../runtime-context.js';
import { startRunningCommand } from '../running-command.js';
import { sessionRoot } from '../session-root.js';

export interface WorkerOptions {
  readonly queue?: string;
  readonly concurrency: number;
  readonly lockTimeout: string;
  readonly path: readonly string[];
  readonly sessionDir?: string;
  readonly output?: string;
}

/** Below this a busy event loop could lose a job that is running fine. */
const MIN_LOCK_MS = 1_000;

/**
 * `taskflow worker --queue <url>`: runs fan-out branches of queue runs (scale-out.md
 * "Queue") until SIGINT/SIGTERM, then hands its running branches back (each continues from
 * its last committed turn on another worker) and exits 0. Its files must match each run's:
 * a job whose session's files differ here is refused, naming them.
 */
export async function workerCommand(
  context: RuntimeContext,
  options: WorkerOptions,
): Promise<number> {
  const fromFlag = options.queue !== undefined;
  const value = options.queue ?? context.environment.TASKFLOW_QUEUE;
  if (value === undefined || value === '') {
    throw new TaskflowError(
      'usage',
      'worker needs the queue: --queue <redis-url> (or TASKFLOW_QUEUE)',
    );
  }
  const lockMs = parseDuration(options.lockTimeout);
  if (lockMs === undefined || lockMs < MIN_LOCK_MS) {
    throw new TaskflowError(
      'usage',
      `--lock-timeout ${options.lockTimeout}: expected a duration of at least 1s (like 30s)`,
    );
  }
  const url = parseRedisUrl(value, fromFlag ? '--queue' : 'TASKFLOW_QUEUE');
  const connection = await connectQueue(url);
  const command = await startRunningCommand(context, { output: options.output ?? 'plain' });
  const { redactor, logger } = command;
  // Every branch running here listens on it (concurrency × requests and tool calls).
  setMaxListeners(0, command.interrupt.signal);
  const jsonl = options.output === 'jsonl';
  const say = (line: string) => {
    if (jsonl) return;
    context.stdout.write(`${redactor.redact(line)}\n`);
  };
  const onEvent = (event: TaskflowEvent) => {
    if (jsonl) context.stdout.write(`${JSON.stringify(redactor.redactValue(event))}\n`);
    else if (event.type === 'warning') say(`warning: ${event.message}`);
  };
  const environment = modelEnvironment(context.environment, undefined);
  const rateLimits = rateLimitsFromEnvironment(context.environment);
  const resilience = createResilienceRuntime({
    pacerStore: connection.pacerStore,
    ...(rateLimits !== undefined && { rateLimits }),
  });
  const createClient = modelClientFactory({
    redactor,
    logModelError: (line) => logger.warn(line),
  });
  const worker = new BranchWorker({
    connection: { ...redisOptions(url) },
    redis: connection.redis,
    concurrency: options.concurrency,
    lockMs,
    stateRoot: path.join(sessionRoot(context, options.sessionDir), 'worker-state'),
    workingDirectory: context.workingDirectory,
    createLoader: (searchPaths) => createLoader(context, [...options.path, ...searchPaths]),
    dependencies: (loaded, fanOut, stateDir): RunDependencies => {
      redactModelConfigTokens(loaded.modelConfig, context.environment, redactor);
      return {
        loaded,
        environment,
        workingDirectory: context.workingDirectory,
        runner: { ...command.runner, stateDir },
        onEvent,
        logger,
        redactor,
        signal: command.interrupt.signal,
        headless: fanOut.headless,
        createClient,
        resolveModel: modelResolver(loaded.modelConfig, environment),
        defaultModel: defaultModelName(environment),
        resilience,
        resilienceOverrides: resilienceOverridesOf,
      };
    },
    redact: (value) => redactor.redactValue(value),
    say,
    signal: command.interrupt.signal,
  });
  try {
    await worker.start();
    say(
      `worker ${os.hostname()} (pid ${process.pid}) takes branches from ${url.display}, ${options.concurrency} at a time`,
    );
    await new Promise<void>((resolve) => {
      if (command.interrupt.signal.aborted) return resolve();
      command.interrupt.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    say('stopping: running branches go back to the queue');
  } finally {
    await worker.close();
    await connection.close();
    await command.dispose();
  }
  return EXIT.ok;
}
