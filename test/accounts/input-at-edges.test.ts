// Input at the edges of sign-up: the operator's own identity cannot be claimed, emails are
// normalised (NFKC, lower case, an internationalised domain in its ASCII form) and refused with
// control or invisible characters (lookalike addresses), and account names follow the rules of
// client names (one visible line).
import { expect } from 'chai';
import { Browser } from '../../packages/form-browser/browser.ts';
import { ValidationError } from '../../config/errors.ts';
import { createAccountWithUser, EmailTakenError } from '../../server/accounts/service.ts';
import { ensureOperatorAccount, OPERATOR_ACCOUNT_ID } from '../../server/clients/resource-servers.ts';
import { newOwner, postSignUp } from '../portal/helpers.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('input at the edges of sign-up', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop({ removeData: true }));

  const signUp = (email: string, name = 'Edge Co') => createAccountWithUser(server.latchkey.store, { name, email, password: newOwner().password });

  it('refuses a sign-up as the operator, so resource servers can still be created', async () => {
    const answer = await postSignUp(new Browser(), server.issuer, { ...newOwner('Squatter'), email: 'operator@latchkey.invalid' });
    expect(answer.status, 'the form again, not a redirect into the portal').to.equal(400);
    expect(await server.latchkey.store.findUserByEmail('operator@latchkey.invalid')).to.equal(undefined);
    for (const lookalike of ['ＯＰＥＲＡＴＯＲ@latchkey.INVALID', 'operator@latchkey.invalid.']) {
      let refused: unknown;
      try {
        await signUp(lookalike);
      } catch (err) {
        refused = err;
      }
      expect(refused, lookalike).to.be.instanceOf(ValidationError);
    }
    expect(await ensureOperatorAccount(server.latchkey.store)).to.equal(OPERATOR_ACCOUNT_ID);
  });

  it('refuses control and invisible characters in an email: no lookalike addresses', async () => {
    for (const email of ['ada\u200b@example.com', 'ada@exam\u200dple.com', 'ada\u0000@example.com', 'ada\u202e@example.com']) {
      let refused: unknown;
      try {
        await signUp(email);
      } catch (err) {
        refused = err;
      }
      expect(refused, JSON.stringify(email)).to.be.instanceOf(ValidationError);
      expect((refused as ValidationError).field).to.equal('email');
    }
  });

  it('normalises an email before comparing: NFKC, lower case, the domain in ASCII', async () => {
    const stamp = Date.now();
    await signUp(`grace.${stamp}@bücher.example`);
    const user = await server.latchkey.store.findUserByEmail(`grace.${stamp}@xn--bcher-kva.example`);
    expect(user, 'stored with the ASCII form of the domain').to.not.equal(undefined);
    let taken: unknown;
    try {
      await signUp(`ＧＲＡＣＥ.${stamp}@BÜCHER.example`);
    } catch (err) {
      taken = err;
    }
    expect(taken, 'fullwidth and upper-case forms are the same address').to.be.instanceOf(EmailTakenError);
  });

  it('refuses control characters in an account name, as in a client name', async () => {
    let refused: unknown;
    try {
      await signUp(`name.${Date.now()}@example.com`, 'Acme\u0007 Corp\nOfficial');
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(ValidationError);
    expect((refused as ValidationError).field).to.equal('name');
  });
});
