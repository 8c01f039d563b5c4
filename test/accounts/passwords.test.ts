// Password rules (NIST SP 800-63B): a minimum length, and no blank, very common or context-derived
// passwords. Through the service and through the CLI's `account create`, which calls it.
import { expect } from 'chai';
import { createAccountWithUser } from '../../server/accounts/service.ts';
import { ValidationError } from '../../config/errors.ts';
import { MIN_PASSWORD_LENGTH } from '../../server/accounts/passwords.ts';
import { cli } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('password rules', function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop({ removeData: true }));

  let n = 0;
  async function refusal(password: string, name = 'Acme Corp', local = `ada.lovelace${n += 1}`): Promise<string> {
    try {
      await createAccountWithUser(server.latchkey.store, { name, email: `${local}@acme.example`, password });
    } catch (err) {
      expect(err).to.be.instanceOf(ValidationError);
      expect((err as ValidationError).field).to.equal('password');
      const { message } = err as ValidationError;
      if (password.trim()) expect(message, 'the message never echoes the password').not.to.include(password.trim());
      return message;
    }
    throw new Error(`"${password}" was accepted`);
  }

  it('refuses blank-only passwords', async () => {
    expect(await refusal(' '.repeat(12))).to.equal('password must not be only spaces');
    expect(await refusal('\t \n'.repeat(5))).to.equal('password must not be only spaces');
  });

  it('keeps the minimum length', async () => {
    expect(await refusal('short')).to.equal(`password must be ${MIN_PASSWORD_LENGTH} to 1024 characters`);
  });

  it('refuses very common and trivially guessable passwords, saying why', async () => {
    expect(await refusal('password1234')).to.match(/^password is too easy to guess: .*common/i);
    expect(await refusal('aaaaaaaaaaaa')).to.match(/^password is too easy to guess: .*repeat/i);
    expect(await refusal('qwertyuiop12')).to.match(/^password is too easy to guess/);
    expect(await refusal('iloveyou1234')).to.match(/^password is too easy to guess/);
  });

  it('refuses passwords made from the email, its local part or the account name', async () => {
    expect(await refusal('grace.hopper@acme.example', 'Acme Corp', 'grace.hopper')).to.equal('password must not be based on your email address');
    expect(await refusal('gracehopper2024!', 'Acme Corp', 'grace.hopper')).to.equal('password must not be based on your email address');
    expect(await refusal('Acme Corp 2024!', 'Acme Corp')).to.equal('password must not be based on the account name');
    expect(await refusal('acmecorpacmecorp1', 'Acme Corp')).to.equal('password must not be based on the account name');
  });

  it('accepts passphrases', async () => {
    for (const password of ['correct horse battery staple', 'a long enough password', 'Tr0ub4dor&3 mango fjord']) {
      n += 1;
      const created = await createAccountWithUser(server.latchkey.store, { name: 'Acme Corp', email: `ok${n}@acme.example`, password });
      expect(created.accountId).to.match(/^acct_/);
    }
  });

  it('says what is wrong through the CLI, on stderr, without echoing the password', async () => {
    const env = server.cliEnv;
    const cases: [string, RegExp][] = [
      ['password1234', /^latchkey: password is too easy to guess: /],
      ['ops.team@cli.example', /^latchkey: password must not be based on your email address$/],
      [' '.repeat(16), /^latchkey: password must not be only spaces$/],
    ];
    for (const [password, message] of cases) {
      const result = await cli(['account', 'create', '--name', 'CLI Co', '--email', 'ops.team@cli.example', '--password', password, '--json'], env);
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stdout).to.equal('');
      // The last line: the first names the store, catalog and settings file the command runs on.
      expect(result.stderr.trim().split('\n').at(-1)).to.match(message);
      if (password.trim()) expect(result.stderr).not.to.include(password);
    }
  });
});
