/**
 * A private toxiproxy-server on 127.0.0.1 for one run: started on a free API port, ready once
 * GET /version answers, stopped with SIGKILL to its process group (tracked by the reaper).
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { spawnGroupLeader } from "../host/group-leader.ts";
import { LineSplitter } from "../host/line-splitter.ts";
import { killGroup } from "../host/reaper.ts";
import { settlesWithin } from "../host/settles-within.ts";
import { freePort } from "./free-port.ts";
import { releasePort } from "./port-claims.ts";
import { toxiproxyClient } from "./toxiproxy-http.ts";

export interface ToxiproxyServer {
  /** e.g. http://127.0.0.1:40123 */
  readonly apiUrl: string;
  readonly port: number;
  readonly pid: number;
  /** What GET /version answered. */
  readonly version: string;
  /** The server's recent log lines (warnings and errors), for diagnostics. */
  recentOutput(): string[];
  stop(): Promise<void>;
}

export interface ToxiproxyServerOptions {
  /** Path of toxiproxy-server; default findToxiproxyBinary(). */
  binary?: string;
  /** How long to wait for GET /version (default 10,000 ms). */
  startTimeoutMs?: number;
}

const HOST = "127.0.0.1";
const PORT_ATTEMPTS = 3;
const POLL_MS = 50;
const STOP_TIMEOUT_MS = 5_000;
const TAIL_LINES = 20;
const BUNDLED_BINARY = fileURLToPath(new URL("../../.tools/bin/toxiproxy-server", import.meta.url));

/** $DSLAB_TOXIPROXY, else the copy scripts/setup.sh installs in .tools/bin, else PATH. */
export function findToxiproxyBinary(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.DSLAB_TOXIPROXY;
  if (chosen) {
    if (!isExecutable(chosen)) {
      throw new Error(`DSLAB_TOXIPROXY=${chosen} is not an executable file; fix or unset it`);
    }
    return chosen;
  }
  if (isExecutable(BUNDLED_BINARY)) return BUNDLED_BINARY;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "toxiproxy-server");
    if (dir && isExecutable(candidate)) return candidate;
  }
  throw new Error(
    "toxiproxy-server (v2.12.0) not found: run scripts/setup.sh, put it on PATH, or set DSLAB_TOXIPROXY to its path",
  );
}

export async function startToxiproxyServer(
  options: ToxiproxyServerOptions = {},
): Promise<ToxiproxyServer> {
  const binary = options.binary ?? findToxiproxyBinary();
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const outcome = await launch(binary, await freePort(HOST), timeoutMs);
    if (!(outcome instanceof Error)) return outcome;
    // Another process took the port between our probe and the server's bind: try another.
    if (!/address already in use/.test(outcome.message)) throw outcome;
    lastError = outcome;
  }
  throw lastError ?? new Error("toxiproxy-server did not start");
}

async function launch(
  binary: string,
  port: number,
  timeoutMs: number,
): Promise<ToxiproxyServer | Error> {
  const leader = await spawnGroupLeader(binary, ["-host", HOST, "-port", String(port)], {
    // Only warnings and errors: info logs every request, debug every connection.
    env: { LOG_LEVEL: "warn" },
    label: "toxiproxy-server",
  });
  if ("error" in leader) {
    throw new Error(`could not start toxiproxy-server (${binary}): ${leader.error}`);
  }
  const { pid } = leader;
  const tail: string[] = [];
  for (const stream of [leader.stdout, leader.stderr]) {
    const splitter = new LineSplitter(4096, (line) => {
      tail.push(line.text);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    stream?.on("data", (chunk: Buffer) => splitter.push(chunk));
  }
  let exitCode: number | null | undefined;
  const exited = leader.exited.then(({ code }) => {
    exitCode = code;
  });
  const stop = async () => {
    killGroup(pid, "SIGKILL");
    if (!(await settlesWithin(exited, STOP_TIMEOUT_MS)))
      throw new Error(`toxiproxy-server (pid ${pid}) did not exit after SIGKILL`);
    releasePort(port);
  };

  const apiUrl = `http://${HOST}:${port}`;
  const client = toxiproxyClient(apiUrl, 1_000);
  const deadline = Date.now() + timeoutMs;
  const output = () => (tail.length === 0 ? "" : `; its output:\n${tail.join("\n")}`);
  for (;;) {
    if (exitCode !== undefined) {
      return new Error(`toxiproxy-server exited at once (exit code ${exitCode})${output()}`);
    }
    if (tail.some((line) => /"level":"(error|fatal)"/.test(line))) {
      await stop();
      return new Error(`toxiproxy-server failed to start on ${HOST}:${port}${output()}`);
    }
    const version = await client.getVersion().catch(() => undefined);
    if (version !== undefined && /"version"/.test(version)) {
      return { apiUrl, port, pid, version, recentOutput: () => [...tail], stop };
    }
    if (Date.now() >= deadline) {
      await stop();
      return new Error(
        `toxiproxy-server did not answer GET ${apiUrl}/version within ${timeoutMs} ms${output()}`,
      );
    }
    await sleep(POLL_MS);
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
