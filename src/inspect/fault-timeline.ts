/**
 * What was disturbed at each moment of a run: the nemesis faults in force (nemesis.start
 * until nemesis.stop) and nodes that were down, restarting or paused (from the lifecycle
 * events, so a probe's own kill counts as much as a scheduled crash).
 */
import { describeFault } from "../net/describe-fault.ts";
import type { NodeId, Trace } from "../trace/events.ts";

/** Per event index, the disturbances in force just after that event, in a stable order. */
export function faultTimeline(trace: Trace): string[][] {
  const faults = new Map<number, string>();
  const nodes = new Map<NodeId, string>();
  const paused = new Set<NodeId>();
  let current: string[] = [];
  return trace.events.map((e) => {
    switch (e.type) {
      case "nemesis.start":
        faults.set(e.id, `#${e.id} ${describeFault(e.fault)}`);
        break;
      case "nemesis.stop":
        faults.delete(e.id);
        break;
      case "node.kill":
      case "node.exit":
      case "node.failed":
        nodes.set(e.node, `${e.node} down`);
        paused.delete(e.node);
        break;
      case "node.start":
        nodes.set(e.node, `${e.node} starting`);
        break;
      case "node.ready":
        nodes.delete(e.node);
        break;
      case "node.pause":
        paused.add(e.node);
        break;
      case "node.resume":
        paused.delete(e.node);
        break;
      default:
        return current; // unchanged: events share one list (traces can be long)
    }
    current = [
      ...[...faults.keys()].sort((a, b) => a - b).map((id) => faults.get(id) as string),
      ...[...nodes.values()].sort(),
      ...[...paused].sort().map((node) => `${node} paused`),
    ];
    return current;
  });
}

/** "no fault" or the disturbances joined, for one line of output. */
export function describeDisturbances(active: string[] | undefined): string {
  return active && active.length > 0 ? active.join("; ") : "no fault";
}
