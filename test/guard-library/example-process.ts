// The example Orders API (examples/orders-api) as a separate process, installed and run as an operator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { installOffline, packGuard } from '../helpers/offline-install.ts';
import { ROOT } from '../helpers/processes.ts';
import { freePort } from '../helpers/server.ts';

export interface ExampleProcess {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The example installed as its README says, into a new folder: its files, and its dependencies
 * from its package.json with the guard from the packed tarball (not the repository's source),
 * and `more` packages at Latchkey's locked versions.
 */
export async function installOrdersApi(more: Record<string, string> = {}): Promise<{ dir: string; remove(): void }> {
  const guard = await packGuard();
  // Outside node_modules: Node strips the types of the example's own files only there.
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-orders-api-'));
  const example = join(ROOT, 'examples/orders-api');
  const manifest = JSON.parse(readFileSync(join(example, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; scripts: object };
  if (manifest.dependencies['@latchkey/guard'] !== `file:../../packages/guard/${basename(guard.tarball)}`) {
    throw new Error(`examples/orders-api/package.json must depend on the tarball npm pack makes (${basename(guard.tarball)})`);
  }
  for (const name of readdirSync(example).filter((n) => n.endsWith('.ts') || n === 'catalog.json')) copyFileSync(join(example, name), join(dir, name));
  await installOffline(dir, guard, { ...manifest.dependencies, ...more }, { scripts: manifest.scripts });
  return { dir, remove: () => { for (const d of [guard.work, dir]) rmSync(d, { recursive: true, force: true }); } };
}

export async function startOrdersApi(dir: string, env: Record<string, string>): Promise<ExampleProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['server.ts'], {
    cwd: dir, env: { PATH: process.env.PATH, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`orders-api did not start: ${output}`)), 15_000);
    const poll = setInterval(() => {
      if (output.includes('orders-api listening')) { clearTimeout(timer); clearInterval(poll); resolve(); }
    }, 20);
    child.once('exit', (code) => { clearTimeout(timer); clearInterval(poll); reject(new Error(`orders-api exited ${code}: ${output}`)); });
  });
  child.removeAllListeners('exit');
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
