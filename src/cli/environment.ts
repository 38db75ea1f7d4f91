import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface DotEnvSearch {
  /** The user's home folder: the search never goes above it. */
  readonly home: string;
}

function exists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch {
    return false;
  }
}

function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The highest folder the `.env` search may reach from `start`: the nearest repository root
 * (a folder holding `.git`, a folder or a worktree's file) or the home folder, whichever
 * comes first; `start` itself when neither is above it (a `.env` in a shared parent such as
 * /tmp is somebody else's).
 */
export function dotEnvBoundary(start: string, options: DotEnvSearch): string {
  // The working directory is a real path; HOME may be spelled through a symbolic link.
  const homes = new Set([path.resolve(options.home), realPath(options.home)]);
  for (let current = path.resolve(start); ;) {
    if (homes.has(current) || exists(path.join(current, '.git'))) return current;
    const parent = path.dirname(current);
    if (parent === current) return path.resolve(start);
    current = parent;
  }
}

/** The nearest `.env` in `directory` or a parent up to `dotEnvBoundary`, if any. */
export function findDotEnv(directory: string, options: DotEnvSearch): string | undefined {
  const boundary = dotEnvBoundary(directory, options);
  for (let current = path.resolve(directory); ; current = path.dirname(current)) {
    const candidate = path.join(current, '.env');
    if (isFile(candidate)) return candidate;
    if (current === boundary || path.dirname(current) === current) return undefined;
  }
}

export interface LoadedEnvironment {
  readonly environment: Environment;
  /** The `.env` file read, when there was one. */
  readonly dotEnvFile?: string;
}

/**
 * The environment taskflow sees: the nearest `.env` file (see findDotEnv; the home folder
 * is the process's HOME) layered under the process environment (existing variables win).
 * A copy — process.env is never written.
 */
export function loadEnvironment(
  workingDirectory: string,
  processEnvironment: Environment,
): LoadedEnvironment {
  const home = nonEmpty(processEnvironment.HOME) ?? os.homedir();
  const file = findDotEnv(workingDirectory, { home });
  const fromFile = file ? (parseEnv(fs.readFileSync(file, 'utf8')) as Record<string, string>) : {};
  const environment = Object.freeze({ ...fromFile, ...processEnvironment });
  return file === undefined ? { environment } : { environment, dotEnvFile: file };
}

/** What `--debug` says about the `.env` lookup: the file's path, never a value. */
export function describeDotEnv(
  loaded: LoadedEnvironment,
  workingDirectory: string,
  processEnvironment: Environment,
): string {
  if (loaded.dotEnvFile !== undefined) return `.env loaded from ${loaded.dotEnvFile}`;
  const home = nonEmpty(processEnvironment.HOME) ?? os.homedir();
  const start = path.resolve(workingDirectory);
  const boundary = dotEnvBoundary(start, { home });
  return boundary === start
    ? `no .env file in ${start}`
    : `no .env file in ${start} or its parents up to ${boundary}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** `1`, `true`, `yes` (any case) -> true. */
export function isTruthyFlag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
