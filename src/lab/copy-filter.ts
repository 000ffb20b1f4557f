/** What dslab's copy of a submission leaves out (by name): history, dependencies, dslab's output. */
const LEFT_OUT_OF_COPY = /(^|\/)(\.git|dslab-out|node_modules)$/;

/** True for a path (or a name) the copy of the submission leaves out. */
export function leftOutOfCopy(path: string): boolean {
  return LEFT_OUT_OF_COPY.test(path);
}
