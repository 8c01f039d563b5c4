// Contract: API keys with their audit events, and Partner API records.
import { expect } from 'chai';
import { DuplicateError, type ApiKeyRecord, type AuditEvent, type PartitionKey, type Store } from '../../../adapters/contract.ts';
import { generateSortableId, randomBase62 } from '../../../server/secrets.ts';

const id = (prefix: string) => `${prefix}_${randomBase62(12)}`;

export function apiKeyContract(store: () => Store): void {
  describe('API keys and audit events', () => {
    let accountId: string;
    const key = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
      id: id('key'), accountId, environment: 'test', name: 'CI', scopes: ['read:contacts'], hash: randomBase62(43),
      prefix: 'sk_test_', last4: 'abcd', createdBy: 'cli', createdAt: new Date(Math.floor(Date.now() / 1000) * 1000),
      expiresAt: undefined, revokedAt: undefined, revokedReason: undefined, replacedBy: undefined, replaces: undefined,
      lastUsedAt: undefined, grantId: undefined, ...overrides,
    });
    const event = (action: string, targetId: string): AuditEvent => ({
      id: generateSortableId('evt'), accountId, actor: 'cli', action, targetId, reason: undefined, at: new Date(),
    });
    before(async () => {
      accountId = id('acct');
      await store().createAccount({ id: accountId, name: 'Keys', createdAt: new Date() },
        { id: id('user'), accountId, email: `${randomBase62(8)}@example.com`.toLowerCase(), passwordHash: 'h', createdAt: new Date() });
    });

    it('stores a key with its audit event and finds it by id and by hash', async () => {
      const k = key();
      await store().createApiKey(k, event('api_key.created', k.id));
      expect(await store().findApiKey(k.id)).to.deep.equal(k);
      expect(await store().findApiKeyByHash(k.hash)).to.deep.equal(k);
      expect(await store().findApiKeyByHash(randomBase62(43))).to.equal(undefined);
      expect((await store().listApiKeys(accountId)).map((x) => x.id)).to.include(k.id);
      const events = await store().listAuditEvents(accountId, 10);
      expect(events[0]).to.deep.include({ action: 'api_key.created', targetId: k.id, actor: 'cli' });
    });

    it('filters the audit log by actions, actor and time, newest first, a page at a time', async () => {
      const account = id('acct');
      await store().createAccount({ id: account, name: 'Filters', createdAt: new Date() },
        { id: id('user'), accountId: account, email: `${randomBase62(8)}@example.com`.toLowerCase(), passwordHash: 'h', createdAt: new Date() });
      const t0 = Date.now() - 10_000;
      const at = (n: number, action: string, actor: string): AuditEvent => ({
        id: generateSortableId('evt'), accountId: account, actor, action, targetId: `t${n}`, reason: undefined, at: new Date(t0 + n * 1000),
      });
      for (const e of [at(1, 'api_key.created', 'user:a'), at(2, 'api_key.revoked', 'user:b'), at(3, 'client.created', 'user:a'), at(4, 'api_key.revoked', 'user:a')]) {
        await store().recordAuditEvent(e);
      }
      const targets = (events: AuditEvent[]) => events.map((e) => e.targetId);
      expect(targets(await store().listAuditEvents(account, 10, undefined, { actions: ['api_key.revoked'] }))).to.deep.equal(['t4', 't2']);
      expect(targets(await store().listAuditEvents(account, 10, undefined, { actor: 'user:a' }))).to.deep.equal(['t4', 't3', 't1']);
      expect(targets(await store().listAuditEvents(account, 10, undefined, { since: new Date(t0 + 2000), until: new Date(t0 + 4000) }))).to.deep.equal(['t3', 't2']);
      const first = await store().listAuditEvents(account, 1, undefined, { actor: 'user:a', actions: ['api_key.created', 'api_key.revoked'] });
      expect(targets(first)).to.deep.equal(['t4']);
      expect(targets(await store().listAuditEvents(account, 5, first[0]!.id, { actor: 'user:a', actions: ['api_key.created', 'api_key.revoked'] }))).to.deep.equal(['t1']);
    });

    it('refuses a second key with the same hash', async () => {
      const k = key();
      await store().createApiKey(k, event('api_key.created', k.id));
      try {
        await store().createApiKey(key({ hash: k.hash }), event('api_key.created', 'x'));
        expect.fail('duplicate hash must be refused');
      } catch (err) {
        expect(err).to.be.instanceOf(DuplicateError);
      }
    });

    it('rolls a key once: the old one gets its overlap, the new one is stored', async () => {
      const old = key();
      await store().createApiKey(old, event('api_key.created', old.id));
      const overlapEnd = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
      const next = key({ replaces: old.id });
      expect(await store().rollApiKey(old.id, overlapEnd, next, event('api_key.rolled', old.id))).to.equal(true);
      const after = await store().findApiKey(old.id);
      expect(after?.expiresAt?.getTime()).to.equal(overlapEnd.getTime());
      expect(after?.replacedBy).to.equal(next.id);
      expect((await store().findApiKey(next.id))?.replaces).to.equal(old.id);
      const again = key();
      expect(await store().rollApiKey(old.id, overlapEnd, again, event('api_key.rolled', old.id)), 'a rolled key cannot roll again').to.equal(false);
      expect(await store().findApiKey(again.id), 'nothing stored on refusal').to.equal(undefined);
    });

    it('keeps an earlier expiry when rolling', async () => {
      const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);
      const old = key({ expiresAt: soon });
      await store().createApiKey(old, event('api_key.created', old.id));
      await store().rollApiKey(old.id, new Date(soon.getTime() + 86_400_000), key(), event('api_key.rolled', old.id));
      expect((await store().findApiKey(old.id))?.expiresAt?.getTime()).to.equal(soon.getTime());
    });

    it('revokes once, with a reason', async () => {
      const k = key();
      await store().createApiKey(k, event('api_key.created', k.id));
      const at = new Date(Math.floor(Date.now() / 1000) * 1000);
      expect(await store().revokeApiKey(k.id, at, 'exposed in a URL', event('api_key.revoked', k.id))).to.equal(true);
      expect(await store().revokeApiKey(k.id, at, 'again', event('api_key.revoked', k.id))).to.equal(false);
      const found = await store().findApiKey(k.id);
      expect(found?.revokedAt?.getTime()).to.equal(at.getTime());
      expect(found?.revokedReason).to.equal('exposed in a URL');
      expect(await store().rollApiKey(k.id, new Date(), key(), event('api_key.rolled', k.id)), 'a revoked key cannot roll').to.equal(false);
      expect(await store().revokeApiKey(id('key'), at, 'nope', event('api_key.revoked', 'nope'))).to.equal(false);
    });

    it('pages keys in id order and counts the live ones', async () => {
      const own = id('acct');
      await store().createAccount({ id: own, name: 'Pages', createdAt: new Date() },
        { id: id('user'), accountId: own, email: `${randomBase62(8)}@example.com`.toLowerCase(), passwordHash: 'h', createdAt: new Date() });
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const k = key({ id: generateSortableId('key'), accountId: own });
        ids.push(k.id);
        await store().createApiKey(k, { ...event('api_key.created', k.id), accountId: own });
      }
      ids.sort(); // ids made in the same millisecond sort by their random part
      const first = await store().listApiKeys(own, { limit: 2 });
      expect(first.map((k) => k.id)).to.deep.equal(ids.slice(0, 2));
      expect((await store().listApiKeys(own, { limit: 2, after: first[1]!.id })).map((k) => k.id)).to.deep.equal(ids.slice(2, 4));
      expect((await store().listApiKeys(own)).map((k) => k.id)).to.deep.equal(ids);
      // A limit of 0 is an empty page on every store (MongoDB alone would read it as "no limit").
      expect(await store().listApiKeys(own, { limit: 0 }), 'limit 0').to.deep.equal([]);
      await store().revokeApiKey(ids[0]!, new Date(), 'x', { ...event('api_key.revoked', ids[0]!), accountId: own });
      expect(await store().countLiveApiKeys(own, new Date())).to.equal(4);
      expect(await store().countLiveApiKeys(own, new Date(Date.now() + 1000)), 'none expires').to.equal(4);
    });

    it("reads one key's events by target, newest first, page by page", async () => {
      const k = key();
      await store().createApiKey(k, event('api_key.created', k.id));
      // Many other events of the account must not push the key's history out of reach.
      for (let i = 0; i < 30; i += 1) await store().createApiKey(key(), event('api_key.created', `other_${i}`));
      for (let i = 0; i < 4; i += 1) {
        await store().touchApiKey(k.id, new Date());
        await store().revokeApiKey(id('missing'), new Date(), 'x', event('api_key.revoked', 'x'));
      }
      const revoked = event('api_key.revoked', k.id);
      await store().revokeApiKey(k.id, new Date(), 'done', revoked);
      const page1 = await store().listTargetEvents(accountId, k.id, { limit: 1 });
      expect(page1.map((e) => e.action)).to.deep.equal(['api_key.revoked']);
      const page2 = await store().listTargetEvents(accountId, k.id, { limit: 5, before: page1[0]!.id });
      expect(page2.map((e) => e.action)).to.deep.equal(['api_key.created']);
      expect(await store().listTargetEvents(accountId, k.id, { limit: 5, before: page2[0]!.id })).to.deep.equal([]);
      expect(await store().listTargetEvents(id('acct'), k.id, { limit: 5 }), 'another account').to.deep.equal([]);
      expect(await store().listTargetEvents(accountId, k.id, { limit: 0 }), 'limit 0').to.deep.equal([]);
      expect(await store().listAuditEvents(accountId, 0), 'limit 0').to.deep.equal([]);
    });

    it("pages the account's events newest first with `before`, keeping each event's detail", async () => {
      const own = id('acct');
      // Ids made in order (sortable ids of one millisecond order by their random part).
      const stamp = Date.now();
      const events: AuditEvent[] = Array.from({ length: 5 }, (_, i) => ({
        ...event('consent.granted', `grant_${i}`), accountId: own, id: `evt_${stamp}_${i}`,
        ...(i % 2 === 0 ? { detail: { client: `App ${i}`, scopes: 'read:contacts offline_access' } } : {}),
      }));
      for (const e of events) await store().recordAuditEvent(e);
      await store().recordAuditEvent({ ...event('consent.granted', 'elsewhere'), accountId: id('acct') });
      const newestFirst = [...events].reverse();
      const page1 = await store().listAuditEvents(own, 2);
      expect(page1).to.deep.equal(newestFirst.slice(0, 2));
      expect(page1[0]!.detail).to.deep.equal({ client: 'App 4', scopes: 'read:contacts offline_access' });
      expect(page1[1]!.detail, 'none stored, none read').to.equal(undefined);
      const page2 = await store().listAuditEvents(own, 2, page1[1]!.id);
      expect(page2).to.deep.equal(newestFirst.slice(2, 4));
      expect(await store().listAuditEvents(own, 2, page2[1]!.id)).to.deep.equal(newestFirst.slice(4));
      expect(await store().listAuditEvents(own, 2, events[0]!.id), 'nothing older than the oldest').to.deep.equal([]);
      expect(await store().listAuditEvents(own, 0, page1[0]!.id), 'limit 0').to.deep.equal([]);
    });

    it('records the last use, never moving it backwards', async () => {
      const k = key();
      await store().createApiKey(k, event('api_key.created', k.id));
      const later = new Date(Math.floor(Date.now() / 1000) * 1000 + 5000);
      await store().touchApiKey(k.id, later);
      await store().touchApiKey(k.id, new Date(later.getTime() - 1000));
      expect((await store().findApiKey(k.id))?.lastUsedAt?.getTime()).to.equal(later.getTime());
    });
  });
  describe('Partner API records', () => {
    const partition = (overrides: Partial<PartitionKey> = {}): PartitionKey => ({ kind: 'contact', accountId: 'acct_records', environment: 'test', ...overrides });

    it('keeps records in their partition (account, environment, kind)', async () => {
      const p = partition({ accountId: id('acct') });
      const record = { ...p, id: generateSortableId('ct'), data: { name: 'Ada' }, createdAt: new Date(1_700_000_000_000), updatedAt: new Date(1_700_000_000_000) };
      await store().insertRecord(record);
      expect(await store().findRecord(p, record.id)).to.deep.equal(record);
      expect(await store().findRecord({ ...p, environment: 'live' }, record.id), 'other environment').to.equal(undefined);
      expect(await store().findRecord({ ...p, accountId: id('acct') }, record.id), 'other account').to.equal(undefined);
      expect(await store().findRecord({ ...p, kind: 'webhook' }, record.id), 'other kind').to.equal(undefined);
      expect(await store().deleteRecord({ ...p, environment: 'live' }, record.id)).to.equal(false);
      expect(await store().updateRecord({ ...p, accountId: id('acct') }, record.id, { name: 'Eve' }, new Date())).to.equal(undefined);
    });

    it('keeps webhooks apart from the records, per account and environment, and finds, pages, changes and deletes them', async () => {
      const place = { accountId: id('acct'), environment: 'live' as const };
      const at = new Date(1_700_000_000_000);
      const hooks = [1, 2, 3].map((n) => ({ kind: 'webhook' as const, ...place, id: generateSortableId('wh'), data: { url: `https://h${n}.example`, events: ['api_key.revoked'] }, createdAt: at, updatedAt: at }));
      for (const hook of hooks) await store().insertWebhook(hook);
      expect(await store().findWebhook(place, hooks[0]!.id)).to.deep.equal(hooks[0]);
      expect(await store().findRecord({ kind: 'webhook', ...place }, hooks[0]!.id), 'not a Partner API record').to.equal(undefined);
      expect(await store().findWebhook({ ...place, environment: 'test' }, hooks[0]!.id), 'other environment').to.equal(undefined);
      expect((await store().listWebhooks(place, { limit: 2, after: hooks[0]!.id })).map((h) => h.id)).to.deep.equal([hooks[1]!.id, hooks[2]!.id]);
      const changed = await store().updateWebhook(place, hooks[1]!.id, { url: 'https://changed.example', events: [] }, new Date(1_700_000_100_000));
      expect(changed?.data.url).to.equal('https://changed.example');
      expect(await store().updateWebhook({ ...place, accountId: id('acct') }, hooks[1]!.id, {}, new Date())).to.equal(undefined);
      expect(await store().deleteWebhook(place, hooks[2]!.id)).to.equal(true);
      expect(await store().deleteWebhook(place, hooks[2]!.id)).to.equal(false);
      expect((await store().listWebhooks(place, { limit: 10 })).map((h) => h.id)).to.deep.equal([hooks[0]!.id, hooks[1]!.id]);
    });

    it('updates and deletes', async () => {
      const p = partition({ accountId: id('acct') });
      const created = new Date(1_700_000_000_000);
      const record = { ...p, id: generateSortableId('ct'), data: { name: 'Ada' }, createdAt: created, updatedAt: created };
      await store().insertRecord(record);
      const updated = await store().updateRecord(p, record.id, { name: 'Ada L.' }, new Date(1_700_000_100_000));
      expect(updated?.data).to.deep.equal({ name: 'Ada L.' });
      expect(updated?.updatedAt.getTime()).to.equal(1_700_000_100_000);
      expect(await store().deleteRecord(p, record.id)).to.equal(true);
      expect(await store().findRecord(p, record.id)).to.equal(undefined);
    });

    it('pages in id order', async () => {
      const p = partition({ accountId: id('acct') });
      const ids: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        const recordId = `ct_${String(i).padStart(4, '0')}`;
        ids.push(recordId);
        await store().insertRecord({ ...p, id: recordId, data: { i }, createdAt: new Date(), updatedAt: new Date() });
      }
      const first = await store().listRecords(p, { limit: 3 });
      expect(first.map((r) => r.id)).to.deep.equal(ids.slice(0, 3));
      const second = await store().listRecords(p, { limit: 3, after: first[2]!.id });
      expect(second.map((r) => r.id)).to.deep.equal(ids.slice(3, 6));
      const last = await store().listRecords(p, { limit: 3, after: second[2]!.id });
      expect(last.map((r) => r.id)).to.deep.equal(ids.slice(6));
      expect(await store().listRecords(p, { limit: 0 }), 'limit 0').to.deep.equal([]);
    });
  });
}
