/**
 * Every server process group we started and have not yet seen die. The CLI calls
 * `killAllToolboxProcesses()` from its 'exit' handler so no server outlives the runner,
 * even when the runner's own code crashes. No MCP SDK import here: the CLI loads this
 * module eagerly.
 */
import { spawnSync } from 'node:child_process';

const liveProcessGroups = new Set<number>();

/** Records a process group (the leader's pid) until `forgetProcessGroup`. */
export function registerProcessGroup(groupId: number): void {
  liveProcessGroups.add(groupId);
}

export function forgetProcessGroup(groupId: number): void {
  liveProcessGroups.delete(groupId);
}

/** Snapshot, for tests and diagnostics. */
export function liveToolboxProcessGroups(): number[] {
  return [...liveProcessGroups];
}

/**
 * Sends `signal` (0 only probes) to every member of the group. Returns false when the
 * group is gone.
 * On Windows there are no process groups: `taskkill /T` walks the tree instead.
 */
export function signalProcessGroup(groupId: number, signal: NodeJS.Signals | 0): boolean {
  if (process.platform === 'win32') {
    const result = spawnSync('taskkill', ['/pid', String(groupId), '/T', '/F'], {
      stdio: 'ignore',
      windowsHide: true,
    });
    return result.status === 0;
  }
  try {
    process.kill(-groupId, signal);
    return true;
  } catch (error) {
    // EPERM means a member exists but is not ours to signal: the group is still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while any process of the group exists (zombies included). */
export function isProcessGroupAlive(groupId: number): boolean {
  if (process.platform === 'win32') {
    try {
      process.kill(groupId, 0);
      return true;
    } catch {
      return false;
    }
  }
  return signalProcessGroup(groupId, 0);
}

/**
 * Synchronously SIGKILLs every registered group and forgets them. Safe to call from a
 * process 'exit' handler and more than once.
 */
export function killAllToolboxProcesses(): void {
  for (const groupId of liveProcessGroups) {
    signalProcessGroup(groupId, 'SIGKILL');
  }
  liveProcessGroups.clear();
}
