/**
 * What each node did about each slot, as the liveness checkers need it: its first decide line
 * and first TRUE answer, and every CONS_DECIDED call dslab sent it with the FALSE answers.
 */
import type { NodeId } from "../../../src/trace/events.ts";
import type { ConsensusHistory } from "./history.ts";

/** What one node did about one slot. */
export interface NodeSlot {
  printT: number | undefined;
  printEvent: number | undefined;
  trueT: number | undefined;
  /** CONS_DECIDED calls to this node for this slot: first send time and FALSE answers. */
  calls: { sendT: number; falses: { event: number; t: number }[] }[];
}

/** Keyed by `${node} ${slot}`. */
export function nodeSlots(h: ConsensusHistory): Map<string, NodeSlot> {
  const table = new Map<string, NodeSlot>();
  const at = (node: NodeId, slot: string): NodeSlot => {
    const key = `${node} ${slot}`;
    let entry = table.get(key);
    if (!entry) {
      entry = { printT: undefined, printEvent: undefined, trueT: undefined, calls: [] };
      table.set(key, entry);
    }
    return entry;
  };
  for (const line of h.lines) {
    const entry = at(line.node, line.slot);
    if (entry.printT === undefined) {
      entry.printT = line.t;
      entry.printEvent = line.event;
    }
  }
  for (const q of h.queries) {
    if (q.node === undefined || !q.firstSend) continue;
    const entry = at(q.node, q.slot);
    const falses: { event: number; t: number }[] = [];
    for (const a of q.answers) {
      if (a.result.proc !== "CONS_DECIDED") continue;
      if (!a.result.decided) falses.push({ event: a.event, t: a.t });
      else if (entry.trueT === undefined || a.t < entry.trueT) entry.trueT = a.t;
    }
    entry.calls.push({ sendT: q.firstSend.t, falses });
  }
  return table;
}
