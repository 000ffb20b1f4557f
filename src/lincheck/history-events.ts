/**
 * Jepsen-style histories as the search reads them: each process's invocation paired with its
 * completion. `ok` returned (its value is the result), `fail` did not happen (dropped), `info`
 * timed out and may or may not have happened (it stays open: result unknown). An operation
 * still open at the end of the history is unknown too. Times are line numbers, the only clock
 * these files share.
 */
import type { Operation } from "../check/linearizability/model.ts";

export type Completion = "ok" | "fail" | "info";

export interface HistoryEvent<Payload> {
  process: number;
  type: "invoke" | Completion;
  payload: Payload;
  /** 1-based line in the file. */
  line: number;
}

/** Thrown for a file that is not a history of the expected format; says where and why. */
export class HistoryFormatError extends Error {}

/** Pairs events into operations; `toOperation` makes one from an invocation and its result. */
export function pairEvents<P, I, O>(
  file: string,
  events: readonly HistoryEvent<P>[],
  toOperation: (invoke: P, result: P | undefined) => { input: I; output?: O },
): Operation<I, O>[] {
  const open = new Map<number, HistoryEvent<P>>();
  const operations: Operation<I, O>[] = [];
  const add = (invoke: HistoryEvent<P>, done?: HistoryEvent<P>) => {
    const { input, output } = toOperation(invoke.payload, done?.payload);
    const returned = done !== undefined;
    operations.push({
      input,
      ...(returned ? { output, returnT: done.line } : {}),
      callT: invoke.line,
      id: invoke.line,
    });
  };
  for (const event of events) {
    const invoke = open.get(event.process);
    if (event.type === "invoke") {
      if (invoke) {
        throw new HistoryFormatError(
          `${file}:${event.line}: process ${event.process} invokes again while its call on line ${invoke.line} is still open`,
        );
      }
      open.set(event.process, event);
      continue;
    }
    if (!invoke) {
      throw new HistoryFormatError(
        `${file}:${event.line}: process ${event.process} completes a call it never invoked`,
      );
    }
    open.delete(event.process);
    if (event.type === "ok") add(invoke, event);
    else if (event.type === "info") add(invoke);
  }
  for (const invoke of open.values()) add(invoke);
  return operations.sort((a, b) => a.callT - b.callT);
}

export const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a of `hash`'s string followed by `text`: a string's hash, extended as it grows. */
export function extendHash(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
