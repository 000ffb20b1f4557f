/**
 * What a scenario run stands on, by runtime kind: the fault network (Toxiproxy), the node
 * runtime, and where nodes and links live. The scenario code is the same for every kind;
 * start-infrastructure.ts starts one.
 */
import type { FaultNetwork } from "../net/fault-network.ts";
import type { NodeRuntime, RuntimeHooks } from "./types.ts";

export type RuntimeKind = "process" | "docker";
export const RUNTIME_KINDS: readonly RuntimeKind[] = ["process", "docker"];

export interface InfrastructureOptions extends RuntimeHooks {
  nodes: string[];
  eventTypes: string[];
  timeScale: number;
  /** A course's own node image (manifest "image"); docker only. */
  image?: string;
}

/** A link's proxy: the dialer connects to host:port; it forwards to the node's port. */
export interface LinkRequest {
  name: string;
  to: string;
  port: "client" | "peer";
}

export interface RunInfrastructure {
  readonly network: FaultNetwork;
  readonly runtime: NodeRuntime;
  /** toxiproxy-server's pid, where the harness can inspect its sockets (fault-verifier.ts). */
  readonly faultServerPid?: () => number;
  /** The node's ports as its spec carries them. */
  nodePorts(node: string): { port: number; peerPort?: number };
  /** Creates the link's proxy; returns where its dialer (a client or a node) connects. */
  addLink(link: LinkRequest): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
}

/** A repaired link goes into the trace: its connections closed then. */
export function traceRepair(hooks: RuntimeHooks): (link: string, reason: string) => void {
  return (link, reason) => hooks.emit({ type: "net.repair", t: hooks.now(), link, reason });
}
