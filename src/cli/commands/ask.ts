import { runAgent } from '../../agent/run-agent.js';
import { throwIfInvalid } from '../../definitions/load-taskflow.js';
import type { ModelConfigDefinition, ToolboxDefinition } from '../../definitions/types.js';
import { createModelCaller, createResilienceRuntime } from '../../engine/model-caller.js';
import { modelClientFactory, resilienceOverridesOf } from '../model-clients.js';
import { startTaskToolboxes, type TaskToolboxes } from '../../engine/start-task-toolboxes.js';
import { buildPersonas } from '../../engine/task-agents.js';
import { parseDenylist } from '../../engine/task-environment.js';
import { isTaskflowError } from '../../errors.js';
import { defaultModelName, resolveModelTarget } from '../../model/resolve-model.js';
import { createTemplateRenderer } from '../../templates/template-renderer.js';
import { checkRunningFlags } from '../check-flags.js';
import { modelEnvironment } from '../check-model-targets.js';
import { createLoader } from '../create-loader.js';
import { parseGlobalFlags } from '../parse-globals.js';
import { promptSource, readPromptFromStdin, STDIN_QUIET_NOTICE_MS } from '../ask-prompt.js';
import { rateLimitsFromEnvironment } from '../rate-limits-environment.js';
import { EXIT, exitCodeFor, exitCodeForInterrupt } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import type { RuntimeContext } from '../runtime-context.js';
import { startRunningCommand } from '../running-command.js';

export interface AskOptions {
  /** `-g`: checked like run's, then ignored as seclab ignores it (warned about). */
  readonly global?: readonly string[];
  readonly modelConfig?: string;
  readonly model?: string;
  readonly headless?: boolean;
  readonly path: readonly string[];
  readonly output?: string;
  readonly maxSteps?: number;
  readonly record?: string;
  readonly replay?: string;
}

/**
 * `taskflow ask <personality> <prompt...>`: one agent with the personality's toolboxes.
 * stdout carries only the answer (streamed on a terminal, printed once at the end
 * otherwise; `--output jsonl` prints events there instead); progress goes to stderr. The
 * prompt is read from stdin for `-`, or for no words when stdin is not a terminal.
 */
export async function askCommand(
  context: RuntimeContext,
  personalityReference: string,
  promptWords: readonly string[],
  options: AskOptions,
): Promise<number> {
  // seclab parses -g in personality mode too (a malformed one is a usage error), then never uses it.
  const flags = checkRunningFlags(context, options, { sessions: false });
  const source = promptSource(promptWords, context.stdin);
  const ignoredGlobals = Object.keys(parseGlobalFlags(options.global ?? []));
  const loader = createLoader(context, options.path);
  const personality = loader.load(personalityReference, 'personality');
  const toolboxes = new Map<string, ToolboxDefinition>();
  let modelConfig: ModelConfigDefinition | undefined;
  if (personality) {
    personality.toolboxes.forEach((reference, index) => {
      const position = loader.positionIn(personality.filePath, ['toolboxes', index]);
      const toolbox = loader.load(reference, 'toolbox', {
        filePath: personality.filePath,
        ...position,
        fieldPath: `toolboxes[${index}]`,
      });
      if (toolbox) toolboxes.set(reference, toolbox);
    });
  }
  if (options.modelConfig) modelConfig = loader.load(options.modelConfig, 'model_config');
  throwIfInvalid(loader, false);
  if (!personality) return EXIT.usage;
  // Before anything starts: a missing token is exit 78 with no server started.
  const modelTargetEnvironment = modelEnvironment(context.environment, flags.replay);
  const target = resolveModelTarget({
    name: options.model ?? defaultModelName(modelTargetEnvironment),
    ...(modelConfig && { modelConfig }),
    taskSettings: {},
    environment: modelTargetEnvironment,
  });
  const rateLimits = rateLimitsFromEnvironment(context.environment);
  // Last of the checks: stdin may take a while to end.
  const prompt =
    source.kind === 'words'
      ? source.text
      : await readPromptFromStdin(context.stdin as NodeJS.ReadableStream, {
          explicit: source.explicit,
          quiet: {
            afterMs: STDIN_QUIET_NOTICE_MS,
            notice: () =>
              context.stderr.write(
                `taskflow ask: waiting for the prompt on stdin${source.explicit ? '' : ' (no prompt words were given)'}; ` +
                  'end it with Ctrl-D, or give the prompt as words after the personality\n',
              ),
          },
        });

  const command = await startRunningCommand(context, {
    ...(options.output !== undefined && { output: options.output }),
    answerOnStdout: true,
  });
  const { reporter, logger, redactor, interrupt } = command;
  if (ignoredGlobals.length > 0)
    reporter.warn(
      `ignoring -g ${ignoredGlobals.map((key) => JSON.stringify(key)).join(', ')}: a personality prompt has no globals (seclab-taskflow-agent ignores them too)`,
    );
  for (const issue of loader.issues.warnings)
    reporter.warn(
      `${issue.filePath}:${issue.line}:${issue.column} ${issue.fieldPath}: ${issue.message}`,
    );
  let taskToolboxes: TaskToolboxes | undefined;
  try {
    const environment = context.environment;
    const renderer = createTemplateRenderer({
      environment,
      resolvePrompt: (name) => {
        const prompt = loader.load(name, 'prompt');
        if (!prompt) throw new Error(`prompt "${name}" is invalid`);
        return { text: prompt.prompt, filePath: prompt.filePath };
      },
      onEnvRead: (name, value) => redactor.addNamed(name, value),
    });
    redactor.add(target.token);
    taskToolboxes = await startTaskToolboxes({
      refs: personality.toolboxes,
      definitions: toolboxes,
      renderer,
      taskEnvironment: environment,
      denylist: parseDenylist(environment),
      runner: command.runner,
      workingDirectory: context.workingDirectory,
      context: {},
      logger,
      redactor,
      signal: interrupt.signal,
      resilience: {
        onWarning: (message) => {
          logger.warn(message);
          reporter.warn(message);
        },
      },
    });
    const personas = buildPersonas([personality], undefined, taskToolboxes.started, []);
    const client = modelClientFactory({
      redactor,
      logModelError: (line) => logger.warn(line),
      ...(flags.record && { record: flags.record }),
      ...(flags.replay && { replay: flags.replay }),
    })(target);
    const result = await runAgent({
      agents: personas,
      prompt,
      model: { id: target.modelId, settings: target.apiSettings },
      callModel: createModelCaller({
        client,
        onEvent: reporter.onEvent,
        runtime: createResilienceRuntime({
          pacing: flags.replay === undefined,
          ...(rateLimits !== undefined && { rateLimits }),
        }),
        target,
        concurrencyLimit: 1,
        ...(resilienceOverridesOf(target) && { overrides: resilienceOverridesOf(target) }),
      }),
      maxSteps: options.maxSteps ?? 50,
      excludeFromContext: false,
      headless: options.headless ?? false,
      ...(command.approver && { approve: command.approver }),
      location: { taskIndex: 0, itemIndex: 0 },
      onEvent: reporter.onEvent,
      signal: interrupt.signal,
    });
    reporter.close();
    command.answer?.finish(redactor.redact(result.finalText));
    return EXIT.ok;
  } catch (error) {
    reporter.close();
    const interruptedBy = interrupt.interruptedBy();
    if (interruptedBy !== undefined) {
      context.stderr.write('taskflow: interrupted\n');
      return exitCodeForInterrupt(interruptedBy);
    }
    reportError(error, command.stderr, context.debug);
    logger.warn(
      `ask failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return isTaskflowError(error) ? exitCodeFor(error.code) : EXIT.failed;
  } finally {
    await taskToolboxes?.close();
    await command.dispose();
  }
}
