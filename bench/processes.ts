// Child processes of the benchmark: servers (with an IPC channel, pino logs to /dev/null) and the
// load generator (a separate process per run). Every child is killed when the bench exits,
// normally or not.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { LoadResult, LoadSpec } from './load.ts';

const children = new Set<ChildProcess>();

export function killChildren(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
}

/**
 * Stops every child with SIGTERM and waits for it (up to 5 s, then SIGKILL): a server started with
 * --cpu-prof writes its profile only when it exits on its own.
 */
export async function stopChildren(): Promise<void> {
  await Promise.all([...children].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  })));
  children.clear();
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { killChildren(); process.exit(130); });

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `script` with an IPC channel; resolves once it sends 'ready'. stdout (logs) goes to /dev/null. */
export function startServer(script: string, env: Record<string, string | undefined>, nodeArgs: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, join(import.meta.dirname, script)], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before it was ready`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      if (message !== 'ready') return;
      child.off('exit', onExit);
      resolve(child);
    });
  });
}

/** Asks the bare provider for `n` refresh tokens of its own. */
export function mintRefreshTokens(child: ChildProcess, n: number): Promise<string[]> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve((message as { tokens: string[] }).tokens));
    child.send({ mint: n });
  });
}

/** Asks the bare provider for an opaque access token of its own (for introspection). */
export function mintOpaqueToken(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve((message as { token: string }).token));
    child.send({ opaque: true });
  });
}

/** Runs the load generator once, in its own process. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'load.ts'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      children.delete(child);
      if (code !== 0) reject(new Error(`load generator exited ${code}`));
      else resolve(JSON.parse(output.trim().split('\n').at(-1)!) as LoadResult);
    });
  });
}

/** Resident set size of a process in KiB (VmRSS of /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}
