/** A TCP port free on 127.0.0.1 right now (the kernel picks it; bind races stay possible). */
import { createServer } from "node:net";

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error) =>
      reject(new Error(`could not find a free TCP port on ${host}: ${error.message}`)),
    );
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
