/**
 * Helpers for the interop tests: start and stop a foreign server process, open a connection,
 * and unwrap a call's reply (failing the test with the facts when there is none).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { type CallResult, RpcConnection } from "../../src/rpc/connection.ts";
import type { RpcReply } from "../../src/rpc/message.ts";

export interface StartedProcess {
  child: ChildProcess;
  output: () => string;
}

/**
 * Spawns `command` and waits until `ready(output)` returns a value (polled on every output
 * chunk) or `timeoutMs` passes; throws with the output if it exits or times out first.
 */
export async function startProcess<T>(
  command: string,
  args: string[],
  ready: (output: string) => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<StartedProcess & { ready: T }> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  child.on("error", (error) => {
    output += `spawn error: ${error.message}`;
    exited = true;
  });
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await ready(output);
    if (value !== undefined) return { child, output: () => output, ready: value };
    if (exited) break;
    await sleep(50);
  }
  await stopProcess(child);
  throw new Error(
    `${command} ${args.join(" ")} was not ready ${exited ? "(it exited)" : `within ${timeoutMs} ms`}; output:\n${output}`,
  );
}

/** SIGTERM, then SIGKILL if it has not exited within 3 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

export async function openConnection(port: number): Promise<RpcConnection> {
  const opened = await RpcConnection.open({ host: "127.0.0.1", port, connectTimeoutMs: 2000 });
  if (!opened.ok) throw new Error(opened.error);
  return opened.connection;
}

/** The decoded reply of a call, or a thrown error that says what happened instead. */
export function replyOf(result: CallResult): RpcReply {
  if (result.kind !== "reply") throw new Error(`no reply: ${JSON.stringify(result)}`);
  const decoded = result.reply.decoded;
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value;
}

/** The results of an accepted SUCCESS reply, or a thrown error naming what the reply was. */
export function successResults(result: CallResult): Buffer {
  const reply = replyOf(result);
  if (reply.replyStat !== "MSG_ACCEPTED" || reply.accepted.stat !== "SUCCESS") {
    throw new Error(`not SUCCESS: ${JSON.stringify(reply)}`);
  }
  return reply.accepted.results;
}
