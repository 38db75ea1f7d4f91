import type { PersonalityDefinition, ToolboxDefinition } from '../definitions/types.js';
import { buildSystemPrompt } from '../agent/system-prompt.js';
import { sanitizeName } from '../agent/tool-names.js';
import { ToolRouter } from '../agent/tool-router.js';
import type { AgentPersona } from '../agent/types.js';
import type { ToolboxConnection } from '../toolbox/types.js';

/** The toolbox refs each agent uses: the task's when given, else its personality's. */
export function agentToolboxRefs(
  personality: PersonalityDefinition,
  taskToolboxes: readonly string[] | undefined,
): readonly string[] {
  return taskToolboxes ?? personality.toolboxes;
}

/** Every toolbox ref the task needs, deduplicated in first-use order. */
export function taskToolboxRefs(
  personalities: readonly PersonalityDefinition[],
  taskToolboxes: readonly string[] | undefined,
): string[] {
  const refs: string[] = [];
  for (const personality of personalities) {
    for (const ref of agentToolboxRefs(personality, taskToolboxes))
      if (!refs.includes(ref)) refs.push(ref);
  }
  if (taskToolboxes) for (const ref of taskToolboxes) if (!refs.includes(ref)) refs.push(ref);
  return refs;
}

export interface StartedToolbox {
  readonly ref: string;
  readonly definition: ToolboxDefinition;
  readonly connection: ToolboxConnection;
}

/** Agent personas with their system prompts and tool routers over the task's connections. */
export function buildPersonas(
  personalities: readonly PersonalityDefinition[],
  taskToolboxes: readonly string[] | undefined,
  started: readonly StartedToolbox[],
  blockedTools: readonly string[],
): AgentPersona[] {
  const names = new Set<string>();
  return personalities.map((personality) => {
    const refs = agentToolboxRefs(personality, taskToolboxes);
    const own = started.filter((toolbox) => refs.includes(toolbox.ref));
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
        serverPrompts: own.map((toolbox) => toolbox.definition.serverPrompt ?? ''),
      }),
      router: new ToolRouter(
        own.map((toolbox) => ({
          connection: toolbox.connection,
          confirm: toolbox.definition.confirm,
        })),
        blockedTools,
      ),
    };
  });
}
