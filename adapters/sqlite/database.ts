// The embedded store's connection and the helpers every domain file shares: the prepared-statement
// cache, write transactions, the retry while another process holds the lock, and row conversions.
// node:sqlite is synchronous, so every statement is atomic within this process; across processes
// that share the file, SQLite's own locking makes the conditional updates atomic too.
import { chmodSync, statSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { DuplicateError } from '../contract.ts';

export const BUSY_TIMEOUT_MS = 5000;

// Our tables hold TEXT and INTEGER columns; the one BLOB (client_logos.bytes) is read on its own (clients.ts).
export type Row = Record<string, string | number | null>;
export type Value = string | number | null | undefined;

export const date = (value: Value) => (value === null || value === undefined ? undefined : new Date(Number(value)));
export const text = (value: Value) => (value === null || value === undefined ? undefined : String(value));

/** Runs `work`, retrying while SQLite reports the database locked, for up to BUSY_TIMEOUT_MS. */
export function whileLocked<T>(work: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    try {
      return work();
    } catch (err) {
      if (!(err instanceof Error && /database is locked|SQLITE_BUSY/i.test(err.message)) || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause); // boot only: a short synchronous pause
    }
  }
}

/** Runs an insert; a UNIQUE violation becomes DuplicateError naming the field. */
export function uniquely<T>(field: string, operation: () => T): T {
  try {
    return operation();
  } catch (err) {
    if (err instanceof Error && /UNIQUE constraint failed/.test(err.message)) throw new DuplicateError(field);
    throw err;
  }
}

/** One open database file, shared by the domain stores. */
export class Database {
  readonly #db: DatabaseSync;
  // Prepared statements, compiled once per SQL text: preparing costs more than most queries.
  readonly #statements = new Map<string, StatementSync>();

  constructor(file: string) {
    // Several processes may share the file (a second instance, the CLI): wait for locks, do not fail.
    this.#db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    this.#db.exec('PRAGMA foreign_keys = ON;');
    // Switching to WAL can meet another process doing the same at first boot; SQLite then answers
    // "locked" at once rather than waiting, so retry for a while.
    whileLocked(() => this.#db.exec('PRAGMA journal_mode = WAL;'));
    // The files are Latchkey's alone whatever the umask (SQLite creates them 0644 less it); a -wal or -shm
    // that SQLite creates later takes the database file's mode.
    for (const path of [file, `${file}-wal`, `${file}-shm`]) {
      const stats = statSync(path, { throwIfNoEntry: false });
      if (stats && (stats.mode & 0o077) !== 0) chmodSync(path, 0o600);
    }
  }

  #afterCommit: (() => void)[] = [];

  sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /** Runs `work` in one write transaction: all of it or none. Nested calls join the outer one. */
  transaction<T>(work: () => T): T {
    if (this.#db.isTransaction) return work();
    this.#db.exec('BEGIN IMMEDIATE');
    let result: T;
    try {
      result = work();
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#afterCommit = [];
      this.#db.exec('ROLLBACK');
      throw err;
    }
    const committed = this.#afterCommit;
    this.#afterCommit = [];
    for (const callback of committed) callback();
    return result;
  }

  /** Runs `callback` once the current transaction commits (at once outside one); never after a rollback. */
  afterCommit(callback: () => void): void {
    if (this.#db.isTransaction) this.#afterCommit.push(callback);
    else callback();
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
