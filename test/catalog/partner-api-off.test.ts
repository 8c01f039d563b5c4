// LATCHKEY_PARTNER_API=off: the demo's scopes leave the catalog and its /api/v1 paths are unknown;
// Latchkey's management scopes stay.
import { expect } from 'chai';
import { clientCredentials, discover, expectOAuthError, type oauth } from '../helpers/oauth.ts';
import { ORDERS, ORDERS_CATALOG, catalogFile, dropChildDatabase, startChild, type Child } from './child.ts';

describe('LATCHKEY_PARTNER_API=off', function () {
  this.timeout(60_000);
  let child: Child;
  let as: oauth.AuthorizationServer;
  let account: Record<string, string>;

  before(async () => {
    child = await startChild({ LATCHKEY_PARTNER_API: 'off', LATCHKEY_CATALOG_FILE: catalogFile(ORDERS_CATALOG) });
    as = await discover(child.issuer);
    account = await child.latchkey(['account', 'create', '--name', 'No Demo', '--email', 'off@catalog.example', '--password', 'a long enough password']);
  });
  after(async () => {
    await child?.stop();
    await dropChildDatabase(child);
  });

  it('answers the Partner API paths 404 as unknown paths', async () => {
    for (const path of ['/api/v1/contacts', '/api/v1/events', '/api/v1/billing/invoices']) {
      const response = await fetch(`${child.issuer}${path}`, { headers: { accept: 'application/json' } });
      expect(response.status, path).to.equal(404);
      expect((await response.json() as { error?: { code?: string } }).error?.code).to.equal('not_found');
    }
  });

  it('leaves the demo scopes out of discovery and keeps the management and operator scopes', () => {
    expect(as.scopes_supported).to.not.include.members(['read:contacts']);
    // Webhooks carry Latchkey's own credential and security events: they stay (issue 25).
    expect(as.scopes_supported).to.include.members(['read:api_keys', 'write:api_keys', 'read:clients', 'write:clients', 'write:webhooks', 'read:orders']);
  });

  it('treats read:contacts as an unknown scope for clients and keys', async () => {
    const refused = await child.latchkey(['client', 'create', '--account', account.account_id!, '--name', 's', '--type', 'service', '--scopes', 'read:contacts'])
      .catch((err: Error) => err);
    expect(refused).to.be.instanceOf(Error);
    expect((refused as Error).message).to.include('read:contacts');
    const key = await child.latchkey(['key', 'create', '--account', account.account_id!, '--env', 'test', '--scopes', 'read:contacts']).catch((err: Error) => err);
    expect(key).to.be.instanceOf(Error);
    const service = await child.latchkey(['client', 'create', '--account', account.account_id!, '--name', 's', '--type', 'service', '--scopes', 'read:api_keys read:orders']);
    const err = await expectOAuthError(() => clientCredentials(as, service.client_id!, service.client_secret!, 'read:contacts'));
    expect(err.error).to.equal('invalid_scope');
    expect(err.error_description).to.include("unknown scope 'read:contacts'");
    const management = await clientCredentials(as, service.client_id!, service.client_secret!, 'read:api_keys');
    expect(management.scope).to.equal('read:api_keys');
    const orders = await clientCredentials(as, service.client_id!, service.client_secret!, 'read:orders');
    expect(orders.scope).to.equal('read:orders');
  });

  it('shows the running catalog on /docs/scopes', async () => {
    const html = await (await fetch(`${child.issuer}/docs/scopes`)).text();
    expect(html).to.include('Orders API').and.include(ORDERS).and.include('id="read:api_keys"');
    expect(html).to.not.include('id="read:contacts"');
  });
});
