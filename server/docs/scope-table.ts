// The scope catalog as Markdown: the committed docs are generated from the default catalog
// (scripts/docs.ts); the served /docs pages show the running one, the operator's resources included.
import {
  PROTOCOL_SCOPE_GROUP, RESOURCES, SCOPES, resourceUrl, type ResourceDefinition, type ScopeDefinition,
} from '../../config/scopes.ts';

const HEADER = [
  '| Scope | What the user is asked | Use case | Consentable by web apps | Self-serve (unverified apps) |',
  '| --- | --- | --- | --- | --- |',
];

function row(s: ScopeDefinition): string {
  return `| \`${s.name}\` | ${s.description} | ${s.useCase} | ${s.consent ? 'yes' : 'no: the account\'s own credentials only'} | ${s.selfServe ? 'yes' : 'no'} |`;
}

/** One table of every scope given, in catalog order. */
export function scopeTable(scopes: readonly ScopeDefinition[]): string {
  return [...HEADER, ...scopes.map(row)].join('\n');
}

/**
 * The running catalog: one table while the built-in API is the only resource (as committed), else a
 * table per resource, headed by its name and indicator (the JWT `aud`), then the protocol scopes.
 */
export function catalogTables(issuer: string, scopes: readonly ScopeDefinition[] = SCOPES, resources: readonly ResourceDefinition[] = RESOURCES): string {
  if (resources.length < 2) return scopeTable(scopes);
  const byName = new Map(scopes.map((s) => [s.name, s]));
  const sections = resources.map((r) => `**${r.name}**: resource \`${resourceUrl(r.resource, issuer)}\`\n\n`
    + scopeTable(r.scopes.map((name) => byName.get(name)).filter((s) => s !== undefined)));
  const protocol = scopes.filter((s) => s.audience === 'openid');
  return [...sections, `**${PROTOCOL_SCOPE_GROUP}**: protocol scopes, for web apps\n\n${scopeTable(protocol)}`].join('\n\n');
}
