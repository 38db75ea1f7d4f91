import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The folder a bundled server keeps its state in: the override variable
 * (`MEMCACHE_STATE_DIR`, `LOGBOOK_STATE_DIR`) when set and non-empty, resolved against the
 * server's working directory, as seclab's servers read it; else the session's state folder
 * the runner passes (`TASKFLOW_SESSION_STATE_DIR`, from `runner.stateDir`) + `/<server>`, so
 * runs do not share one state and a resume finds its own; else (no session: `ask`, or a
 * server started by hand) a per-user data folder, `<user data>/taskflow/<server>` (seclab
 * uses its own application folder the same way). Toolbox files pass `{{ env('X', '') }}`,
 * so an empty value means unset.
 */
export function resolveStateDirectory(
  override: string | undefined,
  server: string,
  environment: Environment,
  platform: NodeJS.Platform = process.platform,
): string {
  if (override !== undefined && override.trim() !== '') return resolve(override);
  const sessionState = nonEmpty(environment.TASKFLOW_SESSION_STATE_DIR);
  if (sessionState !== undefined) return join(resolve(sessionState), server);
  return join(userDataDirectory(environment, platform), server);
}

/**
 * taskflow's per-user data folder, laid out like the CLI's (env-paths, no suffix):
 * `$XDG_DATA_HOME/taskflow` or `~/.local/share/taskflow` on Linux,
 * `~/Library/Application Support/taskflow` on macOS, `%LOCALAPPDATA%\taskflow\Data` on Windows.
 */
export function userDataDirectory(
  environment: Environment,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = nonEmpty(environment.HOME) ?? homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'taskflow');
  if (platform === 'win32') {
    const local = nonEmpty(environment.LOCALAPPDATA) ?? join(home, 'AppData', 'Local');
    return join(local, 'taskflow', 'Data');
  }
  const dataHome = nonEmpty(environment.XDG_DATA_HOME);
  // The XDG spec says to ignore a relative XDG_DATA_HOME.
  const base =
    dataHome !== undefined && isAbsolute(dataHome) ? dataHome : join(home, '.local', 'share');
  return join(base, 'taskflow');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
