// A clock tests move by hand: timers fire in order as `advance` passes them, and each firing
// gets the event loop's turn to finish what it started (requests to a fake API resolve at once).
import type { Clock } from '../../../src/kube/clock.ts';

export class FakeClock implements Clock {
  #now = 0;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #id = 0;

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): () => void {
    const id = ++this.#id;
    this.#timers.push({ at: this.#now + ms, fn, id });
    return () => {
      this.#timers = this.#timers.filter((t) => t.id !== id);
    };
  }

  /** Lets pending promise chains run (a few event-loop turns). */
  async settle(): Promise<void> {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await this.settle();
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (!next || next.at > until) break;
      this.#timers.shift();
      this.#now = next.at;
      next.fn();
      await this.settle();
    }
    this.#now = until;
  }
}
