// Durability off the event loop. With synchronous=FULL, SQLite fsyncs the write-ahead log inside
// every COMMIT, and node:sqlite runs COMMIT on the event loop: each fsync (about a millisecond here)
// stopped every request. Instead the database runs with synchronous=NORMAL, whose COMMIT only writes
// the log, and this file fsyncs the log on libuv's thread pool before anything committed is
// acknowledged. That is the sync FULL would have made (FULL's one extra over NORMAL is this fsync
// after each commit), taken while other requests run, and shared: a batch is not committed while an
// fsync is under way (whenIdle), so the busier the disk, the more each fsync covers.
import { close, closeSync, fsync, fsyncSync, open, openSync } from 'node:fs';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class WalSync {
  readonly #path: string;
  #fd: number | undefined;
  #waiting: Waiter[] = [];
  #whenIdle: (() => void)[] = [];
  #syncing = false;
  #closing = false;
  #syncs = 0;

  constructor(walPath: string) {
    this.#path = walPath;
  }

  /** fsyncs of the log so far: each covers every commit made before it began. */
  get syncs(): number {
    return this.#syncs;
  }

  /** Runs `callback` at once when no fsync is under way, else as soon as it ends. */
  whenIdle(callback: () => void): void {
    if (this.#syncing) this.#whenIdle.push(callback);
    else callback();
  }

  /** Resolves once everything committed before this call is on disk; rejects when the fsync fails. */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (!this.#syncing) this.#start();
    });
  }

  /** The same, now and on this thread (boot, close, before a backup); it covers whoever waits for the next fsync too. */
  syncNow(): void {
    let fd: number | undefined;
    try {
      fd = openSync(this.#path, 'r');
    } catch (err) {
      // No log yet: nothing was ever written to one, so nothing waits on it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (fd !== undefined) {
      try {
        fsyncSync(fd);
        this.#syncs += 1;
      } finally {
        closeSync(fd);
      }
    }
    const covered = this.#waiting;
    this.#waiting = [];
    for (const waiter of covered) waiter.resolve();
  }

  /** After a last syncNow: an fsync under way finishes, then the descriptor is closed. */
  close(): void {
    this.#closing = true;
    if (!this.#syncing) this.#closeFd();
  }

  #closeFd(): void {
    if (this.#fd !== undefined) close(this.#fd, () => undefined);
    this.#fd = undefined;
  }

  #start(): void {
    this.#syncing = true;
    const group = this.#waiting;
    this.#waiting = [];
    const synced = (err: Error | null) => this.#finish(group, err);
    if (this.#fd !== undefined) {
      fsync(this.#fd, synced);
      return;
    }
    // The log exists once anything was committed; the descriptor is kept (the log is reused, not replaced, while we are connected).
    open(this.#path, 'r', (err, fd) => {
      if (err) return synced(err);
      this.#fd = fd;
      fsync(fd, synced);
    });
  }

  #finish(group: readonly Waiter[], err: Error | null): void {
    this.#syncing = false;
    if (err) {
      this.#closeFd();
      for (const waiter of group) waiter.reject(err);
    } else {
      this.#syncs += 1;
      for (const waiter of group) waiter.resolve();
    }
    if (this.#closing) {
      this.#closeFd();
      return;
    }
    const idle = this.#whenIdle;
    this.#whenIdle = [];
    for (const callback of idle) callback();
    if (this.#waiting.length > 0 && !this.#syncing) this.#start();
  }
}
