// Part of the storage contract (adapters/contract.ts re-exports it): the server-wide secrets every
// instance shares (key material, and the record of what is in force), and what a backup holds.

export interface SecretStore {
  /**
   * Returns the stored value for `name`; when there is none, stores `candidate` and returns it.
   * Atomic: two instances racing at first boot end up with the same value.
   */
  getOrCreateSecret(name: string, candidate: string): Promise<string>;
  /** The stored value for `name`, if any (nothing is created). */
  findSecret(name: string): Promise<string | undefined>;
  /**
   * Sets `name` to `value` if it still holds `expected` (undefined: if it holds nothing); false when
   * another process changed it first. Atomic, so instances never overwrite each other unseen.
   */
  replaceSecret(name: string, expected: string | undefined, value: string): Promise<boolean>;
}

/** What a backup holds. */
export interface BackupSummary {
  readonly bytes: number;
  readonly schemaVersion: number;
  /** Rows per table. */
  readonly tables: Readonly<Record<string, number>>;
  /** Key material generated and kept in the store, so in the copy too (jwks, cookie_keys, pepper). */
  readonly keyMaterial: readonly string[];
}
