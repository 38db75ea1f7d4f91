import { assertNever, type ErrorCode } from '../errors.js';

/** Exit codes of cli.md. This file is the one owner of the error -> exit code decision. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  quota: 69,
  stopped: 75,
  config: 78,
  interrupted: 130,
  /** stdout was closed by its reader during run/resume/ask (128 + SIGPIPE, as a shell reports it). */
  brokenPipe: 141,
} as const;

/** A run stopped by a signal: 141 when stdout's reader went away (SIGPIPE), else 130. */
export function exitCodeForInterrupt(signal: NodeJS.Signals): number {
  return signal === 'SIGPIPE' ? EXIT.brokenPipe : EXIT.interrupted;
}

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'usage':
    case 'definition-invalid':
    case 'reference-unresolved':
    case 'template':
      return EXIT.usage;
    case 'config':
    case 'auth':
    case 'session-changed':
      return EXIT.config;
    case 'quota':
      return EXIT.quota;
    case 'stopped':
    case 'session-locked':
      return code === 'stopped' ? EXIT.stopped : EXIT.failed;
    case 'cancelled':
      return EXIT.interrupted;
    case 'toolbox-start':
    case 'toolbox-closed':
    case 'tool-timeout':
    case 'model':
    case 'model-behavior':
    case 'max-steps':
    case 'task-failed':
    case 'shell-failed':
    case 'output-invalid':
    case 'iterable-invalid':
    case 'session':
    case 'io':
    case 'internal':
      return EXIT.failed;
    default:
      return assertNever(code, 'error code');
  }
}
