// With a catalog declaring a second resource (Latchkey as a child process, as config/scopes.ts reads
// LATCHKEY_CATALOG_FILE once per process): each resource server learns only its own resource's
// credentials, and only its own scopes of an API key.
import { expect } from 'chai';
import { ORDERS, ORDERS_CATALOG, catalogFile, dropChildDatabase, startChild, type Child } from '../catalog/child.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { introspect, type Credentials } from './setup.ts';

describe('introspection with a second resource', function () {
  this.timeout(60_000);
  let child: Child;
  let orders: Credentials;
  let partnerApi: Credentials;
  let accountId: string;
  let service: Record<string, string>;

  before(async function () {
    // The child process runs server/app.ts as it is: without the wiring, nothing answers for resource servers.
    child = await startChild({ LATCHKEY_CATALOG_FILE: catalogFile(ORDERS_CATALOG) });
    const asCredentials = (c: Record<string, string>) => {
      recordSecret(c.client_secret);
      return { clientId: c.client_id!, clientSecret: c.client_secret! };
    };
    orders = asCredentials(await child.latchkey(['resource-server', 'create', '--resource', ORDERS, '--name', 'Orders API']));
    partnerApi = asCredentials(await child.latchkey(['resource-server', 'create', '--resource', `${child.issuer}/api`, '--name', 'Partner API']));
    accountId = (await child.latchkey(['account', 'create', '--name', 'Both Co', '--email', 'both@introspection.example', '--password', 'a long enough password'])).account_id!;
    service = await child.latchkey(['client', 'create', '--account', accountId, '--name', 'svc', '--type', 'service', '--scopes', 'read:orders read:contacts']);
    recordSecret(service.client_secret);
  });
  after(async () => {
    await child?.stop();
    await dropChildDatabase(child);
  });

  it('discloses to each resource server only the key\'s scopes of its resource', async () => {
    const created = await child.latchkey(['key', 'create', '--account', accountId, '--env', 'test', '--scopes', 'read:orders read:contacts']);
    recordSecret(created.key);
    expect((await introspect(child.issuer, orders, created.key!)).body).to.include({ active: true, scope: 'read:orders', key_id: created.id });
    expect((await introspect(child.issuer, partnerApi, created.key!)).body).to.include({ active: true, scope: 'read:contacts' });
    const contactsOnly = await child.latchkey(['key', 'create', '--account', accountId, '--env', 'test', '--scopes', 'read:contacts']);
    recordSecret(contactsOnly.key);
    expect((await introspect(child.issuer, orders, contactsOnly.key!)).body).to.deep.equal({ active: false });
  });

  it('answers each resource server for tokens of its resource only', async () => {
    const as = await discover(child.issuer);
    const forOrders = await clientCredentials(as, service.client_id!, service.client_secret!, 'read:orders');
    const forApi = await clientCredentials(as, service.client_id!, service.client_secret!, 'read:contacts');
    expect((await introspect(child.issuer, orders, forOrders.access_token)).body).to.include({ active: true, aud: ORDERS, scope: 'read:orders' });
    expect((await introspect(child.issuer, orders, forApi.access_token)).body).to.deep.equal({ active: false });
    expect((await introspect(child.issuer, partnerApi, forOrders.access_token)).body).to.deep.equal({ active: false });
    expect((await introspect(child.issuer, partnerApi, forApi.access_token)).body).to.include({ active: true, scope: 'read:contacts' });
  });

  it('answers inactive on the next call after the key is revoked from the command line', async () => {
    const created = await child.latchkey(['key', 'create', '--account', accountId, '--env', 'live', '--scopes', 'read:orders']);
    recordSecret(created.key);
    expect((await introspect(child.issuer, orders, created.key!)).body.active).to.equal(true);
    await child.latchkey(['key', 'revoke', created.id!]);
    expect((await introspect(child.issuer, orders, created.key!)).body).to.deep.equal({ active: false });
  });
});
