/**
 * Before a toolbox starts a Python MCP server with `python -m <module>`, check that the
 * module can be imported, so a missing pip package fails the task at once with the install
 * command instead of after the start retries with a Python traceback.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError } from '../errors.js';
import type { ResolvedToolbox } from '../toolbox/types.js';

/**
 * The pip package that provides each top-level module whose servers seclab-style toolboxes
 * start. seclab's own toolbox files (toolboxes/codeql.yaml and the others) run
 * `python -m seclab_taskflow_agent.mcp_servers.…`; the seclab-taskflows pack's run
 * `python -m seclab_taskflows.mcp_servers.…`. Other modules are not checked.
 */
export const PYTHON_SERVER_PACKAGES: Readonly<Record<string, string>> = {
  seclab_taskflow_agent: 'seclab-taskflow-agent',
  seclab_taskflows: 'seclab-taskflows',
};

/** `python`, `python3`, `python3.12`, `python.exe`, with or without a folder. */
const PYTHON_COMMAND = /^python(?:\d+(?:\.\d+)*)?(?:\.exe)?$/i;
/** Interpreter options that take a separate value (`-X dev`, `-W error`). */
const OPTIONS_WITH_VALUE = new Set(['-X', '-W', '-Q']);
/** Exit status of CHECK_SCRIPT when the module or one of its parent packages is missing. */
const MODULE_MISSING_STATUS = 3;
/**
 * Finds the module without running it. A ModuleNotFoundError for the module itself or a
 * parent package means "not installed"; any other failure (a broken dependency) is left
 * for the real start to report with its traceback.
 */
const CHECK_SCRIPT = [
  'import importlib.util, sys',
  'name = sys.argv[1]',
  'try:',
  '    found = importlib.util.find_spec(name) is not None',
  'except ModuleNotFoundError as error:',
  "    missing = error.name or ''",
  "    found = not (name == missing or name.startswith(missing + '.'))",
  `sys.exit(0 if found else ${MODULE_MISSING_STATUS})`,
].join('\n');

export interface PythonServerModule {
  readonly module: string;
  readonly pipPackage: string;
}

/** The module and pip package a toolbox's `python -m` command needs; undefined otherwise. */
export function pythonServerModuleOf(toolbox: ResolvedToolbox): PythonServerModule | undefined {
  const command = toolbox.command;
  if (command === undefined || !PYTHON_COMMAND.test(path.basename(command))) return undefined;
  const module = moduleArgument(toolbox.args);
  const pipPackage =
    module === undefined ? undefined : PYTHON_SERVER_PACKAGES[module.split('.')[0] ?? ''];
  return module === undefined || pipPackage === undefined ? undefined : { module, pipPackage };
}

/** The module of `[options] -m module ...`; undefined when a script is run instead. */
function moduleArgument(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const argument = args[index] ?? '';
    if (argument === '-m') return args[index + 1];
    if (/^-m\S/.test(argument)) return argument.slice(2);
    if (!argument.startsWith('-') || argument === '-' || argument === '-c') return undefined;
    if (OPTIONS_WITH_VALUE.has(argument)) index++;
  }
  return undefined;
}

export type CheckOutcome = 'found' | 'missing' | 'no-interpreter' | 'inconclusive';

/**
 * The outcomes of a run's checks so far, by interpreter, module, folder and environment:
 * tasks that start the same server check it once per run. Inconclusive outcomes are not
 * kept, so the next start checks again.
 */
export type PythonModuleChecks = Map<string, Promise<CheckOutcome>>;

export interface CheckPythonServerOptions {
  readonly signal?: AbortSignal;
  /** Earlier outcomes to reuse and add to; without it every call runs the interpreter. */
  readonly checked?: PythonModuleChecks;
}

/**
 * Runs the toolbox's interpreter, with the server's environment and folder, to find the
 * module of its `python -m` command (a no-op for other toolboxes). Inconclusive outcomes
 * (a timeout, another exit status) let the start go ahead and report what happens.
 *
 * @throws TaskflowError 'toolbox-start' naming the pip package and how to install it, when
 *   the interpreter is not on PATH or cannot import the module
 * @throws TaskflowError 'cancelled' when `signal` aborts
 */
export async function checkPythonServerModule(
  toolbox: ResolvedToolbox,
  options: CheckPythonServerOptions = {},
): Promise<void> {
  const needed = pythonServerModuleOf(toolbox);
  const command = toolbox.command;
  if (needed === undefined || command === undefined) return;
  const outcome = await checkOnce(command, needed.module, toolbox, options);
  if (options.signal?.aborted === true) {
    throw new TaskflowError('cancelled', `toolbox "${toolbox.name}" start was cancelled`, {
      toolbox: toolbox.name,
    });
  }
  const install = `\`pip install ${needed.pipPackage}\``;
  if (outcome === 'no-interpreter') {
    throw new TaskflowError(
      'toolbox-start',
      `toolbox "${toolbox.name}" failed to start: ${command} was not found; install Python 3, then run ${install}`,
      {
        toolbox: toolbox.name,
        details: [`the toolbox runs the Python module ${needed.module}`],
      },
    );
  }
  if (outcome === 'missing') {
    throw new TaskflowError(
      'toolbox-start',
      `toolbox "${toolbox.name}" failed to start: ${command} cannot import ${needed.module}; run ${install}`,
      {
        toolbox: toolbox.name,
        details: [
          `install it for the ${command} on PATH, or activate the virtual environment that has it`,
        ],
      },
    );
  }
}

/** `runCheck`, or the outcome `options.checked` already has for the same start. */
function checkOnce(
  command: string,
  module: string,
  toolbox: ResolvedToolbox,
  options: CheckPythonServerOptions,
): Promise<CheckOutcome> {
  const { checked, signal } = options;
  if (checked === undefined) return runCheck(command, module, toolbox, signal);
  // Hashed: the environment holds secrets, which the run need not keep around as keys.
  const environment = Object.entries(toolbox.env).sort(([a], [b]) => (a < b ? -1 : 1));
  const key = createHash('sha256')
    .update(JSON.stringify([command, module, toolbox.cwd ?? null, environment]))
    .digest('hex');
  const known = checked.get(key);
  if (known !== undefined) return known;
  const outcome = runCheck(command, module, toolbox, signal);
  checked.set(key, outcome);
  void outcome.then((result) => {
    if (result === 'inconclusive' && checked.get(key) === outcome) checked.delete(key);
  });
  return outcome;
}

function runCheck(
  command: string,
  module: string,
  toolbox: ResolvedToolbox,
  signal: AbortSignal | undefined,
): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    execFile(
      command,
      ['-c', CHECK_SCRIPT, module],
      {
        env: toolbox.env,
        ...(toolbox.cwd !== undefined && { cwd: toolbox.cwd }),
        timeout: toolbox.connectTimeoutMs,
        windowsHide: true,
        ...(signal && { signal }),
      },
      (error) => {
        if (error === null) return resolve('found');
        // A missing working folder fails the same way; the start reports that one.
        if (error.code === 'ENOENT')
          return resolve(
            toolbox.cwd === undefined || fs.existsSync(toolbox.cwd)
              ? 'no-interpreter'
              : 'inconclusive',
          );
        resolve(error.code === MODULE_MISSING_STATUS ? 'missing' : 'inconclusive');
      },
    );
  });
}
