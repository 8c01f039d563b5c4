// The audit page: newest first, a page at a time through "Older" (?before=<event id>), each event
// in plain words with who, what, which (by name when known), why and when.
import { expect } from 'chai';
import { GRANT_REVOCATION_REASONS } from '../../config/revocation.ts';
import { createKey } from '../../server/api-keys/service.ts';
import { loadKeyMaterial } from '../../server/keys.ts';
import { silentLogger } from '../../server/log.ts';
import { AUDIT_PAGE_SIZE } from '../../server/portal/audit.ts';
import { generateSortableId } from '../../server/secrets.ts';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, newOwner, signedUp } from './helpers.ts';

const rows = (html: string) => [...html.matchAll(/<tr class="audit-row" id="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({ id: m[1]!, text: m[2]!.replace(/<[^>]+>/g, ' ') }));

describe('portal audit log', () => {
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  it('an account made by the CLI starts with its first sign-in', async () => {
    const user = await server.createUser('Quiet Co');
    const browser = new Browser();
    const login = pageOf(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    pageOf(await browser.submit(form(login, '/portal/login'), { email: user.email, password: user.password }, 'nowhere:'));
    const first = pageOf(await browser.navigate(`${server.issuer}/portal/audit`, 'nowhere:'));
    expect(first.html).to.include('aria-current="page">Audit log');
    const only = rows(first.html);
    expect(only).to.have.length(1);
    expect(only[0]!.text).to.include('Signed in').and.include('With password').and.include('127.0.0.1');
  });

  it('starts with the sign-up, then lists events newest first, a page at a time', async () => {
    const { browser, home, owner } = await signedUp(server.issuer, newOwner('Audited Co'));
    expect(home.html).to.include('href="/portal/audit"');
    const start = rows(pageOf(await browser.navigate(`${server.issuer}/portal/audit`, 'nowhere:')).html);
    expect(start).to.have.length(3);
    expect(start[0]!.text).to.include('Signed in').and.include(owner.email);
    expect(start[1]!.text).to.include('Email address confirmed').and.include(owner.email);
    expect(start[2]!.text).to.include('Account created').and.include('Audited Co').and.include(owner.email);

    const { accountId } = (await server.latchkey.store.findUserByEmail(owner.email))!;
    const { pepper } = await loadKeyMaterial(server.latchkey.settings, server.latchkey.store, silentLogger);
    const total = AUDIT_PAGE_SIZE + 3;
    for (let n = 1; n <= total; n += 1) {
      await createKey(server.latchkey.store, pepper, { accountId, environment: 'test', scopes: ['read:contacts'], name: `key ${n}`, actor: 'cli' });
    }
    const first = pageOf(await browser.navigate(`${server.issuer}/portal/audit`, 'nowhere:'));
    const firstRows = rows(first.html);
    expect(firstRows).to.have.length(AUDIT_PAGE_SIZE);
    expect(firstRows[0]!.text).to.include('API key created').and.include('Command line').and.match(/\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC/);
    const ids = firstRows.map((r) => r.id);
    expect([...ids].sort().reverse(), 'newest first').to.deep.equal(ids);
    const older = /href="(\/portal\/audit\?before=[^"]+)" rel="next">Older/.exec(first.html)![1]!;
    expect(older).to.equal(`/portal/audit?before=${ids.at(-1)}`);

    const second = pageOf(await browser.navigate(`${server.issuer}${older.replace(/&amp;/g, '&')}`, 'nowhere:'));
    const secondRows = rows(second.html);
    expect(secondRows).to.have.length(total + 3 - AUDIT_PAGE_SIZE);
    expect(secondRows.every((r) => r.id < ids.at(-1)!), 'only older events').to.equal(true);
    expect(second.html).not.to.include('rel="next"');
    expect(second.html).to.include('href="/portal/audit">Newest');
  });

  it('names actions, targets and reasons in plain words', async () => {
    const { browser, owner } = await signedUp(server.issuer);
    const user = (await server.latchkey.store.findUserByEmail(owner.email))!;
    const at = new Date();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 3));
    const event = (action: string, reason: string | undefined, detail?: Record<string, string>) => ({
      id: generateSortableId('evt'), accountId: user.accountId, actor: `user:${user.id}`, action, targetId: generateSortableId('grant'), reason, at, detail,
    });
    await tick();
    await server.latchkey.store.recordAuditEvent(event('grant.revoked', 'reused'));
    await tick();
    await server.latchkey.store.recordAuditEvent(event('grant.revoked', 'revoked_by_user', { name: 'Calendar Sync' }));
    await tick();
    await server.latchkey.store.recordAuditEvent(event('client.secret_rotated', undefined, { name: 'Billing Bot' }));
    await tick();
    await server.latchkey.store.recordAuditEvent(event('api_key.revoked', 'exposed in a URL', { name: 'Leaky key' }));
    const page = pageOf(await browser.navigate(`${server.issuer}/portal/audit`, 'nowhere:'));
    const [exposed, rotated, disconnected, reused] = rows(page.html).map((r) => r.text.replace(/\s+/g, ' '));
    expect(exposed).to.include('API key revoked').and.include('Leaky key').and.include('exposed in a URL').and.include(owner.email);
    expect(rotated).to.include('Client secret rotated').and.include('Billing Bot');
    expect(disconnected).to.include('Connected app revoked').and.include('Calendar Sync').and.include(GRANT_REVOCATION_REASONS.revoked_by_user.summary);
    expect(reused).to.include('Refresh token reuse detected').and.include(GRANT_REVOCATION_REASONS.reused.summary);
  });

  it('filters by what, who and days, pages within the filter, and downloads the filtered view as CSV', async () => {
    const { browser, owner } = await signedUp(server.issuer, newOwner('Filtered Co'));
    const user = (await server.latchkey.store.findUserByEmail(owner.email))!;
    const record = (action: string, actor: string, name: string, at = new Date()) => server.latchkey.store.recordAuditEvent({
      id: generateSortableId('evt'), accountId: user.accountId, actor, action, targetId: generateSortableId('key'), reason: undefined, at,
      detail: { name },
    });
    await record('api_key.revoked', `user:${user.id}`, 'Mine');
    await record('api_key.revoked', 'system', 'Automatic');
    await record('api_key.created', `user:${user.id}`, '=HYPERLINK("https://evil.example")');
    await record('client.secret_rotated', 'system', 'Leaked Bot', new Date(Date.UTC(2020, 0, 2, 12)));
    const view = (query: string) => browser.navigate(`${server.issuer}/portal/audit?${query}`, 'nowhere:').then(pageOf);

    const revoked = await view('what=api_key.revoked');
    expect(rows(revoked.html).map((r) => r.text)).to.have.length(2);
    expect(revoked.html).to.include('<option value="api_key.revoked" selected>').and.include('href="/portal/audit.csv?what=api_key.revoked"');
    const mine = rows((await view(`what=api_key.revoked&who=${encodeURIComponent(`user:${user.id}`)}`)).html);
    expect(mine.map((r) => r.text.replace(/\s+/g, ' '))).to.have.length(1);
    expect(mine[0]!.text).to.include('Mine');
    const old = rows((await view('from=2020-01-02&to=2020-01-02')).html);
    expect(old).to.have.length(1);
    expect(old[0]!.text).to.include('Leaked Bot');
    expect(rows((await view('to=2019-12-31')).html)).to.have.length(0);

    const csv = await browser.request(`${server.issuer}/portal/audit.csv?who=${encodeURIComponent(`user:${user.id}`)}`, { method: 'GET' });
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).to.match(/attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = csv.html.trim().split('\r\n');
    expect(lines[0]).to.equal('when,what,action,target,target_id,who,actor,why,address,user_agent');
    expect(lines.slice(1).every((line) => line.includes(`"user:${user.id}"`)), 'only the filtered actor').to.equal(true);
    expect(csv.html, 'a formula is never a formula').to.include('"\'=HYPERLINK(""https://evil.example"")"');
  });

  it('says a leaked secret was leaked, and names the app of a revoked grant', async () => {
    const { browser, owner } = await signedUp(server.issuer);
    const user = (await server.latchkey.store.findUserByEmail(owner.email))!;
    const grantId = generateSortableId('grant');
    const base = { accountId: user.accountId, actor: `user:${user.id}`, reason: undefined, at: new Date() };
    await server.latchkey.store.recordAuditEvent({ ...base, id: generateSortableId('evt'), action: 'consent.granted', targetId: grantId, detail: { name: 'Planner' } });
    await server.latchkey.store.recordAuditEvent({ ...base, id: generateSortableId('evt'), action: 'grant.revoked', targetId: grantId, reason: 'revoked_by_user' });
    await server.latchkey.store.recordAuditEvent({
      ...base, id: generateSortableId('evt'), action: 'client.secret_rotated', targetId: 'client_x', detail: { name: 'Billing Bot', leaked: 'true' },
    });
    const [leaked, revoked] = rows(pageOf(await browser.navigate(`${server.issuer}/portal/audit`, 'nowhere:')).html).map((r) => r.text.replace(/\s+/g, ' '));
    expect(leaked).to.include('Client secret reported leaked').and.include('Billing Bot');
    expect(revoked).to.include('Connected app revoked').and.include('Planner');
  });

  it('shows only the signed-in account\'s events, and ignores a malformed cursor', async () => {
    const { browser } = await signedUp(server.issuer);
    const page = pageOf(await browser.navigate(`${server.issuer}/portal/audit?before=${encodeURIComponent('"><script>')}`, 'nowhere:'));
    expect(page.status).to.equal(200);
    expect(rows(page.html).map((r) => r.text), 'its own sign-up, confirmation and sign-in only').to.have.length(3);
    expect(page.html).not.to.include('<script>');
  });
});
