// The example Orders API (examples/orders-api) as a separate process, as an operator runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/processes.ts';
import { freePort } from '../helpers/server.ts';

export interface ExampleProcess {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function startOrdersApi(env: Record<string, string>): Promise<ExampleProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'examples/orders-api/server.ts')], {
    cwd: ROOT, env: { PATH: process.env.PATH, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
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
