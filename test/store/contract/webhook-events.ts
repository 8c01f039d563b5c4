// Contract: every audited change that tells webhooks stores its events in the same call, and a
// refused change stores none (adapters/webhook-events.ts says which events).
import { expect } from 'chai';
import type { Store } from '../../../adapters/contract.ts';
import { randomBase62 } from '../../../server/secrets.ts';
import { auditEvent, id, newAccount, newApiKey, newClient, second, secretRecord } from './fixtures.ts';
import { heard, listen, types } from './webhook-helpers.ts';

export function webhookEventContract(store: () => Store): void {
  describe('webhook events recorded with their cause', () => {
    let accountId: string;
    before(async () => { ({ accountId } = await newAccount(store())); });

    it('api_key.revoked with the key id, name and reason; none when the key was already revoked; none for a creation', async () => {
      const webhook = await listen(store(), accountId, 'test');
      const key = newApiKey(accountId, { name: 'Deploy' });
      await store().createApiKey(key, auditEvent(accountId, 'api_key.created', key.id));
      expect(await heard(store(), webhook), 'creation').to.deep.equal([]);
      const event = auditEvent(accountId, 'api_key.revoked', key.id, { reason: 'no longer needed' });
      expect(await store().revokeApiKey(key.id, new Date(), 'no longer needed', event)).to.equal(true);
      expect(await heard(store(), webhook)).to.deep.equal([{
        type: 'api_key.revoked', accountId, environment: 'test', data: { api_key_id: key.id, name: 'Deploy', reason: 'no longer needed' },
      }]);
      const again = auditEvent(accountId, 'api_key.revoked', key.id, { reason: 'again' });
      expect(await store().revokeApiKey(key.id, new Date(), 'again', again)).to.equal(false);
      expect(await heard(store(), webhook), 'refused revocation').to.deep.equal([]);
    });

    for (const reason of ['exposed in a URL', 'reported_leaked']) {
      it(`api_key.revoked and api_key.exposed for a key revoked as "${reason}"`, async () => {
        const webhook = await listen(store(), accountId, 'live');
        const key = newApiKey(accountId, { environment: 'live' });
        await store().createApiKey(key, auditEvent(accountId, 'api_key.created', key.id));
        await store().revokeApiKey(key.id, new Date(), reason, auditEvent(accountId, 'api_key.revoked', key.id, { reason }));
        const events = await heard(store(), webhook);
        expect(types(events)).to.have.members(['api_key.revoked', 'api_key.exposed']).and.have.length(2);
        for (const e of events) expect(e.data).to.deep.equal({ api_key_id: key.id, name: 'CI', reason });
      });
    }

    it('api_key.rolled with the old key, its successor and the overlap end; none for a refused roll', async () => {
      const webhook = await listen(store(), accountId, 'test');
      const old = newApiKey(accountId);
      await store().createApiKey(old, auditEvent(accountId, 'api_key.created', old.id));
      const overlapEnd = second(3_600_000);
      const next = newApiKey(accountId, { replaces: old.id });
      expect(await store().rollApiKey(old.id, overlapEnd, next, auditEvent(accountId, 'api_key.rolled', old.id))).to.equal(true);
      expect(await heard(store(), webhook)).to.deep.equal([{
        type: 'api_key.rolled', accountId, environment: 'test',
        data: { api_key_id: old.id, replaced_by: next.id, overlap_ends_at: overlapEnd.toISOString() },
      }]);
      const third = newApiKey(accountId, { replaces: old.id });
      expect(await store().rollApiKey(old.id, overlapEnd, third, auditEvent(accountId, 'api_key.rolled', old.id))).to.equal(false);
      expect(await heard(store(), webhook), 'refused roll').to.deep.equal([]);
    });

    it('client_secret.rotated with the new secret id, plus client_secret.exposed when marked leaked; none when refused', async () => {
      const webhook = await listen(store(), accountId, 'live');
      const client = newClient(accountId);
      await store().createClient(client, auditEvent(accountId, 'client.created', client.id));
      const fresh = secretRecord();
      const rotated = { ...client, secrets: [fresh, ...client.secrets], secretHash: fresh.hash, revision: 2 };
      expect(await store().updateClient(rotated, 1, auditEvent(accountId, 'client.secret_rotated', client.id))).to.equal(true);
      expect(await heard(store(), webhook)).to.deep.equal([{
        type: 'client_secret.rotated', accountId, environment: 'live', data: { client_id: client.id, secret_id: fresh.id },
      }]);
      const stale = { ...rotated, revision: 2 };
      expect(await store().updateClient(stale, 1, auditEvent(accountId, 'client.secret_rotated', client.id)), 'stale').to.equal(false);
      expect(await heard(store(), webhook), 'refused rotation').to.deep.equal([]);
      const leakedFresh = secretRecord();
      const leaked = { ...rotated, secrets: [leakedFresh, { ...fresh, revokedAt: second(), revokedReason: 'reported_leaked' }], revision: 3 };
      const event = auditEvent(accountId, 'client.secret_rotated', client.id, { detail: { leaked: 'true' } });
      expect(await store().updateClient(leaked, 2, event)).to.equal(true);
      expect(await heard(store(), webhook)).to.have.deep.members([
        { type: 'client_secret.rotated', accountId, environment: 'live', data: { client_id: client.id, secret_id: leakedFresh.id } },
        { type: 'client_secret.exposed', accountId, environment: 'live', data: { client_id: client.id, secret_id: fresh.id } },
      ]);
    });

    it('client_secret.exposed for a client.secret_revoked event (the leak intake), and nothing for other recorded events', async () => {
      const webhook = await listen(store(), accountId, 'live');
      const client = newClient(accountId);
      await store().createClient(client, auditEvent(accountId, 'client.created', client.id));
      const secretId = client.secrets[0]!.id;
      await store().recordAuditEvent(auditEvent(accountId, 'client.secret_revoked', client.id, { reason: 'reported leaked', detail: { secret_id: secretId } }));
      await store().recordAuditEvent(auditEvent(accountId, 'consent.granted', client.id));
      expect(await heard(store(), webhook)).to.deep.equal([
        { type: 'client_secret.exposed', accountId, environment: 'live', data: { client_id: client.id, secret_id: secretId } },
      ]);
    });

    describe('grant deaths', () => {
      let partner: string;
      let customer: string;
      let userId: string;
      let clientId: string;
      before(async () => {
        partner = (await newAccount(store(), 'Partner')).accountId;
        ({ accountId: customer, userId } = await newAccount(store(), 'Customer'));
        clientId = id('client');
        await store().createClient(newClient(partner, { id: clientId, environment: 'test' }), undefined);
      });

      async function grant(): Promise<string> {
        const grantId = id('grant');
        await store().oidc.upsert('Grant', grantId, { accountId: userId, clientId, exp: Math.floor(Date.now() / 1000) + 3600 }, 3600);
        await store().oidc.upsert('RefreshToken', id('rt'), { grantId, accountId: userId, clientId }, 600);
        return grantId;
      }

      const cases = [
        ['revoked_by_user', 'connected_app.revoked', (g: string) => ({ grant_id: g, client_id: clientId, user_id: userId })],
        ['reused', 'refresh_token.reuse_detected', (g: string) => ({ grant_id: g, client_id: clientId })],
      ] as const;
      for (const [reason, type, data] of cases) {
        it(`${reason}: ${type} once, to the client owner's account in the client's environment`, async () => {
          const partnerHook = await listen(store(), partner, 'test');
          const partnerLive = await listen(store(), partner, 'live');
          const customerHook = await listen(store(), customer, 'test');
          const grantId = await grant();
          const revocation = { reason, actor: `user:${userId}`, at: new Date() };
          expect(await store().oidc.revokeByGrantId(grantId, revocation)).to.equal(true);
          expect(await store().oidc.revokeByGrantId(grantId, revocation), 'nothing left').to.equal(false);
          expect(await heard(store(), partnerHook)).to.deep.equal([{ type, accountId: partner, environment: 'test', data: data(grantId) }]);
          expect(await heard(store(), partnerLive), 'other environment').to.deep.equal([]);
          expect(await heard(store(), customerHook), "the user's account").to.deep.equal([]);
        });
      }

      it('other reasons tell nothing about the grant; a bound API key revoked with it tells api_key.revoked', async () => {
        const hook = await listen(store(), partner, 'test');
        const grantId = await grant();
        const key = newApiKey(partner, { grantId, name: 'Bound' });
        await store().createApiKey(key, auditEvent(partner, 'api_key.created', key.id));
        expect(await store().oidc.revokeByGrantId(grantId, { reason: 'revoked_by_client', actor: 'cli', at: new Date() })).to.equal(true);
        const events = await heard(store(), hook);
        expect(types(events)).to.deep.equal(['api_key.revoked']);
        expect(events[0]!.data.api_key_id).to.equal(key.id);
      });
    });

    it('only webhooks of the account and environment subscribed to the type and not disabled hear it', async () => {
      const other = (await newAccount(store())).accountId;
      const subscribed = await listen(store(), accountId, 'test');
      const elsewhere = await listen(store(), other, 'test');
      const live = await listen(store(), accountId, 'live');
      const narrow = await listen(store(), accountId, 'test', { events: ['contact.created'] });
      const disabled = await listen(store(), accountId, 'test', { disabled_at: new Date().toISOString() });
      const key = newApiKey(accountId, { name: randomBase62(6) });
      await store().createApiKey(key, auditEvent(accountId, 'api_key.created', key.id));
      await store().revokeApiKey(key.id, new Date(), 'r', auditEvent(accountId, 'api_key.revoked', key.id, { reason: 'r' }));
      expect(types(await heard(store(), subscribed))).to.deep.equal(['api_key.revoked']);
      for (const hook of [elsewhere, live, narrow, disabled]) expect(await heard(store(), hook), hook.id).to.deep.equal([]);
    });
  });
}
