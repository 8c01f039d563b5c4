// The webhooks domain of both stores: webhooks are rows (documents) shaped as Partner API records of
// kind `webhook`, in a table (collection) of their own; each store hands in its records code on that
// table, and this delegation is written once.
import type { PartnerDataStore, PartnerRecord, WebhookPlace, WebhookStore } from './contract.ts';

export function webhooksOn(rows: PartnerDataStore): WebhookStore {
  const partition = (place: WebhookPlace) => ({ kind: 'webhook' as const, accountId: place.accountId, environment: place.environment });
  return {
    insertWebhook: (webhook: PartnerRecord) => rows.insertRecord(webhook),
    findWebhook: (place, id) => rows.findRecord(partition(place), id),
    listWebhooks: (place, page) => rows.listRecords(partition(place), page),
    updateWebhook: (place, id, data, at) => rows.updateRecord(partition(place), id, data, at),
    deleteWebhook: (place, id) => rows.deleteRecord(partition(place), id),
    listAllWebhooks: (page) => rows.listAllRecords('webhook', page),
  };
}
