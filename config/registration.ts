// How a client made by dynamic registration is marked (its `createdBy`), so that every part of the
// server can tell an unverified client (registered openly) without importing the registration code.
export const REGISTERED_OPENLY = 'registration:open';
export const REGISTERED_WITH_TOKEN = 'registration:token';

/** Registered by anyone (LATCHKEY_REGISTRATION=open): self-serve scopes only, and said so on the consent page. */
export function isUnverified(client: { readonly createdBy: string }): boolean {
  return client.createdBy === REGISTERED_OPENLY;
}
