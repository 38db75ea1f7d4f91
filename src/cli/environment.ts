import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

export type Environment = Readonly<Record<string, string | undefined>>;

/** The nearest `.env` in `directory` or a parent, if any. */
export function findDotEnv(directory: string): string | undefined {
  let current = path.resolve(directory);
  for (;;) {
    const candidate = path.join(current, '.env');
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep walking up
    }
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * The environment taskflow sees: the nearest `.env` file layered under the process
 * environment (existing variables win). A copy — process.env is never written.
 */
export function loadEnvironment(
  workingDirectory: string,
  processEnvironment: Environment,
): Environment {
  const file = findDotEnv(workingDirectory);
  const fromFile = file ? (parseEnv(fs.readFileSync(file, 'utf8')) as Record<string, string>) : {};
  return Object.freeze({ ...fromFile, ...processEnvironment });
}

/** `1`, `true`, `yes` (any case) -> true. */
export function isTruthyFlag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
