import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  changedFiles,
  changedLoadedFiles,
  fingerprintFiles,
  sha256Hex,
} from '../../src/sessions/fingerprint.js';
import { tempDir } from './session-fixtures.js';

describe('fingerprint', () => {
  it('does not depend on the order files were loaded in', () => {
    const a = fingerprintFiles(
      new Map([
        ['/b', '2'],
        ['/a', '1'],
      ]),
    );
    const b = fingerprintFiles(
      new Map([
        ['/a', '1'],
        ['/b', '2'],
      ]),
    );
    expect(a).toEqual(b);
    expect(Object.keys(a.files)).toEqual(['/a', '/b']);
    expect(a.digest).not.toBe(
      fingerprintFiles(
        new Map([
          ['/a', '1'],
          ['/b', '3'],
        ]),
      ).digest,
    );
  });

  it('lists modified and deleted files', () => {
    const dir = tempDir();
    const files = ['same.yaml', 'edited.yaml', 'gone.yaml'].map((name) => path.join(dir, name));
    for (const file of files) fs.writeFileSync(file, `content of ${file}`);
    const fingerprint = fingerprintFiles(
      new Map(files.map((file) => [file, sha256Hex(fs.readFileSync(file))])),
    );
    expect(changedFiles(fingerprint)).toEqual([]);
    fs.appendFileSync(files[1]!, '\n# edit');
    fs.rmSync(files[2]!);
    expect(changedFiles(fingerprint)).toEqual([
      { path: files[1], change: 'modified' },
      { path: files[2], change: 'deleted' },
    ]);
  });

  it('hashes text as SHA-256 hex', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('compares what a load read now with the fingerprint: content and which files', () => {
    const fingerprint = fingerprintFiles(
      new Map([
        ['/flow.yaml', 'a'],
        ['/personalities/p.yaml', 'b'],
        ['/toolboxes/t.yaml', 'c'],
      ]),
    );
    expect(
      changedLoadedFiles(
        fingerprint,
        new Map([
          ['/flow.yaml', 'a'],
          ['/personalities/p.yaml', 'b'],
          ['/toolboxes/t.yaml', 'c'],
        ]),
      ),
    ).toEqual([]);
    expect(
      changedLoadedFiles(
        fingerprint,
        new Map([
          ['/flow.yaml', 'a'],
          ['/elsewhere/personalities/p.yaml', 'b'],
          ['/toolboxes/t.yaml', 'x'],
        ]),
      ),
    ).toEqual([
      { path: '/elsewhere/personalities/p.yaml', change: 'added' },
      { path: '/personalities/p.yaml', change: 'unused' },
      { path: '/toolboxes/t.yaml', change: 'modified' },
    ]);
  });
});
