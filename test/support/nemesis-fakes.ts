/** A fake node runtime and fault network for the nemesis runner's tests: what they are asked. */
import type { NemesisPlan, Reaction } from "../../src/nemesis/plan.ts";
import type { AppliedFault, LinkFault, LinkFaultTarget } from "../../src/net/fault-network.ts";
import type { NodeRuntime, NodeStartResult } from "../../src/runtime/types.ts";

/** Records what the runner asks of the nodes; kills take `killMs`, restarts `restartMs`. */
export class FakeRuntime implements NodeRuntime {
  readonly kind = "process";
  readonly fatalReason = undefined;
  readonly calls: string[] = [];
  readonly #down = new Set<string>();
  readonly #paused = new Set<string>();
  /** Nodes whose restarts fail (they stay down). */
  readonly failingRestarts = new Set<string>();
  killMs = 0;
  restartMs = 0;

  async start(): Promise<NodeStartResult> {
    return { ok: true };
  }
  async kill(node: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.killMs));
    this.calls.push(`kill ${node}`);
    this.#down.add(node);
  }
  async restart(node: string): Promise<NodeStartResult> {
    await new Promise((resolve) => setTimeout(resolve, this.restartMs));
    this.calls.push(`restart ${node}`);
    if (this.failingRestarts.has(node)) return { ok: false, reason: "never became ready" };
    this.#down.delete(node);
    return { ok: true };
  }
  async pause(node: string): Promise<void> {
    this.calls.push(`pause ${node}`);
    this.#paused.add(node);
  }
  async resume(node: string): Promise<void> {
    this.calls.push(`resume ${node}`);
    this.#paused.delete(node);
  }
  isUp(node: string): boolean {
    return !this.#down.has(node);
  }
  isPaused(node: string): boolean {
    return this.#paused.has(node);
  }
  async sampleMemory(): Promise<number> {
    return 0;
  }
  async stopAll(): Promise<void> {}
  markDown(node: string): void {
    this.#down.add(node);
  }
}

export class FakeNetwork implements LinkFaultTarget {
  readonly #links: string[];
  readonly applied: LinkFault[] = [];
  readonly removed: LinkFault[] = [];
  heals = 0;
  constructor(links: string[]) {
    this.#links = links;
  }
  async apply(fault: LinkFault): Promise<AppliedFault> {
    this.applied.push(fault);
    return { fault };
  }
  async remove(applied: AppliedFault): Promise<void> {
    this.removed.push(applied.fault);
  }
  async healAll(): Promise<void> {
    this.heals += 1;
  }
  links(): string[] {
    return this.#links;
  }
}

/** Polls `done` every 10 ms until it holds, or throws after timeoutMs. */
export async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A plan of reactions alone, their window `windowMs` long. */
export const reactionsOnly = (windowMs: number, reactions: Reaction[]): NemesisPlan => ({
  durationMs: windowMs,
  quietEndMs: 0,
  gapMs: { min: 1, max: 1 },
  faultDurationMs: { min: 1, max: 1 },
  overlap: false,
  minStableMs: 0,
  faults: [],
  reactions,
});
