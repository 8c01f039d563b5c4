// Latchkey as separate processes (server/main.ts) on one DATA_DIR (or one MongoDB database), for the
// delivery guarantees that only show across processes: two instances, and a crash mid-delivery.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, cli } from '../helpers/processes.ts';
import { recordSecret } from '../helpers/secret-registry.ts';

export interface Instance { url: string; child: ChildProcess }

export async function startInstance(env: Record<string, string>, port: number): Promise<Instance> {
  const child = spawn(process.execPath, [join(ROOT, 'server/main.ts')], {
    cwd: ROOT, env: { PATH: process.env.PATH, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const instance = { url: `http://127.0.0.1:${port}`, child };
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance on ${port} did not start: ${output}`)), 15_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('latchkey started')) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`instance exited ${code}: ${output}`)); });
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

/** An account and a test-environment key that may write contacts and webhooks, made by the CLI. */
export async function accountWithKey(env: Record<string, string>, email: string): Promise<string> {
  const account = await cli(['account', 'create', '--name', 'Hooks Co', '--email', email, '--password', 'a long enough password', '--json'], env);
  const { account_id: accountId } = JSON.parse(account.stdout) as { account_id: string };
  const created = await cli(['key', 'create', '--account', accountId, '--env', 'test', '--scopes', 'write:contacts write:webhooks', '--json'], env);
  const { key } = JSON.parse(created.stdout) as { key: string };
  recordSecret(key);
  return key;
}

/** Environment for instances on a new store; a MongoDB database of its own when MONGODB_URI is set. */
export function storeEnv(dataDir: string, name: string): Record<string, string> {
  const env: Record<string, string> = { DATA_DIR: dataDir, NODE_ENV: 'test' };
  if (process.env.MONGODB_URI) Object.assign(env, { MONGODB_URI: process.env.MONGODB_URI, MONGODB_DATABASE: `latchkey_${name}_${Date.now()}` });
  return env;
}

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
