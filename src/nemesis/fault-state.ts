/**
 * The faults of one nemesis run: beginning and ending each against the fault network and the
 * node runtime, which are in force and how each ends, which nodes the nemesis crashed, and
 * their trace (nemesis.start, nemesis.stop, nemesis.skip). The final heal ends whatever is
 * still in force.
 */

import { isLinkFault, type LinkFault, type LinkFaultTarget } from "../net/fault-network.ts";
import type { NodeRuntime } from "../runtime/types.ts";
import type {
  Fault,
  NemesisEnded,
  NemesisEndsWhen,
  NemesisTrigger,
  NodeId,
  ScheduledFault,
  TraceEvent,
} from "../trace/events.ts";
import { partitionBlackholes } from "./partition.ts";

/** Where the faults go, and where they are traced. */
export interface FaultTargets {
  network: LinkFaultTarget;
  runtime: NodeRuntime;
  emit: (event: TraceEvent) => void;
  now: () => number;
}

/** A fault in force, with how to end it. */
interface ActiveFault {
  scheduled: ScheduledFault;
  end: () => Promise<void>;
  /** What the final heal must do besides healing every link (node faults). */
  heal?: () => Promise<void>;
}

/** A node the nemesis crashed and has not brought back yet, for a skipped fault's reason. */
interface CrashedNode {
  /** The crash fault's id. */
  by: number;
  state: "down" | "restarting" | "failed";
  /** Why its restart failed. */
  failure?: string;
}

type NodeFault = Extract<Fault, { kind: "crash" | "pause" | "crash-group" | "pause-group" }>;

export class FaultState {
  /** Node faults not injected because none of their nodes was up when they were due. */
  readonly skipped: number[] = [];
  /** Nodes that did not come back after a crash (their node.failed says why). */
  readonly nodeFailures: string[] = [];
  readonly #targets: FaultTargets;
  /** Settles once the steps running now have settled. */
  readonly #inFlightSettled: () => Promise<unknown>;
  readonly #active = new Map<number, ActiveFault>();
  readonly #begun = new Map<number, Promise<void>>();
  readonly #crashed = new Map<NodeId, CrashedNode>();
  readonly #triggers = new Map<number, NemesisTrigger>();
  /** Reactive isolations: what ends them, and then what did. */
  readonly #endsWhen = new Map<number, NemesisEndsWhen>();
  readonly #ended = new Map<number, NemesisEnded>();

  constructor(targets: FaultTargets, inFlightSettled: () => Promise<unknown>) {
    this.#targets = targets;
    this.#inFlightSettled = inFlightSettled;
  }

  /** Fault `id` was set off by a reaction's firing (its trace says which). */
  triggeredBy(id: number, trigger: NemesisTrigger): void {
    this.#triggers.set(id, trigger);
  }

  /** Fault `id` is a reactive isolation, and this ends it. */
  endsWhen(id: number, endsWhen: NemesisEndsWhen): void {
    this.#endsWhen.set(id, endsWhen);
  }

  /** Reactive isolation `id` is ending, for this reason (its nemesis.stop says it). */
  endedBy(id: number, ended: NemesisEnded): void {
    this.#ended.set(id, ended);
  }

  /** Whether the nemesis crashed `node` and could not restart it. */
  restartFailed(node: NodeId): boolean {
    return this.#crashed.get(node)?.state === "failed";
  }

  /** Begins a fault, once `first` (if any) has settled; ending it waits for this. */
  start(s: ScheduledFault, first?: Promise<unknown>): Promise<void> {
    const started = first ? first.then(() => this.#begin(s)) : this.#begin(s);
    this.#begun.set(
      s.id,
      started.catch(() => undefined),
    );
    return started;
  }

  /** Settles once fault `id` has begun (or failed to); undefined if it was never started. */
  begun(id: number): Promise<void> | undefined {
    return this.#begun.get(id);
  }

  /** Ends a fault once it has begun, if it is in force. */
  async end(s: ScheduledFault): Promise<void> {
    await this.#begun.get(s.id);
    const current = this.#active.get(s.id);
    if (!current) return;
    await current.end();
    // Only once it has ended: if ending fails, the final heal ends it and says so.
    this.#active.delete(s.id);
    this.#trace("nemesis.stop", s);
  }

  /** No toxics, every proxy enabled, paused nodes resumed, crashed nodes restarted. */
  async healAll(): Promise<void> {
    for (const id of this.#active.keys()) {
      if (this.#endsWhen.has(id) && !this.#ended.has(id)) this.#ended.set(id, { by: "final-heal" });
    }
    const stillActive = [...this.#active.values()];
    await this.#targets.network.healAll();
    await Promise.all(stillActive.map((a) => a.heal?.()));
    for (const a of stillActive) this.#trace("nemesis.stop", a.scheduled);
  }

  #begin(s: ScheduledFault): Promise<void> {
    const fault = s.fault;
    if (fault.kind === "stable") return this.#beginStable(s);
    if (isLinkFault(fault)) return this.#beginLinkFault(s, fault);
    if (fault.kind === "partition") return this.#beginPartition(s, fault);
    return this.#beginNodeFault(s, fault);
  }

  async #beginStable(s: ScheduledFault): Promise<void> {
    // Faults due to end before it finish ending first, so the period starts calm.
    await this.#inFlightSettled();
    this.#trace("nemesis.start", s);
    this.#active.set(s.id, { scheduled: s, end: async () => undefined });
  }

  async #beginLinkFault(s: ScheduledFault, fault: LinkFault): Promise<void> {
    const { network } = this.#targets;
    this.#trace("nemesis.start", s);
    const applied = await network.apply(fault);
    this.#active.set(s.id, { scheduled: s, end: () => network.remove(applied) });
  }

  async #beginPartition(
    s: ScheduledFault,
    fault: Extract<Fault, { kind: "partition" }>,
  ): Promise<void> {
    const { network } = this.#targets;
    const blackholes = partitionBlackholes(fault.cuts, network.links());
    this.#trace("nemesis.start", s);
    const applied = await Promise.all(blackholes.map((f) => network.apply(f)));
    const removeAll = async () => {
      await Promise.all(applied.map((a) => network.remove(a)));
    };
    this.#active.set(s.id, { scheduled: s, end: removeAll });
  }

  /** Crashes or pauses the fault's nodes that are up; skips it if none is. */
  async #beginNodeFault(s: ScheduledFault, fault: NodeFault): Promise<void> {
    const { runtime } = this.#targets;
    const nodes = "node" in fault ? [fault.node] : fault.nodes;
    const up = nodes.filter((node) => runtime.isUp(node));
    if (up.length === 0) {
      this.#skip(s, nodes);
      return;
    }
    this.#trace("nemesis.start", s);
    if (fault.kind === "crash" || fault.kind === "crash-group") {
      for (const node of up) this.#crashed.set(node, { by: s.id, state: "down" });
      await each(up, (node) => runtime.kill(node));
      const restart = (node: NodeId) => this.#restart(node);
      const heal = () =>
        each(
          up.filter((node) => !runtime.isUp(node)),
          restart,
        );
      this.#active.set(s.id, { scheduled: s, end: () => each(up, restart), heal });
    } else {
      await each(up, (node) => runtime.pause(node));
      const resume = () => each(up, (node) => runtime.resume(node));
      this.#active.set(s.id, { scheduled: s, end: resume, heal: resume });
    }
  }

  async #restart(node: NodeId): Promise<void> {
    const crash = this.#crashed.get(node);
    if (crash) crash.state = "restarting";
    const result = await this.#targets.runtime.restart(node);
    if (result.ok) {
      this.#crashed.delete(node);
      return;
    }
    this.nodeFailures.push(`${node}: ${result.reason}`);
    if (crash) this.#crashed.set(node, { ...crash, state: "failed", failure: result.reason });
  }

  #skip(s: ScheduledFault, nodes: NodeId[]): void {
    this.skipped.push(s.id);
    const trigger = this.#triggers.get(s.id);
    this.#targets.emit({
      type: "nemesis.skip",
      t: this.#targets.now(),
      id: s.id,
      fault: s.fault,
      ...(trigger ? { trigger } : {}),
      reason: nodes.map((node) => whyNotUp(node, this.#crashed.get(node))).join("; "),
    });
  }

  #trace(type: "nemesis.start" | "nemesis.stop", s: ScheduledFault): void {
    const trigger = this.#triggers.get(s.id);
    const until = this.#endsWhen.get(s.id);
    const reason = type === "nemesis.stop" ? this.#ended.get(s.id) : undefined;
    this.#targets.emit({
      type,
      t: this.#targets.now(),
      id: s.id,
      fault: s.fault,
      ...(trigger ? { trigger } : {}),
      ...(until ? { endsWhen: until } : {}),
      ...(reason ? { ended: reason } : {}),
    });
  }
}

async function each(nodes: NodeId[], step: (node: NodeId) => Promise<unknown>): Promise<void> {
  await Promise.all(nodes.map(step));
}

/** Why a node was not up when a fault on it was due, as far as the nemesis knows. */
function whyNotUp(node: NodeId, crash: CrashedNode | undefined): string {
  if (!crash)
    return `${node} was not up (not crashed by the nemesis: see its node.exit or node.failed)`;
  if (crash.state === "down")
    return `${node} was not up (crashed by fault ${crash.by}, not yet restarted)`;
  if (crash.state === "restarting")
    return `${node} was not up (restarting after fault ${crash.by}'s crash)`;
  return `${node} was not up (its restart after fault ${crash.by}'s crash failed: ${crash.failure})`;
}
