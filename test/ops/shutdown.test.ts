// SIGTERM: the server stops taking connections, lets a request in flight finish, and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { ROOT } from '../helpers/processes.ts';
import { freePort, tempDataDir } from '../helpers/server.ts';

function startMain(port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH, PORT: String(port), ISSUER: `http://localhost:${port}`, DATA_DIR: tempDataDir(), NODE_ENV: 'test',
  };
  if (process.env.MONGODB_URI) Object.assign(env, { MONGODB_URI: process.env.MONGODB_URI, MONGODB_DATABASE: `latchkey_shutdown_${Date.now()}` });
  const child = spawn(process.execPath, [join(ROOT, 'server/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start: ${output}`)), 15_000);
    const check = () => {
      if (output.includes('latchkey started')) { clearTimeout(timer); resolve({ child, output: () => output }); }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${output}`)); });
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection. */
function readAll(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (d: Buffer) => { text += d.toString(); });
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

describe('graceful shutdown', function () {
  this.timeout(30_000);
  let child: ChildProcess | undefined;
  after(() => { if (child && child.exitCode === null) child.kill('SIGKILL'); });

  it('finishes a request still uploading at SIGTERM, refuses new connections, exits 0', async () => {
    const port = await freePort();
    const started = await startMain(port);
    child = started.child;
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    // /token reads the whole body before it can authenticate the client: the request is in flight until the last byte.
    const body = 'grant_type=client_credentials&client_id=nobody&client_secret=not-a-secret&scope=read%3Acontacts';
    const socket = await open(port);
    const answer = readAll(socket);
    socket.write(`POST /token HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\n`
      + `Content-Length: ${body.length}\r\nX-Request-Id: slow-upload\r\n\r\n`);
    const chunks = body.match(/.{1,10}/g)!;
    for (const [i, chunk] of chunks.entries()) {
      socket.write(chunk);
      if (i === 2) {
        child.kill('SIGTERM');
        await sleep(200);
        // Listening has stopped: a new connection is refused.
        const refused = await open(port).then((s) => { s.destroy(); return undefined; }, (err: NodeJS.ErrnoException) => err.code);
        expect(refused).to.equal('ECONNREFUSED');
      }
      await sleep(100);
    }

    const response = await answer;
    expect(response, started.output()).to.match(/^HTTP\/1\.1 (400|401) /);
    expect(response).to.match(/\r\nx-request-id: slow-upload\r\n/i);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).to.have.property('error');
    expect(await exited, started.output()).to.equal(0);
    expect(started.output()).to.include('shutting down').and.include('"message":"shut down"');
  });
});
