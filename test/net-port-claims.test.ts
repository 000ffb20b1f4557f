/**
 * Port claims: a port handed to one run is not handed out again, by this process or another
 * dslab process on the machine, until released or its claimer is gone.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort } from "../src/net/free-port.ts";
import { claimPort, releasePort } from "../src/net/port-claims.ts";

const claims = fileURLToPath(new URL("../src/net/port-claims.ts", import.meta.url));

describe("port claims", () => {
  it("a claimed port is not claimed again until released", async () => {
    const port = await freePort();
    expect(claimPort(port)).toBe(false);
    releasePort(port);
    expect(claimPort(port)).toBe(true);
    releasePort(port);
  });

  it("another live process's claim holds; a dead one's is taken over", async () => {
    const port = await freePort();
    releasePort(port);
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { claimPort } from ${JSON.stringify(claims)};
         process.stdout.write(String(claimPort(${port})) + "\\n");
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const [line] = (await once(child.stdout, "data")) as [Buffer];
    expect(line.toString().trim()).toBe("true");
    expect(claimPort(port)).toBe(false);
    child.kill("SIGKILL"); // no exit handler runs: its claim file stays behind, stale
    await once(child, "exit");
    expect(claimPort(port)).toBe(true);
    releasePort(port);
  });
});
