// The directory's state in burstlet: the trimmed Services and EndpointSlices, a revision that
// counts changes, and a bounded history of encoded deltas so a reconnecting sidecar gets just
// what it missed. Every message is encoded once and the same bytes go to every sidecar.
import { randomBytes } from 'node:crypto';
import type { DeltaMessage, DirChange, DirService, DirSlice, SnapshotMessage } from './protocol.ts';

export interface DirectoryStateOptions {
  /** Deltas kept for resume; older resumes get a snapshot. */
  historySize?: number;
  epoch?: string;
}

interface Stored<T> {
  value: T;
  json: string;
}

export class DirectoryState {
  readonly epoch: string;
  #revision = 0;
  #synced = false;
  readonly #services = new Map<string, Stored<DirService>>();
  readonly #slices = new Map<string, Stored<DirSlice>>();
  readonly #history: { revision: number; bytes: Buffer }[] = [];
  readonly #historySize: number;
  #snapshot: { revision: number; bytes: Buffer } | null = null;
  readonly #listeners = new Set<(bytes: Buffer) => void>();
  readonly #syncWaiters: (() => void)[] = [];

  constructor(opts: DirectoryStateOptions = {}) {
    this.epoch = opts.epoch ?? randomBytes(6).toString('hex');
    this.#historySize = opts.historySize ?? 1024;
  }

  get revision(): number {
    return this.#revision;
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** The sources finished their initial lists: sidecars may now be served. */
  markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    for (const w of this.#syncWaiters.splice(0)) w();
  }

  whenSynced(): Promise<void> {
    return this.#synced ? Promise.resolve() : new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** Called with the encoded bytes of every new delta. */
  subscribe(listener: (bytes: Buffer) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setService(key: string, service: DirService | null): void {
    this.#set('Service', this.#services, key, service);
  }

  setSlice(key: string, slice: DirSlice | null): void {
    this.#set('EndpointSlice', this.#slices, key, slice);
  }

  services(): DirService[] {
    return [...this.#services.values()].map((s) => s.value);
  }

  slices(): DirSlice[] {
    return [...this.#slices.values()].map((s) => s.value);
  }

  /** The current state, encoded (cached until the next change). */
  snapshotBytes(): Buffer {
    if (this.#snapshot?.revision !== this.#revision) {
      const msg: SnapshotMessage = {
        type: 'snapshot', epoch: this.epoch, revision: this.#revision, services: this.services(), slices: this.slices(),
      };
      this.#snapshot = { revision: this.#revision, bytes: Buffer.from(JSON.stringify(msg)) };
    }
    return this.#snapshot.bytes;
  }

  /**
   * What a (re)connecting sidecar must be sent, given the "<epoch>:<revision>" it last held:
   * nothing when current, the missed deltas when they are all still in history, else a snapshot.
   */
  catchUp(resumeFrom: string | undefined): Buffer[] {
    const m = resumeFrom ? /^([^:]+):(\d+)$/.exec(resumeFrom) : null;
    if (m && m[1] === this.epoch) {
      const from = Number(m[2]);
      if (from === this.#revision) return [];
      const oldest = this.#history[0]?.revision ?? this.#revision + 1;
      if (from < this.#revision && from + 1 >= oldest) {
        return this.#history.filter((h) => h.revision > from).map((h) => h.bytes);
      }
    }
    return [this.snapshotBytes()];
  }

  #set<T extends DirService | DirSlice>(kind: DirChange['kind'], store: Map<string, Stored<T>>, key: string, value: T | null): void {
    const before = store.get(key);
    const json = value === null ? null : JSON.stringify(value);
    if (json === (before?.json ?? null)) return; // Unchanged for a proxy (e.g. only status or labels moved).
    if (value === null) store.delete(key);
    else store.set(key, { value, json: json! });
    const change: DirChange = kind === 'Service' ? { kind, key, service: value as DirService | null } : { kind, key, slice: value as DirSlice | null };
    this.#revision++;
    const msg: DeltaMessage = { type: 'delta', epoch: this.epoch, revision: this.#revision, change };
    const bytes = Buffer.from(JSON.stringify(msg));
    this.#history.push({ revision: this.#revision, bytes });
    if (this.#history.length > this.#historySize) this.#history.shift();
    for (const l of this.#listeners) l(bytes);
  }
}
