/**
 * Cancellation of one call, cheaper than an `AbortController`: a stream's request path subscribes to it
 * two or three times, and `EventTarget` listeners cost tens of µs each on a core that has been idle, right
 * where the time to the first token is decided. A plain list of callbacks does the same job.
 */

/** What a call listens to. */
export interface CancelSignal {
  readonly cancelled: boolean;
  /** Calls `listener` once when cancelled (at once when it already is); returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

const NOOP = (): void => undefined;

/** A cancel signal and the switch that trips it. */
export class Cancellation implements CancelSignal {
  private listeners: (() => void)[] | undefined;
  private tripped = false;

  get cancelled(): boolean {
    return this.tripped;
  }

  subscribe(listener: () => void): () => void {
    if (this.tripped) {
      listener();
      return NOOP;
    }
    (this.listeners ??= []).push(listener);
    return () => {
      const index = this.listeners?.indexOf(listener) ?? -1;
      if (index >= 0) this.listeners?.splice(index, 1);
    };
  }

  cancel(): void {
    if (this.tripped) return;
    this.tripped = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }
}
