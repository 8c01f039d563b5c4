// Records every error code the server answers during the test run, wherever a test meets one:
// an OAuth JSON body (`error`), our own body (`error.code`), an `error=` redirect to a client, and
// an error page ("Error code: <code>…</code>"). test/docs/error-catalog.test.ts checks, after the
// whole run, that each is in the catalog and that each OAuth error links to it (error_uri).
// Registered in .mocharc.json, so it is loaded in every process of the run (each --parallel
// worker too); every error is appended at once to this process's file in the run folder
// (test/helpers/run-folder.ts), where the run-wide check (test/helpers/run-checks.ts) reads them all.
import { appendLines } from './run-folder.ts';

export interface SeenError {
  code: string;
  form: 'oauth' | 'latchkey' | 'redirect' | 'page';
  status: number;
  url: string;
  /** The OAuth error_uri (or our docs_url), if the answer had one. */
  link: string | undefined;
  /** The body or Location, for the failure message. */
  sample: string;
}

const RECORDER = Symbol.for('latchkey.errorRecorder');
type Recorder = { seen: SeenError[] };
const holder = globalThis as typeof globalThis & { [RECORDER]?: Recorder };

function record(seen: SeenError[], response: Response, url: string, text: string): void {
  const type = response.headers.get('content-type') ?? '';
  const { status } = response;
  if (type.includes('json')) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return;
    }
    const error = (body as { error?: unknown } | null)?.error;
    if (typeof error === 'string') {
      seen.push({ code: error, form: 'oauth', status, url, link: (body as { error_uri?: string }).error_uri, sample: text });
    } else if (error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string') {
      const { code, docs_url: link } = error as { code: string; docs_url?: string };
      seen.push({ code, form: 'latchkey', status, url, link, sample: text });
    }
  } else if (type.includes('html')) {
    const code = /Error code: <code>([^<]+)<\/code>/.exec(text)?.[1];
    if (code) seen.push({ code, form: 'page', status, url, link: undefined, sample: code });
  }
}

function recordRedirect(seen: SeenError[], response: Response, url: string): void {
  const location = response.headers.get('location');
  if (!location) return;
  let target: URL;
  try {
    target = new URL(location, url);
  } catch {
    return;
  }
  // response_mode=query puts the error in the query, fragment in the fragment.
  const params = target.hash.includes('error=') ? new URLSearchParams(target.hash.slice(1)) : target.searchParams;
  const code = params.get('error');
  if (code) seen.push({ code, form: 'redirect', status: response.status, url, link: params.get('error_uri') ?? undefined, sample: target.href });
}

/** The kind of the run folder's files that hold seen errors. */
export const SEEN_ERRORS = 'seen-errors';

function install(): Recorder {
  const recorder: Recorder = { seen: [] };
  const push = recorder.seen.push.bind(recorder.seen);
  recorder.seen.push = (...errors: SeenError[]) => {
    appendLines(SEEN_ERRORS, errors);
    return push(...errors);
  };
  const original = globalThis.fetch;
  globalThis.fetch = async function recordingFetch(input, init) {
    const response = await original(input, init);
    const url = response.url || String(input instanceof Request ? input.url : input);
    try {
      if (response.status >= 300 && response.status < 400) recordRedirect(recorder.seen, response, url);
      else if (response.status >= 400) record(recorder.seen, response, url, await response.clone().text());
    } catch {
      // A body that cannot be read twice (aborted, say) is the test's business, not ours.
    }
    return response;
  };
  return recorder;
}

/** Every error seen so far in this process (the run's, across processes: readLines(SEEN_ERRORS)). */
export function seenErrors(): readonly SeenError[] {
  holder[RECORDER] ??= install();
  return holder[RECORDER].seen;
}

// Wrap fetch as soon as this file loads, before any test runs.
seenErrors();

/** A mocha root-hook plugin needs this export; the work happens at load. */
export const mochaHooks = {};
