// The latchkey command line: `npm run -s latchkey -- <command> [options]`.
// With --json it prints exactly one JSON object on stdout; errors go to stderr with exit code 1.
// First: the .env file, before any module reads the environment.
import { ENV_FILE } from '../server/env-file.ts';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BackupError, DuplicateError, StoreSchemaError, type ApiKeyRecord, type ClientRecord, type Store } from '../adapters/contract.ts';
import { LatchkeyError } from '../config/errors.ts';
import { createKey, parseOverlap, presentKey, revokeKey, rollKey } from '../server/api-keys/service.ts';
import { SettingsError, loadSettings } from '../config/settings.ts';
import { createAccountWithUser } from '../server/accounts/service.ts';
import { authorize } from '../server/authority/authorize.ts';
import { OPERATOR } from '../server/authority/identify.ts';
import type { Action } from '../server/authority/rules.ts';
import { ValidationError } from '../config/errors.ts';
import {
  createClient, deleteClient, parseClientOverlap, presentClient,
} from '../server/clients/service.ts';
import { rotateClientSecret } from '../server/clients/secrets.ts';
import { createResourceServer, listResourceServers } from '../server/clients/resource-servers.ts';
import { loadKeyMaterial } from '../server/keys.ts';
import { consoleLogger } from '../server/log.ts';
import { openStore } from '../server/store.ts';
import { runBackup } from './backup.ts';
import { USAGE } from './usage.ts';
import { runPepperRotate, runPepperStatus } from './pepper.ts';
import { listSigningKeys, rotateSigningKeys } from './signing-keys.ts';
import { rotateCookieKeys } from './cookie-keys.ts';
import { runMemberCommand } from './members.ts';
import { AGENT_COMMANDS, runAgentCommand } from './agents.ts';
import { createInitialAccessToken } from '../server/oidc/initial-access-tokens.ts';


class UsageError extends Error {}

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
  account: { type: 'string' },
  type: { type: 'string' },
  scopes: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  env: { type: 'string' },
  'jwks-file': { type: 'string' },
  'expires-at': { type: 'string' },
  overlap: { type: 'string' },
  reason: { type: 'string' },
  homepage: { type: 'string' },
  leaked: { type: 'boolean' },
  resource: { type: 'string' },
  role: { type: 'string' },
  out: { type: 'string' },
  'activate-after': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function required(values: Values, name: 'name' | 'email' | 'password' | 'account' | 'type' | 'scopes'): string {
  const value = values[name];
  if (value === undefined) throw new UsageError(`missing --${name}`);
  return value;
}

function readJwks(path: string | undefined): { keys: object[] } | undefined {
  if (!path) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { keys: object[] };
  } catch (err) {
    throw new UsageError(`--jwks-file: cannot read a JSON JWK Set from "${path}": ${(err as Error).message}`);
  }
}

/** Commands whose third word is the id they act on. */
const TAKES_TARGET = new Set(['key roll', 'key revoke', 'client rotate-secret', 'client delete', 'agent verify', 'agent unverify', 'agent block-host', 'agent unblock-host']);

/** Each management command as the authority module names its action: the CLI asks it too (the operator may do everything). */
const COMMAND_ACTIONS: Readonly<Record<string, Action>> = {
  'client create': { resource: 'clients', verb: 'write' }, 'client list': { resource: 'clients', verb: 'read' },
  'client rotate-secret': { resource: 'clients', verb: 'write' }, 'client delete': { resource: 'clients', verb: 'write' },
  'key create': { resource: 'api_keys', verb: 'write' }, 'key list': { resource: 'api_keys', verb: 'read' },
  'key roll': { resource: 'api_keys', verb: 'write' }, 'key revoke': { resource: 'api_keys', verb: 'write' },
};

async function run(argv: string[]): Promise<Record<string, unknown>> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  // `key roll ID` and `key revoke ID` take the key id as a third word.
  // `migrate` and `backup` are commands of one word; every other has two.
  const words = positionals[0] === 'migrate' || positionals[0] === 'backup' ? [positionals[0], undefined, ...positionals.slice(1)] : positionals;
  const [noun, verb, target, ...extra] = words;
  const command = [noun, verb].filter(Boolean).join(' ');
  if (values.help || !command) throw new UsageError('');
  const takesTarget = TAKES_TARGET.has(command);
  if (extra.length > 0 || (target !== undefined && !takesTarget)) {
    throw new UsageError(`unexpected argument "${[target, ...extra].filter(Boolean).join(' ')}"`);
  }
  const settings = loadSettings();
  const store = await openStore(settings, command === 'migrate'
    ? { schema: 'migrate', progress: (message) => process.stderr.write(`latchkey: ${message}\n`) }
    : { schema: 'check' });
  // Which settings this command runs on: the store, the catalog, the file (never a credential).
  process.stderr.write(`latchkey: ${store.description}; catalog ${settings.catalogFile ?? 'built-in (LATCHKEY_CATALOG_FILE unset)'}; `
    + `settings ${ENV_FILE ? `from ${ENV_FILE} and the environment` : 'from the environment (no .env here)'}\n`);
  try {
    const action = COMMAND_ACTIONS[command];
    if (action) authorize(OPERATOR, action, settings.issuer);
    if (command.startsWith('member ') && ['member invite', 'member list', 'member remove'].includes(command)) {
      if (command !== 'member list' && values.email === undefined) throw new UsageError('missing --email');
      return await runMemberCommand(command, store, settings, { account: required(values, 'account'), email: values.email, role: values.role });
    }
    if (AGENT_COMMANDS.includes(command)) return await runAgentCommand(command, store, settings, target);
    switch (command) {
      case 'account create': {
        // The operator vouches for the address: it starts confirmed (live credentials allowed).
        const created = await createAccountWithUser(store, {
          name: required(values, 'name'), email: required(values, 'email'), password: required(values, 'password'), verified: true,
        });
        return { account_id: created.accountId, user_id: created.userId };
      }
      case 'client create': {
        const keys = await loadKeyMaterial(settings, store, consoleLogger);
        const created = await createClient(store, keys.pepper, {
          accountId: required(values, 'account'),
          name: required(values, 'name'),
          type: required(values, 'type'),
          scopes: required(values, 'scopes'),
          redirectUris: values['redirect-uri'] ?? [],
          postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
          environment: values.env,
          homepageUrl: values.homepage,
          jwks: readJwks(values['jwks-file']),
          actor: OPERATOR.name,
          maxClients: settings.clientsPerAccount,
        });
        return {
          client_id: created.clientId,
          ...(created.clientSecret ? { client_secret: created.clientSecret } : { token_endpoint_auth_method: created.record.authMethod }),
        };
      }
      case 'client list': {
        const accountId = required(values, 'account');
        if (!await store.findAccount(accountId)) throw new ValidationError('account', `no account ${accountId}`);
        return { object: 'list', data: (await store.listClients(accountId)).map((c) => presentClient(c, settings.issuer)) };
      }
      case 'client rotate-secret': {
        const keys = await loadKeyMaterial(settings, store, consoleLogger);
        const client = await findClient(store, target);
        const rotated = await rotateClientSecret(store, keys.pepper, client, parseClientOverlap(values.overlap), OPERATOR.name, { leaked: values.leaked === true });
        return { client_id: client.id, client_secret: rotated.clientSecret };
      }
      case 'client delete': {
        const client = await findClient(store, target);
        await deleteClient(store, client, OPERATOR.name);
        return { client_id: client.id, deleted: true };
      }
      case 'resource-server create': {
        const keys = await loadKeyMaterial(settings, store, consoleLogger);
        const created = await createResourceServer(store, keys.pepper, {
          resource: values.resource, name: values.name, issuer: settings.issuer, actor: OPERATOR.name,
        });
        return { client_id: created.clientId, client_secret: created.clientSecret };
      }
      case 'resource-server list':
        return { object: 'list', data: (await listResourceServers(store)).map((c) => presentClient(c, settings.issuer)) };
      case 'key create': {
        const keys = await loadKeyMaterial(settings, store, consoleLogger);
        const created = await createKey(store, keys.pepper, {
          accountId: required(values, 'account'), environment: values.env ?? '', scopes: required(values, 'scopes'),
          name: values.name, expiresAt: values['expires-at'], actor: OPERATOR.name, maxLiveKeys: settings.apiKeysPerAccount,
        });
        return { ...presentKey(created.record), key: created.key };
      }
      case 'key list': {
        const accountId = required(values, 'account');
        if (!await store.findAccount(accountId)) throw new ValidationError('account', `no account "${accountId}"`);
        return { object: 'list', data: (await store.listApiKeys(accountId)).map(presentKey) };
      }
      case 'key roll': {
        const keys = await loadKeyMaterial(settings, store, consoleLogger);
        const rolled = await rollKey(store, keys.pepper, await findKey(store, target), parseOverlap(values.overlap), OPERATOR.name, {
          maxLiveKeys: settings.apiKeysPerAccount,
        });
        return { ...presentKey(rolled.record), key: rolled.key, previous: presentKey(rolled.previous) };
      }
      case 'registration-token create': {
        const environment = values.env ?? 'test';
        if (environment !== 'test' && environment !== 'live') throw new UsageError('--env must be test or live');
        const created = await createInitialAccessToken(store, required(values, 'account'), environment, OPERATOR.name);
        return { initial_access_token: created.token, expires_at: created.expiresAt.toISOString(), registration_endpoint: `${settings.issuer}/reg` };
      }
      case 'signing-keys rotate':
        return await rotateSigningKeys(store, settings, values['activate-after']);
      case 'cookie-keys rotate':
        return await rotateCookieKeys(store, settings);
      case 'signing-keys list':
        return await listSigningKeys(store, settings);
      case 'pepper rotate':
        return await runPepperRotate(store, settings);
      case 'pepper status':
        return await runPepperStatus(store, settings);
      case 'backup':
        return await runBackup(store, values.out);
      case 'migrate': {
        const { from, to, applied, indexesBuilt } = store.schemaReport;
        return { store: store.kind, schema_version_before: from, schema_version: to, migrations_applied: applied, indexes_built: indexesBuilt };
      }
      case 'key revoke':
        return presentKey(await revokeKey(store, await findKey(store, target), values.reason ?? 'revoked from the command line', OPERATOR.name));
      default:
        throw new UsageError(`unknown command "${positionals.join(' ')}"`);
    }
  } finally {
    await store.close();
  }
}

async function findKey(store: Store, id: string | undefined): Promise<ApiKeyRecord> {
  if (!id) throw new UsageError('give the key id, for example: key roll key_0123456789');
  const key = await store.findApiKey(id);
  if (!key) throw new LatchkeyError('not_found', `no API key "${id}"`);
  return key;
}

async function findClient(store: Store, id: string | undefined): Promise<ClientRecord> {
  if (!id) throw new UsageError('give the client id, for example: client rotate-secret client_test_0123456789');
  const client = await store.findClient(id);
  if (!client) throw new LatchkeyError('not_found', `no client ${id}`);
  return client;
}

function printHuman(result: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(result)) process.stdout.write(`${key}: ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}\n`);
  if ('client_secret' in result) process.stdout.write('The client secret is shown only this once: store it now.\n');
  if ('key' in result) process.stdout.write('The key is shown only this once: store it now.\n');
  if ('initial_access_token' in result) process.stdout.write('The token is shown only this once: store it now.\n');
}

const argv = process.argv.slice(2);
try {
  const result = await run(argv);
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  else printHuman(result);
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message ? `latchkey: ${err.message}\n` : ''}${USAGE}\n`);
    process.exit(2);
  }
  const known = err instanceof ValidationError || err instanceof SettingsError || err instanceof DuplicateError
    || err instanceof LatchkeyError || err instanceof StoreSchemaError || err instanceof BackupError
    || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
  process.stderr.write(`latchkey: ${known ? (err).message : (err as Error).stack}\n`);
  process.exit(1);
}
