/**
 * Random lab 1 operations chosen so that a duplicate execution shows: CREATE and REMOVE on the
 * same few keys (a second execution answers KV_KEY_EXISTS / KV_KEY_NOT_FOUND or resurrects a
 * key), SET with values never used before (a re-executed SET brings back an old value), and
 * reads that observe it. Keys live in small groups (`/g<epoch>_<n>` and a few children) shared
 * by two clients and renewed as the run goes on, so the checker's search stays small.
 */

import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { KvCall } from "./kv-types.ts";

export interface GeneratorOptions {
  seed: number;
  client: string;
  /** Which group of keys this client shares with its partner. */
  groupSlot: number;
}

const CHILDREN = ["", "/a", "/b", "/a/x"];
const WEIGHTS: Array<[KvCall["proc"], number]> = [
  ["CREATE", 30],
  ["SET", 20],
  ["REMOVE", 15],
  ["GET", 20],
  ["LIST", 15],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

export class OperationGenerator {
  readonly #options: GeneratorOptions;
  readonly #rng;
  #counter = 0;
  /** Every key this generator has used, so the final read covers them. */
  readonly keys = new Set<string>();

  constructor(options: GeneratorOptions) {
    this.#options = options;
    this.#rng = xoroshiro128plus(options.seed);
  }

  #int(min: number, max: number): number {
    return uniformInt(this.#rng, min, max);
  }

  /** The group root for an epoch; both partners of a slot compute the same name. */
  static groupRoot(epoch: number, slot: number): string {
    return `/g${epoch}_${slot}`;
  }

  next(epoch: number): KvCall {
    const root = OperationGenerator.groupRoot(epoch, this.#options.groupSlot);
    const key = `${root}${CHILDREN[this.#int(0, CHILDREN.length - 1)]}`;
    this.keys.add(key);
    let pick = this.#int(0, TOTAL_WEIGHT - 1);
    let proc: KvCall["proc"] = "GET";
    for (const [name, weight] of WEIGHTS) {
      if (pick < weight) {
        proc = name;
        break;
      }
      pick -= weight;
    }
    const val = `${this.#options.client}.${++this.#counter}`;
    switch (proc) {
      case "CREATE":
      case "SET":
        return { proc, key, val };
      case "REMOVE":
      case "GET":
      case "LIST":
        return { proc, key };
      default:
        return { proc: "GET", key };
    }
  }

  /** A draw in [0, 1) from the same stream, for the client's own choices (duplicates...). */
  chance(): number {
    return this.#int(0, 999_999) / 1_000_000;
  }
}
