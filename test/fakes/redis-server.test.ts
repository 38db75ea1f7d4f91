import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from './redis-server.js';

/** One inline command over a raw socket; the first `lineCount` lines of the reply. */
function command(port: number, line: string, lineCount = 1): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      const lines = answer.split('\r\n');
      if (lines.length > lineCount) {
        socket.destroy();
        resolve(lines.slice(0, lineCount));
      }
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startRedisServer', () => {
  const servers: RedisServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  async function start(): Promise<RedisServer> {
    const server = await startRedisServer();
    servers.push(server);
    return server;
  }

  it('runs a redis-server on a loopback port in a temp dir without persistence', async () => {
    const server = await start();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await command(server.port, 'PING')).toEqual(['+PONG']);
    expect(path.dirname(server.dir)).toBe(os.tmpdir());
    expect(fs.statSync(server.dir).isDirectory()).toBe(true);
    expect(await command(server.port, 'CONFIG GET save', 5)).toEqual([
      '*2',
      '$4',
      'save',
      '$0',
      '',
    ]);
    expect(await command(server.port, 'CONFIG GET appendonly', 5)).toEqual([
      ...['*2', '$10', 'appendonly', '$2', 'no'],
    ]);
    expect(await command(server.port, 'CONFIG GET bind', 5)).toEqual([
      ...['*2', '$4', 'bind', '$9', '127.0.0.1'],
    ]);
  });

  it('gives two servers two ports and two directories', async () => {
    const [first, second] = await Promise.all([start(), start()]);
    expect(first?.port).not.toBe(second?.port);
    expect(first?.dir).not.toBe(second?.dir);
  });

  it('stop ends the process and removes the directory, and may be called twice', async () => {
    const server = await start();
    await server.stop();
    expect(alive(server.pid)).toBe(false);
    expect(fs.existsSync(server.dir)).toBe(false);
    await server.stop();
    await expect(command(server.port, 'PING')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('kill drops the server at once; stop still cleans up after it', async () => {
    const server = await start();
    await server.kill();
    expect(alive(server.pid)).toBe(false);
    await expect(command(server.port, 'PING')).rejects.toThrow(/ECONNREFUSED/);
    expect(fs.existsSync(server.dir)).toBe(true);
    await server.stop();
    expect(fs.existsSync(server.dir)).toBe(false);
  });

  it('fails (does not skip) naming the binary when redis-server is missing', async () => {
    const binary = path.join(os.tmpdir(), 'no-such-dir', 'redis-server');
    const attempt = startRedisServer({ binary });
    await expect(attempt).rejects.toThrow(`${binary} not found`);
    await expect(attempt).rejects.toThrow(/apt-get install redis-server/);
  });
});
