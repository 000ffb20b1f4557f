/** An echo node for runtime and nemesis tests, and the probe that checks it answers. */
import { connect } from "node:net";

/** Node source (for `node -e`) of a TCP echo server on DSLAB_PORT, as the runtime sets it. */
export const ECHO_SERVER_SOURCE = `require("node:net").createServer((s) => { s.on("error", () => {}); s.pipe(s); })
  .listen(Number(process.env.DSLAB_PORT), "0.0.0.0");`;

/** true when `message` sent to `address` (host:port) gets anything back within timeoutMs. */
export function echoes(address: string, timeoutMs: number, message = "ping"): Promise<boolean> {
  const [host, port] = address.split(":");
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on("connect", () => socket.write(message));
    socket.on("data", () => done(true));
    socket.on("error", () => done(false));
  });
}
