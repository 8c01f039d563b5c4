// Packing the guard library and installing packages into a fresh project with no network: the
// versions Latchkey's own lockfile pins, read from the cache `npm ci` filled. npm resolves a
// version range through the registry's package document, which `npm ci` never fetches, so the
// project gets a lockfile written from ours (name, version, integrity: enough for `--offline`).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ROOT, run, type RunResult } from './processes.ts';

interface LockEntry {
  version: string;
  integrity?: string;
  resolved?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

function must(result: RunResult, what: string): RunResult {
  if (result.code !== 0) throw new Error(`${what} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

export interface PackedGuard { work: string; tarball: string; integrity: string; version: string; files: string[] }

/**
 * `npm pack` of packages/guard as an operator runs it, in a copy of the package (parallel test
 * workers each build their own `dist`); its `prepack` compiles with the repository's TypeScript.
 * The caller removes the returned `work` folder.
 */
export async function packGuard(): Promise<PackedGuard> {
  // Under the repository's node_modules, so its compile finds jose's and Node's types as packages/guard does.
  const cache = join(ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(cache, 'latchkey-guard-pack-'));
  const copy = join(work, 'guard');
  mkdirSync(copy);
  const source = join(ROOT, 'packages/guard');
  for (const name of readdirSync(source)) {
    if (name.endsWith('.ts') || name.endsWith('.json') || name.endsWith('.md')) copyFileSync(join(source, name), join(copy, name));
  }
  const env = { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}` };
  const { stdout } = must(await run('npm', ['pack', '--json', '--pack-destination', work], copy, env, 120_000), 'npm pack');
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; integrity: string; version: string; files: { path: string }[] }[];
  if (!packed) throw new Error(`npm pack printed no package: ${stdout}`);
  return { work, tarball: join(work, packed.filename), integrity: packed.integrity, version: packed.version, files: packed.files.map((f) => f.path) };
}

const rootLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** Where Node would find `name` from the package installed at `from` (a lockfile path). */
function resolveIn(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = `${dir === '.' || dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (rootLock.packages[candidate]) return candidate;
    if (dir === '.' || dir === '' || dir === '/') return undefined;
  }
}

/** The lockfile entries of these packages and everything they need, at the paths our lockfile has them. */
function closure(names: string[]): Record<string, LockEntry> {
  const found: Record<string, LockEntry> = {};
  const queue = names.map((name) => {
    const path = resolveIn('', name);
    if (!path) throw new Error(`${name} is not in Latchkey's package-lock.json`);
    return path;
  });
  while (queue.length) {
    const path = queue.shift()!;
    if (found[path]) continue;
    // Flags that describe our tree (dev, optional, peer), not the new project's: npm works them out.
    const entry = { ...rootLock.packages[path]! };
    for (const flag of ['dev', 'devOptional', 'optional', 'peer']) delete entry[flag];
    found[path] = entry;
    const optionalPeers = entry.peerDependenciesMeta ?? {};
    const needs = [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !optionalPeers[n]?.optional)];
    for (const name of needs) {
      const at = resolveIn(path, name);
      if (at) queue.push(at);
    }
  }
  return found;
}

/**
 * A new project holding the packed guard and these dependencies (name to version range; Latchkey's
 * locked version of each is installed), with `npm install --offline`.
 */
export async function installOffline(dir: string, guard: PackedGuard, wanted: Record<string, string>, extra: Record<string, unknown> = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tarball = basename(guard.tarball);
  copyFileSync(guard.tarball, join(dir, tarball));
  const names = Object.keys(wanted).filter((name) => name !== '@latchkey/guard');
  const entries = closure(['jose', ...names]);
  const dependencies: Record<string, string> = { '@latchkey/guard': `file:${tarball}` };
  for (const name of names) dependencies[name] = wanted[name] || entries[`node_modules/${name}`]!.version;
  const manifest = JSON.parse(readFileSync(join(ROOT, 'packages/guard/package.json'), 'utf8')) as LockEntry;
  const root = { name: basename(dir), version: '1.0.0', private: true, type: 'module', ...extra, dependencies };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(root, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify({
    name: root.name, version: root.version, lockfileVersion: 3, requires: true,
    packages: {
      '': { name: root.name, version: root.version, dependencies },
      'node_modules/@latchkey/guard': {
        version: guard.version, resolved: `file:${tarball}`, integrity: guard.integrity,
        dependencies: manifest.dependencies, peerDependencies: manifest.peerDependencies,
        peerDependenciesMeta: manifest.peerDependenciesMeta, engines: manifest.engines,
      },
      ...entries,
    },
  }, null, 2)}\n`);
  must(await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], dir, process.env, 120_000), 'npm install --offline');
}
