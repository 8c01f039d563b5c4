// The latchkey command line: `npm run -s latchkey -- <command> [options]`.
// With --json it prints exactly one JSON object on stdout; errors go to stderr with exit code 1.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DuplicateError } from '../adapters/contract.ts';
import { SettingsError, loadSettings } from '../config/settings.ts';
import { ValidationError, createAccountWithUser } from '../server/accounts/service.ts';
import { createClient } from '../server/clients/service.ts';
import { loadKeyMaterial } from '../server/keys.ts';
import { consoleLogger } from '../server/log.ts';
import { openStore } from '../server/store.ts';

const USAGE = `usage: latchkey <command> [options] [--json]

  account create --name NAME --email EMAIL --password PASSWORD
  client create  --account ID --name NAME --type service|web --scopes "s1 s2"
                 [--redirect-uri URI]... [--env test|live] [--jwks-file FILE]

Environment: DATA_DIR or MONGODB_URI select the store, as for the server.`;

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
  env: { type: 'string' },
  'jwks-file': { type: 'string' },
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

async function run(argv: string[]): Promise<Record<string, unknown>> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const command = positionals.join(' ');
  if (values.help || !command) throw new UsageError('');
  const settings = loadSettings();
  const store = await openStore(settings);
  try {
    switch (command) {
      case 'account create': {
        const created = await createAccountWithUser(store, {
          name: required(values, 'name'), email: required(values, 'email'), password: required(values, 'password'),
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
          environment: values.env,
          jwks: readJwks(values['jwks-file']),
        });
        return {
          client_id: created.clientId,
          ...(created.clientSecret ? { client_secret: created.clientSecret } : { token_endpoint_auth_method: 'private_key_jwt' }),
        };
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await store.close();
  }
}

function printHuman(result: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(result)) process.stdout.write(`${key}: ${String(value)}\n`);
  if ('client_secret' in result) process.stdout.write('The client secret is shown only this once: store it now.\n');
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
    || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
  process.stderr.write(`latchkey: ${known ? (err as Error).message : (err as Error).stack}\n`);
  process.exit(1);
}
