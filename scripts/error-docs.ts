// The error catalog in docs/errors.md, generated from config/errors.ts (and, for invalid_grant's
// reasons, config/revocation.ts). Each entry has an explicit anchor, the code itself, so
// /docs/errors#<code> (the error_uri and docs_url of every error) lands on it.
import { ERROR_CATALOG, REACTIONS, type CatalogCode, type CatalogEntry } from '../config/error-catalog.ts';
import { ERROR_CODES } from '../config/errors.ts';
import { EXPIRY_DESCRIPTIONS, GRANT_REVOCATION_REASONS } from '../config/revocation.ts';

/** The address the examples show (the default ISSUER). */
const EXAMPLE_ISSUER = 'http://localhost:3000';

const entries = Object.entries(ERROR_CATALOG) as [CatalogCode, CatalogEntry][];

function ownStatus(code: string): number | undefined {
  return (ERROR_CODES as Record<string, { status: number } | undefined>)[code]?.status;
}

function statusOf(code: CatalogCode, entry: CatalogEntry): string {
  const own = entry.latchkey ? ownStatus(code) : undefined;
  if (entry.oauth && own !== undefined) return `${entry.oauth.status}; our routes: ${own}`;
  return entry.oauth?.status ?? String(own);
}

function formOf(entry: CatalogEntry): string {
  if (entry.oauth && entry.latchkey) return 'OAuth and our routes';
  return entry.oauth ? 'OAuth' : 'our routes';
}

function withIssuer(example: string): string {
  return example.replaceAll('$ISSUER_ENCODED', encodeURIComponent(EXAMPLE_ISSUER)).replaceAll('$ISSUER', EXAMPLE_ISSUER);
}

/** Our body for a code answered with its default message. */
function plainBody(code: string): string {
  const message = (ERROR_CODES as Record<string, { message: string }>)[code]!.message;
  return JSON.stringify({ error: { code, message, docs_url: `$ISSUER/docs/errors#${code}` } });
}

function fenced(example: string): string {
  const language = example.startsWith('{') ? 'json' : example.startsWith('HTTP/') ? 'http' : example.startsWith('<') ? 'html' : 'text';
  const text = example.startsWith('http') ? `HTTP/1.1 303 See Other\nLocation: ${example}` : example;
  return ['```' + language, withIssuer(text), '```'].join('\n');
}

/** Which refresh failure it was, in invalid_grant's error_description, word for word. */
function refreshReasons(): string {
  const rows = Object.entries(GRANT_REVOCATION_REASONS)
    .filter(([reason]) => reason !== 'client_deleted')
    .map(([reason, { summary, description }]) => `| \`${reason}\` | ${summary} | ${description} |`);
  return [
    'Why a refresh token no longer works, as its `error_description` says:',
    '',
    '| Reason | When | `error_description` |',
    '| --- | --- | --- |',
    ...rows,
    `| expired | the refresh token reached its own lifetime | ${EXPIRY_DESCRIPTIONS['refresh token is expired']} |`,
    '',
    'A deleted client, or a secret rotated out past its overlap, fails earlier, at client authentication: '
      + '[`invalid_client`](#invalid_client), not `invalid_grant`.',
  ].join('\n');
}

/** One row per code: the summary, also shown on the /docs index. */
export function errorSummary(): string {
  return [
    '| Code | HTTP status | Where | What to do |',
    '| --- | --- | --- | --- |',
    ...entries.map(([code, entry]) => `| \`${code}\` | ${statusOf(code, entry)} | ${formOf(entry)} | ${REACTIONS[entry.reaction]} |`),
  ].join('\n');
}

/** One section per code: status, when, what to do, real answers. */
export function errorCatalog(): string {
  return entries.map(([code, entry]) => {
    const examples = [
      ...(entry.oauth?.examples ?? []),
      ...(entry.latchkey ? entry.latchkey.examples ?? [plainBody(code)] : []),
    ];
    return [
      `<a id="${code}"></a>`,
      '',
      `### \`${code}\``,
      '',
      `**${statusOf(code, entry)}**, ${formOf(entry)}. **What to do:** ${REACTIONS[entry.reaction]}.`,
      '',
      `When: ${withIssuer(entry.when)}`,
      '',
      `${withIssuer(entry.action)}`,
      ...(code === 'invalid_grant' ? ['', refreshReasons()] : []),
      '',
      examples.map(fenced).join('\n\n'),
    ].join('\n');
  }).join('\n\n');
}
