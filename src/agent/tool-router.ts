import type { ToolSpec } from '../model/types.js';
import type { ToolAnnotations, ToolboxConnection } from '../toolbox/types.js';
import { assignToolNames, type ToolKey } from './tool-names.js';

export interface RoutedTool {
  /** Name exposed to the model. */
  readonly exposedName: string;
  readonly connection: ToolboxConnection;
  readonly toolbox: string;
  readonly tool: string;
  readonly needsApproval: boolean;
  readonly annotations?: ToolAnnotations;
}

export interface ToolboxEntry {
  readonly connection: ToolboxConnection;
  /** Tool names (MCP names) listed under the toolbox's `confirm`. */
  readonly confirm: readonly string[];
}

/**
 * The MCP tools of a task as the model sees them: prefixed names, blocked tools removed,
 * approval requirements attached. Shared by all items and agents of the task.
 */
export class ToolRouter {
  private readonly byName = new Map<string, RoutedTool>();
  readonly specs: readonly ToolSpec[];

  constructor(toolboxes: readonly ToolboxEntry[], blockedTools: readonly string[] = []) {
    const blocked = new Set(blockedTools);
    const keys: ToolKey[] = [];
    const infos = new Map<
      string,
      {
        entry: ToolboxEntry;
        description?: string;
        parameters: Record<string, unknown>;
        annotations?: ToolAnnotations;
      }
    >();
    for (const entry of toolboxes) {
      for (const tool of entry.connection.tools) {
        if (blocked.has(tool.name)) continue;
        const key = { toolbox: entry.connection.name, tool: tool.name };
        keys.push(key);
        infos.set(`${key.toolbox}\u0000${key.tool}`, {
          entry,
          ...(tool.description !== undefined && { description: tool.description }),
          parameters: tool.inputSchema,
          ...(tool.annotations !== undefined && { annotations: tool.annotations }),
        });
      }
    }
    const specs: ToolSpec[] = [];
    for (const [exposedName, key] of assignToolNames(keys)) {
      if (blocked.has(exposedName)) continue;
      const info = infos.get(`${key.toolbox}\u0000${key.tool}`);
      if (!info) continue;
      this.byName.set(exposedName, {
        exposedName,
        connection: info.entry.connection,
        toolbox: key.toolbox,
        tool: key.tool,
        needsApproval: info.entry.confirm.includes(key.tool),
        ...(info.annotations !== undefined && { annotations: info.annotations }),
      });
      specs.push({
        name: exposedName,
        ...(info.description !== undefined && { description: info.description }),
        parameters: normalizeParameters(info.parameters),
      });
    }
    // Code-point order, not localeCompare: the tool list must not depend on the locale.
    specs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.specs = specs;
  }

  lookup(exposedName: string): RoutedTool | undefined {
    return this.byName.get(exposedName);
  }

  get names(): string[] {
    return this.specs.map((spec) => spec.name);
  }
}

/** Function parameters must be an object schema. */
function normalizeParameters(schema: Record<string, unknown>): Record<string, unknown> {
  if (schema.type === 'object') return { properties: {}, ...schema };
  return { type: 'object', properties: {}, ...schema };
}
