import { readFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "../src/net/free-port.ts";
import { toxiproxyClient } from "../src/net/toxiproxy-http.ts";
import { findToxiproxyBinary, startToxiproxyServer } from "../src/net/toxiproxy-server.ts";
import { liveProcessesInGroup } from "../src/runtime/process-group.ts";

describe("toxiproxy-server lifecycle", () => {
  it("starts on a free port, answers /version, and is gone after stop()", async () => {
    const server = await startToxiproxyServer();
    expect(server.apiUrl).toBe(`http://127.0.0.1:${server.port}`);
    expect(await toxiproxyClient(server.apiUrl).getVersion()).toContain("version");
    await server.stop();
    expect(await liveProcessesInGroup(server.pid)).toEqual([]);
    await expect(toxiproxyClient(server.apiUrl, 1000).getVersion()).rejects.toThrow(
      /GET \/version: .*is toxiproxy-server running/,
    );
  });

  it("says why when the binary does not start", async () => {
    await expect(startToxiproxyServer({ binary: "/bin/false" })).rejects.toThrow(
      /toxiproxy-server exited at once \(exit code 1\)/,
    );
    await expect(startToxiproxyServer({ binary: "/nonexistent/toxiproxy" })).rejects.toThrow(
      /could not start toxiproxy-server \(\/nonexistent\/toxiproxy\).*ENOENT/,
    );
  });

  it("finds the binary from DSLAB_TOXIPROXY, then .tools/bin, and names a bad setting", () => {
    const bundled = findToxiproxyBinary({ PATH: "" });
    expect(bundled).toMatch(/\.tools\/bin\/toxiproxy-server$/);
    expect(findToxiproxyBinary({ DSLAB_TOXIPROXY: bundled })).toBe(bundled);
    expect(() => findToxiproxyBinary({ DSLAB_TOXIPROXY: "/nope/toxiproxy-server" })).toThrow(
      /DSLAB_TOXIPROXY=\/nope\/toxiproxy-server is not an executable/,
    );
  });

  it("times out an API call to a server that never answers", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      await expect(toxiproxyClient(`http://127.0.0.1:${port}`, 300).reset()).rejects.toThrow(
        /toxiproxy POST \/reset: no answer within 300 ms/,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("picks server ports below the ephemeral range when there is room", async () => {
    const port = await freePort();
    const range = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
    const ephemeralLow = Number(range.trim().split(/\s+/)[0]);
    if (ephemeralLow >= 11_000) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralLow);
    }
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(port, "127.0.0.1", resolve));
    await new Promise((resolve) => probe.close(resolve));
  });
});
