// Key material: given by the operator (environment or file), or generated once and kept in the store.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { ROOT } from '../helpers/processes.ts';
import { freePort, PRODUCTION_SMTP_URL, startServer, tempDataDir } from '../helpers/server.ts';

async function privateJwk(alg: 'ES256' | 'RS256') {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

describe('key material', () => {
  it('uses the signing keys, cookie keys and pepper the operator gives (here as files)', async () => {
    const dir = tempDataDir();
    const jwks = { keys: [await privateJwk('ES256'), await privateJwk('RS256')] };
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks));
    const server = await startServer({
      dataDir: dir,
      env: {
        LATCHKEY_JWKS_FILE: join(dir, 'jwks.json'),
        LATCHKEY_COOKIE_KEYS: 'a-cookie-key-of-at-least-32-characters-x,an-older-cookie-key-still-accepted-xx',
        LATCHKEY_PEPPER: Buffer.alloc(32, 7).toString('base64url'),
      },
    });
    try {
      const published = await (await fetch(`${server.issuer}/jwks`)).json() as { keys: { kid: string; d?: string }[] };
      expect(published.keys.map((k) => k.kid).sort()).to.deep.equal(jwks.keys.map((k) => k.kid).sort());
      expect(published.keys.every((k) => k.d === undefined), 'no private part published').to.equal(true);
    } finally {
      await server.stop({ removeData: true });
    }
  });

  it('warns in production when it keeps generated key material in the store', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'server/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: tempDataDir(), NODE_ENV: 'production', ISSUER: `http://localhost:${port}`, LATCHKEY_SMTP_URL: PRODUCTION_SMTP_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${output}`)), 15_000);
      const poll = setInterval(() => {
        if (output.includes('latchkey started')) { clearInterval(poll); clearTimeout(timer); resolve(); }
      }, 50);
    });
    child.kill('SIGTERM');
    const warning = output.split('\n').find((line) => line.includes('"level":"warn"'));
    expect(warning, output).to.be.a('string');
    expect(warning).to.include('LATCHKEY_JWKS').and.include('LATCHKEY_COOKIE_KEYS').and.include('LATCHKEY_PEPPER');
    // It says what a copy of the database then allows, and how to move the material out of it.
    expect(warning).to.match(/forge access and ID tokens/).and.match(/guesses/).and.match(/no client secret, API key, password/);
    expect(warning).to.include('LATCHKEY_JWKS_FILE').and.include('LATCHKEY_COOKIE_KEYS_FILE').and.include('LATCHKEY_PEPPER_FILE');
    expect(output).not.to.match(/"d":"/);
  });
});
