import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { fingerprintFiles } from '../../src/sessions/fingerprint.js';
import { pendingTask, type Manifest } from '../../src/sessions/manifest.js';
import type { CreateSessionInput } from '../../src/sessions/session-store.js';

const created: string[] = [];
afterEach(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp folder, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-sessions-'));
  created.push(dir);
  return dir;
}

export function createInput(overrides: Partial<CreateSessionInput> = {}): CreateSessionInput {
  return {
    taskflow: { reference: 'examples.taskflows.demo', path: '/tmp/demo.yaml' },
    globals: { repo: 'octo/demo' },
    modelConfig: 'examples.model_configs.default',
    fingerprint: fingerprintFiles(new Map([['/tmp/demo.yaml', 'ab'.repeat(32)]])),
    runner: { version: '0.1.0' },
    taskNames: ['first', 'second'],
    ...overrides,
  };
}

export function sampleManifest(id = '00112233aabb'): Manifest {
  return {
    schemaVersion: 1,
    id,
    status: 'running',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    taskflow: { reference: 'examples.taskflows.demo', path: '/tmp/demo.yaml' },
    globals: { repo: 'octo/demo' },
    fingerprint: fingerprintFiles(new Map()),
    runner: { version: '0.1.0' },
    tasks: [pendingTask(0, 'first')],
    usage: { inputTokens: 0, outputTokens: 0 },
    outputs: {},
  };
}
