/** One short human phrase per fault, for error messages and reports. */
import type { Fault, NemesisEvent } from "../trace/events.ts";

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case "latency":
      return `latency ${fault.latencyMs}±${fault.jitterMs} ms ${fault.direction} on ${fault.link}`;
    case "blackhole":
      return `blackhole ${fault.direction} on ${fault.link}`;
    case "reset":
      return `connection reset ${fault.direction} on ${fault.link}`;
    case "truncate":
      return `truncate after ${fault.bytes} bytes ${fault.direction} on ${fault.link}`;
    case "slice":
      return `slice into ~${fault.averageSize}±${fault.sizeVariation} byte pieces every ${fault.delayUs} µs ${fault.direction} on ${fault.link}`;
    case "bandwidth":
      return `bandwidth ${fault.rateKBps} KB/s ${fault.direction} on ${fault.link}`;
    case "link-down":
      return `link ${fault.link} down`;
    case "crash":
      return `crash ${fault.node}, restart after ${fault.restartAfterMs} ms`;
    case "pause":
      return `pause ${fault.node}`;
    case "partition":
      return `partition ${fault.name}: ${describeCuts(fault.cuts)}`;
    case "crash-group":
      return `crash ${together(fault.nodes)}, restart after ${fault.restartAfterMs} ms`;
    case "pause-group":
      return `pause ${together(fault.nodes)}`;
    case "stable":
      return "stable period (no fault)";
  }
}

function together(nodes: readonly string[]): string {
  return nodes.length === 1 ? (nodes[0] as string) : `${nodes.join(", ")} together`;
}

/**
 * Cuts made both ways that split their nodes into groups read "{n1,n2} | {n3}"; other
 * two-way cuts "n1 x n3"; one-way cuts "n1 -/-> {n2,n3}".
 */
function describeCuts(cuts: ReadonlyArray<readonly [string, string]>): string {
  const cut = new Set(cuts.map(([from, to]) => `${from}>${to}`));
  const isCut = (a: string, b: string) => cut.has(`${a}>${b}`);
  const twoWay = cuts.filter(([a, b]) => isCut(b, a));
  const oneWay = cuts.filter(([a, b]) => !isCut(b, a));
  const parts: string[] = [];
  if (twoWay.length > 0) parts.push(describeTwoWay(twoWay, isCut));
  const senders = [...new Set(oneWay.map(([from]) => from))];
  for (const from of senders) {
    const to = oneWay.filter(([a]) => a === from).map(([, b]) => b);
    parts.push(`${from} -/-> {${to.join(",")}}`);
  }
  return parts.join("; ") || "nothing cut";
}

function describeTwoWay(
  cuts: ReadonlyArray<readonly [string, string]>,
  isCut: (a: string, b: string) => boolean,
): string {
  const members = [...new Set(cuts.flat())].sort((a, b) =>
    a.localeCompare(b, "en", { numeric: true }),
  );
  // Groups: members that reach each other; valid when everything across groups is cut.
  const groups: string[][] = [];
  for (const m of members) {
    const group = groups.find((g) => g.every((other) => !isCut(m, other)));
    if (group) group.push(m);
    else groups.push([m]);
  }
  const clean = groups.every((g, i) =>
    groups.every((h, j) => i === j || g.every((a) => h.every((b) => isCut(a, b)))),
  );
  if (clean) return groups.map((g) => `{${g.join(",")}}`).join(" | ");
  return cuts
    .filter(([a, b]) => members.indexOf(a) < members.indexOf(b))
    .map(([a, b]) => `${a} x ${b}`)
    .join(", ");
}

/** Why a reactive fault ended, as a phrase to append ("" for any other fault). */
export function describeFaultEnd(event: Pick<NemesisEvent, "ended" | "trigger">): string {
  const slot = event.trigger?.slot === undefined ? "the slot" : `slot ${event.trigger.slot}`;
  switch (event.ended?.by) {
    case "decided":
      return ` (every other node had output ${slot}'s decision)`;
    case "max-hold":
      return ` (longest hold passed; ${event.ended.undecided?.join(", ") || "some node"} had not output ${slot}'s decision)`;
    case "restart-failed":
      return " (a crashed node did not come back)";
    case "final-heal":
      return " (the run was stopped)";
    default:
      return "";
  }
}
