import { describe, expect, it } from 'vitest';
import {
  canBeSecret,
  isDataLike,
  isSecretName,
  isSecretValue,
  looksLikeCredential,
} from '../../src/redaction/secret-rule.js';

describe('isSecretName', () => {
  it.each([
    'AI_API_TOKEN',
    'COPILOT_TOKEN',
    'GH_TOKEN',
    'GITHUB_PERSONAL_ACCESS_TOKEN',
    'OPENAI_API_KEY',
    'AWS_SECRET_ACCESS_KEY',
    'DB_PASSWORD',
    'GHTOKEN',
    'clientSecret',
    'apiKey',
    'Authorization',
    'X-API-Key',
    'Cookie',
    'GITHUB_PAT',
    'GOOGLE_APPLICATION_CREDENTIALS',
  ])('%s names a secret', (name) => expect(isSecretName(name)).toBe(true));

  it.each([
    'PATH',
    'HOME',
    'GITHUB_MCP_READONLY',
    'RELEASE',
    'KEYBOARD_LAYOUT',
    'MONKEY',
    'GIT_AUTHOR_NAME',
    'XDG_SESSION_TYPE',
    'TASKFLOW_SESSION_DIR',
    'Accept',
    'X-MCP-Toolsets',
  ])('%s does not', (name) => expect(isSecretName(name)).toBe(false));
});

describe('isDataLike', () => {
  it.each([
    'true',
    'FALSE',
    'null',
    '2026.1',
    '100000000',
    '1e20',
    'short',
    'personal',
    'undefined',
    '/run/user/1000/ssh-agent.socket',
    'https://api.githubcopilot.com/mcp/',
  ])('%s is data', (value) => expect(isDataLike(value)).toBe(true));

  it.each([
    'val-SECRET-abcdef',
    'correct-horse-battery',
    'hunter2hunter2',
    'https://user:pa55word@example.com/',
  ])('%s can be a secret', (value) => expect(isDataLike(value)).toBe(false));
});

describe('looksLikeCredential', () => {
  it.each([
    'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
    'sk-proj-abcdefghijklmnop1234',
    'xoxb-1234567890-abcdefghijkl',
    'AKIAIOSFODNN7EXAMPLE',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl',
    'tok4Tfl0wQz8Lm2Xw9Kd7Rp3',
    'Zq3/Kx8vR2mW+pL7nB4tY9cD1fH6jS0a',
  ])('%s looks like one', (value) => expect(looksLikeCredential(value)).toBe(true));

  it.each([
    'release-2026.1',
    'b3f1c2a4e5d6978812345678abcdef0123456789',
    '123e4567-e89b-12d3-a456-426614174000',
    'MyVeryLongVariableName2026',
    'ReleaseCandidate2026Build15',
    'org.example.Service2Impl',
    'octo-org/hello-world',
  ])('%s does not', (value) => expect(looksLikeCredential(value)).toBe(false));
});

describe('isSecretValue and canBeSecret', () => {
  it('needs a secret name or a credential shape, and never takes data', () => {
    expect(isSecretValue('GH_TOKEN', 'val-SECRET-abcdef')).toBe(true);
    expect(isSecretValue('REPO', 'val-SECRET-abcdef')).toBe(false);
    expect(isSecretValue('REPO', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789')).toBe(true);
    expect(isSecretValue('GH_TOKEN', 'true')).toBe(false);
    expect(isSecretValue('AUTH_URL', 'https://login.example.com/oauth')).toBe(false);
  });

  it('takes a given secret unless it can only be data', () => {
    expect(canBeSecret('tok-SECRET-1234567890')).toBe(true);
    expect(canBeSecret('ghp_abcdefghijklmnop')).toBe(true);
    expect(canBeSecret('unused')).toBe(false);
    expect(canBeSecret('2026.1')).toBe(false);
  });
});
