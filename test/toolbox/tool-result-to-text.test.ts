import { describe, expect, it } from 'vitest';
import { toolResultToText } from '../../src/toolbox/tool-result-to-text.js';

describe('toolResultToText', () => {
  it('joins text parts with newlines', () => {
    const result = {
      content: [
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b\nc' },
      ],
    };
    expect(toolResultToText(result)).toBe('a\nb\nc');
  });

  it('describes images and audio by type, mime type and decoded size', () => {
    const data = Buffer.alloc(1234, 7).toString('base64');
    const result = {
      content: [
        { type: 'text', text: 'here:' },
        { type: 'image', data, mimeType: 'image/png' },
        { type: 'audio', data: Buffer.from('abc').toString('base64'), mimeType: 'audio/wav' },
      ],
    };
    expect(toolResultToText(result)).toBe(
      'here:\n[image image/png, 1234 bytes]\n[audio audio/wav, 3 bytes]',
    );
  });

  it('describes embedded resources, keeping the text of text resources', () => {
    const result = {
      content: [
        {
          type: 'resource',
          resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: 'héllo' },
        },
        {
          type: 'resource',
          resource: { uri: 'file:///b.bin', blob: Buffer.from('xyz').toString('base64') },
        },
        {
          type: 'resource_link',
          uri: 'file:///c.md',
          name: 'c.md',
          mimeType: 'text/markdown',
          size: 10,
        },
        { type: 'resource_link', uri: 'file:///d' },
      ],
    };
    expect(toolResultToText(result)).toBe(
      [
        '[resource file:///a.txt text/plain, 6 bytes]',
        'héllo',
        '[resource file:///b.bin, 3 bytes]',
        '[resource link file:///c.md (c.md) text/markdown, 10 bytes]',
        '[resource link file:///d]',
      ].join('\n'),
    );
  });

  it('adds structuredContent as JSON only when there is no text part', () => {
    expect(toolResultToText({ content: [], structuredContent: { sum: 3 } })).toBe('{"sum":3}');
    expect(
      toolResultToText({
        content: [{ type: 'image', data: 'AAAA', mimeType: 'image/gif' }],
        structuredContent: { ok: true },
      }),
    ).toBe('[image image/gif, 3 bytes]\n{"ok":true}');
    expect(
      toolResultToText({
        content: [{ type: 'text', text: '{"sum":3}' }],
        structuredContent: { sum: 3 },
      }),
    ).toBe('{"sum":3}');
  });

  it('handles empty, legacy and unknown results', () => {
    expect(toolResultToText({ content: [] })).toBe('');
    expect(toolResultToText({})).toBe('');
    expect(toolResultToText({ toolResult: { rows: 2 } })).toBe('{"rows":2}');
    expect(toolResultToText({ content: [{ type: 'hologram' }, 42] })).toBe(
      '[hologram content]\n[unknown content]',
    );
  });
});
