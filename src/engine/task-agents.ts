import type { PersonalityDefinition, ToolboxDefinition } from '../definitions/types.js';
import { buildSystemPrompt } from '../agent/system-prompt.js';
import { sanitizeName } from '../agent/tool-names.js';
import { ToolRouter } from '../agent/tool-router.js';
import type { AgentPersona } from '../agent/types.js';
import type { ToolboxConnection } from '../toolbox/types.js';

/**
 * The toolbox refs of a task, shared by all its agents (seclab gives the primary agent and
 * every handoff agent the same servers): the task's `toolboxes` when given, else the union
 * of its personalities' toolboxes, deduplicated in agent order.
 */
export function taskToolboxRefs(
  personalities: readonly PersonalityDefinition[],
  taskToolboxes: readonly string[] | undefined,
): string[] {
  const refs: string[] = [];
  const wanted = taskToolboxes ?? personalities.flatMap((personality) => personality.toolboxes);
  for (const ref of wanted) if (!refs.includes(ref)) refs.push(ref);
  return refs;
}

export interface StartedToolbox {
  readonly ref: string;
  readonly definition: ToolboxDefinition;
  readonly connection: ToolboxConnection;
}

/**
 * Agent personas with their system prompts and tool routers over the task's connections.
 * Every agent gets all the task's toolboxes (see taskToolboxRefs), with their server
 * prompts, in the order of `taskToolboxRefs`.
 */
export function buildPersonas(
  personalities: readonly PersonalityDefinition[],
  taskToolboxes: readonly string[] | undefined,
  started: readonly StartedToolbox[],
  blockedTools: readonly string[],
): AgentPersona[] {
  const names = new Set<string>();
  const refs = taskToolboxRefs(personalities, taskToolboxes);
  const own = refs.flatMap((ref) => started.filter((toolbox) => toolbox.ref === ref));
  const serverPrompts = own.map((toolbox) => toolbox.definition.serverPrompt ?? '');
  const router = new ToolRouter(
    own.map((toolbox) => ({ connection: toolbox.connection, confirm: toolbox.definition.confirm })),
    blockedTools,
  );
  return personalities.map((personality) => {
    let name = sanitizeName(personality.shortName);
    for (let suffix = 2; names.has(name); suffix++)
      name = `${sanitizeName(personality.shortName)}_${suffix}`;
    names.add(name);
    return {
      name,
      summary: (
        personality.personality.split('\n').find((line) => line.trim() !== '') ?? name
      ).trim(),
      instructions: buildSystemPrompt({
        personality: personality.personality,
        ...(personality.task !== undefined && { task: personality.task }),
        serverPrompts,
      }),
      router,
    };
  });
}
