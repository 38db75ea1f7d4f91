import { randomBytes } from 'node:crypto';

const SESSION_ID_PATTERN = /^[0-9a-f]{12}$/;

/** A new random session id: 12 lowercase hex characters (48 bits). */
export function newSessionId(): string {
  return randomBytes(6).toString('hex');
}

/** True when `text` has the exact form of a session id. */
export function isSessionId(text: string): boolean {
  return SESSION_ID_PATTERN.test(text);
}
