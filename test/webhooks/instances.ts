// Latchkey as separate processes (server/main.ts) on one DATA_DIR (or one MongoDB database), for the
// delivery guarantees that only show across processes: two instances, and a crash mid-delivery.
import { cli } from '../helpers/processes.ts';
import { recordSecret } from '../helpers/secret-registry.ts';

export { dropDatabase, startInstance, stopInstance, type Instance } from '../helpers/instances.ts';

/** An account and a test-environment key that may write contacts and webhooks, made by the CLI. */
export async function accountWithKey(env: Record<string, string>, email: string): Promise<string> {
  const account = await cli(['account', 'create', '--name', 'Hooks Co', '--email', email, '--password', 'a long enough password', '--json'], env);
  const { account_id: accountId } = JSON.parse(account.stdout) as { account_id: string };
  const created = await cli(['key', 'create', '--account', accountId, '--env', 'test', '--scopes', 'write:contacts write:webhooks read:contacts', '--json'], env);
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
