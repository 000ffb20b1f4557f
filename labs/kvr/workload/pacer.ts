/**
 * Keeps the clients together under the contract's rate (rule 10: at most 200 calls/s in all):
 * each take() waits for the next free slot of a shared schedule, one call per interval.
 */
import { sleep } from "../../../src/workload/amo-client.ts";

export class Pacer {
  readonly #intervalMs: number;
  readonly #now: () => number;
  #next = 0;

  constructor(callsPerSecond: number, now: () => number) {
    this.#intervalMs = 1000 / callsPerSecond;
    this.#now = now;
  }

  async take(signal: AbortSignal): Promise<void> {
    const now = this.#now();
    const at = Math.max(now, this.#next);
    this.#next = at + this.#intervalMs;
    if (at > now) await sleep(at - now, signal);
  }
}
