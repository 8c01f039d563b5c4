// Contract: the webhook outbox. Fan-out makes one delivery per subscribed webhook whatever the races;
// a claim leases a delivery to one worker; attempts are recorded only by the lease's owner; the log
// pages newest first; a Partner API change stores its event all or nothing.
import { expect } from 'chai';
import type { OutboxEvent, PartnerRecord, Store } from '../../../adapters/contract.ts';
import { DELIVERY_RETENTION_MS } from '../../../adapters/webhook-events.ts';
import { generateSortableId } from '../../../server/secrets.ts';
import { newAccount } from './fixtures.ts';
import { heard, listen, types } from './webhook-helpers.ts';

const later = (ms: number) => new Date(Date.now() + ms);

function outboxEvent(accountId: string, type = 'contact.created', environment: 'test' | 'live' = 'test'): OutboxEvent {
  return { id: generateSortableId('evt'), accountId, environment, type, data: { contact_id: generateSortableId('con') }, createdAt: new Date() };
}

export function outboxContract(store: () => Store): void {
  describe('webhook outbox', () => {
    let accountId: string;
    before(async () => { ({ accountId } = await newAccount(store())); });

    /** An event fanned out to a fresh webhook: its one pending delivery. */
    async function oneDelivery(): Promise<{ webhook: PartnerRecord; event: OutboxEvent }> {
      const webhook = await listen(store(), accountId, 'test');
      const event = outboxEvent(accountId);
      await store().enqueueEvent(event);
      await store().fanOutEvents(1000, new Date());
      return { webhook, event };
    }

    const deliveriesOf = (webhook: PartnerRecord) => store().listDeliveries(accountId, webhook.id, { limit: 100 });

    it('fans an event out once per webhook, however often and however many run it at once', async () => {
      const a = await listen(store(), accountId, 'test');
      const b = await listen(store(), accountId, 'test');
      const events = [outboxEvent(accountId), outboxEvent(accountId, 'contact.updated')];
      for (const event of events) await store().enqueueEvent(event);
      await Promise.all([1, 2, 3].map(() => store().fanOutEvents(1000, new Date())));
      await store().fanOutEvents(1000, new Date());
      for (const hook of [a, b]) {
        const deliveries = await deliveriesOf(hook);
        expect(deliveries.map((d) => d.eventId)).to.have.members(events.map((e) => e.id)).and.have.length(2);
        for (const d of deliveries) {
          expect(d).to.include({ webhookId: hook.id, accountId, environment: 'test', status: 'pending', attempts: 0 });
          expect(d.id).to.match(/^msg_/);
          expect(d.lastAttemptAt).to.equal(undefined);
        }
      }
      expect(await store().fanOutEvents(1000, new Date()), 'nothing left').to.equal(0);
    });

    it('two parallel claims never hold the same delivery', async () => {
      for (let i = 0; i < 6; i += 1) await oneDelivery();
      const [first, second] = await Promise.all(['w1', 'w2'].map((owner) => store().claimDeliveries(owner, new Date(), later(60_000), 4)));
      const ids = [...first!, ...second!].map((c) => c.delivery.id);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(ids.length).to.be.at.least(6);
    });

    it('gives the claim its event and webhook; an expired lease may be claimed again; only the owner records an attempt', async () => {
      const { webhook, event } = await oneDelivery();
      const mine = (await store().claimDeliveries('w1', new Date(), later(1000), 100_000)).find((c) => c.webhook.id === webhook.id)!;
      expect(mine.event).to.deep.equal(event);
      expect(mine.webhook).to.deep.equal(webhook);
      expect((await store().claimDeliveries('w2', new Date(), later(60_000), 100_000)).map((c) => c.delivery.id), 'leased')
        .not.to.include(mine.delivery.id);
      const again = await store().claimDeliveries('w2', later(2000), later(60_000), 100_000);
      expect(again.map((c) => c.delivery.id), 'lease expired').to.include(mine.delivery.id);
      const outcome = { at: new Date(), statusCode: 200, error: undefined, status: 'delivered' as const };
      expect(await store().recordAttempt(mine.delivery.id, 'w1', outcome), 'former owner').to.equal(false);
      expect((await deliveriesOf(webhook))[0]).to.include({ status: 'pending', attempts: 0 });
      expect(await store().recordAttempt(mine.delivery.id, 'w2', outcome)).to.equal(true);
      const [done] = await deliveriesOf(webhook);
      expect(done).to.include({ status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: undefined });
      expect(done!.deliveredAt!.getTime()).to.equal(outcome.at.getTime());
      expect(await store().recordAttempt(mine.delivery.id, 'w2', outcome), 'lease freed').to.equal(false);
      expect((await store().claimDeliveries('w3', later(120_000), later(180_000), 100_000)).map((c) => c.delivery.id), 'delivered')
        .not.to.include(mine.delivery.id);
    });

    it('a retry is due at its nextAttemptAt, and a failure for good is never claimed again', async () => {
      const { webhook } = await oneDelivery();
      const claim = async (owner: string, at: Date) => (await store().claimDeliveries(owner, at, new Date(at.getTime() + 60_000), 100_000))
        .find((c) => c.webhook.id === webhook.id);
      const first = (await claim('w1', new Date()))!;
      const retryAt = later(30_000);
      expect(await store().recordAttempt(first.delivery.id, 'w1', { at: new Date(), statusCode: 503, error: undefined, status: 'pending', nextAttemptAt: retryAt })).to.equal(true);
      expect(await claim('w2', new Date()), 'not yet due').to.equal(undefined);
      const second = (await claim('w2', retryAt))!;
      expect(second.delivery).to.include({ attempts: 1, lastStatusCode: 503, status: 'pending' });
      expect(await store().recordAttempt(second.delivery.id, 'w2', { at: new Date(), statusCode: undefined, error: 'connection refused', status: 'failed' })).to.equal(true);
      expect((await deliveriesOf(webhook))[0]).to.include({ status: 'failed', attempts: 2, lastStatusCode: undefined, lastError: 'connection refused' });
      expect(await claim('w3', later(10 * 24 * 3600_000)), 'failed').to.equal(undefined);
    });

    it("lists a webhook's deliveries newest first, a page at a time, and only that account's", async () => {
      const webhook = await listen(store(), accountId, 'test');
      for (let i = 0; i < 5; i += 1) {
        await store().enqueueEvent(outboxEvent(accountId));
        await store().fanOutEvents(1000, new Date());
      }
      const all = await deliveriesOf(webhook);
      expect(all).to.have.length(5);
      expect(all.map((d) => d.id)).to.deep.equal(all.map((d) => d.id).sort().reverse());
      const first = await store().listDeliveries(accountId, webhook.id, { limit: 2 });
      const next = await store().listDeliveries(accountId, webhook.id, { limit: 2, before: first.at(-1)!.id });
      expect([...first, ...next].map((d) => d.id)).to.deep.equal(all.slice(0, 4).map((d) => d.id));
      expect(await store().listDeliveries((await newAccount(store())).accountId, webhook.id, { limit: 10 }), 'another account').to.deep.equal([]);
      expect(await store().listDeliveries(accountId, webhook.id, { limit: 0 })).to.deep.equal([]);
    });

    it('sweeps finished deliveries 30 days after their last attempt, and keeps pending and recent ones', async () => {
      const webhook = await listen(store(), accountId, 'test');
      const monthAgo = new Date(Date.now() - DELIVERY_RETENTION_MS - 60_000);
      for (let i = 0; i < 3; i += 1) await store().enqueueEvent(outboxEvent(accountId));
      await store().fanOutEvents(1000, monthAgo);
      const mine = (await store().claimDeliveries('w1', new Date(), later(60_000), 100_000)).filter((c) => c.webhook.id === webhook.id);
      expect(mine).to.have.length(3);
      const [old, recent, pending] = mine.map((c) => c.delivery.id);
      await store().recordAttempt(old!, 'w1', { at: monthAgo, statusCode: 200, error: undefined, status: 'delivered' });
      await store().recordAttempt(recent!, 'w1', { at: new Date(), statusCode: 410, error: undefined, status: 'failed' });
      await store().recordAttempt(pending!, 'w1', { at: monthAgo, statusCode: 500, error: undefined, status: 'pending', nextAttemptAt: later(60_000) });
      expect(await store().sweepExpired()).to.be.at.least(1);
      expect((await deliveriesOf(webhook)).map((d) => d.id)).to.have.members([recent, pending]).and.have.length(2);
    });

    describe('records stored with an event (RecordsAlong)', () => {
      const contact = (environment: 'test' | 'live' = 'test'): PartnerRecord => {
        const at = new Date();
        return { id: generateSortableId('con'), kind: 'contact', accountId, environment, data: { name: 'Ada' }, createdAt: at, updatedAt: at };
      };
      const logEntry = (): PartnerRecord => ({ ...contact(), id: generateSortableId('ev'), kind: 'event', data: { type: 'contact.created' } });
      const partition = (r: PartnerRecord) => ({ kind: r.kind, accountId: r.accountId, environment: r.environment });

      it('insert, update and delete store their records and event together', async () => {
        const webhook = await listen(store(), accountId, 'test');
        const record = contact();
        const entries = [logEntry(), logEntry(), logEntry()];
        await store().insertRecord(record, { records: [entries[0]!], event: outboxEvent(accountId, 'contact.created') });
        expect(await store().updateRecord(partition(record), record.id, { name: 'Grace' }, new Date(),
          { records: [entries[1]!], event: outboxEvent(accountId, 'contact.updated') })).to.include({ id: record.id });
        expect(await store().deleteRecord(partition(record), record.id, { records: [entries[2]!], event: outboxEvent(accountId, 'contact.deleted') })).to.equal(true);
        for (const entry of entries) expect(await store().findRecord(partition(entry), entry.id)).to.deep.equal(entry);
        expect(types(await heard(store(), webhook))).to.deep.equal(['contact.created', 'contact.updated', 'contact.deleted']);
      });

      it('stores nothing of it when the record is missing, or when any part of the change fails', async () => {
        const webhook = await listen(store(), accountId, 'test');
        const missing = contact();
        const entry = logEntry();
        expect(await store().updateRecord(partition(missing), missing.id, {}, new Date(), { records: [entry], event: outboxEvent(accountId) })).to.equal(undefined);
        expect(await store().deleteRecord(partition(missing), missing.id, { records: [entry], event: outboxEvent(accountId) })).to.equal(false);
        const taken = logEntry();
        await store().insertRecord(taken);
        const record = contact();
        const failed = await store().insertRecord(record, { records: [taken], event: outboxEvent(accountId) }).then(() => undefined, (err: unknown) => err);
        expect(failed, 'a duplicate log entry').to.be.instanceOf(Error);
        expect(await store().findRecord(partition(record), record.id), 'the record').to.equal(undefined);
        expect(await store().findRecord(partition(entry), entry.id), 'the log entry').to.equal(undefined);
        expect(await heard(store(), webhook), 'no event').to.deep.equal([]);
      });
    });
  });
}
