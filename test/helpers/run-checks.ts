// The two run-wide checks, once after the whole run, in mocha's main process (mochaGlobalTeardown;
// with --parallel a root after-hook would run once per file in each worker and see only part of the
// run). Each reads what every process of the run wrote to the run folder (run-folder.ts):
// - every error code any test met is in the catalog, and every OAuth error links to its entry;
// - no secret a helper recorded appears in any test server's log.
import { rmSync } from 'node:fs';
import { CATALOG_TEST_RAN, problemsIn } from './error-catalog-check.ts';
import { SEEN_ERRORS, type SeenError } from './error-recorder.ts';
import { secretsInRunLogs } from './log-scan.ts';
import { readLines, runFolder } from './run-folder.ts';

function runWideProblems(): string[] {
  const problems: string[] = [];
  const seen = readLines<SeenError>(SEEN_ERRORS);
  // A full run meets many errors; none at all means the recorder stopped recording.
  if (readLines(CATALOG_TEST_RAN).length > 0 && seen.length === 0) problems.push('the error recorder saw no error at all');
  const uncatalogued = problemsIn(seen);
  if (uncatalogued.length > 0) problems.push(`errors the catalog does not cover:\n${uncatalogued.join('\n')}`);
  const leaked = secretsInRunLogs();
  if (leaked.length > 0) problems.push(`the test server logs hold ${leaked.length} recorded secret(s):\n  ${leaked.join('\n  ')}`);
  return problems;
}

export function mochaGlobalTeardown(): void {
  const problems = runWideProblems();
  if (problems.length > 0) {
    // Kept for a look; named in the failure.
    throw new Error(`run-wide checks failed (files in ${runFolder()}):\n${problems.join('\n')}`);
  }
  rmSync(runFolder(), { recursive: true, force: true });
}
