/** Facts about the running taskflow, available to toolbox templates as `runner.*`. */
export interface RunnerInfo {
  /** Absolute path of the node executable running taskflow. */
  readonly node: string;
  /** The taskflow package root (bundled servers live in `<root>/dist/mcp-servers`). */
  readonly root: string;
  /**
   * The session's folder for server state (`<session>/state`); the bundled memcache and
   * logbook keep theirs in `<stateDir>/<server>` unless told otherwise. None outside a
   * session (`ask`).
   */
  readonly stateDir?: string;
}
