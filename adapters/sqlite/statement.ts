// A prepared statement of the embedded store that takes its part in group commit before it runs
// (database.ts): a write opens a batch if none is open; VACUUM needs none open.
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import type { Database } from './database.ts';

/** What a statement needs of the batch: a write opens one; VACUUM runs outside any transaction. */
export type StatementKind = 'read' | 'write' | 'outside';

export function kindOf(sql: string): StatementKind {
  if (/^\s*VACUUM\b/i.test(sql)) return 'outside';
  const reads = /^\s*(SELECT|PRAGMA|EXPLAIN)\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql);
  return reads ? 'read' : 'write';
}

/** A prepared statement that takes its part in the batch before it runs. */
export class Statement {
  readonly #db: Database;
  readonly #statement: StatementSync;
  readonly #kind: StatementKind;

  constructor(db: Database, statement: StatementSync, kind: StatementKind) {
    this.#db = db;
    this.#statement = statement;
    this.#kind = kind;
  }

  run(...params: SQLInputValue[]) {
    this.#db.beforeStatement(this.#kind);
    return this.#statement.run(...params);
  }

  get(...params: SQLInputValue[]) {
    this.#db.beforeStatement(this.#kind);
    return this.#statement.get(...params);
  }

  all(...params: SQLInputValue[]) {
    this.#db.beforeStatement(this.#kind);
    return this.#statement.all(...params);
  }
}
