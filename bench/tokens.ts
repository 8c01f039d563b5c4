// Tokens the benchmark sends: JWTs signed in advance with the server's key (each verified cold, once),
// a raw node:crypto verify to compare them with, and one client-credentials token (verified cached).
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { lowS } from '../packages/guard/jws.ts';
import { basic, type Seeded } from './seed.ts';

/** Writes `count` compact ES256 JWTs signed with the server's key, each with its own jti; returns one raw verify's cost in ms. */
export function coldTokens(seeded: Seeded, issuer: string, count: number, file: string): number {
  const key = createPrivateKey({ key: seeded.es256, format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: seeded.es256.kid })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const payload = Buffer.from(JSON.stringify({
      iss: issuer, aud: `${issuer}/api`, sub: 'bench', client_id: 'bench', scope: 'read:contacts', account_id: seeded.accountId,
      env: 'test', jti: `bench-${i}`, iat: now, exp: now + 900,
    })).toString('base64url');
    // Low-S, as Latchkey issues them: the guard refuses the high-S twin.
    const signature = lowS(sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' })).toString('base64url');
    lines.push(`${header}.${payload}.${signature}`);
  }
  writeFileSync(file, lines.join('\n'));
  return rawVerify(createPublicKey(key), lines[0]!);
}

/** Milliseconds per node:crypto ES256 verification on a cached KeyObject, over many iterations. */
function rawVerify(key: KeyObject, jwt: string): number {
  const [h, p, s] = jwt.split('.');
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s!, 'base64url');
  const iterations = 20_000;
  for (let i = 0; i < 1000; i += 1) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) {
    if (!verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('raw verify failed');
  }
  return (performance.now() - started) / iterations;
}

export async function clientCredentialsJwt(port: number, seeded: Seeded): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/token`, {
    method: 'POST', body: 'grant_type=client_credentials&scope=read:contacts',
    headers: { authorization: basic(seeded.service.clientId, seeded.service.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
  });
  const body = await response.json() as { access_token?: string };
  if (!body.access_token) throw new Error(`client credentials: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
