// The MongoDB store's decisions about leases, migrations and writes of unknown outcome that need no
// server (issue 21, defects 5 and 7). The behaviours themselves run against a server in
// mongodb-migrations.test.ts and the MongoDB contract run (MONGODB_URI).
import { expect } from 'chai';
import { MongoNetworkError, MongoServerError, MongoWriteConcernError } from 'mongodb';
import { mayHaveApplied } from '../../adapters/mongodb/connection.ts';
import { leaseIsFree } from '../../adapters/mongodb/lease.ts';
import { INDEXES, oidcModelIndexes } from '../../adapters/mongodb/indexes.ts';
import { MIGRATIONS, RETIRED_INDEXES, SCHEMA_VERSION, waitingNotice } from '../../adapters/mongodb/migrations.ts';

const wtimeout = () => new MongoWriteConcernError({
  writeConcernError: { code: 64, codeName: 'WriteConcernTimeout', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } },
  ok: 1,
});

describe('MongoDB store: leases, migrations and writes of unknown outcome', () => {
  describe('mayHaveApplied: a consume that failed but may have been written (issue 21, defect 7)', () => {
    it('is true for a write concern timeout (written on the primary, majority not confirmed) and a lost connection', () => {
      expect(mayHaveApplied(wtimeout())).to.equal(true);
      expect(mayHaveApplied(new MongoNetworkError('connection reset'))).to.equal(true);
      const commit = new MongoServerError({ code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit' });
      commit.addErrorLabel('UnknownTransactionCommitResult');
      expect(mayHaveApplied(commit)).to.equal(true);
    });

    it('is false for an error the server raised before writing: not primary, a duplicate, a bad query', () => {
      expect(mayHaveApplied(new MongoServerError({ code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' }))).to.equal(false);
      expect(mayHaveApplied(new MongoServerError({ code: 11000, errmsg: 'duplicate key' }))).to.equal(false);
      expect(mayHaveApplied(new Error('anything else'))).to.equal(false);
    });
  });

  describe('leases', () => {
    it('a lease is free when there is none or its time is up, and held until then', () => {
      const now = new Date('2026-12-07T10:00:00Z');
      expect(leaseIsFree(null, now)).to.equal(true);
      expect(leaseIsFree({ expiresAt: new Date('2026-12-07T09:59:59Z') }, now)).to.equal(true);
      expect(leaseIsFree({ expiresAt: now }, now)).to.equal(true);
      expect(leaseIsFree({ expiresAt: new Date('2026-12-07T10:00:01Z') }, now)).to.equal(false);
    });
  });

  describe('waiting for another instance to migrate (issue 21, defect 7)', () => {
    it('says from which version to which, who holds the lock, for how long, and until when it is renewed', () => {
      const now = new Date('2026-12-07T10:00:00Z');
      const holder = { _id: 'migrate', owner: 'x', term: 2, since: new Date('2026-12-07T09:58:20Z'), expiresAt: new Date('2026-12-07T10:00:25Z') };
      const notice = waitingNotice('latchkey', 3, holder, now);
      expect(notice).to.include('"latchkey"').and.include(`from schema version 3 to ${SCHEMA_VERSION}`)
        .and.include('for 100 s').and.include('2026-12-07T10:00:25.000Z');
      expect(waitingNotice('latchkey', 3, null, now)).to.include('free');
      // A lock written by the first release has no `since`: still a sentence.
      expect(waitingNotice('latchkey', 0, { _id: 'migrate', owner: 'x', expiresAt: new Date('2026-12-07T10:00:25Z') }, now))
        .to.include('another instance holds the migration lock, renewed until');
    });

    it('versions are in order, unique and never reused, so a database records each once', () => {
      const versions = MIGRATIONS.map((m) => m.version);
      expect(versions).to.deep.equal([...versions].sort((a, b) => a - b));
      expect(new Set(versions).size).to.equal(versions.length);
      expect(SCHEMA_VERSION).to.equal(versions.at(-1));
    });
  });

  describe('indexes nothing queries (issue 21, defect 7)', () => {
    it('each oidc model keeps only the look-ups made on it', () => {
      const names = (model: Parameters<typeof oidcModelIndexes>[0]) => oidcModelIndexes(model).map((index) => index.name);
      expect(names('Session')).to.deep.equal(['ttl', 'uid']);
      expect(names('DeviceCode')).to.deep.equal(['ttl', 'grantId', 'userCode']);
      expect(names('RefreshToken')).to.deep.equal(['ttl', 'grantId']);
      expect(names('Grant')).to.deep.equal(['ttl', 'accountClient', 'grantExp', 'clientId']);
      expect(names('ClientCredentials')).to.deep.equal(['ttl']);
    });

    it('version 8 drops only indexes no longer declared, so boot never drops and rebuilds one', () => {
      for (const [collection, retired] of Object.entries(RETIRED_INDEXES)) {
        const declared = (INDEXES[collection] ?? []).map((index) => index.name);
        for (const name of retired) expect(declared, `${collection}.${name}`).not.to.include(name);
      }
      expect(RETIRED_INDEXES.api_keys).to.deep.equal(['accountId']);
      expect(RETIRED_INDEXES.oidc_Session).to.deep.equal(['grantId', 'userCode', 'accountClient']);
      expect(MIGRATIONS.find((m) => m.version === 8)?.name).to.equal('drop indexes nothing queries');
    });
  });
});
