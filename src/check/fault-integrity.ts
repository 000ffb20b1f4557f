/**
 * fault-integrity: the faults the run says it injected were really in force. The harness
 * checks the fault network after every fault change and at the end of the run, and traces
 * each check as `net.verify` (src/net/fault-verifier.ts): every proxy present, enabled as
 * wanted, listening where its dialers were sent, forwarding to its node, with exactly the
 * toxics wanted, and (process runtime) its address held by toxiproxy-server alone. Any
 * mismatch means something other than dslab changed the fault network, a submission that
 * reached Toxiproxy's API most likely: nothing the other checkers saw can be trusted, and the
 * run fails. Every lab, every scenario.
 */
import type { LinkMismatch, NetVerifyEvent, Trace } from "../trace/events.ts";
import { namedChecker } from "./named-checker.ts";
import type { CheckResult, Evidence, NamedChecker } from "./types.ts";

export const FAULT_INTEGRITY = "fault-integrity";
/** Mismatches named in the evidence; the rest are counted. */
const MISMATCHES_SHOWN = 10;

export function checkFaultIntegrity(trace: Trace): CheckResult {
  const checks: Array<{ index: number; event: NetVerifyEvent }> = [];
  trace.events.forEach((event, index) => {
    if (event.type === "net.verify") checks.push({ index, event });
  });
  const result = (verdict: CheckResult["verdict"], summary: string, evidence: Evidence[] = []) => ({
    property: FAULT_INTEGRITY,
    verdict,
    summary,
    evidence,
  });
  if (checks.length === 0) {
    return result(
      "skipped",
      "The fault network was not checked in this run (the trace has no net.verify: an earlier dslab wrote it, or the run ended before its proxies were up).",
    );
  }
  // A tampered network shows the same mismatches at every check: each is shown once, first seen.
  const seen = new Map<string, Evidence>();
  for (const { index, event } of checks) {
    for (const m of event.mismatches) {
      const key = JSON.stringify([m.link, m.what, m.wanted, m.found]);
      if (seen.has(key)) continue;
      seen.set(key, {
        message: `at ${event.t.toFixed(1)} ms, ${describeMismatch(m)}`,
        events: [index],
      });
    }
  }
  if (seen.size > 0) {
    const failed = checks.filter(({ event }) => event.mismatches.length > 0);
    const links = [...new Set(failed.flatMap(({ event }) => event.mismatches.map((m) => m.link)))];
    return result(
      "fail",
      `The fault network was changed behind dslab's back: ${failed.length} of ${checks.length} checks found it other than dslab set it (on ${links.join(", ")}), so the faults this run claims are not the faults the nodes met and it cannot pass. Nodes must not touch the fault proxies or their API.`,
      [...seen.values()].slice(0, MISMATCHES_SHOWN),
    );
  }
  const read = checks.filter(({ event }) => event.error === undefined || event.links > 0);
  if (read.length === 0) {
    const [first] = checks;
    return result(
      "unknown",
      `The fault network's state could not be read at any of its ${checks.length} checks: ${first?.event.error}`,
      first ? [{ message: first.event.error ?? "", events: [first.index] }] : [],
    );
  }
  const connections = read.map(({ event }) => event.connections).filter((c) => c !== undefined);
  const through =
    connections.length > 0
      ? `, holding up to ${Math.max(...connections)} connections through the proxies at once`
      : "";
  return result(
    "pass",
    `${read.length} checks of the fault network (after fault changes and at the end) found every proxy as dslab set it${through}.`,
  );
}

/** "link c1-n1: listen should be 127.0.0.1:4000, was 127.0.0.1:5000" */
export function describeMismatch(m: LinkMismatch): string {
  return `link ${m.link}: ${m.what} should be ${m.wanted}, was ${m.found}`;
}

/** One check of the fault network in a phrase, for the trace's readers. */
export function describeNetVerify(event: NetVerifyEvent): string {
  const when = event.final ? " at the end" : "";
  if (event.mismatches.length > 0) {
    return `fault network changed behind dslab's back${when}: ${event.mismatches.map(describeMismatch).join("; ")}`;
  }
  if (event.error !== undefined) return `fault network not checked${when}: ${event.error}`;
  const connections =
    event.connections === undefined
      ? ""
      : `, ${event.connections} connection${event.connections === 1 ? "" : "s"} through the proxies`;
  return `fault network checked${when}: ${event.links} link${event.links === 1 ? "" : "s"} as set${connections}`;
}

export const faultIntegrityChecker: NamedChecker = namedChecker(
  FAULT_INTEGRITY,
  "safety",
  "The fault network is as dslab set it at every fault change and at the end: each proxy where its dialers were sent, forwarding to its node with exactly the faults wanted, its address held by Toxiproxy alone.",
  checkFaultIntegrity,
);
