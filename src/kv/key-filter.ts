/** `dslab inspect --key`, for every lab that serves the key-value program. */
import type { CallFilter } from "../lab/lab.ts";

const inSubtree = (key: string, root: string): boolean =>
  root === "/" || key === root || key.startsWith(`${root}/`);

/** --key: the key and its subtree ("/" is every key). */
export const KEY_FILTER: CallFilter = {
  option: "key",
  help: "only ops on this key and its subtree",
  matchesCall: (call, key) => typeof call.key === "string" && inSubtree(call.key, key),
};
