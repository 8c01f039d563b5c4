// Resource servers: the operator's own APIs, as clients that authenticate with a secret to introspect
// the credentials sent to their resource (RFC 7662). They hold no scopes and get no tokens. They are
// the operator's, not a partner's, so they live in one operator account made on first use; nobody can
// sign in to it (its owner has no usable password), and the CLI is the only way to create them.
import { DuplicateError, type AccountStore, type ApiKeyStore, type ClientRecord, type ClientStore } from '../../adapters/contract.ts';
import { RESOURCES, findResource, resourceUrl } from '../../config/scopes.ts';
import { ValidationError } from '../../config/errors.ts';
import { generateId, generateSortableId, type Pepper } from '../secrets.ts';
import { checkName, quoted } from './input.ts';
import { newSecret } from './secret-rotation.ts';

type Store = ClientStore & AccountStore & Pick<ApiKeyStore, 'recordAuditEvent'>;

export const OPERATOR_ACCOUNT_ID = 'acct_operator';
export const OPERATOR_ACCOUNT_NAME = 'Operator';
/** The owner every account needs. `.invalid` is reserved (RFC 2606): no mailbox, no sign-up can own it. */
const OPERATOR_USER = { id: 'user_operator', email: 'operator@latchkey.invalid' };
/** Not an argon2 hash: verifyPassword never accepts anything against it. */
const NO_PASSWORD = '!no-sign-in';

/** A resource the catalog defines (absolute URL, as tokens carry it in aud); the error lists those that exist. */
export function checkResource(value: string | undefined, issuer: string): string {
  const resource = (value ?? '').trim();
  if (findResource(resource, issuer)) return resource;
  const known = RESOURCES.map((r) => resourceUrl(r.resource, issuer)).join(' ');
  const what = resource ? `the catalog has no resource ${quoted(resource)}` : 'give the resource (an absolute URL)';
  // The catalog is the running server's only when this process read the same LATCHKEY_CATALOG_FILE.
  const unset = process.env.LATCHKEY_CATALOG_FILE ? '' : ' (LATCHKEY_CATALOG_FILE is not set here: set it, or put it in .env, as for the server)';
  throw new ValidationError('resource', `${what}; the resources it defines are: ${known}${unset}`);
}

/** The operator account, created with its sign-in-less owner the first time it is needed. */
export async function ensureOperatorAccount(store: AccountStore): Promise<string> {
  if (await store.findAccount(OPERATOR_ACCOUNT_ID)) return OPERATOR_ACCOUNT_ID;
  const createdAt = new Date();
  try {
    await store.createAccount(
      { id: OPERATOR_ACCOUNT_ID, name: OPERATOR_ACCOUNT_NAME, createdAt },
      { ...OPERATOR_USER, accountId: OPERATOR_ACCOUNT_ID, passwordHash: NO_PASSWORD, createdAt, emailVerifiedAt: createdAt },
    );
  } catch (err) {
    // Another command made it at the same moment.
    if (!(err instanceof DuplicateError) || !await store.findAccount(OPERATOR_ACCOUNT_ID)) throw err;
  }
  return OPERATOR_ACCOUNT_ID;
}

export interface CreateResourceServerInput {
  resource: string | undefined;
  name: string | undefined;
  issuer: string;
  actor: string;
}

export async function createResourceServer(
  store: Store, pepper: Pepper, input: CreateResourceServerInput,
): Promise<{ clientId: string; clientSecret: string; record: ClientRecord }> {
  const resource = checkResource(input.resource, input.issuer);
  const name = checkName(input.name);
  const accountId = await ensureOperatorAccount(store);
  const now = new Date();
  const fresh = newSecret(pepper, now);
  const record: ClientRecord = {
    id: generateId('client_rs'),
    accountId,
    name,
    type: 'resource_server',
    // Introspection answers for both environments' credentials; the field is required of every client.
    environment: 'live',
    scopes: [],
    redirectUris: [],
    postLogoutRedirectUris: [],
    authMethod: 'client_secret_basic',
    secretHash: fresh.record.hash,
    secrets: [fresh.record],
    jwks: undefined,
    homepageUrl: undefined,
    logoDigest: undefined,
    resource,
    createdBy: input.actor,
    createdAt: now,
    updatedAt: now,
    revision: 1,
  };
  await store.createClient(record, {
    id: generateSortableId('evt'), accountId, actor: input.actor, action: 'client.created', targetId: record.id,
    reason: undefined, at: now, detail: { name, type: record.type, resource },
  });
  return { clientId: record.id, clientSecret: fresh.secret, record };
}

/** Every resource server, oldest first. */
export async function listResourceServers(store: ClientStore): Promise<ClientRecord[]> {
  return (await store.listClients(OPERATOR_ACCOUNT_ID)).filter((c) => c.type === 'resource_server');
}
