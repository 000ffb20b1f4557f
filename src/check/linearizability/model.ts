/**
 * What the linearizability search needs to know about a system, Porcupine-style: a model is a
 * sequential specification (initial state, a step per operation) plus what lets the search
 * memoise and split its work (state hash and equality, independent parts). A lab, a test or
 * `dslab lincheck` gives one; the search never looks behind it.
 */

export interface LinearizabilityModel<State, Input, Output> {
  /** The state before any operation. */
  readonly init: State;
  /**
   * The state after `input` takes effect on `state`. `output` is what the operation was seen
   * to return: undefined when the state could not have produced it. An operation whose outcome
   * is unknown (it never returned) is stepped with `output` undefined and may return anything.
   */
  step(state: State, input: Input, output: Output | undefined): State | undefined;
  /** Equal states must hash equal; the memo compares states with `equal` on a hash match. */
  hash(state: State): number;
  equal(a: State, b: State): boolean;
  /**
   * Splits a history into parts that are linearizable together exactly when each is on its
   * own (Porcupine's P-compositionality, e.g. one part per key). Indexes into `operations`;
   * absent: one part.
   */
  partition?(operations: readonly Operation<Input, Output>[]): number[][];
  describeOperation(input: Input, output: Output | undefined): string;
  describeState(state: State): string;
}

/** One operation of a history, in the clock its times share with the others. */
export interface Operation<Input, Output> {
  input: Input;
  /** What it returned; ignored (any result) when `returnT` is undefined. */
  output?: Output;
  /** When it was invoked. */
  callT: number;
  /**
   * When its result arrived; undefined for an operation whose outcome is unknown (a timeout,
   * a lost reply): it may take effect at any time after its call, or never.
   */
  returnT?: number;
  /** The history's own id for it (an op id, a line number), for evidence. */
  id?: number;
}
