import { describe, expect, it } from 'vitest';
import { isSessionId, newSessionId } from '../../src/sessions/session-id.js';

describe('session ids', () => {
  it('are 12 lowercase hex characters and differ between calls', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newSessionId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}$/);
  });

  it('are recognised exactly', () => {
    expect(isSessionId('0a1b2c3d4e5f')).toBe(true);
    expect(isSessionId('0A1B2C3D4E5F')).toBe(false);
    expect(isSessionId('0a1b2c3d4e5')).toBe(false);
    expect(isSessionId('0a1b2c3d4e5f0')).toBe(false);
    expect(isSessionId('../a1b2c3d4e5')).toBe(false);
  });
});
