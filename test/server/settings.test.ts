import { expect } from 'chai';
import { SettingsError, loadSettings } from '../../config/settings.ts';
import { runNode } from '../helpers/processes.ts';
import { tempDataDir } from '../helpers/server.ts';

describe('settings', () => {
  it('has the documented defaults', () => {
    const settings = loadSettings({});
    expect(settings.port).to.equal(3000);
    expect(settings.host).to.equal('127.0.0.1');
    expect(settings.issuer).to.equal('http://localhost:3000');
    expect(settings.dataDir).to.match(/\/data$/);
    expect(settings.mongodbUri).to.equal(undefined);
    expect(settings.nodeEnv).to.equal('development');
    expect(settings.registration, 'no dynamic registration unless the operator says so').to.equal('off');
    expect(settings.agents, 'no metadata documents unless the operator says so').to.deep.include({ clientIdMetadata: false, outboundCa: undefined });
    expect(settings.shutdownDrainSeconds, 'development stops at once').to.equal(0);
  });

  it('drains 10 seconds on SIGTERM in production unless told otherwise', () => {
    const production = { NODE_ENV: 'production', ISSUER: 'https://auth.example', TRUST_PROXY: 'true' };
    expect(loadSettings(production).shutdownDrainSeconds).to.equal(10);
    expect(loadSettings({ ...production, LATCHKEY_SHUTDOWN_DRAIN: '45s' }).shutdownDrainSeconds).to.equal(45);
    expect(loadSettings({ LATCHKEY_SHUTDOWN_DRAIN: '2' }).shutdownDrainSeconds).to.equal(2);
  });

  const bad: [Record<string, string>, string, RegExp][] = [
    [{ PORT: 'abc' }, 'PORT', /0 to 65535/],
    [{ PORT: '70000' }, 'PORT', /0 to 65535/],
    [{ ISSUER: 'ftp://auth.example' }, 'ISSUER', /http\(s\) URL/],
    [{ ISSUER: 'https://auth.example/?x=1' }, 'ISSUER', /query/],
    [{ ISSUER: 'http://auth.example', NODE_ENV: 'production' }, 'ISSUER', /https in production/],
    [{ ISSUER: 'https://auth.example', NODE_ENV: 'production' }, 'TRUST_PROXY', /TRUST_PROXY=true.*ISSUER|ISSUER.*TRUST_PROXY=true/],
    [{ ISSUER: 'https://auth.example', NODE_ENV: 'production', TRUST_PROXY: 'false' }, 'TRUST_PROXY', /TLS/],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV', /development, production or test/],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI', /mongodb:\/\//],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY', /true or false/],
    [{ LATCHKEY_REGISTRATION: 'yes' }, 'LATCHKEY_REGISTRATION', /off, token or open/],
    [{ LATCHKEY_CLIENT_ID_METADATA: 'yes' }, 'LATCHKEY_CLIENT_ID_METADATA', /on or off/],
    [{ LATCHKEY_OUTBOUND_CA_FILE: '/nonexistent/ca.pem' }, 'LATCHKEY_OUTBOUND_CA_FILE', /cannot be read/],
    [{ LATCHKEY_OUTBOUND_CA_FILE: import.meta.filename }, 'LATCHKEY_OUTBOUND_CA_FILE', /no PEM certificate/],
    [{ LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_CLIENT: '0' }, 'LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_CLIENT', /whole number from 1/],
    [{ LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_HOST: 'lots' }, 'LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_HOST', /whole number from 1/],
    [{ HOST: 'local host' }, 'HOST', /host name/],
    [{ LATCHKEY_SHUTDOWN_DRAIN: 'forever' }, 'LATCHKEY_SHUTDOWN_DRAIN', /0 to 300 seconds/],
    [{ LATCHKEY_SHUTDOWN_DRAIN: '1h' }, 'LATCHKEY_SHUTDOWN_DRAIN', /0 to 300 seconds/],
    [{ LATCHKEY_PEPPER: 'x', LATCHKEY_PEPPER_FILE: '/x' }, 'LATCHKEY_PEPPER', /not both/],
    [{ LATCHKEY_JWKS_FILE: '/nonexistent/jwks.json' }, 'LATCHKEY_JWKS_FILE', /cannot read/],
  ];
  for (const [env, variable, message] of bad) {
    it(`refuses ${JSON.stringify(env)}, naming ${variable}`, () => {
      try {
        loadSettings(env);
      } catch (err) {
        expect(err).to.be.instanceOf(SettingsError);
        expect((err as SettingsError).variable).to.equal(variable);
        expect((err as Error).message).to.match(message);
        return;
      }
      throw new Error('expected a SettingsError');
    });
  }

  it('stops the server at boot with a message naming the variable', async () => {
    const result = await runNode('server/main.ts', [], { PORT: 'eighty', DATA_DIR: tempDataDir() });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/invalid setting PORT: "eighty" is not a port number/);
  });

  it('refuses a malformed signing key set at boot', async () => {
    const result = await runNode('server/main.ts', [], { PORT: '0', DATA_DIR: tempDataDir(), LATCHKEY_JWKS: '{"keys":[]}' });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/LATCHKEY_JWKS/);
  });
});
