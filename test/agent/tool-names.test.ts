import { describe, expect, it } from 'vitest';
import {
  assignToolNames,
  handoffToolName,
  MAX_TOOL_NAME_LENGTH,
  sanitizeName,
  type ToolKey,
} from '../../src/agent/tool-names.js';

const VALID = /^[a-zA-Z0-9_-]+$/;
const HASHED = /_[0-9a-f]{6}$/;

/** name -> "toolbox/tool", for comparing whole assignments. */
function flatten(names: Map<string, ToolKey>): Record<string, string> {
  return Object.fromEntries(
    [...names].map(([name, key]) => [name, `${key.toolbox}/${key.tool}`] as const),
  );
}

function nameOf(names: Map<string, ToolKey>, toolbox: string, tool: string): string {
  const found = [...names].find(([, key]) => key.toolbox === toolbox && key.tool === tool);
  if (!found) throw new Error(`no name for ${toolbox}/${tool}`);
  return found[0];
}

describe('sanitizeName', () => {
  it('replaces every character outside [a-zA-Z0-9_-] and never returns an empty name', () => {
    expect(sanitizeName('my.toolbox v2')).toBe('my_toolbox_v2');
    expect(sanitizeName('get/file:contents')).toBe('get_file_contents');
    expect(sanitizeName('café-ok_1')).toBe('caf_-ok_1');
    expect(sanitizeName('')).toBe('_');
  });
});

describe('assignToolNames', () => {
  it('joins short names as <toolbox>__<tool>', () => {
    const names = assignToolNames([
      { toolbox: 'echo', tool: 'echo' },
      { toolbox: 'echo', tool: 'sleep' },
    ]);
    expect(flatten(names)).toEqual({ echo__echo: 'echo/echo', echo__sleep: 'echo/sleep' });
  });

  it('sanitises both parts', () => {
    const names = assignToolNames([{ toolbox: 'code.search', tool: 'find files' }]);
    expect([...names.keys()]).toEqual(['code_search__find_files']);
  });

  it('truncates a long toolbox name so the whole name fits 64 characters', () => {
    const toolbox = 't'.repeat(70);
    const name = nameOf(assignToolNames([{ toolbox, tool: 'read_file' }]), toolbox, 'read_file');
    expect(name).toHaveLength(MAX_TOOL_NAME_LENGTH);
    expect(name).toBe(`${'t'.repeat(MAX_TOOL_NAME_LENGTH - 11)}__read_file`);
  });

  it('shortens a tool name that alone exceeds the limit, with a hash of the whole', () => {
    const tool = `very_long_tool_${'x'.repeat(80)}`;
    const name = nameOf(assignToolNames([{ toolbox: 'box', tool }]), 'box', tool);
    expect(name.length).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
    expect(name).toMatch(VALID);
    expect(name).toMatch(HASHED);
    expect(name.startsWith('box__very_long_tool_')).toBe(true);
  });

  it('gives colliding pairs distinct hashed names and leaves the others alone', () => {
    const prefix = 'p'.repeat(60);
    const keys: ToolKey[] = [
      { toolbox: `${prefix}_alpha`, tool: 'run' },
      { toolbox: `${prefix}_bravo`, tool: 'run' },
      // Collide only after sanitising.
      { toolbox: 'a.b', tool: 'x' },
      { toolbox: 'a_b', tool: 'x' },
      { toolbox: 'plain', tool: 'run' },
    ];
    const names = assignToolNames(keys);
    expect(names.size).toBe(keys.length);
    for (const name of names.keys()) {
      expect(name.length).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
      expect(name).toMatch(VALID);
    }
    const alpha = nameOf(names, `${prefix}_alpha`, 'run');
    const bravo = nameOf(names, `${prefix}_bravo`, 'run');
    expect(alpha).not.toBe(bravo);
    expect(alpha).toMatch(HASHED);
    expect(bravo).toMatch(HASHED);
    expect(nameOf(names, 'a.b', 'x')).not.toBe(nameOf(names, 'a_b', 'x'));
    expect(nameOf(names, 'a.b', 'x')).toMatch(/^a_b__x_[0-9a-f]{6}$/);
    expect(nameOf(names, 'plain', 'run')).toBe('plain__run');
  });

  it('is deterministic: same pairs, same names, whatever the order or repetition', () => {
    const keys: ToolKey[] = [
      { toolbox: 'q'.repeat(70), tool: 'one' },
      { toolbox: `${'q'.repeat(70)}z`, tool: 'one' },
      { toolbox: 'echo', tool: 'echo' },
      { toolbox: 'x.y', tool: 't' },
      { toolbox: 'x_y', tool: 't' },
    ];
    const first = flatten(assignToolNames(keys));
    expect(flatten(assignToolNames(keys))).toEqual(first);
    expect(flatten(assignToolNames([...keys].reverse()))).toEqual(first);
    expect(flatten(assignToolNames([...keys, ...keys]))).toEqual(first);
    expect(Object.keys(first)).toHaveLength(keys.length);
  });
});

describe('handoffToolName', () => {
  it('is transfer_to_<agent>, sanitised', () => {
    expect(handoffToolName('fixer')).toBe('transfer_to_fixer');
    expect(handoffToolName('code.fixer')).toBe('transfer_to_code_fixer');
  });

  it('shortens a long agent name with a stable hash', () => {
    const long = handoffToolName(`reviewer_${'r'.repeat(70)}`);
    expect(long.length).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
    expect(long).toMatch(/^transfer_to_reviewer_r+_[0-9a-f]{6}$/);
    expect(handoffToolName(`reviewer_${'r'.repeat(70)}`)).toBe(long);
    expect(handoffToolName(`reviewer_${'r'.repeat(71)}`)).not.toBe(long);
  });
});
