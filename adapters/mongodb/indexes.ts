// Every index of every collection, declared once. Boot ensures them all after migrating
// (createIndexes is idempotent), so no request ever waits for an index build. Names are those of
// earlier versions: an existing database keeps its indexes as they are.
import { MongoServerError, type Db, type IndexDescription } from 'mongodb';
import { StoreSchemaError } from '../contract.ts';
import { COLLECTIONS, oidcCollectionName } from './documents.ts';

/** Every oidc-provider model Latchkey stores, one collection each (`oidc_<Model>`). */
export const OIDC_MODELS = [
  'Session', 'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'ClientCredentials', 'Client',
  'InitialAccessToken', 'RegistrationAccessToken', 'Interaction', 'ReplayDetection', 'PushedAuthorizationRequest', 'Grant',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode', 'PortalSession', 'PortalReveal', 'RefreshRetry',
  // Latchkey's per-user "sessions valid after" record (server/accounts/user-sessions.ts): indexed at boot, not in a request.
  'PortalUserGeneration',
  // A sign-in waiting for its second factor (server/accounts/pending-sign-in.ts).
  'PendingSignIn',
  // A TOTP secret being enrolled, until a code confirms it (server/portal/security.ts).
  'TotpEnrolment',
  // Dynamic registration: the account of an initial access token, and that an open registration was used.
  'RegistrationTokenAccount', 'RegisteredClientUsed',
  // Agents (server/agents/registry.ts): each client seen, the operator's verifications, blocked hosts.
  'AgentClient', 'AgentTrust', 'BlockedHost',
  // When each client secret was last used (server/clients/secret-use.ts); the sealed answers of Idempotency-Keys.
  'ClientSecretUse', 'IdempotentAnswer',
] as const;

export type OidcModel = (typeof OIDC_MODELS)[number];

export function isKnownModel(model: string): model is OidcModel {
  return (OIDC_MODELS as readonly string[]).includes(model);
}

/**
 * The models whose records carry a top-level grantId (oidc-provider's token models and Interaction,
 * and Latchkey's RefreshRetry): revoking a grant deletes its records in these, one deleteMany each.
 * Session keeps grant ids inside `authorizations`, and ClientCredentials, PushedAuthorizationRequest,
 * ReplayDetection, PortalSession and the rest carry none.
 */
export const GRANT_BOUND_MODELS = [
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest',
  'PreAuthorizedCode', 'Interaction', 'RefreshRetry',
] as const satisfies readonly OidcModel[];

const TTL: IndexDescription = { key: { expiresAt: 1 }, name: 'ttl', expireAfterSeconds: 0 };
const GRANT_ID: IndexDescription = { key: { grantId: 1 }, name: 'grantId', sparse: true };
const UID: IndexDescription = { key: { uid: 1 }, name: 'uid', sparse: true };
const USER_CODE: IndexDescription = { key: { userCode: 1 }, name: 'userCode', sparse: true };
const ACCOUNT_CLIENT: IndexDescription = { key: { accountId: 1, clientId: 1, expiresAt: -1 }, name: 'accountClient', sparse: true };

/**
 * What a model oidc-provider adds later (unknown to OIDC_MODELS) gets on first use: every look-up the
 * adapter offers. The TTL monitor deletes expired records within about a minute; reads filter them meanwhile.
 */
export const OIDC_MODEL_INDEXES: readonly IndexDescription[] = [TTL, GRANT_ID, UID, USER_CODE, ACCOUNT_CLIENT];

/** The sweep finds grants past their own lifetime (`payload.exp`, epoch seconds) before their stored expiry. */
const GRANT_EXP: IndexDescription = { key: { 'payload.exp': 1 }, name: 'grantExp' };
/** Deleting a client finds its grants. */
const GRANT_CLIENT: IndexDescription = { key: { clientId: 1 }, name: 'clientId', sparse: true };

/**
 * A known model's indexes: only the look-ups made on it (issue 21, defect 7: indexes nothing queried
 * were kept on every model). `uid`: oidc-provider finds sessions by uid; `userCode`: device codes;
 * `grantId`: the models a grant revocation empties; the user's grants by account and client.
 */
export function oidcModelIndexes(model: OidcModel): IndexDescription[] {
  return [
    TTL,
    ...((GRANT_BOUND_MODELS as readonly string[]).includes(model) ? [GRANT_ID] : []),
    ...(model === 'Session' ? [UID] : []),
    ...(model === 'DeviceCode' ? [USER_CODE] : []),
    ...(model === 'Grant' ? [ACCOUNT_CLIENT, GRANT_EXP, GRANT_CLIENT] : []),
  ];
}

export const INDEXES: Readonly<Record<string, readonly IndexDescription[]>> = {
  [COLLECTIONS.users]: [
    { key: { email: 1 }, name: 'email', unique: true },
    { key: { accountId: 1 }, name: 'accountId' },
  ],
  [COLLECTIONS.userTokens]: [
    { key: { expiresAt: 1 }, name: 'ttl', expireAfterSeconds: 0 },
    // Using a link ends the user's other links of the same purpose.
    { key: { userId: 1, purpose: 1 }, name: 'userPurpose' },
  ],
  [COLLECTIONS.invitations]: [
    { key: { tokenHash: 1 }, name: 'tokenHash', unique: true },
    // The team page: an account's pending invitations; a new one revokes the address's pending one.
    { key: { accountId: 1, email: 1 }, name: 'accountEmail' },
  ],
  [COLLECTIONS.mail]: [
    // Claiming: pending mails, oldest due first.
    { key: { status: 1, nextAttemptAt: 1, _id: 1 }, name: 'due' },
    // A finished mail is kept a week (the development mailbox, support), then the TTL monitor removes it.
    { key: { finishedAt: 1 }, name: 'finished', expireAfterSeconds: 7 * 24 * 3600 },
  ],
  [COLLECTIONS.clients]: [
    { key: { accountId: 1, createdAt: 1 }, name: 'accountId' },
    // Partial: service clients using private_key_jwt have no secret.
    { key: { secretHash: 1 }, name: 'secretHash', unique: true, partialFilterExpression: { secretHash: { $type: 'string' } } },
    // The leak intake finds a client by any secret it lists (multikey over the secrets array).
    { key: { 'secrets.hash': 1 }, name: 'secretsHash' },
    // Lineage: the clients a revoked credential registered (adapters/mongodb/lineage.ts).
    { key: { createdBy: 1 }, name: 'createdBy' },
  ],
  [COLLECTIONS.apiKeys]: [
    { key: { hash: 1 }, name: 'hash', unique: true },
    // An account's keys in id order (ids are time-sortable); `accountId, createdAt` served nothing and went in version 8.
    { key: { accountId: 1, _id: 1 }, name: 'accountKeys' },
    { key: { grantId: 1 }, name: 'grantId', partialFilterExpression: { grantId: { $type: 'string' } } },
    // Deleting a client finds the keys it created (createdBy `client:<id>`).
    { key: { createdBy: 1 }, name: 'createdBy' },
  ],
  [COLLECTIONS.audit]: [
    { key: { accountId: 1, _id: -1 }, name: 'accountId' },
    { key: { accountId: 1, targetId: 1, _id: -1 }, name: 'target' },
  ],
  [COLLECTIONS.records]: [
    { key: { kind: 1, accountId: 1, environment: 1, recordId: 1 }, name: 'partition', unique: true },
  ],
  [COLLECTIONS.webhooks]: [
    { key: { kind: 1, accountId: 1, environment: 1, recordId: 1 }, name: 'partition', unique: true },
    // Lineage: the webhooks a revoked credential made.
    { key: { 'data.created_by': 1 }, name: 'creator' },
  ],
  [COLLECTIONS.outbox]: [
    // Fan-out reads the events not yet fanned out (null) in id order; the sweep those fanned out long ago.
    { key: { fannedOutAt: 1, _id: 1 }, name: 'fannedOut' },
  ],
  [COLLECTIONS.deliveries]: [
    // One delivery per event and webhook, whatever the races between instances fanning out.
    { key: { eventId: 1, webhookId: 1 }, name: 'eventWebhook', unique: true },
    // Claiming: pending deliveries, oldest due first.
    { key: { status: 1, nextAttemptAt: 1, _id: 1 }, name: 'due' },
    // A webhook's delivery log, newest first.
    { key: { accountId: 1, webhookId: 1, _id: -1 }, name: 'webhook' },
    // The sweep: finished deliveries by their last attempt.
    { key: { status: 1, lastAttemptAt: 1 }, name: 'finished' },
  ],
  [COLLECTIONS.counters]: [
    { key: { resetAt: 1 }, name: 'ttl', expireAfterSeconds: 0 },
  ],
  // Instances poll the newest change (by _id) every 500 ms; a day of history is plenty.
  [COLLECTIONS.credentialChanges]: [
    { key: { at: 1 }, name: 'ttl', expireAfterSeconds: 24 * 3600 },
  ],
  [COLLECTIONS.tombstones]: [
    // A tombstone lives as long as the refresh token it replaces would have.
    { key: { expiresAt: 1 }, name: 'ttl', expireAfterSeconds: 0 },
    { key: { grantId: 1 }, name: 'grantId' },
  ],
  ...Object.fromEntries(OIDC_MODELS.map((model) => [oidcCollectionName(model), oidcModelIndexes(model)])),
};

/**
 * Creates every declared index that is missing and returns them (`collection.name`); a conflicting
 * existing index stops boot with StoreSchemaError. Each build is announced before and after.
 */
export async function ensureIndexes(db: Db, progress: (message: string) => void = () => {}): Promise<string[]> {
  const built = await Promise.all(Object.entries(INDEXES).map(([collection, indexes]) => ensureCollectionIndexes(db, collection, indexes, progress)));
  return built.flat();
}

/** The declared indexes missing from the database, without building any (`collection.name`). */
export async function missingIndexes(db: Db): Promise<string[]> {
  const missing = await Promise.all(Object.entries(INDEXES).map(async ([collection, indexes]) =>
    indexPlan(await existingIndexes(db, collection), indexes).build.map((index) => `${collection}.${index.name}`)));
  return missing.flat();
}

async function existingIndexes(db: Db, collection: string): Promise<ExistingIndex[]> {
  return await db.collection(collection).listIndexes().toArray().catch((err: unknown) => {
    if (err instanceof MongoServerError && err.code === 26) return []; // NamespaceNotFound: a new collection
    throw err;
  }) as ExistingIndex[];
}

/**
 * How long one index build may take at boot before it fails (and boot with it, naming the index):
 * long enough for a large collection, short enough that a lost member never hangs a boot for good.
 */
export const INDEX_BUILD_DEADLINE_MS = 10 * 60 * 1000;

/** An index as listIndexes describes it. */
export interface ExistingIndex {
  readonly name: string;
  readonly key: Readonly<Record<string, unknown>>;
  readonly unique?: boolean;
  readonly expireAfterSeconds?: number;
  readonly partialFilterExpression?: Readonly<Record<string, unknown>>;
}

const sameOptions = (a: ExistingIndex, b: IndexDescription) =>
  JSON.stringify(a.key) === JSON.stringify(b.key) && Boolean(a.unique) === Boolean(b.unique)
  && a.expireAfterSeconds === b.expireAfterSeconds
  && JSON.stringify(a.partialFilterExpression ?? null) === JSON.stringify(b.partialFilterExpression ?? null);

/**
 * What boot must do about one collection's indexes: build the ones missing (by name), and refuse
 * one whose name exists with other keys or options. Existing indexes are never rebuilt, so an
 * ordinary boot (or a CLI command) sends no index build to the cluster (issue 21, defect 5).
 */
export function indexPlan(existing: readonly ExistingIndex[], wanted: readonly IndexDescription[]) {
  const byName = new Map(existing.map((index) => [index.name, index]));
  return {
    build: wanted.filter((index) => !byName.has(index.name ?? '')),
    conflicts: wanted.filter((index) => byName.has(index.name ?? '') && !sameOptions(byName.get(index.name ?? '')!, index)),
  };
}

/**
 * Builds the missing ones, one at a time (so a conflict names its index), with a majority commit
 * quorum (a member that is down does not stall the build) and a deadline.
 */
export async function ensureCollectionIndexes(
  db: Db, collection: string, indexes: readonly IndexDescription[], progress: (message: string) => void = () => {},
): Promise<string[]> {
  const plan = indexPlan(await existingIndexes(db, collection), indexes);
  const conflict = plan.conflicts[0];
  if (conflict) throw indexConflict(db, collection, conflict, new MongoServerError({ message: 'an index of this name exists with other keys or options', code: 85 }));
  const built: string[] = [];
  for (const index of plan.build) {
    const name = `${collection}.${index.name}`;
    const started = Date.now();
    progress(`building the MongoDB index ${name} (${JSON.stringify(index.key)})`);
    try {
      await db.collection(collection).createIndexes([index], { commitQuorum: 'majority', maxTimeMS: INDEX_BUILD_DEADLINE_MS });
    } catch (err) {
      if (isIndexConflict(err)) throw indexConflict(db, collection, index, err);
      throw err;
    }
    progress(`built the MongoDB index ${name} in ${Date.now() - started} ms`);
    built.push(name);
  }
  return built;
}

/** 85 IndexOptionsConflict, 86 IndexKeySpecsConflict; older servers say IndexAlreadyExists (68). */
export function isIndexConflict(err: unknown): err is MongoServerError {
  return err instanceof MongoServerError
    && (err.code === 85 || err.code === 86 || /IndexOptionsConflict|IndexKeySpecsConflict|IndexAlreadyExists/.test(err.codeName ?? ''));
}

function indexConflict(db: Db, collection: string, index: IndexDescription, err: MongoServerError): StoreSchemaError {
  const name = index.name ?? JSON.stringify(index.key);
  return new StoreSchemaError(
    `the MongoDB collection "${collection}" of the database "${db.databaseName}" has an index that conflicts with `
    + `the index "${name}" (${JSON.stringify(index.key)}) this Latchkey needs: ${err.message}. Drop the conflicting index, `
    + `for example db.${collection}.dropIndex("${name}") in mongosh (or the index the message above names), then start `
    + 'Latchkey again: it creates its indexes at boot',
    { cause: err },
  );
}
