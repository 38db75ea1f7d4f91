import { describe, expect, it } from 'vitest';
import { pythonJsonDumps } from '../../src/mcp-servers/python-json.js';

/** Expected texts are what Python's json.dumps prints for the same values. */
describe('pythonJsonDumps', () => {
  it("lays out compact JSON with Python's separators", () => {
    expect(pythonJsonDumps({ a: [1, 2.5, 'x'], b: { c: null, d: true } })).toBe(
      '{"a": [1, 2.5, "x"], "b": {"c": null, "d": true}}',
    );
    expect(pythonJsonDumps([])).toBe('[]');
    expect(pythonJsonDumps({})).toBe('{}');
    expect(pythonJsonDumps('')).toBe('""');
    expect(pythonJsonDumps(null)).toBe('null');
  });

  it('indents like json.dumps(indent=2)', () => {
    expect(pythonJsonDumps({ k: ['a', 'b'], e: [] }, { indent: 2 })).toBe(
      '{\n  "k": [\n    "a",\n    "b"\n  ],\n  "e": []\n}',
    );
  });

  it('escapes everything outside printable ASCII, as ensure_ascii does', () => {
    expect(pythonJsonDumps(['é', '😀', '\u007f', 'tab\there', 'quote"'])).toBe(
      '["\\u00e9", "\\ud83d\\ude00", "\\u007f", "tab\\there", "quote\\""]',
    );
    expect(pythonJsonDumps({ clé: 'ü' }, { indent: 2 })).toBe('{\n  "cl\\u00e9": "\\u00fc"\n}');
  });

  it('keeps separators inside strings untouched', () => {
    expect(pythonJsonDumps({ 'a,b:c': 'x, y: z' })).toBe('{"a,b:c": "x, y: z"}');
  });
});
