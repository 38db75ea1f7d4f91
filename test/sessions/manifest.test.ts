import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { readManifest, readManifestFile, writeManifest } from '../../src/sessions/manifest.js';
import { sampleManifest, tempDir } from './session-fixtures.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/sessions/', import.meta.url));

function thrown(action: () => unknown): TaskflowError {
  try {
    action();
  } catch (error) {
    if (error instanceof TaskflowError) return error;
    throw error;
  }
  throw new Error('expected a TaskflowError');
}

describe('manifest', () => {
  it('round-trips and leaves no temp files', () => {
    const dir = tempDir();
    const manifest = {
      ...sampleManifest(),
      modelConfig: 'x',
      resumeNotBefore: '2025-01-02T00:00:00Z',
    };
    writeManifest(dir, manifest);
    writeManifest(dir, { ...manifest, status: 'stopped' });
    expect(readManifest(dir)).toEqual({ ...manifest, status: 'stopped' });
    expect(fs.readdirSync(dir)).toEqual(['manifest.json']);
  });

  it('ignores a temp file left by a crash mid-write', () => {
    const dir = tempDir();
    writeManifest(dir, sampleManifest());
    fs.writeFileSync(
      path.join(dir, '.tmp-manifest.json-999-deadbeef'),
      '{"schemaVersion": 1, "id"',
    );
    expect(readManifest(dir).id).toBe('00112233aabb');
  });

  it('refuses a newer schema version, naming it', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ ...sampleManifest(), schemaVersion: 7, shape: 'changed' }),
    );
    const error = thrown(() => readManifest(dir));
    expect(error.code).toBe('session');
    expect(error.message).toBe(
      'session manifest schema version 7 is newer than this taskflow supports (2); upgrade taskflow',
    );
  });

  it('reports every invalid field and invalid JSON', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ ...sampleManifest(), status: 'odd', usage: {} }),
    );
    const error = thrown(() => readManifest(dir));
    expect(error.code).toBe('session');
    expect(error.details.join('\n')).toMatch(/status/);
    expect(error.details.join('\n')).toMatch(/usage\.inputTokens/);
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{"schemaVersion": 1,');
    expect(thrown(() => readManifest(dir)).message).toMatch(/not valid JSON/);
  });

  it('refuses to write an invalid manifest', () => {
    const dir = tempDir();
    const invalid = { ...sampleManifest(), createdAt: 'yesterday' };
    expect(thrown(() => writeManifest(dir, invalid)).code).toBe('internal');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('keeps loading the version 1 fixture', () => {
    const manifest = readManifestFile(path.join(FIXTURES, 'manifest-v1.json'));
    expect(manifest.schemaVersion).toBe(1);
    expect(manifest.tasks.map((task) => task.status)).toEqual(['succeeded', 'failed', 'pending']);
    expect(manifest.error).toEqual({
      class: 'rate-limited',
      code: 'stopped',
      message: 'rate limited for 2 h',
      task: 1,
    });
  });
});
