// LATCHKEY_REGISTRATION (who may register clients dynamically: docs/agents.md), the settings of
// client ID metadata documents and unverified apps, and how a client made by dynamic registration
// is marked (its `createdBy`), so that every part of the server can tell a client registered openly
// without importing the registration code.
import { readFileSync } from 'node:fs';
import { LIMITS } from './limits.ts';
import { SettingsError, parseCount } from './settings-error.ts';

export const REGISTERED_OPENLY = 'registration:open';
export const REGISTERED_WITH_TOKEN = 'registration:token';

/**
 * Registered by anyone (LATCHKEY_REGISTRATION=open): unverified until the operator verifies it
 * (server/agents/registry.ts holds that), so self-serve scopes only, and said so on the consent page.
 */
export function isRegisteredOpenly(client: { readonly createdBy: string }): boolean {
  return client.createdBy === REGISTERED_OPENLY;
}

export const REGISTRATION_POLICIES = ['off', 'token', 'open'] as const;
export type RegistrationPolicy = (typeof REGISTRATION_POLICIES)[number];

export function parseRegistration(env: Readonly<Record<string, string | undefined>>): RegistrationPolicy {
  const raw = env.LATCHKEY_REGISTRATION || 'off';
  if (!(REGISTRATION_POLICIES as readonly string[]).includes(raw)) {
    throw new SettingsError('LATCHKEY_REGISTRATION', `must be off, token or open, not ${JSON.stringify(raw).slice(0, 40)}`);
  }
  return raw as RegistrationPolicy;
}

export interface AgentSettings {
  /** LATCHKEY_CLIENT_ID_METADATA=on: a client_id may be the https URL of its metadata document. */
  readonly clientIdMetadata: boolean;
  /**
   * LATCHKEY_OUTBOUND_CA_FILE, read at boot: certificates (PEM) trusted for Latchkey's own outbound
   * https requests besides the system's, for metadata documents on an internal CA.
   */
  readonly outboundCa: string | undefined;
  /** New authorizations per day for each unverified app, and for all of those behind one redirect host. */
  readonly dailyAuthorizations: { readonly perClient: number; readonly perHost: number };
}

function readCertificates(file: string | undefined): string | undefined {
  if (!file) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SettingsError('LATCHKEY_OUTBOUND_CA_FILE', `cannot be read: ${(err as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new SettingsError('LATCHKEY_OUTBOUND_CA_FILE', `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}

export function parseAgentSettings(env: Readonly<Record<string, string | undefined>>): AgentSettings {
  const raw = env.LATCHKEY_CLIENT_ID_METADATA || 'off';
  if (raw !== 'on' && raw !== 'off') {
    throw new SettingsError('LATCHKEY_CLIENT_ID_METADATA', `must be on or off, not ${JSON.stringify(raw).slice(0, 40)}`);
  }
  return {
    clientIdMetadata: raw === 'on',
    outboundCa: readCertificates(env.LATCHKEY_OUTBOUND_CA_FILE),
    dailyAuthorizations: {
      perClient: parseCount(env, 'LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_CLIENT', LIMITS.unverifiedAuthorizationsPerClient, 1_000_000),
      perHost: parseCount(env, 'LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_HOST', LIMITS.unverifiedAuthorizationsPerRedirectHost, 1_000_000),
    },
  };
}
