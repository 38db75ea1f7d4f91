// The environment for a CLI process that the build's code-cache warm-up or a benchmark
// starts: the caller's, without what would change what the CLI does or loads
// (NODE_OPTIONS, TASKFLOW_PATH, debug and log settings), with its state, data and
// sessions in `scratch` and no colour or terminal output.
import path from 'node:path';
import process from 'node:process';

export function childEnvironment(scratch) {
  const environment = {
    ...process.env,
    NO_COLOR: '1',
    CI: '1',
    TASKFLOW_SESSION_DIR: path.join(scratch, 'sessions'),
    XDG_STATE_HOME: path.join(scratch, 'state'),
    XDG_DATA_HOME: path.join(scratch, 'data'),
  };
  for (const name of ['NODE_OPTIONS', 'TASKFLOW_PATH', 'TASK_AGENT_DEBUG', 'LOG_DIR']) {
    delete environment[name];
  }
  return environment;
}
