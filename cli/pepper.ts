// `latchkey pepper status` and `pepper rotate`. Status: the peppers in force (ids only, never a
// pepper), how many unrevoked API keys and working client secrets still have hashes under each, and
// whether values may still be sealed under it: a pepper may leave LATCHKEY_PEPPER once none is left.
// Rotate: a generated pepper gets a new one first (running instances take it within seconds); then
// the values sealed under an older pepper (webhook signing secrets, two-factor secrets, pending mail)
// are sealed again under the current one.
import { randomBytes } from 'node:crypto';
import type { Store } from '../adapters/contract.ts';
import { LatchkeyError } from '../config/errors.ts';
import type { Settings } from '../config/settings.ts';
import { resealTotpSecret } from '../server/accounts/two-factor.ts';
import { ensureOperatorAccount } from '../server/clients/resource-servers.ts';
import { loadKeyMaterial, parsePepper } from '../server/keys.ts';
import { MailSealer } from '../server/mail/messages.ts';
import { hashesByPepper, recordResealed, sealedUnder } from '../server/pepper-retirement.ts';
import { consoleLogger } from '../server/log.ts';
import { generateSortableId, type Pepper } from '../server/secrets.ts';
import { openSigningSecret, sealSigningSecret } from '../server/webhooks/secrets.ts';

const PAGE = 100;

async function status(store: Store, settings: Settings, pepper: Pepper) {
  const { apiKeys, clientSecrets } = await hashesByPepper(store);
  const sealed = await sealedUnder(store);
  const ids = [...new Set([...pepper.ids, ...Object.keys(apiKeys), ...Object.keys(clientSecrets), ...sealed])];
  return {
    given: settings.secrets.pepper !== undefined ? 'LATCHKEY_PEPPER' : 'generated and kept in the store',
    current: pepper.currentId,
    peppers: ids.map((id) => ({
      id, in_force: pepper.ids.includes(id), current: id === pepper.currentId,
      api_key_hashes: apiKeys[id] ?? 0, client_secret_hashes: clientSecrets[id] ?? 0, may_have_sealed_values: sealed.includes(id),
      may_be_retired: id !== pepper.currentId && (apiKeys[id] ?? 0) + (clientSecrets[id] ?? 0) === 0 && !sealed.includes(id),
    })),
  };
}

export async function runPepperStatus(store: Store, settings: Settings): Promise<Record<string, unknown>> {
  const { pepper } = await loadKeyMaterial(settings, store, consoleLogger);
  return { object: 'pepper_status', ...await status(store, settings, pepper) };
}

/** A generated pepper: a new one, first, with the next free number for an id. */
async function addGeneratedPepper(store: Store): Promise<{ id: string; pepper: Pepper }> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const raw = await store.findSecret('pepper');
    if (raw === undefined) throw new LatchkeyError('conflict', 'the store keeps no pepper to rotate');
    const current = parsePepper(raw, 'pepper');
    const id = String(Math.max(0, ...current.ids.map(Number).filter(Number.isInteger)) + 1);
    const entries = raw.includes(':') ? raw : `1:${raw}`;
    const next = `${id}:${randomBytes(32).toString('base64url')},${entries}`;
    if (await store.replaceSecret('pepper', raw, next)) return { id, pepper: parsePepper(next, 'pepper') };
  }
  throw new LatchkeyError('conflict', 'the pepper kept changing under this command; run it again');
}

/** Seals every webhook signing secret, two-factor secret and pending mail again under the current pepper. */
async function reseal(store: Store, pepper: Pepper): Promise<{ webhooks: number; users: number; mails: number; unreadable: number }> {
  let webhooks = 0;
  let users = 0;
  let mails = 0;
  let unreadable = 0;
  for (let after: string | undefined, page; (page = await store.listAllWebhooks({ limit: PAGE, after })).length > 0; after = page.at(-1)!.id) {
    for (const webhook of page) {
      const secret = openSigningSecret(pepper, webhook.id, webhook.data.signing_secret);
      if (secret === undefined) { unreadable += 1; continue; }
      const place = { accountId: webhook.accountId, environment: webhook.environment };
      await store.updateWebhook(place, webhook.id, { ...webhook.data, signing_secret: sealSigningSecret(pepper, webhook.id, secret) }, webhook.updatedAt);
      webhooks += 1;
    }
  }
  for (let after: string | undefined, page; (page = await store.listUsersWithTwoFactor({ limit: PAGE, after })).length > 0; after = page.at(-1)!.id) {
    for (const user of page) {
      const sealedSecret = resealTotpSecret(pepper, user);
      if (!sealedSecret || !user.totp) { unreadable += 1; continue; }
      await store.updateUser(user.id, { totp: { ...user.totp, sealedSecret } });
      users += 1;
    }
  }
  const sealer = new MailSealer(pepper);
  for (let after: string | undefined, page; (page = await store.listPendingMails({ limit: PAGE, after })).length > 0; after = page.at(-1)!.id) {
    for (const mail of page) {
      let content;
      try { content = sealer.open(mail); } catch { unreadable += 1; continue; }
      // A mail sent meanwhile needs nothing more.
      if (await store.resealMail(mail.id, mail.sealed, sealer.seal(mail.id, content))) mails += 1;
    }
  }
  return { webhooks, users, mails, unreadable };
}

export async function runPepperRotate(store: Store, settings: Settings): Promise<Record<string, unknown>> {
  const keys = await loadKeyMaterial(settings, store, consoleLogger);
  const added = keys.pepperGiven ? undefined : await addGeneratedPepper(store);
  const pepper = added?.pepper ?? keys.pepper;
  const sealedBefore = await sealedUnder(store);
  const resealed = await reseal(store, pepper);
  // What could not be opened stays under its pepper: the record keeps naming it.
  if (resealed.unreadable === 0) await recordResealed(store, pepper, sealedBefore);
  await store.recordAuditEvent({
    id: generateSortableId('evt'), accountId: await ensureOperatorAccount(store), actor: 'cli', action: 'pepper.rotated', targetId: `pepper:${pepper.currentId}`,
    reason: undefined, at: new Date(), detail: {
      added: added?.id ?? 'none (given)', webhooks: String(resealed.webhooks), two_factor: String(resealed.users), mails: String(resealed.mails),
    },
  });
  return {
    object: 'pepper_rotation',
    added: added?.id ?? null,
    resealed: {
      webhook_signing_secrets: resealed.webhooks, two_factor_secrets: resealed.users, pending_mails: resealed.mails, unreadable: resealed.unreadable,
    },
    ...await status(store, settings, pepper),
  };
}
