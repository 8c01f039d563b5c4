// Two-factor with TOTP (issue 22, item 4): enrolment from the page's secret, recovery codes shown
// once, the secret never at rest in plaintext, the second step on both sign-in pages (a code is
// accepted once; a recovery code once), the ID token's amr, and a reset that leaves it on.
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { generate } from 'otplib';
import { RECOVERY_CODES } from '../../server/accounts/two-factor.ts';
import { Browser, pageOf, type Page } from '../../packages/form-browser/browser.ts';
import { authorizeAndExchange, type WebApp } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { form, signInToPortal } from '../portal/helpers.ts';

/** A code for the next time step: the current one may already be spent by an earlier sign-in. */
const codeAt = (secret: string, offsetSeconds = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });

describe('two-factor authentication (TOTP)', function () {
  this.timeout(20_000);
  let server: TestServer;
  let app: WebApp;
  const redirectUri = 'http://localhost:8766/callback';

  before(async () => {
    server = await startServer();
    const created = await server.createClient({ name: 'Amr App', type: 'web', scopes: 'openid read:contacts', redirectUris: [redirectUri] });
    app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
  });
  after(() => server?.stop({ removeData: true }));

  async function enrol(browser: Browser, home: Page): Promise<{ secret: string; codes: string[] }> {
    void home;
    const enrolment = pageOf(await browser.navigate(`${server.issuer}/portal/security/two-factor`, 'nowhere:'));
    expect(enrolment.html).to.match(/<svg[^>]*viewBox/);
    expect(enrolment.headers.get('content-security-policy')).not.to.include('data:');
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(enrolment.html)![1]!;
    const wrong = pageOf(await browser.submit(form(enrolment, '/portal/security/two-factor'), { code: '000000' }, 'nowhere:'));
    expect(wrong.status).to.equal(400);
    const done = pageOf(await browser.submit(form(wrong, '/portal/security/two-factor'), { code: await codeAt(secret) }, 'nowhere:'));
    const codes = [...done.html.matchAll(/<li><code>([\w-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    expect(codes).to.have.length(RECOVERY_CODES);
    return { secret, codes };
  }

  async function passwordStep(user: { email: string; password: string }, browser = new Browser()): Promise<{ browser: Browser; page: Page }> {
    const login = pageOf(await browser.navigate(`${server.issuer}/portal/login`, 'nowhere:'));
    const page = pageOf(await browser.submit(form(login, '/portal/login'), { email: user.email, password: user.password }, 'nowhere:'));
    return { browser, page };
  }

  it('enrols from the page\'s secret, keeps it sealed at rest, and asks for a code at every sign-in after', async () => {
    const user = await server.createUser('Two Factor Co');
    const browser = new Browser();
    const home = await signInToPortal(browser, server.issuer, user);
    const { secret, codes } = await enrol(browser, home);
    const security = pageOf(await browser.navigate(`${server.issuer}/portal/security`, 'nowhere:'));
    expect(security.html).to.include(`${RECOVERY_CODES} of ${RECOVERY_CODES} recovery codes unused`);
    if (!process.env.MONGODB_URI) {
      const file = await readFile(`${server.dataDir}/latchkey.sqlite`);
      expect(file.includes(Buffer.from(secret)), 'the TOTP secret is not in the database file').to.equal(false);
      for (const code of codes) expect(file.includes(Buffer.from(code)), 'nor any recovery code').to.equal(false);
    }
    expect((await server.latchkey.store.listMails(50)).some((m) => m.to === user.email && m.template === 'two_factor_changed')).to.equal(true);

    // The password alone signs nothing in: the code form follows, with an input named code.
    const { browser: next, page } = await passwordStep(user);
    expect(page.html).to.include('name="code"');
    expect((await next.request(`${server.issuer}/portal`)).status, 'not signed in yet').to.equal(303);
    const wrong = pageOf(await next.submit(form(page, '/portal/login/code'), { code: '123456' }, 'nowhere:'));
    expect(wrong.status).to.equal(401);
    const code = await codeAt(secret, 30);
    const landed = pageOf(await next.submit(form(wrong, '/portal/login/code'), { code }, 'nowhere:'));
    expect(new URL(landed.url).pathname).to.equal('/portal');

    // The same code again, in another browser: refused (each time step once).
    const { browser: replay, page: again } = await passwordStep(user);
    const refused = pageOf(await replay.submit(form(again, '/portal/login/code'), { code }, 'nowhere:'));
    expect(refused.status).to.equal(401);

    // A recovery code signs in once, and is audited.
    const { browser: lost, page: codePage } = await passwordStep(user);
    const recovered = pageOf(await lost.submit(form(codePage, '/portal/login/code'), { code: codes[0]! }, 'nowhere:'));
    expect(new URL(recovered.url).pathname).to.equal('/portal');
    const { browser: twice, page: codePage2 } = await passwordStep(user);
    expect(pageOf(await twice.submit(form(codePage2, '/portal/login/code'), { code: codes[0]! }, 'nowhere:')).status).to.equal(401);
    const audited = await server.latchkey.store.listAuditEvents(user.accountId, 100);
    expect(audited.map((e) => e.action)).to.include.members(['user.two_factor_enabled', 'user.recovery_code_used']);
    // Sign-ins are recorded once the second factor is right, with how; wrong codes as failures.
    expect(audited.filter((e) => e.action === 'user.signed_in').map((e) => e.detail?.method)).to.include('pwd otp');
    expect(audited.filter((e) => e.action === 'user.sign_in_failed').map((e) => e.detail?.why)).to.include('wrong code');
  });

  it('asks for the code on the authorization server\'s login too, and the ID token says how (amr)', async () => {
    const user = await server.createUser('Amr Co');
    const browser = new Browser();
    await signInToPortal(browser, server.issuer, user);
    const home = pageOf(await browser.navigate(`${server.issuer}/portal`, 'nowhere:'));
    const { secret } = await enrol(browser, home);
    const { tokens } = await authorizeAndExchange(app, { ...user, code: () => codeAt(secret, 30) }, { scope: 'openid read:contacts' });
    expect(decodeJwt(tokens.id_token!).amr, JSON.stringify(decodeJwt(tokens.id_token!))).to.deep.equal(['pwd', 'otp']);
  });
});
