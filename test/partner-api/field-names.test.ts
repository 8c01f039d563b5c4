// Field names that are also Object.prototype members are unknown fields like any other: a 400 that
// names them, never a 500, and never stored.
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { call } from '../helpers/api.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];

/** A JSON text with one extra member; built as text since `{ __proto__: … }` in JS sets the prototype. */
function withMember(valid: Record<string, unknown>, name: string, value: unknown): string {
  return `{${JSON.stringify(valid).slice(1, -1)},${JSON.stringify(name)}:${JSON.stringify(value)}}`;
}

describe('Partner API bodies with Object.prototype member names', () => {
  let server: TestServer;
  let key: string;
  let contactId: string;

  async function send(method: string, path: string, body: string) {
    const res = await fetch(`${server.issuer}${path}`, {
      method, body, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
    });
    return { status: res.status, body: await res.json() as { error?: { code: string; field?: string; message: string }; [k: string]: unknown } };
  }

  before(async () => {
    server = await startServer();
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const { accountId } = await server.createUser();
    key = (await createKey(server.latchkey.store, pepper, {
      accountId, environment: 'test', scopes: ['read:contacts', 'write:contacts', 'write:webhooks'], actor: 'cli',
    })).key;
    contactId = String((await call(server.issuer, 'POST', '/api/v1/contacts', key, { name: 'Ada' })).body.id);
  });
  after(() => server.stop({ removeData: true }));

  const routes = [
    { title: 'POST /contacts', method: 'POST', path: () => '/api/v1/contacts', valid: { name: 'Grace' } },
    { title: 'PATCH /contacts/:id', method: 'PATCH', path: () => `/api/v1/contacts/${contactId}`, valid: { company: 'Navy' } },
    { title: 'POST /webhooks', method: 'POST', path: () => '/api/v1/webhooks', valid: { url: 'https://hooks.example/x', events: ['contact.created'] } },
  ];

  for (const route of routes) {
    for (const name of NAMES) {
      it(`${route.title} with "${name}" is a 400 naming it`, async () => {
        for (const value of [{ polluted: true }, 'text', 1, null]) {
          const res = await send(route.method, route.path(), withMember(route.valid, name, value));
          expect(res.status, `${name}: ${JSON.stringify(value)} -> ${JSON.stringify(res.body)}`).to.equal(400);
          expect(res.body.error?.code).to.equal('validation_failed');
          expect(res.body.error?.field).to.equal(name);
          expect(res.body.error?.message).to.include(name);
        }
      });
    }
  }

  it('stores nothing from such a body, and nothing leaks into other objects', async () => {
    const list = await call(server.issuer, 'GET', '/api/v1/contacts?limit=100', key);
    expect(list.status).to.equal(200);
    const text = JSON.stringify(list.body);
    expect(text).not.to.include('polluted');
    expect(text).not.to.include('Grace');
    expect(text).not.to.include('Navy');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('refuses __proto__ nested inside a value too', async () => {
    const res = await send('POST', '/api/v1/webhooks',
      '{"url": "https://hooks.example/x", "events": ["contact.created"], "description": {"__proto__": {"polluted": true}}}');
    expect(res.status).to.equal(400);
    expect(res.body.error?.code).to.equal('validation_failed');
  });
});
