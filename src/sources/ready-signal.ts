/** A re-entrancy-safe boolean signal behind `writable$`, shared by the sources and operators (not part of the public API). */
import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';

interface Entry {
  readonly subscriber: Subscriber<boolean>;
  last: boolean;
}

/**
 * Holds a boolean and multicasts its changes: each subscriber gets the current value on
 * subscription, then every change, never the same value twice in a row.
 *
 * Unlike a `BehaviorSubject`, a change made from inside a subscriber's callback (a writer that
 * reacts to `true` by writing until the buffer is full) is delivered to every subscriber at once,
 * and the older emission is not continued afterwards: no subscriber ever sees values out of
 * order, and everyone's last value is the current state.
 *
 * @example
 * ```ts
 * const ready = new ReadySignal(true);
 * ready.observable.subscribe((w) => console.log(w)); // true
 * ready.set(false);                                  // false
 * ```
 */
export class ReadySignal {
  /** The signal as an observable: current value, then changes. */
  readonly observable: Observable<boolean>;
  private current: boolean;
  private generation = 0;
  private readonly entries = new Set<Entry>();

  constructor(initial: boolean) {
    this.current = initial;
    this.observable = new Observable<boolean>((subscriber) => {
      const entry: Entry = { subscriber, last: this.current };
      this.entries.add(entry);
      subscriber.next(this.current);
      return () => {
        this.entries.delete(entry);
      };
    });
  }

  /** The current value. */
  get value(): boolean {
    return this.current;
  }

  /** Sets the value; subscribers are told synchronously if it changed. */
  set(value: boolean): void {
    if (value === this.current) return;
    this.current = value;
    const generation = ++this.generation;
    for (const entry of [...this.entries]) {
      if (this.generation !== generation) return; // a nested change already reached everyone
      if (!this.entries.has(entry) || entry.last === value) continue;
      entry.last = value;
      entry.subscriber.next(value);
    }
  }
}
