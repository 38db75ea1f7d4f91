import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Environment } from './environment.js';

/** Everything the commands need from the process, read once by main.ts. */
export interface RuntimeContext {
  readonly workingDirectory: string;
  readonly environment: Environment;
  /** The package root (bundle of taskflows/, personalities/, ... and dist/). */
  readonly bundleRoot: string;
  /** Read only by commands that take input there (`ask -`); absent in tests of others. */
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly debug: boolean;
  /** `--color` (true) / `--no-color` (false); undefined: decided by environment and TTY. */
  readonly colorFlag?: boolean;
}

export function packageRoot(): string {
  // dist/cli/runtime-context.js -> package root
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function packageVersion(root: string): string {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** `--path` dirs, then `TASKFLOW_PATH` entries (`:`-separated; `;` on Windows). */
export function searchPaths(flagPaths: readonly string[], environment: Environment): string[] {
  const fromEnvironment = (environment.TASKFLOW_PATH ?? '')
    .split(path.delimiter)
    .filter((entry) => entry !== '');
  return [...flagPaths, ...fromEnvironment];
}
