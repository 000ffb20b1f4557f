/**
 * The lab client against a link whose node is down: the proxy accepts each connection and
 * closes it at once. The client must keep trying until it gives up, at a pace a real client
 * would, not redial in a tight loop (that took thousands of connections a second from the
 * nodes' two cores and filled the trace).
 */
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { consProgram } from "../labs/consensus/protocol/cons-program.ts";
import type { TraceEvent } from "../src/trace/events.ts";
import { AmoClient } from "../src/workload/amo-client.ts";
import { RpcRecorder } from "../src/workload/traced-connection.ts";

describe("the lab client on a link that closes every connection", () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it("keeps retrying until it gives up, pausing between connections", async () => {
    let accepted = 0;
    server = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const events: TraceEvent[] = [];
    const started = performance.now();
    const recorder = new RpcRecorder(
      (event) => events.push(event),
      () => performance.now() - started,
    );
    const retransmitMs = 200;
    const giveUpMs = 2_000;
    const client = new AmoClient(recorder, {
      name: "c1",
      program: consProgram,
      clientId: 0n,
      endpoint: { link: "c1-n1", host: "127.0.0.1", port },
      retransmitMs,
      giveUpMs,
      ackEvery: 1,
      newConnectionEvery: 3,
      signal: new AbortController().signal,
    });
    const result = await client.perform({ proc: "CONS_DECIDED", slot: "1" }, "none");
    client.close();
    expect(result.status).toBe("info");
    const sends = events.filter((e) => e.type === "rpc.send").length;
    // Retried all along (about one send per half retransmission interval)...
    expect(sends).toBeGreaterThanOrEqual(giveUpMs / retransmitMs);
    // ...but never in a tight loop, which made hundreds of connections in these 2 s.
    expect(accepted).toBeLessThanOrEqual((2 * giveUpMs) / (retransmitMs / 2));
  });
});
