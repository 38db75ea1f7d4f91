/**
 * The environment of a stdio (or launched) MCP server: a minimal safe set taken from the
 * task environment, the toolbox's own rendered `env` on top, then the denylist. Servers
 * never see the rest of the runner's environment, so tokens do not leak into every server.
 */

/** Inherited from the task environment when present (exact names; see `platform` below). */
export const SAFE_ENVIRONMENT_NAMES: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'TERM',
  'SHELL',
  'TMPDIR',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
];

/** Windows needs these for most programs to start at all. */
export const WINDOWS_SAFE_ENVIRONMENT_NAMES: readonly string[] = ['SystemRoot', 'COMSPEC'];

/**
 * Builds the complete environment for a server process. Pure: reads only its arguments.
 *
 * On win32 names compare case-insensitively (as Windows does), so `Path` counts as `PATH`
 * and a denylisted `github_token` removes `GITHUB_TOKEN`.
 *
 * @param taskEnvironment the task's layered environment (runner env plus task `env`)
 * @param toolboxEnvironment the toolbox's rendered `env`; wins over the safe set
 * @param denylist names removed last, whatever their source
 */
export function buildServerEnvironment(
  taskEnvironment: Readonly<Record<string, string | undefined>>,
  toolboxEnvironment: Readonly<Record<string, string>>,
  denylist: readonly string[],
  platform: NodeJS.Platform = process.platform,
): Record<string, string> {
  const caseInsensitive = platform === 'win32';
  const normalize = (name: string): string => (caseInsensitive ? name.toUpperCase() : name);
  const safeNames = new Set(
    [
      ...SAFE_ENVIRONMENT_NAMES,
      ...(platform === 'win32' ? WINDOWS_SAFE_ENVIRONMENT_NAMES : []),
    ].map(normalize),
  );
  const deniedNames = new Set(
    denylist
      .map((name) => name.trim())
      .filter((name) => name !== '')
      .map(normalize),
  );

  // Keyed by normalized name so a toolbox `Path` replaces an inherited `PATH` on win32.
  const entries = new Map<string, [string, string]>();
  for (const [name, value] of Object.entries(taskEnvironment)) {
    if (value === undefined || !safeNames.has(normalize(name))) continue;
    entries.set(normalize(name), [name, value]);
  }
  for (const [name, value] of Object.entries(toolboxEnvironment)) {
    entries.set(normalize(name), [name, value]);
  }

  const environment: Record<string, string> = {};
  for (const [normalized, [name, value]] of entries) {
    if (deniedNames.has(normalized)) continue;
    environment[name] = value;
  }
  return environment;
}
