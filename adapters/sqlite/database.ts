// The embedded store's connection and the helpers every domain file shares: the prepared-statement
// cache, write transactions, the retry while another process holds the lock, and row conversions.
// node:sqlite is synchronous, so every statement is atomic within this process; across processes
// that share the file, SQLite's own locking makes the conditional updates atomic too.
//
// Group commit. A commit per write, each waiting for the disk, stopped every other request for each
// write. Instead the first write opens one transaction (a batch); every statement of this process
// until the event loop's next turn runs in it, each multi-statement change in its own SAVEPOINT (a
// failing change rolls back only itself); then the batch commits, and the write-ahead log is fsynced
// off the event loop (wal-sync.ts), one fsync for every batch committed meanwhile. A store call that
// read or wrote while a batch was open resolves only once that batch is on disk (durable() below),
// so nothing is acknowledged before it would survive a power cut; a failed commit or fsync fails
// every such call with StoreUnavailableError (503) and tells the listeners, which drop what they
// cached. Another process sharing the file waits for the write lock for at most one batch.
import { chmodSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { LIMITS } from '../../config/limits.ts';
import { DuplicateError, StoreUnavailableError } from '../contract.ts';
import { Statement, kindOf, type StatementKind } from './statement.ts';
import { WalSync } from './wal-sync.ts';

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

interface Batch {
  /** Statements run in it: a full batch commits before the next one runs. */
  statements: number;
  /** Store calls waiting for it. */
  waiters: number;
  readonly committed: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly afterCommit: (() => void)[];
}

/**
 * The connection of this process holding a batch open on each file. Two stores on one file in one
 * process (instances side by side in the tests) would otherwise wait on each other's write lock
 * with the event loop blocked: one commits the other's batch before it opens its own.
 */
const batchHolders = new Map<string, Database>();

/** One open database file, shared by the domain stores. */
export class Database {
  readonly #db: DatabaseSync;
  // Prepared statements, compiled once per SQL text: preparing costs more than most queries.
  readonly #statements = new Map<string, Statement>();
  readonly #onRollback: (() => void)[] = [];
  #batch: Batch | undefined;
  #inSavepoint = false;
  /** Statements run so far: a store call that ran any while a batch was open waits for its commit. */
  #statementsRun = 0;
  #commits = 0;
  /** Callers of the last batch committed: more than one means concurrent writers, worth a window. */
  #lastWaiters = 0;
  readonly #wal: WalSync;

  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
    this.#wal = new WalSync(`${file}-wal`);
    // Several processes may share the file (a second instance, the CLI): wait for locks, do not fail.
    this.#db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    this.#db.exec('PRAGMA foreign_keys = ON;');
    // Switching to WAL can meet another process doing the same at first boot; SQLite then answers
    // "locked" at once rather than waiting, so retry for a while.
    whileLocked(() => this.#db.exec('PRAGMA journal_mode = WAL;'));
    // COMMIT writes the log; the fsync that makes it durable is WalSync's, before any acknowledgment
    // (see wal-sync.ts: together the same guarantee as FULL). Checkpoints still sync as NORMAL does.
    this.#db.exec('PRAGMA synchronous = NORMAL;');
    // The files are Latchkey's alone whatever the umask (SQLite creates them 0644 less it); a -wal or -shm
    // that SQLite creates later takes the database file's mode.
    for (const path of [file, `${file}-wal`, `${file}-shm`]) {
      const stats = statSync(path, { throwIfNoEntry: false });
      if (stats && (stats.mode & 0o077) !== 0) chmodSync(path, 0o600);
    }
  }

  /** Batches committed by this connection (each write outside one would have been its own). */
  get commits(): number {
    return this.#commits;
  }

  /** fsyncs of the write-ahead log by this connection: what makes commits durable (SQLite counts none of its own). */
  get syncs(): number {
    return this.#wal.syncs;
  }

  sql(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = new Statement(this, this.#db.prepare(sql), kindOf(sql));
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Schema changes at boot (migrations.ts), inside transactionNow. */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /** Whether the open batch is full and may commit now (never inside a change's savepoint). */
  #full(): boolean {
    return this.#batch !== undefined && this.#batch.statements >= LIMITS.groupCommitMaxStatements && !this.#inSavepoint;
  }

  /** Called by every statement before it runs. */
  beforeStatement(kind: StatementKind): void {
    // A full batch commits first; a write then opens the next one (never running outside a batch).
    if (this.#full() || kind === 'outside') this.commitNow();
    if (kind === 'write' && !this.#batch) this.#open();
    this.#statementsRun += 1;
    if (this.#batch) this.#batch.statements += 1;
  }

  #open(): void {
    const holder = batchHolders.get(this.#file);
    if (holder && holder !== this) holder.commitNow();
    this.#db.exec('BEGIN IMMEDIATE');
    batchHolders.set(this.#file, this);
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const committed = new Promise<void>((yes, no) => { resolve = yes; reject = no; });
    committed.catch(() => undefined); // a batch nobody waited on fails quietly; its callers were told
    const batch: Batch = { statements: 0, waiters: 0, committed, resolve, reject, afterCommit: [] };
    this.#batch = batch;
    // Alone (the last batch had one caller or none), it commits after this turn of the event loop;
    // under load, after the window, so that the requests writing meanwhile join it. Never while the
    // last batch's fsync is under way: the batch grows meanwhile and one fsync covers it.
    const commit = () => this.#wal.whenIdle(() => {
      if (this.#batch === batch) this.#commit(batch);
    });
    if (this.#lastWaiters > 1) setTimeout(commit, LIMITS.groupCommitWindowMs);
    else setImmediate(commit);
  }

  /**
   * Commits the batch; its callers are told once the log is on disk. On failure rolls it back, fails
   * its callers and tells the listeners. `now`: the fsync too is made before this returns.
   */
  #commit(batch: Batch, now = false): Error | undefined {
    this.#batch = undefined;
    if (batchHolders.get(this.#file) === this) batchHolders.delete(this.#file);
    this.#lastWaiters = batch.waiters;
    try {
      this.#db.exec('COMMIT');
      this.#commits += 1;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      return this.#failed(batch, err as Error, 'commit');
    }
    for (const callback of batch.afterCommit) callback();
    if (!now) {
      this.#wal.durable().then(batch.resolve, (err: Error) => this.#failed(batch, err, 'fsync'));
      return undefined;
    }
    try {
      this.#wal.syncNow();
    } catch (err) {
      return this.#failed(batch, err as Error, 'fsync');
    }
    batch.resolve();
    return undefined;
  }

  #failed(batch: Batch, err: Error, what: string): Error {
    const failure = new StoreUnavailableError(`the embedded store could not ${what}: ${err.message}`);
    batch.reject(failure);
    for (const listener of this.#onRollback) listener();
    return failure;
  }

  /** Commits the open batch now, to disk (before a VACUUM, a close, a migration); throws when it fails. */
  commitNow(): void {
    if (!this.#batch) return;
    const failure = this.#commit(this.#batch, true);
    if (failure) throw failure;
  }

  /**
   * Runs `work` all or nothing, in its own SAVEPOINT of the batch: a failure rolls back this work
   * alone. Nested calls join the outer one. Committed with the batch; see durable().
   */
  transaction<T>(work: () => T): T {
    if (this.#inSavepoint) return work();
    if (this.#full()) this.commitNow();
    if (!this.#batch) this.#open();
    const batch = this.#batch!;
    const callbacks = batch.afterCommit.length;
    this.#statementsRun += 1;
    this.#db.exec('SAVEPOINT work');
    this.#inSavepoint = true;
    try {
      const result = work();
      this.#db.exec('RELEASE work');
      return result;
    } catch (err) {
      batch.afterCommit.length = callbacks; // never after a rollback
      // An I/O error may have ended the whole transaction already: the batch's commit then fails its callers.
      if (this.#db.isTransaction) {
        this.#db.exec('ROLLBACK TO work');
        this.#db.exec('RELEASE work');
      }
      throw err;
    } finally {
      this.#inSavepoint = false;
    }
  }

  /** The same, committed before it returns (migrations at boot, which retry while another process holds the lock). */
  transactionNow<T>(work: () => T): T {
    this.commitNow();
    const result = this.transaction(work);
    this.commitNow();
    return result;
  }

  /** Runs `callback` once the current batch commits (at once outside one); never after a rollback. */
  afterCommit(callback: () => void): void {
    if (this.#batch) this.#batch.afterCommit.push(callback);
    else callback();
  }

  /** `listener` runs when a batch fails to commit: what was read from it or cached on its strength is gone. */
  onRollback(listener: () => void): void {
    this.#onRollback.push(listener);
  }

  /**
   * Runs a store call; when it ran statements while a batch was open, its promise resolves only once
   * that batch has committed (or rejects with its failure). Store calls are synchronous up to their
   * promise, so the statements counted are this call's.
   */
  settle<R>(call: () => R): R {
    const before = this.#statementsRun;
    const result = call();
    const batch = this.#statementsRun !== before ? this.#batch : undefined;
    if (!batch || !(result instanceof Promise)) return result;
    batch.waiters += 1;
    return result.then((value: unknown) => batch.committed.then(() => value)) as R;
  }

  close(): void {
    if (!this.#db.isOpen) return;
    try {
      this.commitNow();
    } finally {
      this.#wal.close();
      this.#db.close();
    }
  }
}

/** `target` with each of its methods run through db.settle: nothing it did is acknowledged before it is on disk. */
export function durable<T extends object>(db: Database, target: T): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => db.settle(() => (value as (...a: unknown[]) => unknown).apply(object, args));
    },
  });
}
