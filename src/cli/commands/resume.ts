import { formatDuration } from '../../definitions/duration.js';
import { formatIssue } from '../../definitions/issues.js';
import { loadTaskflow } from '../../definitions/load-taskflow.js';
import { TaskflowError } from '../../errors.js';
import { changedFiles, fingerprintFiles } from '../../sessions/fingerprint.js';
import { SessionStore } from '../../sessions/session-store.js';
import { createLoader } from '../create-loader.js';
import { executeRun } from '../execute-run.js';
import { EXIT } from '../exit-codes.js';
import type { RuntimeContext } from '../runtime-context.js';
import { sessionRoot } from '../session-root.js';

export interface ResumeOptions {
  readonly force?: boolean;
  readonly wait?: boolean;
  readonly global: readonly string[];
  readonly path: readonly string[];
  readonly headless?: boolean;
  readonly output?: string;
  readonly sessionDir?: string;
  readonly record?: string;
  readonly replay?: string;
}

/** Sleep until `time`, ending early (false) on Ctrl-C. */
function waitUntil(time: number, context: RuntimeContext): Promise<boolean> {
  return new Promise((resolve) => {
    const onSignal = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(
      () => {
        process.off('SIGINT', onSignal);
        resolve(true);
      },
      Math.max(0, time - Date.now()),
    );
    process.once('SIGINT', onSignal);
    context.stderr.write(
      `taskflow: waiting until ${new Date(time).toISOString()} before resuming\n`,
    );
  });
}

/**
 * `taskflow resume <id>` (sessions.md "Resume"): finished sessions exit 0 without a
 * request; a session that may not resume yet exits 75; changed files are refused (78)
 * unless --force; otherwise the run continues from its checkpoint.
 */
export async function resumeCommand(
  context: RuntimeContext,
  id: string,
  options: ResumeOptions,
): Promise<number> {
  if (options.global.length > 0) {
    throw new TaskflowError(
      'usage',
      'resume cannot change globals (-g): a resumed run is the same run; start a new one with taskflow run',
    );
  }
  const store = new SessionStore(sessionRoot(context, options.sessionDir));
  const session = store.open(id);
  let handedOver = false;
  try {
    const manifest = session.manifest;
    if (manifest.status === 'succeeded') {
      context.stdout.write(
        `session ${session.id} (${manifest.taskflow.reference}) already finished successfully; nothing to do\n`,
      );
      return EXIT.ok;
    }
    const notBefore = manifest.resumeNotBefore ? Date.parse(manifest.resumeNotBefore) : undefined;
    if (notBefore !== undefined && notBefore > Date.now()) {
      if (!options.wait) {
        context.stderr.write(
          `taskflow: session ${session.id} can resume after ${manifest.resumeNotBefore} (in ${formatDuration(notBefore - Date.now())}); run again then, or use --wait\n`,
        );
        return EXIT.stopped;
      }
      if (!(await waitUntil(notBefore, context))) return EXIT.interrupted;
    }
    const changed = changedFiles(manifest.fingerprint);
    const changeLines = changed.map((file) => `${file.change}: ${file.path}`);
    if (changed.length > 0 && !options.force) {
      throw new TaskflowError(
        'session-changed',
        `session ${session.id}: ${changed.length} file(s) changed since the run began; refusing to resume (use --force to resume at task granularity)`,
        {
          details: changeLines,
        },
      );
    }
    const loader = createLoader(context, options.path);
    const loaded = loadTaskflow(loader, manifest.taskflow.path, {
      ...(manifest.modelConfig !== undefined && { modelConfigOverride: manifest.modelConfig }),
    });
    if (changed.length > 0) {
      // The forced run is the session from now on: later resumes compare against these files.
      session.updateManifest((draft) => {
        draft.fingerprint = fingerprintFiles(loaded.files);
      });
    }
    handedOver = true;
    return await executeRun(context, {
      session,
      loaded,
      reference: manifest.taskflow.reference,
      globals: manifest.globals,
      resumed: true,
      headless: options.headless ?? false,
      ...(options.output !== undefined && { output: options.output }),
      ...(options.record !== undefined && { record: options.record }),
      ...(options.replay !== undefined && { replay: options.replay }),
      ...(changed.length > 0 && { taskGranularity: true }),
      warnings: [
        ...changeLines.map(
          (line) => `--force: resuming at task granularity although a file changed (${line})`,
        ),
        ...loader.issues.warnings.map((issue) => formatIssue(issue, context.workingDirectory)),
      ],
    });
  } finally {
    if (!handedOver) session.close();
  }
}
