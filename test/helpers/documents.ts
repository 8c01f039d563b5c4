// Client ID metadata documents served over https on loopback, as an agent's maker would serve them:
// a test certificate authority made for the run (its certificate in a file the server under test
// trusts, through LATCHKEY_OUTBOUND_CA_FILE or NODE_EXTRA_CA_CERTS), a certificate for 127.0.0.1
// and localhost signed by it, and an https server answering each path with the document set for it.
import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export interface TestCa {
  /** The CA's certificate (PEM) in a file, for the server under test to trust. */
  readonly caFile: string;
  readonly cert: string;
  readonly key: string;
}

/** A CA valid for a day, and a certificate for 127.0.0.1, ::1 and localhost that it signed. */
export async function makeTestCa(): Promise<TestCa> {
  const validity = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) };
  const caKeys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=Latchkey test CA', keys: caKeys, signingAlgorithm: ALG, ...validity,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const leafKeys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02', subject: 'CN=127.0.0.1', issuer: ca.subject, publicKey: leafKeys.publicKey, signingKey: caKeys.privateKey,
    signingAlgorithm: ALG, ...validity,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' }, { type: 'dns', value: 'localhost' }])],
  });
  const caFile = join(mkdtempSync(join(tmpdir(), 'latchkey-ca-')), 'ca.pem');
  writeFileSync(caFile, ca.toString('pem'));
  const key = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', leafKeys.privateKey), 'PRIVATE KEY');
  return { caFile, cert: leaf.toString('pem'), key };
}

export interface DocumentServer {
  readonly origin: string;
  /** Serves `body` (an object as JSON, or raw text) at `path`; returns the document's URL. */
  serve(path: string, body: unknown, headers?: Record<string, string>): string;
  /** How many times a path was fetched. */
  fetches(path: string): number;
  close(): Promise<void>;
}

export async function startDocumentServer(ca: TestCa): Promise<DocumentServer> {
  const documents = new Map<string, { body: string; headers: Record<string, string> }>();
  const counts = new Map<string, number>();
  const server: Server = createServer({ key: ca.key, cert: ca.cert }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const document = documents.get(path);
    if (!document) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', ...document.headers }).end(document.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const origin = `https://127.0.0.1:${port}`;
  return {
    origin,
    serve(path, body, headers = {}) {
      documents.set(path, { body: typeof body === 'string' ? body : JSON.stringify(body), headers });
      return `${origin}${path}`;
    },
    fetches: (path) => counts.get(path) ?? 0,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
