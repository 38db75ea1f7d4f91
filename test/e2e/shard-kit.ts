import fs from 'node:fs';
import path from 'node:path';
import {
  lastUserText,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { parseJsonl, type CliResult } from './cli-harness.js';
import {
  isSummary,
  itemOf,
  modelRequests,
  runToEnd,
  sessionsRoot,
  taskResults,
  type JournalLine,
} from './sessions-kit.js';

/** Shared by the shard e2e tests: a fan-out whose branches each make one side effect. */

/**
 * A shell list of `count` items, a fan-out whose branches each append one note through the
 * parked-tools server (a side effect per branch, logged to $PARKED_LOG), then a summary of
 * all results. `models` makes the fan-out items × models; `items: false` a fan-out over
 * `models` alone.
 */
export function noteFlow(
  count: number,
  options: { models?: readonly string[]; items?: boolean } = {},
): string {
  const items = options.items ?? true;
  const models = options.models ? `\n      models: [${options.models.join(', ')}]` : '';
  const fanOut = items
    ? `\n      repeat_prompt: true\n      user_prompt: "Append note item-{{ result }}"`
    : `\n      user_prompt: "Append note item-0"`;
  return `
taskflow:
  - task:
      name: list items
      run: |
        printf '['; seq -s, 0 ${count - 1} | tr -d '\\n'; printf ']'
  - task:
      name: note each
      id: notes
      agents: [personalities.parker]
      async: true
      async_limit: 3${models}${fanOut}
  - task:
      name: summarize
      agents: [personalities.plain]
      user_prompt: "Summarize {{ outputs.notes | tojson }}"
`;
}

/** The branch a note request belongs to: `item@model`. */
export function branchOf(request: RecordedRequest): string {
  return `${itemOf(request) ?? '?'}@${String(request.body.model)}`;
}

/**
 * The model of a note flow: a note request first calls append_note with its branch, then
 * answers; the summary quotes its prompt. Deterministic, so runs can be compared.
 */
export function noteModel(request: RecordedRequest): FakeReply {
  if (isSummary(request)) return { kind: 'message', text: `summary of ${lastUserText(request)}` };
  const note = `item-${branchOf(request)}`;
  if (toolResultsOf(request).length === 0) {
    return { kind: 'message', toolCalls: [{ name: 'parked__append_note', arguments: { note } }] };
  }
  return { kind: 'message', text: `noted ${note}` };
}

/** The branches (`item@model`) of the note requests among `requests`, sorted. */
export function noteBranches(requests: readonly RecordedRequest[]): string[] {
  return requests
    .filter((request) => !isSummary(request))
    .map(branchOf)
    .sort();
}

/** Branch `item@model` of each ordinal of an items × models fan-out (item-major). */
export function branchNames(items: number, models: readonly string[]): string[] {
  const names: string[] = [];
  for (let item = 0; item < items; item++)
    for (const model of models) names.push(`${item}@${model}`);
  return names;
}

/** The names of the ordinals ≡ shard−1 (mod of), sorted like noteBranches. */
export function shardBranches(names: readonly string[], shard: number, of: number): string[] {
  return names.filter((_, ordinal) => ordinal % of === shard - 1).sort();
}

/** Lines of a parked-tools log (one per tool call made). */
export function logLines(file: string): string[] {
  return fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean)
    : [];
}

/** Copies the sandbox's session folder (as a CI artifact would carry it) to `<sandbox>/<name>`. */
export function copySessions(sandbox: string, name: string): string {
  const copy = path.join(sandbox, name);
  fs.cpSync(sessionsRoot(sandbox), copy, { recursive: true });
  return copy;
}

/** The taskflow-end event of a jsonl run. */
export function endEvent(result: CliResult): Record<string, unknown> | undefined {
  return parseJsonl(result.stdout).find((event) => event.type === 'taskflow-end');
}

/** What a session produced: task results, the manifest's outputs and status. */
export function outcomeOf(
  root: string,
  id: string,
): { results: Map<number, unknown>; outputs: unknown; status: unknown } {
  const lines = fs.readFileSync(path.join(root, id, 'journal.jsonl'), 'utf8').split('\n');
  lines.pop();
  const journal = lines.map((line) => JSON.parse(line) as JournalLine);
  const manifest = JSON.parse(fs.readFileSync(path.join(root, id, 'manifest.json'), 'utf8')) as {
    outputs: unknown;
    status: unknown;
  };
  return { results: taskResults(journal), outputs: manifest.outputs, status: manifest.status };
}

/** A fake model server of its own per shard, so each shard's requests can be told apart. */
export async function shardServers(count: number): Promise<FakeModelServer[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => startFakeModelServer()));
  for (const server of servers) server.setHandler(noteModel);
  return servers;
}

/** Runs `flow.yaml` unsharded in its own session folder; returns what it produced. */
export async function unshardedRun(
  server: FakeModelServer,
  sandbox: string,
  work: string,
  env: Record<string, string>,
): Promise<ReturnType<typeof outcomeOf>> {
  const root = path.join(sandbox, 'unsharded');
  const result = await runToEnd(
    server,
    sandbox,
    ['run', 'flow.yaml', '--output', 'plain', '--session-dir', root],
    { cwd: work, env },
  );
  if (result.code !== 0) throw new Error(`unsharded run failed: ${result.stderr}`);
  const id = fs.readdirSync(root).find((name) => /^[0-9a-f]{12}$/.test(name)) ?? '';
  return outcomeOf(root, id);
}

/** Model requests made to `server` from index `from` on. */
export const requestsSince = (server: FakeModelServer, from: number): RecordedRequest[] =>
  modelRequests(server).slice(from);
