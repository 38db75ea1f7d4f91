/**
 * The "Environment" section of `run --help`, `resume --help` and `ask --help`: every
 * variable those commands read, with the output default. The e2e test
 * cli-conventions.test.ts scans src/ for variables read and fails when one is missing here.
 */

type RunningCommandName = 'run' | 'resume' | 'ask';

interface VariableHelp {
  readonly names: string;
  readonly meaning: string;
  /** Commands that do not read it (default: all three). */
  readonly notFor?: readonly RunningCommandName[];
}

const VARIABLES: readonly VariableHelp[] = [
  {
    names: 'AI_API_TOKEN',
    meaning:
      "token for the model endpoint (fallback COPILOT_TOKEN; a model config's `token` names another variable)",
  },
  {
    names: 'AI_API_ENDPOINT',
    meaning: 'OpenAI-compatible base URL (default https://models.github.ai/inference)',
  },
  {
    names: 'TASKFLOW_DEFAULT_MODEL',
    meaning: 'model when a task names none (alias COPILOT_DEFAULT_MODEL)',
  },
  {
    names: 'MODEL_TEMP',
    meaning: 'temperature sent unless a model config sets one',
  },
  {
    names: 'MODEL_PARALLEL_TOOL_CALLS',
    meaning: 'set (not 0/false/no/off): allow parallel tool calls',
  },
  {
    names: 'TASKFLOW_RATE_LIMITS',
    meaning: 'declared rate limits, e.g. "rpm=60,tpm=90000" or "gpt-4.1:rpm=10"',
  },
  {
    names: 'COPILOT_INTEGRATION_ID',
    meaning: 'Copilot-Integration-Id header for api.githubcopilot.com',
  },
  {
    names: 'AWF_COPILOT_PROXY',
    meaning: 'the provider an AWF proxy endpoint stands for',
  },
  {
    names: 'TASKFLOW_PATH',
    meaning: 'extra search roots for import paths, ":"-separated',
  },
  {
    names: 'TASKFLOW_SESSION_DIR',
    meaning: 'session directory (default: the data dir + /sessions)',
    notFor: ['ask'],
  },
  {
    names: 'TASKFLOW_QUEUE',
    meaning: 'redis://host:port[/db]: fan-outs run on `taskflow worker`s (as --queue)',
    notFor: ['ask'],
  },
  {
    names: 'TASKFLOW_ENV_DENYLIST',
    meaning: 'comma-separated variables never passed to MCP servers or shell tasks',
  },
  {
    names: 'VIRTUAL_ENV, PYTHONPATH',
    meaning: 'where taskflow packs installed with pip are found',
  },
  {
    names: 'GITHUB_STEP_SUMMARY',
    meaning: 'a Markdown summary of the run is appended to this file',
    notFor: ['ask'],
  },
  { names: 'TASK_AGENT_DEBUG', meaning: '1/true/yes: same as --debug' },
  { names: 'CI', meaning: 'set: plain output by default, no spinner' },
  {
    names: 'NO_COLOR, FORCE_COLOR',
    meaning: 'colours off / on (--color and --no-color win)',
  },
];

const NAME_WIDTH = 28;
const LINE_WIDTH = 80;

/** `text` in lines of at most `width` characters, split at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/** The help section for one of the commands that run agents. */
export function runningCommandHelp(command: RunningCommandName): string {
  const lines = [
    '',
    ...wrap(
      'Output (--output): tty on a terminal outside CI, else plain; jsonl writes only events to stdout.',
      LINE_WIDTH,
    ),
    '',
    'Environment:',
  ];
  for (const variable of VARIABLES) {
    if (variable.notFor?.includes(command)) continue;
    const [first = '', ...rest] = wrap(variable.meaning, LINE_WIDTH - NAME_WIDTH - 2);
    lines.push(`  ${variable.names.padEnd(NAME_WIDTH)}${first}`);
    for (const line of rest) lines.push(`${' '.repeat(NAME_WIDTH + 2)}${line}`);
  }
  lines.push(
    ...wrap(
      'A .env file near the working directory is read first; variables already set win.',
      LINE_WIDTH,
    ),
  );
  return lines.join('\n');
}
