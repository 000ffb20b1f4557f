/**
 * Faults set off on the timeline: each starts after its delay (and after another fault has
 * begun, where it must), and ends after its own delay or at once.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { describeFault } from "../net/describe-fault.ts";
import type { ScheduledFault } from "../trace/events.ts";
import type { FaultState } from "./fault-state.ts";
import { activeMs } from "./schedule.ts";
import type { Timeline } from "./timeline.ts";

export class FaultSteps {
  readonly #timeline: Timeline;
  readonly #faults: FaultState;

  constructor(timeline: Timeline, faults: FaultState) {
    this.#timeline = timeline;
    this.#faults = faults;
  }

  /** Starts a fault after delayMs, and after fault `behind` (if any) has begun and graceMs more. */
  startAfter(s: ScheduledFault, delayMs: number, behind?: number, graceMs = 0): void {
    this.#timeline.after(delayMs, `start fault ${s.id} (${describeFault(s.fault)})`, () => {
      const first = behind === undefined ? undefined : this.#faults.begun(behind);
      return this.#faults.start(
        s,
        first?.then(() => (graceMs > 0 ? sleep(graceMs) : undefined)),
      );
    });
  }

  /**
   * Ends a fault after delayMs (once it has begun, and fault `behind` too, if any); `onEnd`
   * runs once it ended.
   */
  endAfter(s: ScheduledFault, delayMs: number, onEnd: () => void, behind?: number): void {
    this.#timeline.after(delayMs, endingOf(s), this.#ending(s, onEnd, behind));
  }

  /** Ends a fault now (once it has begun); `onEnd` runs once it ended. */
  endNow(s: ScheduledFault, onEnd: () => void): void {
    this.#timeline.run(endingOf(s), this.#ending(s, onEnd));
  }

  /** Starts a fault after delayMs and ends it activeMs later; `onEnd` runs once it ended. */
  plan(s: ScheduledFault, delayMs: number, onEnd: () => void, behind?: number): void {
    this.startAfter(s, delayMs, behind);
    this.endAfter(s, delayMs + activeMs(s), onEnd);
  }

  #ending(s: ScheduledFault, onEnd: () => void, behind?: number): () => Promise<void> {
    return async () => {
      try {
        if (behind !== undefined) await this.#faults.begun(behind);
        await this.#faults.end(s);
      } finally {
        onEnd();
      }
    };
  }
}

function endingOf(s: ScheduledFault): string {
  return `end fault ${s.id} (${describeFault(s.fault)})`;
}
