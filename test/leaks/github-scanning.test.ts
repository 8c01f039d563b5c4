// POST /v1/secret-scanning/github over HTTP: reports signed as GitHub signs them (ECDSA P-256,
// SHA-256, base64 DER) with keys from the keys file, re-read when it changes.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { GITHUB_SCANNING_PATH } from '../../server/leaks/github.ts';
import { post, startLeakServer, type LeakServer } from './server.ts';

interface SigningKey { id: string; privateKey: KeyObject; pem: string }

function newKey(id: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { id, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** GitHub's public_keys document; the file's mtime is pushed forward so a rewrite is always seen. */
function writeKeys(path: string, keys: SigningKey[], bump = 0): void {
  writeFileSync(path, JSON.stringify({ public_keys: keys.map((k, i) => ({ key_identifier: k.id, key: k.pem, is_current: i === 0 })) }));
  const when = new Date(Date.now() + bump * 1000);
  utimesSync(path, when, when);
}

function signed(server: LeakServer, body: string, key: SigningKey, identifier = key.id) {
  const signature = sign('sha256', Buffer.from(body), key.privateKey).toString('base64');
  return post(server.issuer, GITHUB_SCANNING_PATH, body, { 'Github-Public-Key-Identifier': identifier, 'Github-Public-Key-Signature': signature });
}

const errorCode = (text: string) => (JSON.parse(text) as { error: { code: string } }).error.code;

describe('GitHub secret scanning intake', () => {
  let server: LeakServer;
  let accountId: string;
  const keysFile = join(mkdtempSync(join(tmpdir(), 'latchkey-gh-keys-')), 'public_keys.json');
  const first = newKey('ghkey-1');

  before(async () => {
    writeKeys(keysFile, [first]);
    server = await startLeakServer({ githubScanningKeysFile: keysFile });
    ({ accountId } = await server.createUser());
  });
  after(() => server.stop());

  it('labels and revokes true positives, with the report URL in the audit detail', async () => {
    const apiKey = await server.createApiKey(accountId);
    const { clientId, clientSecret } = await server.createClient(accountId);
    const url = 'https://github.com/octo/leaky/blob/abc123/config.yml';
    const body = JSON.stringify([
      { token: apiKey.key, type: 'latchkey_api_key', url, source: 'content' },
      { token: clientSecret, type: 'latchkey_client_secret', url, source: 'commit' },
      { token: 'sk_test_notours', type: 'latchkey_api_key', url, source: 'content' },
    ]);
    const answer = await signed(server, body, first);
    expect(answer.status).to.equal(200);
    expect(JSON.parse(answer.text)).to.deep.equal([
      { token_raw: apiKey.key, token_type: 'latchkey_api_key', label: 'true_positive' },
      { token_raw: clientSecret, token_type: 'latchkey_client_secret', label: 'true_positive' },
      { token_raw: 'sk_test_notours', token_type: 'latchkey_api_key', label: 'false_positive' },
    ]);
    const store = server.latchkey.store;
    expect((await store.findApiKey(apiKey.id))?.revokedReason).to.equal('reported_leaked');
    const keyEvent = (await store.listTargetEvents(accountId, apiKey.id, { limit: 10 })).find((e) => e.action === 'api_key.revoked');
    expect(keyEvent?.actor).to.equal('report:github');
    const secretEvent = (await store.listTargetEvents(accountId, clientId, { limit: 10 })).find((e) => e.action === 'client.secret_revoked');
    expect(secretEvent?.actor).to.equal('report:github');
    expect(secretEvent?.reason).to.equal('reported_leaked');
    expect(secretEvent?.detail?.url).to.equal(url);
    // A credential already revoked is still ours: true positive.
    const again = await signed(server, JSON.stringify([{ token: apiKey.key, type: 't', url, source: 'content' }]), first);
    expect((JSON.parse(again.text) as { label: string }[])[0]!.label).to.equal('true_positive');
  });

  it('refuses a bad signature with 401 and revokes nothing', async () => {
    const apiKey = await server.createApiKey(accountId);
    const body = JSON.stringify([{ token: apiKey.key, type: 'latchkey_api_key', url: 'https://github.com/x', source: 'content' }]);
    const signature = sign('sha256', Buffer.from(`${body} `), first.privateKey).toString('base64');
    const answer = await post(server.issuer, GITHUB_SCANNING_PATH, body, { 'Github-Public-Key-Identifier': first.id, 'Github-Public-Key-Signature': signature });
    expect(answer.status).to.equal(401);
    expect(errorCode(answer.text)).to.equal('invalid_signature');
    const unsigned = await post(server.issuer, GITHUB_SCANNING_PATH, body);
    expect(unsigned.status).to.equal(401);
    expect((await server.latchkey.store.findApiKey(apiKey.id))?.revokedAt).to.equal(undefined);
  });

  it('refuses an unknown key identifier with 401', async () => {
    const stranger = newKey('ghkey-unknown');
    const answer = await signed(server, JSON.stringify([{ token: 'x', type: 't', url: 'https://github.com/x', source: 'content' }]), stranger);
    expect(answer.status).to.equal(401);
    expect(errorCode(answer.text)).to.equal('invalid_signature');
  });

  it('picks up a new key when the keys file changes, without a restart', async () => {
    const second = newKey('ghkey-2');
    const body = JSON.stringify([{ token: 'nothing-we-issued', type: 't', url: 'https://github.com/x', source: 'content' }]);
    expect((await signed(server, body, second)).status).to.equal(401);
    writeKeys(keysFile, [second, first], 5);
    const answer = await signed(server, body, second);
    expect(answer.status).to.equal(200);
    expect(JSON.parse(answer.text)).to.deep.equal([{ token_raw: 'nothing-we-issued', token_type: 't', label: 'false_positive' }]);
  });

  it('answers 400 for a verified body of the wrong shape and 413 for an oversized one', async () => {
    for (const body of ['{"token": "x"}', '[]', '[{"type": "t"}]', 'not json']) {
      const answer = await signed(server, body, first);
      expect(answer.status, body).to.equal(400);
      expect(errorCode(answer.text)).to.equal('invalid_request');
    }
    const huge = await signed(server, JSON.stringify([{ token: 'x'.repeat(1024 * 1024), type: 't' }]), first);
    expect(huge.status).to.equal(413);
  });
});

describe('GitHub secret scanning without a keys file', () => {
  let server: LeakServer;
  before(async () => { server = await startLeakServer(); });
  after(() => server.stop());

  it('refuses every report with 401', async () => {
    const key = newKey('ghkey-1');
    const apiKey = await server.createApiKey((await server.createUser()).accountId);
    const answer = await signed(server, JSON.stringify([{ token: apiKey.key, type: 't', url: 'https://github.com/x', source: 'content' }]), key);
    expect(answer.status).to.equal(401);
    expect((await server.latchkey.store.findApiKey(apiKey.id))?.revokedAt).to.equal(undefined);
  });
});
