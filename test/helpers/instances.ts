// Latchkey as separate processes (server/main.ts), as a platform team runs it: several instances on
// one DATA_DIR (or one MongoDB database), stopped or killed like real processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './processes.ts';

export interface Instance { url: string; child: ChildProcess }

export async function startInstance(env: Record<string, string>, port: number): Promise<Instance> {
  const child = spawn(process.execPath, [join(ROOT, 'server/main.ts')], {
    cwd: ROOT, env: { PATH: process.env.PATH, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const instance = { url: `http://127.0.0.1:${port}`, child };
  let output = '';
  // A start that fails half-way leaves no process behind.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance on ${port} did not start: ${output}`)), 15_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('latchkey started')) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`instance exited ${code}: ${output}`)); });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  child.removeAllListeners('exit');
  return instance;
}

export function stopInstance(instance: Instance, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (instance.child.exitCode !== null || instance.child.signalCode !== null) return resolve();
    instance.child.once('exit', () => resolve());
    instance.child.kill(signal);
  });
}

/** Drops the MongoDB database instances made for themselves (nothing on the embedded store). */
export async function dropDatabase(env: Record<string, string>): Promise<void> {
  if (!env.MONGODB_URI) return;
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(env.MONGODB_URI);
  try {
    await client.db(env.MONGODB_DATABASE).dropDatabase();
  } finally {
    await client.close();
  }
}
