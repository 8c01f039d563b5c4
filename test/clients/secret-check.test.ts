// The client-secret check oidc-provider calls (harden.ts), on a client object as oidc-provider
// builds one: a secret seen to match is remembered for that object, but only while it is accepted.
import { expect } from 'chai';
import type Provider from 'oidc-provider';
import { checkHashedClientSecrets } from '../../server/oidc/harden.ts';
import { SECRETS_PROPERTY } from '../../server/oidc/client-metadata.ts';
import { Pepper } from '../../server/secrets.ts';

interface FakeClient { clientId: string; clientSecret: string; metadata(): Record<string, unknown>; compareClientSecret(actual: string): Promise<boolean> }

describe('client secret check', () => {
  const oldPepper = { id: '1', key: Buffer.alloc(32, 1) };
  const pepper = new Pepper([{ id: '2', key: Buffer.alloc(32, 2) }, oldPepper]);
  const uses: string[] = [];
  const moved: string[] = [];
  const Client = function FakeClient() {} as unknown as { prototype: FakeClient; new(): FakeClient };
  checkHashedClientSecrets({ Client } as unknown as Provider, pepper, (id) => uses.push(id), (_client, id) => moved.push(id));

  function client(secrets: { id: string; hash: string; expires_at: number | null }[]): FakeClient {
    const made = new Client();
    made.clientId = 'app';
    made.clientSecret = secrets[0]!.hash;
    const metadata = { [SECRETS_PROPERTY]: secrets };
    made.metadata = () => metadata;
    return made;
  }

  it('refuses a remembered secret once its overlap ends, with no change to the client', async () => {
    const realNow = Date.now;
    const start = realNow();
    const ending = client([
      { id: 'cs_new', hash: pepper.hash('new-secret'), expires_at: null },
      { id: 'cs_old', hash: pepper.hash('old-secret'), expires_at: Math.floor(start / 1000) + 60 },
    ]);
    try {
      expect(await ending.compareClientSecret('old-secret')).to.equal(true);
      expect(await ending.compareClientSecret('old-secret')).to.equal(true);
      expect(await ending.compareClientSecret('wrong')).to.equal(false);
      Date.now = () => start + 61_000;
      expect(await ending.compareClientSecret('old-secret')).to.equal(false);
      expect(await ending.compareClientSecret('new-secret')).to.equal(true);
    } finally {
      Date.now = realNow;
    }
    expect(uses).to.deep.equal(['cs_old', 'cs_old', 'cs_new']);
  });

  it('tells every use of a secret under an old pepper, so that it moves, not only the first', async () => {
    const { createHmac } = await import('node:crypto');
    const underOld = createHmac('sha256', oldPepper.key).update('legacy-secret').digest('base64url');
    const legacy = client([{ id: 'cs_legacy', hash: underOld, expires_at: null }]);
    expect(await legacy.compareClientSecret('legacy-secret')).to.equal(true);
    expect(await legacy.compareClientSecret('legacy-secret')).to.equal(true);
    expect(moved).to.deep.equal(['cs_legacy', 'cs_legacy']);
  });
});
