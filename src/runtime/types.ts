/**
 * What the lab code needs from a node runtime: local processes (process-runtime.ts) or
 * sandboxed containers (docker-runtime.ts), both on BaseNodeRuntime.
 */
import type { NodeId, TraceEvent } from "../trace/events.ts";

/** Another node's peer address as this node must dial it (always through a fault proxy). */
export interface PeerAddress {
  id: NodeId;
  host: string;
  port: number;
}

/** How to start one node; kept across restarts (same port, same data dir). */
export interface NodeSpec {
  id: NodeId;
  /** argv[0] already resolved (a path, or a bare name looked up on PATH). */
  argv: string[];
  cwd: string;
  /** Extra environment on top of the harness's own and the DSLAB_* variables. */
  env: Record<string, string>;
  port: number;
  peerPort?: number;
  /** Every other node's peer address, in id order (DSLAB_PEERS); empty for lab 1. */
  peers: PeerAddress[];
  /** Created if missing, never wiped: it must survive a crash and restart. */
  dataDir: string;
  /** The node's $TMPDIR, under the run directory; created if missing. */
  tmpDir: string;
}

/** The outcome of a start or restart: ready, or failed with the reason also traced. */
export type NodeStartResult = { ok: true } | { ok: false; reason: string };

/** How a node process ended. */
export interface NodeExit {
  node: NodeId;
  incarnation: number;
  code: number | null;
  signal: string | null;
  /** true when the harness killed it. */
  expected: boolean;
}

/** What every runtime is given by the caller: one trace and one clock for the whole run. */
export interface RuntimeHooks {
  emit: (event: TraceEvent) => void;
  /** ms since the run started (monotonic), shared with every other trace producer. */
  now: () => number;
  /** A node exited without the harness killing it (already traced as node.exit). */
  onUnexpectedExit?: (exit: NodeExit) => void;
  /** Something that fails the whole run, e.g. a node emitting too many events. */
  onFatal?: (reason: string) => void;
}

export interface NodeRuntime {
  readonly kind: "process" | "docker";
  /** Starts a node and waits until it is ready or has failed (node.failed says why). */
  start(node: NodeSpec): Promise<NodeStartResult>;
  /** SIGKILL (or the runtime's equivalent) to the whole node; resolves once it is gone. */
  kill(node: NodeId): Promise<void>;
  /**
   * Kills it if running, then starts it again with the same spec (port and data dir); a
   * restart asked for while one is in flight joins it.
   */
  restart(node: NodeId): Promise<NodeStartResult>;
  pause(node: NodeId): Promise<void>;
  resume(node: NodeId): Promise<void>;
  /** Ready, not exited and not being killed (a paused node is still up). */
  isUp(node: NodeId): boolean;
  isPaused(node: NodeId): boolean;
  /** Resident memory of everything the node runs, in KiB; also traced as node.memory. */
  sampleMemory(node: NodeId): Promise<number>;
  /** Kills every node and flushes per-node summaries (node.log.dropped). */
  stopAll(): Promise<void>;
  /** Why the run must fail, if the runtime has found a reason (also passed to onFatal). */
  readonly fatalReason: string | undefined;
}
