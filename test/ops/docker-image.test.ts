// The Docker image copies folders one by one: every folder the server's code imports at run time, and
// every folder it reads files from, must be copied and not excluded by .dockerignore.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../helpers/processes.ts';

const RUNTIME_ROOTS = ['server', 'config', 'adapters', 'cli', 'packages'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Top-level folders reached by the relative imports of the run-time code. */
function importedFolders(): Set<string> {
  const folders = new Set<string>();
  for (const root of RUNTIME_ROOTS) {
    for (const file of sourceFiles(join(ROOT, root))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
        folders.add(relative(ROOT, resolve(dirname(file), match[1]!)).split('/')[0]!);
      }
    }
  }
  return folders;
}

describe('the Docker image', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const copied = new Set([...dockerfile.matchAll(/^COPY (?!--)(\S+) /gm)].map((m) => m[1]!));
  const ignored = new Set(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));

  it('copies every folder the server imports, and none of them is excluded from the build context', () => {
    const needed = [...importedFolders()].filter((folder) => folder !== 'node_modules');
    expect(needed).to.include.members(['server', 'config', 'adapters', 'packages']);
    for (const folder of needed) {
      expect(copied.has(folder), `Dockerfile copies ${folder}/`).to.equal(true);
      expect(ignored.has(folder), `.dockerignore keeps ${folder}/`).to.equal(false);
    }
  });

  it('copies the folders read at run time (views, static, docs) without excluding them', () => {
    for (const folder of ['views', 'static', 'docs']) {
      expect(copied.has(folder), `Dockerfile copies ${folder}/`).to.equal(true);
      expect(ignored.has(folder), `.dockerignore keeps ${folder}/`).to.equal(false);
    }
  });

  it('builds both stages on one base image, given as a tag or pinned by digest', () => {
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(stages).to.deep.equal(['${NODE_IMAGE}', '${NODE_IMAGE}']);
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base, 'ARG NODE_IMAGE before the first FROM').to.match(/^node:24[-\w.]*(@sha256:[0-9a-f]{64})?$/);
    expect(dockerfile.indexOf('ARG NODE_IMAGE')).to.be.below(dockerfile.indexOf('FROM '));
  });
});
