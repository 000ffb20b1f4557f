/**
 * Waits for a promise at most `ms`; true if it settled in time. The timer is cleared either
 * way, so a finished wait never keeps the process alive.
 */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}
