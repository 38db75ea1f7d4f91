import { createHash } from 'node:crypto';

/** The API's limit on function names. */
export const MAX_TOOL_NAME_LENGTH = 64;
const SEPARATOR = '__';
/** Prefix of the handoff tools (`transfer_to_<agent>`). */
export const HANDOFF_PREFIX = 'transfer_to_';
const HASH_LENGTH = 6;

export interface ToolKey {
  readonly toolbox: string;
  readonly tool: string;
}

export function sanitizeName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

function shortHash(key: ToolKey): string {
  return createHash('sha256')
    .update(`${key.toolbox}\u0000${key.tool}`)
    .digest('hex')
    .slice(0, HASH_LENGTH);
}

/** `<toolbox>__<tool>`, the toolbox part truncated first so the name fits 64 characters. */
function baseName(key: ToolKey): string {
  const toolbox = sanitizeName(key.toolbox);
  const tool = sanitizeName(key.tool);
  const room = MAX_TOOL_NAME_LENGTH - SEPARATOR.length - tool.length;
  if (room >= 1) return `${toolbox.slice(0, room)}${SEPARATOR}${tool}`;
  // The tool name alone is too long: keep a short toolbox prefix and a hash of the whole.
  const keep = MAX_TOOL_NAME_LENGTH - SEPARATOR.length - 1 - HASH_LENGTH - 4;
  return `${toolbox.slice(0, 4)}${SEPARATOR}${tool.slice(0, keep)}_${shortHash(key)}`;
}

function withHash(name: string, key: ToolKey): string {
  const suffix = `_${shortHash(key)}`;
  return `${name.slice(0, MAX_TOOL_NAME_LENGTH - suffix.length)}${suffix}`;
}

/**
 * The handoff tool of an agent: `transfer_to_<agent>`, shortened with a hash of the agent
 * name when it would exceed the API limit (agent names come from personality file names).
 */
export function handoffToolName(agent: string): string {
  const name = `${HANDOFF_PREFIX}${sanitizeName(agent)}`;
  return name.length <= MAX_TOOL_NAME_LENGTH
    ? name
    : withHash(name, { toolbox: HANDOFF_PREFIX, tool: agent });
}

/** The agent a tool call hands off to, when its name is one of `targets`' handoff tools. */
export function handoffTargetOf(toolName: string, targets: readonly string[]): string | undefined {
  return targets.find((agent) => handoffToolName(agent) === toolName);
}

/**
 * Names exposed to the model for (toolbox, tool) pairs. Deterministic and independent of
 * order: the same pairs always get the same names (resume relies on it). Names that would
 * collide all get a short hash suffix.
 */
export function assignToolNames(keys: readonly ToolKey[]): Map<string, ToolKey> {
  const byBase = new Map<string, ToolKey[]>();
  for (const key of keys) {
    const name = baseName(key);
    byBase.set(name, [...(byBase.get(name) ?? []), key]);
  }
  const result = new Map<string, ToolKey>();
  for (const [name, group] of byBase) {
    const unique = new Map(group.map((key) => [`${key.toolbox}\u0000${key.tool}`, key]));
    if (unique.size === 1) {
      result.set(name, group[0] as ToolKey);
      continue;
    }
    for (const key of unique.values()) result.set(withHash(name, key), key);
  }
  return result;
}
