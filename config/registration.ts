// LATCHKEY_REGISTRATION (who may register clients dynamically: docs/agents.md), and how a client
// made by dynamic registration is marked (its `createdBy`), so that every part of the server can
// tell an unverified client (registered openly) without importing the registration code.
import { SettingsError } from './settings-error.ts';

export const REGISTERED_OPENLY = 'registration:open';
export const REGISTERED_WITH_TOKEN = 'registration:token';

/** Registered by anyone (LATCHKEY_REGISTRATION=open): self-serve scopes only, and said so on the consent page. */
export function isUnverified(client: { readonly createdBy: string }): boolean {
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
