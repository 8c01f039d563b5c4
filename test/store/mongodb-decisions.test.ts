// The MongoDB store's decisions that need no server: which deployments boot accepts, which driver
// errors mean "retry later" (503), which field a duplicate key names, which models a grant
// revocation touches, how a client document maps to its record. What only a real server shows is in
// the MongoDB contract run (MONGODB_URI).
import { expect } from 'chai';
import {
  MongoClientClosedError,
  MongoError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoServerError,
  MongoWriteConcernError,
} from 'mongodb';
import { legacySecretId } from '../../adapters/client-lifecycle.ts';
import { DuplicateError, StoreUnavailableError } from '../../adapters/contract.ts';
import { changeOf, clientDocument, revisionFilter, toClient } from '../../adapters/mongodb/client-documents.ts';
import type { ClientDocument } from '../../adapters/mongodb/documents.ts';
import { lineageFilter } from '../../adapters/mongodb/cascades.ts';
import { INDEX_BUILD_DEADLINE_MS, INDEXES, indexPlan } from '../../adapters/mongodb/indexes.ts';
import { clientOptions, duplicateField, guard, isUnavailable, TRANSACTION_OPTIONS, uniquely, WRITE_TIMEOUT_MS } from '../../adapters/mongodb/connection.ts';
import { COLLECTIONS } from '../../adapters/mongodb/documents.ts';
import { GRANT_BOUND_MODELS, isIndexConflict, OIDC_MODELS } from '../../adapters/mongodb/indexes.ts';
import { classifyHello, classifyUnreachable, serverTypesOf } from '../../adapters/mongodb/topology.ts';
import { newClient, secretRecord } from './contract/fixtures.ts';

const serverError = (fields: Record<string, unknown>) => new MongoServerError({ message: 'server said no', ...fields });

describe('MongoDB store decisions', () => {
  describe('classifyUnreachable (issue 21, defect 7)', () => {
    it('names a standalone server or an uninitiated member found behind a server-selection timeout', () => {
      const selection = (type: string) => Object.assign(new Error('Server selection timed out'), {
        reason: { servers: new Map([['db:27017', { type }]]) },
      });
      expect(classifyUnreachable(serverTypesOf(selection('RSGhost')), 'db:27017')).to.include('never initiated').and.include('rs.initiate()');
      expect(classifyUnreachable(serverTypesOf(selection('Standalone')), 'db:27017')).to.include('standalone');
      expect(classifyUnreachable(serverTypesOf(selection('Unknown')), 'db:27017'), 'truly unreachable').to.equal(undefined);
      expect(serverTypesOf(new Error('other'))).to.deep.equal([]);
    });
  });

  describe('classifyHello', () => {
    it('accepts a replica set member and a sharded cluster (mongos)', () => {
      expect(classifyHello({ isWritablePrimary: true, setName: 'rs0', ok: 1 }, 'db:27017')).to.deep.equal({ ok: true, kind: 'replica-set' });
      expect(classifyHello({ isWritablePrimary: false, secondary: true, setName: 'rs0', ok: 1 }, 'db:27017')).to.deep.equal({ ok: true, kind: 'replica-set' });
      expect(classifyHello({ isWritablePrimary: true, msg: 'isdbgrid', ok: 1 }, 'mongos:27017')).to.deep.equal({ ok: true, kind: 'sharded' });
    });

    it('refuses a standalone server, naming MONGODB_URI, the host and the fix', () => {
      const verdict = classifyHello({ isWritablePrimary: true, maxWireVersion: 25, ok: 1 }, 'db.example:27017');
      expect(verdict.ok).to.equal(false);
      const { reason } = verdict as { reason: string };
      expect(reason).to.include('MONGODB_URI').and.include('db.example:27017').and.include('standalone');
      expect(reason).to.include('--replSet').and.include('rs.initiate()').and.include('docker-compose.yml');
    });

    it('refuses a member started with --replSet but never initiated, saying to run rs.initiate()', () => {
      const verdict = classifyHello({ isWritablePrimary: false, secondary: false, isreplicaset: true, ok: 1 }, 'db:27017');
      expect(verdict.ok).to.equal(false);
      expect((verdict as { reason: string }).reason).to.include('never initiated').and.include('rs.initiate()');
    });

    it('does not take an empty set name for a replica set', () => {
      expect(classifyHello({ isWritablePrimary: true, setName: '', ok: 1 }, 'db:27017').ok).to.equal(false);
    });
  });

  describe('editing a client written before revisions (issue 21, defect 7)', () => {
    it('matches a document without a revision as revision 1, and any other revision exactly', () => {
      expect(revisionFilter(1)).to.deep.equal({ $or: [{ revision: 1 }, { revision: { $exists: false } }] });
      expect(revisionFilter(4)).to.deep.equal({ revision: 4 });
      const legacy = { _id: 'client_old', accountId: 'acct', name: 'Old', type: 'service', environment: 'test', scopes: [], redirectUris: [],
        authMethod: 'client_secret_basic', secrets: [], homepageUrl: null, logoDigest: null, createdBy: 'cli', createdAt: new Date(0) };
      expect(toClient(legacy as never).revision, 'read as revision 1').to.equal(1);
    });
  });

  describe('index builds at boot (issue 21, defect 5)', () => {
    it('builds only the missing indexes, and refuses one of the same name with other keys or options', () => {
      const wanted = INDEXES[COLLECTIONS.clients]!;
      const existing = wanted.filter((index) => index.name !== 'createdBy')
        .map((index) => ({ name: index.name!, key: index.key as Record<string, unknown>, unique: index.unique, partialFilterExpression: index.partialFilterExpression }));
      expect(indexPlan(existing, wanted)).to.deep.equal({ build: wanted.filter((index) => index.name === 'createdBy'), conflicts: [] });
      const changed = existing.map((index) => (index.name === 'accountId' ? { ...index, key: { accountId: -1 } } : index));
      expect(indexPlan(changed, wanted).conflicts.map((index) => index.name)).to.deep.equal(['accountId']);
      expect(indexPlan([], wanted).build).to.have.length(wanted.length);
      expect(INDEX_BUILD_DEADLINE_MS).to.be.greaterThan(0);
    });
  });

  describe('key look-ups by grant (issue 21, defect 4)', () => {
    it('repeat the partial index filter, so the grantId index can serve them', () => {
      expect(lineageFilter('grantId', 'grant_1')).to.deep.equal({ grantId: { $eq: 'grant_1', $type: 'string' } });
      const index = INDEXES[COLLECTIONS.apiKeys]!.find((i) => i.name === 'grantId')!;
      expect(index.partialFilterExpression).to.deep.equal({ grantId: { $type: 'string' } });
      expect(lineageFilter('createdBy', 'api_key:k')).to.deep.equal({ createdBy: 'api_key:k' });
    });
  });

  describe('client and transaction options (issue 21, defect 2)', () => {
    it('bounds a commit by the write timeout, so withTransaction never retries a lost majority for 120 s', () => {
      expect(TRANSACTION_OPTIONS.maxCommitTimeMS).to.equal(WRITE_TIMEOUT_MS);
    });

    it('bounds the wait for a pooled connection and for a server, unless the URI says otherwise', () => {
      expect(clientOptions('mongodb://db:27017/?replicaSet=rs0')).to.deep.include({ waitQueueTimeoutMS: 5000, serverSelectionTimeoutMS: 5000 });
      const own = clientOptions('mongodb://db:27017/?replicaSet=rs0&waitQueueTimeoutMS=800&serverSelectionTimeoutMS=900');
      expect(own).not.to.have.property('waitQueueTimeoutMS');
      expect(own).not.to.have.property('serverSelectionTimeoutMS');
      expect(clientOptions('mongodb://db/').writeConcern).to.deep.equal({ w: 'majority', wtimeoutMS: WRITE_TIMEOUT_MS });
    });
  });

  describe('isUnavailable', () => {
    it('is true for a lost connection and a closed client', () => {
      expect(isUnavailable(new MongoNetworkError('connection reset'))).to.equal(true);
      expect(isUnavailable(new MongoClientClosedError())).to.equal(true);
    });

    it('is true for a write concern error, such as majority not reached within wtimeoutMS', () => {
      const timeout = new MongoWriteConcernError({
        writeConcernError: { code: 64, codeName: 'WriteConcernTimeout', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } },
        ok: 1,
      });
      expect(isUnavailable(timeout)).to.equal(true);
      expect(WRITE_TIMEOUT_MS).to.be.within(1000, 30_000);
    });

    it('is true for MaxTimeMSExpired (code 50): a commit past maxCommitTimeMS is answered 503, not retried for 120 s (issue 21, defect 2)', () => {
      expect(isUnavailable(new MongoServerError({ code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit' }))).to.equal(true);
    });

    it('is true for the overload and retry labels', () => {
      for (const label of [MongoErrorLabel.SystemOverloadedError, MongoErrorLabel.RetryableError,
        MongoErrorLabel.RetryableWriteError, MongoErrorLabel.TransientTransactionError]) {
        expect(isUnavailable(serverError({ code: 462, errorLabels: [label] })), label).to.equal(true);
        const driverError = new MongoError('overloaded');
        driverError.addErrorLabel(label);
        expect(isUnavailable(driverError), `${label} (driver error)`).to.equal(true);
      }
    });

    it('is true for the codes of a read that met an election', () => {
      for (const [code, codeName] of [[10107, 'NotWritablePrimary'], [13435, 'NotPrimaryNoSecondaryOk'],
        [189, 'PrimarySteppedDown'], [11602, 'InterruptedDueToReplStateChange']] as const) {
        expect(isUnavailable(serverError({ code, codeName })), codeName).to.equal(true);
      }
    });

    it('is false for errors a retry would not cure', () => {
      expect(isUnavailable(serverError({ code: 11000, codeName: 'DuplicateKey' }))).to.equal(false);
      expect(isUnavailable(serverError({ code: 2, codeName: 'BadValue' }))).to.equal(false);
      expect(isUnavailable(serverError({ code: 85, codeName: 'IndexOptionsConflict' }))).to.equal(false);
      expect(isUnavailable(new Error('a bug'))).to.equal(false);
      expect(isUnavailable(undefined)).to.equal(false);
    });

    it('makes guard answer StoreUnavailableError, and leave other errors alone', async () => {
      const stepDown = serverError({ code: 189, codeName: 'PrimarySteppedDown' });
      const caught = await guard(() => Promise.reject(stepDown)).catch((err: unknown) => err);
      expect(caught).to.be.instanceOf(StoreUnavailableError);
      expect((caught as Error).cause).to.equal(stepDown);
      const bad = serverError({ code: 2 });
      expect(await guard(() => Promise.reject(bad)).catch((err: unknown) => err)).to.equal(bad);
    });
  });

  describe('duplicate keys', () => {
    const fields = { email: 'email', _id: 'id' };

    it('names the field of the violated index from keyPattern', () => {
      expect(duplicateField(serverError({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: 'a@b.c' } }), fields, 'x')).to.equal('email');
      expect(duplicateField(serverError({ code: 11000, keyPattern: { _id: 1 }, keyValue: { _id: 'acct_1' } }), fields, 'x')).to.equal('id');
    });

    it('falls back when the server gives no keyPattern or an unlisted one', () => {
      expect(duplicateField(serverError({ code: 11000 }), fields, 'email')).to.equal('email');
      expect(duplicateField(serverError({ code: 11000, keyPattern: { hash: 1 } }), fields, 'api_key')).to.equal('api_key');
      expect(duplicateField(serverError({ code: 11000, keyPattern: { toString: 1 } }), fields, 'email')).to.equal('email');
    });

    it('makes uniquely throw DuplicateError with that field', async () => {
      const duplicate = serverError({ code: 11000, keyPattern: { _id: 1 } });
      const caught = await uniquely('email', () => Promise.reject(duplicate), fields).catch((err: unknown) => err);
      expect(caught).to.be.instanceOf(DuplicateError);
      expect((caught as DuplicateError).field).to.equal('id');
    });
  });

  describe('index conflicts', () => {
    it('are the options and key-spec conflicts, not other server errors', () => {
      expect(isIndexConflict(serverError({ code: 85, codeName: 'IndexOptionsConflict' }))).to.equal(true);
      expect(isIndexConflict(serverError({ code: 86, codeName: 'IndexKeySpecsConflict' }))).to.equal(true);
      expect(isIndexConflict(serverError({ code: 11000, codeName: 'DuplicateKey' }))).to.equal(false);
      expect(isIndexConflict(new MongoNetworkError('reset'))).to.equal(false);
    });
  });

  describe('grant revocation', () => {
    it('deletes from the models that carry a grantId, and only those', () => {
      expect([...GRANT_BOUND_MODELS].sort()).to.deep.equal([
        'AccessToken', 'AuthorizationCode', 'BackchannelAuthenticationRequest', 'DeviceCode', 'Interaction',
        'PreAuthorizedCode', 'RefreshRetry', 'RefreshToken',
      ]);
      for (const model of GRANT_BOUND_MODELS) expect(OIDC_MODELS).to.include(model);
      for (const model of ['Grant', 'Session', 'ClientCredentials', 'PortalSession', 'ReplayDetection', 'Client']) {
        expect(GRANT_BOUND_MODELS).not.to.include(model);
      }
    });
  });

  describe('client documents', () => {
    it('map a record to a document and back unchanged, secrets in every state', () => {
      const leaked = secretRecord({ revokedAt: new Date(1_700_000_000_000), revokedReason: 'reported leaked' });
      const overlapping = secretRecord({ expiresAt: new Date(1_800_000_000_000) });
      const client = newClient('acct_x', { secrets: [secretRecord(), overlapping, leaked], logoDigest: 'd', revision: 7 });
      expect(toClient(clientDocument(client))).to.deep.equal(client);
      const keyOnly = newClient('acct_x', { secretHash: undefined, secrets: [], jwks: { keys: [{ kty: 'EC' }] }, homepageUrl: undefined });
      const doc = clientDocument(keyOnly);
      expect(doc, 'no secretHash field: the unique index is partial on strings').not.to.have.property('secretHash');
      expect(toClient(doc)).to.deep.equal(keyOnly);
    });

    it('read a document from before schema version 5 with the same defaults as its migration, and nothing extra', () => {
      const createdAt = new Date(1_700_000_000_000);
      const old = {
        _id: 'client_old', accountId: 'acct_x', name: 'Old', type: 'web', environment: 'test', scopes: ['read:contacts'],
        redirectUris: ['https://old.example/cb'], authMethod: 'client_secret_basic', secretHash: 'hash', createdAt,
        deletedAt: null, stray: 'not part of the record',
      } as unknown as ClientDocument;
      expect(toClient(old)).to.deep.equal({
        id: 'client_old', accountId: 'acct_x', name: 'Old', type: 'web', environment: 'test', scopes: ['read:contacts'],
        redirectUris: ['https://old.example/cb'], postLogoutRedirectUris: [], authMethod: 'client_secret_basic', secretHash: 'hash', jwks: undefined,
        secrets: [{ id: legacySecretId('client_old'), hash: 'hash', last4: '', createdAt, expiresAt: undefined, revokedAt: undefined, revokedReason: undefined }],
        homepageUrl: undefined, logoDigest: undefined, resource: undefined, createdBy: 'cli', createdAt, updatedAt: createdAt, revision: 1,
      });
    });

    it('are updated without touching id, account, creator or creation time, unsetting what the record lacks', () => {
      const change = changeOf(newClient('acct_x', { secretHash: undefined, secrets: [], jwks: undefined, revision: 3 }));
      for (const field of ['_id', 'accountId', 'createdBy', 'createdAt', 'deletedAt']) expect(change.$set).not.to.have.property(field);
      expect(change.$set.revision).to.equal(3);
      expect(change.$unset).to.deep.equal({ secretHash: '', jwks: '' });
      const withSecret = changeOf(newClient('acct_x'));
      expect(withSecret.$set.secretHash).to.be.a('string');
      expect(withSecret.$unset).to.deep.equal({ jwks: '' });
    });
  });
});
