// Runs the project's own entry points as separate processes, as a platform team would.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end without blocking the event loop (an in-process server may be serving). */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${command} ${args.join(' ')} did not exit in ${timeoutMs} ms`)); }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export function runNode(script: string, args: string[], env: Record<string, string | undefined>, timeoutMs = 20_000, cwd = ROOT): Promise<RunResult> {
  return run(process.execPath, [join(ROOT, script), ...args], cwd, { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeoutMs);
}

export function cli(args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  return runNode('cli/latchkey.ts', args, env);
}

/** Runs a CLI command with --json: it must exit 0 and print exactly one JSON object on stdout. */
export async function cliJson(args: string[], env: Record<string, string | undefined>): Promise<Record<string, unknown>> {
  const result = await cli([...args, '--json'], env);
  expect(result.code, result.stderr).to.equal(0);
  const lines = result.stdout.trim().split('\n');
  expect(lines, 'one JSON object on stdout').to.have.length(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}
