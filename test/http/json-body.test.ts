// A body that is not JSON gets a fixed message: never the body itself (V8's parser quotes it) nor
// anything about our internals (nesting too deep for the parser is a stack overflow).
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const SECRET = 'my-password-hunter2-0123456789';
const BODIES: Record<string, string> = {
  'a bad token': `{"name": ${SECRET}}`,
  'cut short': `{"name": "${SECRET}"`,
  'a trailing comma': `{"name": "${SECRET}",}`,
  'plain text': `${SECRET} ${SECRET}`,
  'nesting deeper than the parser goes': `{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
};

describe('JSON bodies that do not parse', () => {
  let server: TestServer;
  let key: string;
  before(async () => {
    server = await startServer();
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const { accountId } = await server.createUser();
    key = (await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['write:contacts'], actor: 'cli' })).key;
  });
  after(() => server.stop({ removeData: true }));

  for (const [name, body] of Object.entries(BODIES)) {
    it(`answers 400 with a fixed message, echoing nothing, for ${name}`, async () => {
      const res = await fetch(`${server.issuer}/api/v1/contacts`, {
        method: 'POST', body,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
      });
      const text = await res.text();
      expect(res.status, text).to.equal(400);
      const { error } = JSON.parse(text) as { error: { code: string; message: string } };
      expect(error.code).to.equal('invalid_request');
      expect(error.message).to.match(/^The body is not valid JSON( \(at position \d+\))?\.$/);
      expect(text).not.to.include(SECRET.slice(0, 8));
      expect(text).not.to.match(/stack|Unexpected|\[\[/i);
    });
  }

  it('still names a field it refuses, and takes a valid body', async () => {
    const post = (body: string) => fetch(`${server.issuer}/api/v1/contacts`, {
      method: 'POST', body, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
    });
    expect((await post('{"__proto__": {}}')).status).to.equal(400);
    expect((await post('{"name": "Ada", "email": "ada@example.com"}')).status).to.equal(201);
  });
});
