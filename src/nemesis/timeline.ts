/**
 * The nemesis run's steps in time. Each runs now or from a timer set against one reference
 * (not sleeps chained one after another, so lateness never accumulates). The first step that
 * fails stops the timeline, and so does an abort. The run is finished once every end it
 * expects has come, or once it stopped.
 */

/** One thing the nemesis does at its time: start or end a fault, close a window. */
type Step = () => Promise<void>;

export class Timeline {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #finished: Promise<void>;
  #finish: () => void = () => undefined;
  /** Ends still to come. */
  #pending = 0;
  #stopped = false;
  #failure: Error | undefined;

  constructor() {
    this.#finished = new Promise<void>((resolve) => {
      this.#finish = resolve;
    });
  }

  /** Stopped (a step failed, or the run was aborted): nothing new is set off. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The first step that failed, as "nemesis: could not <what>: <why>". */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** `count` more ends are to come before the run is finished. */
  expect(count: number): void {
    this.#pending += count;
  }

  /** One expected end has come. */
  settle(): void {
    this.#pending -= 1;
    if (this.#pending === 0) this.#finish();
  }

  /** Resolves once every expected end has come, or the timeline stopped. */
  finished(): Promise<void> {
    if (this.#pending === 0) this.#finish();
    return this.#finished;
  }

  /** Runs a step now; a failing step stops the timeline. */
  run(what: string, step: Step): void {
    const running = step().catch((error: unknown) => {
      this.#failure ??= new Error(`nemesis: could not ${what}: ${(error as Error).message}`, {
        cause: error,
      });
      this.stop();
    });
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  /** Runs a step delayMs from now (at once if that is not ahead). */
  after(delayMs: number, what: string, step: Step): void {
    // Once stopped, the final heal ends what is in force: nothing new is set off.
    if (this.#stopped) return;
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        this.run(what, step);
      },
      Math.max(0, delayMs),
    );
    this.#timers.add(timer);
  }

  stop(): void {
    this.#stopped = true;
    this.#clearTimers();
    this.#finish();
  }

  /** Settles once the steps running now have settled. */
  inFlightSettled(): Promise<unknown> {
    return Promise.allSettled([...this.#inFlight]);
  }

  /** Drops the timers still set, then waits for every running step to settle. */
  async drain(): Promise<void> {
    this.#clearTimers();
    while (this.#inFlight.size > 0) await this.inFlightSettled();
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
