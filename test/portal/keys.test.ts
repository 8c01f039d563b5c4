// The keys page over HTTP: post/redirect/get with the new key shown once (encrypted under the
// session cookie meanwhile), the copy button's script under the portal CSP, confirmations that
// name the key, the extra confirmation for a live key, and errors that keep what was typed.
import { expect } from 'chai';
import { Browser, pageOf } from '../../packages/form-browser/browser.ts';
import { startServer, storeContents, type TestServer } from '../helpers/server.ts';
import { form, keyRows, postNewKey, shownKey, signedUp } from './helpers.ts';

describe('portal keys: shown once after a redirect, confirmations, live keys', () => {
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(() => server?.stop({ removeData: true }));

  it('answers the POST with a 303 that carries no key; the next page shows it once; a reload shows a notice', async () => {
    const { browser, home } = await signedUp(server.issuer);
    expect(keyRows(home.html)).to.equal(0);
    expect(home.html, 'an empty state that says what to do').to.include('You have no API keys yet');
    const answer = await postNewKey(browser, home, { name: 'Once only', environment: 'test' });
    expect(answer.status).to.equal(303);
    const location = answer.headers.get('location')!;
    expect(location).to.match(/^\/portal\?created=key_\w+$/);
    expect(answer.html).not.to.include('sk_test_');

    const first = pageOf(await browser.navigate(`${server.issuer}${location}`, 'nowhere:'));
    const key = shownKey(first.html)!;
    expect(key).to.match(/^sk_test_/);
    expect(first.html).to.include('Shown only once.').and.include('data-copy="new-key"').and.include('autofocus');
    expect(keyRows(first.html)).to.equal(1);

    const reload = pageOf(await browser.navigate(`${server.issuer}${location}`, 'nowhere:'));
    expect(reload.status).to.equal(200);
    expect(reload.html).not.to.include(key);
    expect(shownKey(reload.html)).to.equal(undefined);
    expect(reload.html).to.include('was shown once').and.not.include('class="error"');
    expect(keyRows(reload.html), 'no second key').to.equal(1);
    expect(await storeContents(server), 'the key was never stored in plaintext').not.to.include(key);
  });

  it('keeps only ciphertext while the key waits, and another session cannot read it', async () => {
    const { browser, home, owner } = await signedUp(server.issuer);
    const answer = await postNewKey(browser, home, { name: 'Not yours', environment: 'test' });
    const location = answer.headers.get('location')!;

    const records = await storeContents(server);
    expect(records).not.to.match(/sk_test_[A-Za-z0-9]{20}/);
    // Another session of the same user: same account, another cookie.
    const other = new Browser();
    const login = pageOf(await other.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    pageOf(await other.submit(form(login, '/portal/login'), { email: owner.email, password: owner.password }, 'nowhere:'));
    const theirs = pageOf(await other.navigate(`${server.issuer}${location}`, 'nowhere:'));
    expect(shownKey(theirs.html)).to.equal(undefined);

    const mine = pageOf(await browser.navigate(`${server.issuer}${location}`, 'nowhere:'));
    expect(shownKey(mine.html)).to.match(/^sk_test_/);
    const key = shownKey(mine.html)!;
    expect(records).not.to.include(key);
  });

  it('lets portal pages run our own script only, and serves it', async () => {
    const { home } = await signedUp(server.issuer);
    const csp = home.headers.get('content-security-policy')!;
    expect(csp).to.include("script-src 'self'").and.include("frame-ancestors 'none'").and.not.include('unsafe-inline');
    expect(home.html).to.include('<script src="/static/copy.js" defer></script>');
    expect(home.html).not.to.match(/<script>|\son[a-z]+="/);
    const script = await fetch(`${server.issuer}/static/copy.js`);
    expect(script.status).to.equal(200);
    expect(script.headers.get('content-type')).to.match(/^text\/javascript/);
    expect(script.headers.get('cache-control')).to.match(/max-age=\d+/);
    expect(await script.text()).to.include('navigator.clipboard');
    const login = await fetch(`${server.issuer}/portal/login`);
    expect(login.headers.get('content-security-policy')).not.to.include("script-src 'self'");
  });

  it('asks for an extra confirmation before creating a live key, and keeps what was typed', async () => {
    const { browser, home } = await signedUp(server.issuer);
    const refused = await postNewKey(browser, home, { name: 'Production sync', environment: 'live' }, ['read:billing']);
    expect(refused.status).to.equal(400);
    expect(refused.html).to.include('id="confirm_live-error"').and.include('a live key works on live data');
    expect(refused.html).to.match(/name="confirm_live"[^>]*aria-invalid="true" aria-describedby="confirm_live-error"/);
    expect(refused.html).to.include('value="Production sync"').and.match(/value="live" checked/).and.match(/value="read:billing" checked/);
    expect(keyRows(pageOf(await browser.navigate(`${server.issuer}/portal`, 'nowhere:')).html), 'no key made').to.equal(0);

    const made = await postNewKey(browser, home, { name: 'Production sync', environment: 'live', confirm_live: 'yes' }, ['read:billing']);
    expect(made.status).to.equal(303);
    const shown = pageOf(await browser.navigate(`${server.issuer}${made.headers.get('location')!}`, 'nowhere:'));
    expect(shownKey(shown.html)).to.match(/^sk_live_/);
    expect(shown.html).to.include('<span class="badge badge-live">Live</span>');
  });

  it('shows a field error beside the field for bad input, in plain words', async () => {
    const { browser, home } = await signedUp(server.issuer);
    const refused = await postNewKey(browser, home, { name: 'No scopes', environment: 'test' }, []);
    expect(refused.status).to.equal(400);
    expect(refused.html).to.match(/<p class="field-error" id="scopes-error">[A-Z][^<]*\.<\/p>/);
    expect(refused.html).to.include('value="No scopes"');
    const badDate = await postNewKey(browser, home, { name: 'Bad date', environment: 'test', expires_at: 'soon' });
    expect(badDate.html).to.match(/<p class="field-error" id="expires_at-error">/);
  });

  it('keeps a bad revocation reason on the confirmation page, beside its field', async () => {
    const { browser, home } = await signedUp(server.issuer);
    const location = (await postNewKey(browser, home, { name: 'Reasoned', environment: 'test' })).headers.get('location')!;
    const id = /created=(key_\w+)/.exec(location)![1]!;
    const confirm = pageOf(await browser.navigate(`${server.issuer}/portal/keys/${id}/revoke`, 'nowhere:'));
    const refused = pageOf(await browser.submit(form(confirm, `/portal/keys/${id}/revoke`), { reason: 'x'.repeat(201) }, 'nowhere:'));
    expect(refused.status).to.equal(400);
    expect(refused.html).to.include('id="reason-error"').and.include(`value="${'x'.repeat(201)}"`);
    expect((await server.latchkey.store.findApiKey(id))?.revokedAt).to.equal(undefined);
  });

  it('rolls and revokes only through a confirmation page that names the key', async () => {
    const { browser, home } = await signedUp(server.issuer);
    const location = (await postNewKey(browser, home, { name: 'Confirm me', environment: 'test' })).headers.get('location')!;
    const listed = pageOf(await browser.navigate(`${server.issuer}${location}`, 'nowhere:'));
    const id = /created=(key_\w+)/.exec(location)![1]!;
    expect(listed.html).to.include(`href="/portal/keys/${id}/revoke">Revoke<span class="visually-hidden"> key Confirm me</span>`);
    expect(Browser.forms(listed).some((f) => f.action.endsWith('/revoke')), 'no one-click revoke').to.equal(false);

    const confirm = pageOf(await browser.navigate(`${server.issuer}/portal/keys/${id}/roll`, 'nowhere:'));
    expect(confirm.html).to.include('Roll “Confirm me”').and.include('None: the old key stops working now');
    const forged = await browser.submit({ ...form(confirm, `/portal/keys/${id}/roll`), fields: { _csrf: 'forged' } }, { overlap: '0' }, 'nowhere:');
    expect(pageOf(forged).status).to.equal(403);
    expect(pageOf(forged).html, 'an error page with a way back').to.include('href="/portal"');
    expect((await server.latchkey.store.findApiKey(id))?.replacedBy).to.equal(undefined);

    const revoke = pageOf(await browser.navigate(`${server.issuer}/portal/keys/${id}/revoke`, 'nowhere:'));
    expect(revoke.html).to.include('Revoke “Confirm me”').and.include('href="/portal">Cancel');
    await browser.submit(form(revoke, `/portal/keys/${id}/revoke`), { reason: 'confirmed' }, 'nowhere:');
    expect((await server.latchkey.store.findApiKey(id))?.revokedReason).to.equal('confirmed');
  });

  it('lists every problem of the Create key form at once, above it, in words, keeping what was typed', async () => {
    const { browser, home } = await signedUp(server.issuer);
    const refused = await postNewKey(browser, home, { name: 'x'.repeat(101), environment: 'live', expires_at: '2001-01-01T00:00' }, []);
    expect(refused.status).to.equal(400);
    const summary = /<div class="error-summary" role="alert"[\s\S]*?<\/div>/.exec(refused.html)?.[0] ?? '';
    expect(summary).to.include('href="#key-name"').and.include('The name must be at most 100 characters.')
      .and.include('href="#key-confirm_live"').and.include('Choose at least one scope.').and.include('The expiry must be in the future.');
    expect(summary.replace(/<[^>]+>/g, ''), 'no field names').to.not.match(/expires_at|confirm_live/i);
    expect(refused.html).to.include(`value="${'x'.repeat(101)}"`).and.include('value="2001-01-01T00:00"');
  });

  it('fills the scopes from a preset, filters the list, and says which key was revoked or rolled', async () => {
    const { browser, home } = await signedUp(server.issuer);
    const preset = pageOf(await browser.navigate(`${server.issuer}/portal/keys/new?preset=0-read`, 'nowhere:'));
    expect(preset.html).to.include('Partner API: read only').and.include('value="read:contacts" checked').and.not.include('value="write:contacts" checked');
    for (const name of ['Alpha', 'Beta']) await postNewKey(browser, home, { name, environment: 'test' });
    const list = pageOf(await browser.navigate(`${server.issuer}/portal`, 'nowhere:'));
    const beta = /<tr id="(key_\w+)" class="key-row">\s*<td data-label="Key"><strong>Beta/.exec(list.html)![1]!;
    const confirm = pageOf(await browser.navigate(`${server.issuer}/portal/keys/${beta}/revoke`, 'nowhere:'));
    const after = pageOf(await browser.submit(form(confirm, `/portal/keys/${beta}/revoke`), { reason: 'done' }, 'nowhere:'));
    expect(after.html).to.include('Revoked “Beta”');
    const revoked = pageOf(await browser.navigate(`${server.issuer}/portal?state=revoked`, 'nowhere:'));
    expect(keyRows(revoked.html)).to.equal(1);
    expect(revoked.html).to.include('Beta').and.include('<option value="revoked" selected>');
    expect(keyRows(pageOf(await browser.navigate(`${server.issuer}/portal?env=live`, 'nowhere:')).html)).to.equal(0);

    const alpha = /<tr id="(key_\w+)" class="key-row">\s*<td data-label="Key"><strong>Alpha/.exec(list.html)![1]!;
    const roll = pageOf(await browser.navigate(`${server.issuer}/portal/keys/${alpha}/roll`, 'nowhere:'));
    const rolled = pageOf(await browser.submit(form(roll, `/portal/keys/${alpha}/roll`), { overlap: '1h' }, 'nowhere:'));
    expect(rolled.html).to.include('Rolled “Alpha”').and.include('keeps working until');
  });
});
