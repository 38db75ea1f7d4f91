import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../src/redactor.js';

const TOKEN = 's3cret-token-9Xq';

function redactorWith(...secrets: string[]): Redactor {
  const redactor = new Redactor();
  for (const secret of secrets) redactor.add(secret);
  return redactor;
}

describe('Redactor: which values it takes', () => {
  it('ignores values that can only be data, even when given as secrets', () => {
    const redactor = redactorWith(
      'true',
      'false',
      'null',
      '2026.1',
      '12345678',
      'replay',
      'unused',
    );
    redactor.addNamed('GITHUB_MCP_READONLY', 'true');
    redactor.addNamed('RELEASE', '2026.1');
    redactor.addNamed('MAX_TOKENS', '100000000');
    redactor.addNamed('TOKEN_TYPE', 'personal');
    expect(redactor.active).toBe(false);
    expect(redactor.redact('{"ok": true, "release": "release-2026.1"}')).toBe(
      '{"ok": true, "release": "release-2026.1"}',
    );
  });

  it('takes env values under a secret name or with a credential shape', () => {
    const redactor = new Redactor();
    redactor.addNamed('SECRET_VALUE', 'val-SECRET-abcdef');
    redactor.addNamed('REPO', 'ghp_abcdefghijklmnop0123456789');
    redactor.addNamed('REPO_NAME', 'octo-org/hello-world');
    expect(
      redactor.redact('val-SECRET-abcdef ghp_abcdefghijklmnop0123456789 octo-org/hello-world'),
    ).toBe(`${REDACTED} ${REDACTED} octo-org/hello-world`);
  });

  it('registers the secrets of an environment and nothing else', () => {
    const redactor = new Redactor();
    redactor.addEnvironment({
      AI_API_TOKEN: TOKEN,
      PATH: '/usr/local/bin:/usr/bin',
      HOME: '/home/runner',
      SSH_AUTH_SOCK: '/run/user/1000/ssh-agent.socket',
      XDG_SESSION_TYPE: 'wayland',
      GITHUB_SHA: 'b3f1c2a4e5d6978812345678abcdef0123456789',
      UNSET: undefined,
    });
    expect(
      redactor.redact(`${TOKEN} /usr/bin /run/user/1000/ssh-agent.socket b3f1c2a4e5d69788`),
    ).toBe(`${REDACTED} /usr/bin /run/user/1000/ssh-agent.socket b3f1c2a4e5d69788`);
  });

  it('takes the credential of an auth header on its own, and a secret as written in JSON', () => {
    const redactor = new Redactor();
    redactor.addNamed('Authorization', 'Bearer gh-Cr3dential-value');
    redactor.add('quote"and\\slash-9');
    expect(redactor.redact('token gh-Cr3dential-value')).toBe(`token ${REDACTED}`);
    expect(redactor.redact(JSON.stringify({ key: 'quote"and\\slash-9' }))).toBe(
      `{"key":"${REDACTED}"}`,
    );
  });
});

describe('Redactor.redactValue', () => {
  it('returns a redacted copy when a string inside holds a secret', () => {
    const redactor = redactorWith(TOKEN);
    const value = { message: { content: `use ${TOKEN} now` }, items: [TOKEN, 2, true, null] };
    expect(redactor.redactValue(value)).toEqual({
      message: { content: `use ${REDACTED} now` },
      items: [REDACTED, 2, true, null],
    });
    expect(value.items[0]).toBe(TOKEN);
  });

  it('returns the value itself when nothing in it is secret', () => {
    const redactor = redactorWith(TOKEN);
    const value = { message: { content: 'nothing to hide' }, usage: { inputTokens: 3 } };
    expect(redactor.redactValue(value)).toBe(value);
    expect(redactor.redactValue(undefined)).toBeUndefined();
  });

  it('never breaks the structure: only strings change, keys included', () => {
    const redactor = redactorWith('quote"and\\slash-9', TOKEN);
    const value = {
      ok: true,
      version: 2026.1,
      [TOKEN]: 'as a key',
      text: 'a quote"and\\slash-9 inside',
      nested: [{ deep: [`x${TOKEN}`] }],
    };
    const redacted = redactor.redactValue(value);
    expect(redacted).toEqual({
      ok: true,
      version: 2026.1,
      [REDACTED]: 'as a key',
      text: `a ${REDACTED} inside`,
      nested: [{ deep: [`x${REDACTED}`] }],
    });
    expect(JSON.parse(JSON.stringify(redacted))).toEqual(redacted);
  });

  it('keeps the unchanged parts of a copy shared with the original', () => {
    const redactor = redactorWith(TOKEN);
    const big = { text: 'x'.repeat(1000) };
    const value = { big, secret: TOKEN };
    expect(redactor.redactValue(value).big).toBe(big);
  });
});

describe('Redactor: secrets cut in two', () => {
  it('redacts a secret head before a cut mark and a tail after one', () => {
    const redactor = redactorWith(TOKEN);
    expect(redactor.redact(`preview ${TOKEN.slice(0, 9)}…`)).toBe(`preview ${REDACTED}…`);
    expect(redactor.redact(`…${TOKEN.slice(-7)} and more`)).toBe(`…${REDACTED} and more`);
    // Three characters reveal nothing and would match ordinary text.
    expect(redactor.redact(`ends in s3c…`)).toBe('ends in s3c…');
    expect(redactor.redact(`${TOKEN.slice(0, 9)} without a mark`)).toBe(
      `${TOKEN.slice(0, 9)} without a mark`,
    );
  });

  it('tells a stream how much of its end could begin a secret', () => {
    const redactor = redactorWith(TOKEN);
    expect(redactor.openSecretLength('my key is s3c')).toBe(3);
    expect(redactor.openSecretLength('my key is s')).toBe(1);
    expect(redactor.openSecretLength('my key is x')).toBe(0);
    expect(new Redactor().openSecretLength('s3c')).toBe(0);
  });
});
