// Structured logs: a request id on every answer and log line, who the request acted for, and no
// secret in a line even when one reaches a field (pino's redact) or the test servers' log file.
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { createLogger, REDACT_PATHS, silentLogger } from '../../server/log.ts';
import { secretsIn } from '../helpers/log-scan.ts';
import { clientCredentials, discover } from '../helpers/oauth.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { capturingLogger, startServer, type TestServer } from '../helpers/server.ts';

type Line = Record<string, unknown>;

describe('logs', () => {
  let server: TestServer;
  const log = capturingLogger();
  const lines = () => log.lines.map((line) => JSON.parse(line) as Line);
  const requestLines = (id: string) => lines().filter((line) => line.message === 'request' && line.request_id === id);

  before(async () => {
    server = await startServer({ log });
  });
  after(() => server.stop({ removeData: true }));

  it('echoes a sane X-Request-Id and puts it on the request line', async () => {
    const response = await fetch(`${server.issuer}/healthz`, { headers: { 'X-Request-Id': 'edge-1:abc.DEF_9' } });
    expect(response.headers.get('x-request-id')).to.equal('edge-1:abc.DEF_9');
    expect(requestLines('edge-1:abc.DEF_9')).to.have.length(1);
    expect(requestLines('edge-1:abc.DEF_9')[0]).to.include({ method: 'GET', path: '/healthz', status: 200 });
  });

  it('replaces an unusable X-Request-Id with a new UUID', async () => {
    for (const sent of ['has spaces', 'x'.repeat(129), '<script>', '']) {
      const response = await fetch(`${server.issuer}/healthz`, { headers: { 'X-Request-Id': sent } });
      const id = response.headers.get('x-request-id')!;
      expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(requestLines(id)).to.have.length(1);
    }
  });

  it('sends the id on our errors and on oidc-provider answers, and names the OAuth client', async () => {
    const missing = await fetch(`${server.issuer}/v1/nothing-here`, { headers: { 'X-Request-Id': 'err-1' } });
    expect(missing.status).to.equal(404);
    expect(missing.headers.get('x-request-id')).to.equal('err-1');
    expect(requestLines('err-1')[0]).to.include({ status: 404 });

    const badGrant = await fetch(`${server.issuer}/token`, {
      method: 'POST', headers: { 'X-Request-Id': 'tok-1', 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=nonsense',
    });
    expect(badGrant.status).to.be.within(400, 401);
    expect(badGrant.headers.get('x-request-id')).to.equal('tok-1');
    expect(requestLines('tok-1')).to.have.length(1);

    const discovery = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`);
    expect(discovery.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);

    const service = await server.createClient({ name: 'Logged', type: 'service', scopes: 'read:contacts', environment: 'test' });
    const before = log.lines.length;
    const tokens = await clientCredentials(await discover(server.issuer), service.clientId, service.clientSecret, 'read:contacts');
    recordSecret(tokens.access_token);
    const tokenLine = lines().slice(before).find((line) => line.message === 'request' && line.path === '/token');
    expect(tokenLine).to.include({ status: 200, client_id: service.clientId });
  });

  it('names the account and the credential of a guarded request', async () => {
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const { accountId } = await server.createUser('Logged Co');
    const { key, record } = await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], actor: 'cli' });
    recordSecret(key);
    const partnerApi = await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${key}`, 'X-Request-Id': 'key-1' } });
    expect(partnerApi.status).to.equal(200);
    expect(partnerApi.headers.get('x-request-id')).to.equal('key-1');
    expect(requestLines('key-1')[0]).to.include({ status: 200, account_id: accountId, credential_id: record.id });
    // The management API keeps its principal elsewhere (a "manager"); a refusal still names it.
    const management = await fetch(`${server.issuer}/v1/api-keys`, { headers: { authorization: `Bearer ${key}`, 'X-Request-Id': 'key-2' } });
    expect(management.status).to.equal(403);
    expect(requestLines('key-2')[0]).to.include({ account_id: accountId, credential_id: record.id });
    expect(log.lines.join('\n')).not.to.include(key);
  });

  it('redacts secret-bearing fields wherever a caller puts them', () => {
    let written = '';
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { written += chunk.toString(); done(); } });
    createLogger(sink).info('oops', {
      headers: { authorization: 'Bearer s3cret-a', cookie: 's3cret-b', 'set-cookie': ['s3cret-c'] },
      body: { client_secret: 's3cret-d', client_assertion: 's3cret-e', refresh_token: 's3cret-f', code: 's3cret-g', code_verifier: 's3cret-h', password: 's3cret-i', token: 's3cret-j' },
      req: { headers: { authorization: 's3cret-k' } },
      password: 's3cret-l',
    });
    expect(written).to.include('"message":"oops"').and.include('[redacted]');
    expect(written).not.to.include('s3cret');
  });

  it('writes the request line, whose field names carry no secret, without the redaction pass', () => {
    // Every request line of this file's server has these fields and no others; none is a redacted name.
    const requestFields = new Set(['level', 'time', 'message', 'request_id', 'method', 'path', 'status', 'ms', 'account_id', 'client_id', 'credential_id']);
    const seen = new Set(lines().filter((line) => line.message === 'request').flatMap((line) => Object.keys(line)));
    expect([...seen].filter((field) => !requestFields.has(field))).to.deep.equal([]);
    expect(REDACT_PATHS.filter((path) => requestFields.has(path))).to.deep.equal([]);
    let written = '';
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { written += chunk.toString(); done(); } });
    const logger = createLogger(sink);
    logger.infoUnredacted!('request', { request_id: 'r-1', path: '/token', status: 200 });
    logger.info('other', { password: 's3cret' });
    const [first, second] = written.trim().split('\n').map((line) => JSON.parse(line) as Line);
    expect(first).to.include({ level: 'info', message: 'request', request_id: 'r-1', path: '/token', status: 200 });
    expect(second).to.include({ message: 'other', password: '[redacted]' });
  });

  it('the log scan finds a recorded secret', () => {
    expect(secretsIn('{"message":"x","leak":"abcdefghij"}', ['abcdefghij', 'not-there'])).to.deep.equal(['abcdef… (10 chars)']);
  });
});
