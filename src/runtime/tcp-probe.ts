/** Readiness per node-contract: a TCP connect that is opened and closed, sending nothing. */
import { connect } from "node:net";

/** true when something accepts a connection on host:port within timeoutMs. */
export function acceptsConnections(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
