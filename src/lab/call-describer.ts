/**
 * How a trace's calls and replies read, for inspect, the HTML view and reports: in the words of
 * its lab's program (the checkers' own wording), or as plain JSON for a call no program of the
 * trace's lab defines (a trace of a lab this dslab does not know, or a hostile file).
 */
import { describeOutcome, quote } from "../rpc/describe-reply.ts";
import type { ProgramCall, ProgramResult } from "../rpc/program.ts";
import type { ReplyOutcome } from "../rpc/reply-outcome.ts";
import type { Lab } from "./lab.ts";
import { findLab, isLabName } from "./registry.ts";

export interface CallDescriber {
  call(call: ProgramCall): string;
  outcome(outcome: ReplyOutcome): string;
  /** What the call is about (a key, a slot), for filters; "" for nothing. */
  subject(call: ProgramCall): string;
  /** A node's stdout event (node.event): in its lab's words, or its type and fields. */
  nodeEvent(event: Readonly<Record<string, unknown>>): string;
  /** Whether a node event is one its lab declares (lab 2's decide lines), not stray output. */
  isLabEvent(event: Readonly<Record<string, unknown>>): boolean;
}

const describers = new Map<string, CallDescriber>();

export function callDescriber(labName: string): CallDescriber {
  let describer = describers.get(labName);
  if (!describer) {
    describer = isLabName(labName) ? labDescriber(findLab(labName)) : RAW;
    describers.set(labName, describer);
  }
  return describer;
}

/** A call or result as its procedure and fields: JSON, long strings cut as the checkers cut them. */
function rawFields(call: ProgramCall | ProgramResult): string {
  const { proc, ...args } = call as { proc: string } & Record<string, unknown>;
  const shown = Object.entries(args).map(([name, value]) => `${name}=${rawValue(value)}`);
  return [proc, ...shown].join(" ");
}

const rawValue = (value: unknown) =>
  typeof value === "string" ? quote(value) : (JSON.stringify(value) ?? "undefined");

/** A node event's type, then its fields: "decide slot=42 value=...". */
function rawNodeEvent(event: Readonly<Record<string, unknown>>): string {
  const { type, ...fields } = event;
  const shown = Object.entries(fields).map(([name, value]) => `${name}=${rawValue(value)}`);
  return [typeof type === "string" ? type : "event", ...shown].join(" ");
}

const RAW: CallDescriber = {
  call: rawFields,
  outcome: (outcome) => describeOutcome(outcome, rawFields),
  subject: () => "",
  nodeEvent: rawNodeEvent,
  isLabEvent: () => false,
};

function labDescriber(lab: Lab): CallDescriber {
  const { program } = lab;
  const isLabEvent = (event: Readonly<Record<string, unknown>>) =>
    typeof event.type === "string" && lab.eventTypes.includes(event.type);
  return {
    isLabEvent,
    nodeEvent: (event) =>
      isLabEvent(event) && lab.describeNodeEvent
        ? lab.describeNodeEvent(event)
        : rawNodeEvent(event),
    call: (call) => (program.isCall(call) ? program.describeCall(call) : rawFields(call)),
    outcome: (outcome) =>
      describeOutcome(outcome, (result) =>
        program.isResult(result) ? program.describeResult(result) : rawFields(result),
      ),
    subject: (call) => (program.isCall(call) ? program.subject(call) : ""),
  };
}
