/**
 * NodeRuntime with local processes: each node is a new session's leader (its own process
 * group), killed with SIGKILL to the group, paused with SIGSTOP / SIGCONT to the group.
 */
import { mkdir } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import type { NodeId } from "../trace/events.ts";
import { DEFAULT_OUTPUT_LIMITS, NodeOutput, type OutputLimits } from "./node-output.ts";
import { groupRssKiB, liveProcessesInGroup } from "./process-group.ts";
import { killGroup, trackProcessGroup, untrackProcessGroup } from "./reaper.ts";
import { settlesWithin } from "./settles-within.ts";
import { acceptsConnections } from "./tcp-probe.ts";
import type { NodeRuntime, NodeSpec, NodeStartResult, RuntimeHooks } from "./types.ts";

export interface ProcessRuntimeOptions extends RuntimeHooks {
  /** stdout JSON "type"s the lab defines as events (lab 2's decisions); none by default. */
  eventTypes?: Iterable<string>;
  /** Startup limit before scaling (default 10,000 ms, per node-contract). */
  startupTimeoutMs?: number;
  /** Multiplies every time limit here (slow machines, CI). Default 1. */
  timeScale?: number;
  limits?: Partial<OutputLimits>;
  /** When set, node.memory is sampled this often (ms) while a node runs. */
  memorySampleIntervalMs?: number;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 10_000;
/** SIGKILL cannot be refused; a process still there after this is stuck in the kernel. */
const KILL_TIMEOUT_MS = 5_000;
/** After the process is gone, its last output lines may still be in the pipes. */
const OUTPUT_DRAIN_MS = 2_000;
const READY_POLL_MS = 50;
const GROUP_POLL_MS = 20;
const PROBE_TIMEOUT_MS = 500;

/** One run of a node's process, from spawn to exit. */
interface Incarnation {
  n: number;
  pid: number;
  ready: boolean;
  paused: boolean;
  expectedExit: boolean;
  exit?: { code: number | null; signal: string | null };
  exited: Promise<void>;
  outputDone: Promise<void>;
  memoryTimer?: NodeJS.Timeout;
}

interface NodeState {
  spec: NodeSpec;
  output: NodeOutput;
  incarnations: number;
  current?: Incarnation;
}

export class ProcessRuntime implements NodeRuntime {
  readonly kind = "process";
  readonly #hooks: RuntimeHooks;
  readonly #eventTypes: ReadonlySet<string>;
  readonly #limits: OutputLimits;
  readonly #startupMs: number;
  readonly #timeScale: number;
  readonly #memoryIntervalMs: number | undefined;
  readonly #nodes = new Map<NodeId, NodeState>();
  #fatalReason: string | undefined;

  constructor(options: ProcessRuntimeOptions) {
    this.#hooks = options;
    this.#eventTypes = new Set(options.eventTypes ?? []);
    this.#limits = { ...DEFAULT_OUTPUT_LIMITS, ...options.limits };
    this.#timeScale = options.timeScale ?? 1;
    this.#startupMs = (options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS) * this.#timeScale;
    this.#memoryIntervalMs = options.memorySampleIntervalMs;
  }

  get fatalReason(): string | undefined {
    return this.#fatalReason;
  }

  async start(spec: NodeSpec): Promise<NodeStartResult> {
    const known = this.#nodes.get(spec.id);
    if (known?.current && !known.current.exit) {
      throw new Error(`node ${spec.id} is already running; use restart() to start it again`);
    }
    const state: NodeState = known ?? {
      spec,
      output: new NodeOutput(spec.id, this.#limits, this.#eventTypes, {
        emit: this.#hooks.emit,
        now: this.#hooks.now,
        onFatal: (reason) => this.#fail(reason),
      }),
      incarnations: 0,
    };
    state.spec = spec;
    this.#nodes.set(spec.id, state);
    return this.#launch(state);
  }

  async kill(id: NodeId): Promise<void> {
    const inc = this.#state(id).current;
    if (!inc || inc.exit) return;
    inc.expectedExit = true;
    this.#hooks.emit({ type: "node.kill", t: this.#hooks.now(), node: id, incarnation: inc.n });
    killGroup(inc.pid, "SIGKILL");
    const limitMs = KILL_TIMEOUT_MS * this.#timeScale;
    if (!(await this.#groupGone(inc, limitMs))) {
      throw new Error(
        `node ${id} (process group ${inc.pid}) still runs ${limitMs} ms after SIGKILL; a process may be stuck in the kernel (state D)`,
      );
    }
  }

  /** The leader has exited and no other member of its group still runs. */
  async #groupGone(inc: Incarnation, limitMs: number): Promise<boolean> {
    const deadline = Date.now() + limitMs;
    if (!(await settlesWithin(inc.exited, limitMs))) return false;
    while ((await liveProcessesInGroup(inc.pid)).length > 0) {
      if (Date.now() >= deadline) return false;
      killGroup(inc.pid, "SIGKILL");
      await sleep(GROUP_POLL_MS);
    }
    return true;
  }

  async restart(id: NodeId): Promise<NodeStartResult> {
    const state = this.#state(id);
    await this.kill(id);
    return this.#launch(state);
  }

  async pause(id: NodeId): Promise<void> {
    const inc = this.#running(id, "pause");
    if (inc.paused) return;
    killGroup(inc.pid, "SIGSTOP");
    inc.paused = true;
    this.#hooks.emit({ type: "node.pause", t: this.#hooks.now(), node: id, incarnation: inc.n });
  }

  async resume(id: NodeId): Promise<void> {
    const inc = this.#state(id).current;
    if (!inc || inc.exit || !inc.paused) return;
    killGroup(inc.pid, "SIGCONT");
    inc.paused = false;
    this.#hooks.emit({ type: "node.resume", t: this.#hooks.now(), node: id, incarnation: inc.n });
  }

  isUp(id: NodeId): boolean {
    const inc = this.#nodes.get(id)?.current;
    return inc?.ready === true && inc.exit === undefined;
  }

  isPaused(id: NodeId): boolean {
    const inc = this.#nodes.get(id)?.current;
    return inc?.paused === true && inc.exit === undefined;
  }

  async sampleMemory(id: NodeId): Promise<number> {
    const inc = this.#running(id, "sample the memory of");
    const rssKiB = await groupRssKiB(inc.pid);
    this.#hooks.emit({ type: "node.memory", t: this.#hooks.now(), node: id, rssKiB });
    return rssKiB;
  }

  async stopAll(): Promise<void> {
    const states = [...this.#nodes.values()];
    const results = await Promise.allSettled(states.map((state) => this.kill(state.spec.id)));
    await Promise.all(states.map((state) => this.#drainOutput(state)));
    for (const state of states) state.output.flushDropped();
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    if (failures.length > 0) throw new Error(`stopping the nodes failed: ${failures.join("; ")}`);
  }

  async #launch(state: NodeState): Promise<NodeStartResult> {
    const { spec } = state;
    state.incarnations += 1;
    const n = state.incarnations;
    const failed = (reason: string): NodeStartResult => {
      this.#hooks.emit({
        type: "node.failed",
        t: this.#hooks.now(),
        node: spec.id,
        incarnation: n,
        reason,
      });
      return { ok: false, reason };
    };
    try {
      await mkdir(spec.dataDir, { recursive: true });
      await mkdir(spec.tmpDir, { recursive: true });
    } catch (error) {
      return failed(`could not create the data or tmp directory: ${(error as Error).message}`);
    }
    for (const port of nodePorts(spec)) {
      if (await acceptsConnections("127.0.0.1", port, PROBE_TIMEOUT_MS)) {
        return failed(
          `port ${port} is already in use by another process before node ${spec.id} started; free it or choose another port`,
        );
      }
    }
    const [file, ...args] = spec.argv;
    if (file === undefined) return failed("the node's argv is empty");
    const subprocess = execa(file, args, {
      cwd: spec.cwd,
      env: nodeEnvironment(spec),
      detached: true,
      stdin: "ignore",
      buffer: false,
      reject: false,
      cleanup: false,
      forceKillAfterDelay: false,
    });
    const pid = subprocess.pid;
    if (pid === undefined) {
      const result = await subprocess;
      return failed(`could not start ${JSON.stringify(spec.argv)}: ${result.shortMessage}`);
    }
    trackProcessGroup(pid, `dslab node ${spec.id}`);
    state.output.clearTail();
    const child = subprocess.nodeChildProcess;
    const outputDone = Promise.all([
      child.stdout && state.output.attach(child.stdout, "stdout"),
      child.stderr && state.output.attach(child.stderr, "stderr"),
    ]).then(() => undefined);
    let markExited: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const inc: Incarnation = {
      n,
      pid,
      ready: false,
      paused: false,
      expectedExit: false,
      exited,
      outputDone,
    };
    state.current = inc;
    child.once("exit", (code, signal) => {
      this.#onExit(state, inc, code, signal);
      markExited();
    });
    // reject: false, so the promise settles with a result; nothing to await beyond the exit.
    void subprocess.catch(() => undefined);
    this.#hooks.emit({
      type: "node.start",
      t: this.#hooks.now(),
      node: spec.id,
      incarnation: n,
      pid,
      port: spec.port,
      dataDir: spec.dataDir,
    });
    const reason = await this.#awaitReady(state, inc);
    if (reason !== undefined) return failed(reason);
    inc.ready = true;
    this.#hooks.emit({ type: "node.ready", t: this.#hooks.now(), node: spec.id, incarnation: n });
    if (this.#memoryIntervalMs !== undefined) this.#sampleMemoryPeriodically(inc, spec.id);
    return { ok: true };
  }

  /** Polls the node's ports; returns why it is not ready, or undefined once it is. */
  async #awaitReady(state: NodeState, inc: Incarnation): Promise<string | undefined> {
    const deadline = Date.now() + this.#startupMs;
    const ports = nodePorts(state.spec);
    for (;;) {
      if (inc.exit) {
        await this.#drainOutput(state);
        return `exited before it was ready (${describeExit(inc.exit)})${lastLines(state.output.tail())}`;
      }
      const open = await Promise.all(
        ports.map((port) => acceptsConnections("127.0.0.1", port, PROBE_TIMEOUT_MS)),
      );
      if (open.every(Boolean)) return undefined;
      if (Date.now() >= deadline) {
        const closed = ports.filter((_, i) => !open[i]).join(" and ");
        const why = `never listened on port ${closed} within the startup limit of ${this.#startupMs / 1000} s`;
        await this.kill(state.spec.id);
        return `${why}${lastLines(state.output.tail())}`;
      }
      await Promise.race([sleep(READY_POLL_MS), inc.exited]);
    }
  }

  #onExit(state: NodeState, inc: Incarnation, code: number | null, signal: string | null): void {
    inc.exit = { code, signal };
    clearInterval(inc.memoryTimer);
    // The leader is gone; anything it left in its group goes too (no orphans).
    killGroup(inc.pid, "SIGKILL");
    untrackProcessGroup(inc.pid);
    const exit = {
      node: state.spec.id,
      incarnation: inc.n,
      code,
      signal,
      expected: inc.expectedExit,
    };
    this.#hooks.emit({ type: "node.exit", t: this.#hooks.now(), ...exit });
    if (!inc.expectedExit) this.#hooks.onUnexpectedExit?.(exit);
  }

  /** Waits (bounded) for the last output of the current incarnation to be read. */
  async #drainOutput(state: NodeState): Promise<void> {
    const inc = state.current;
    if (inc) await settlesWithin(inc.outputDone, OUTPUT_DRAIN_MS * this.#timeScale);
  }

  #sampleMemoryPeriodically(inc: Incarnation, id: NodeId): void {
    inc.memoryTimer = setInterval(() => {
      if (inc.exit) return;
      // A sample racing the node's exit is simply skipped.
      this.sampleMemory(id).catch(() => undefined);
    }, this.#memoryIntervalMs);
    inc.memoryTimer.unref();
  }

  #fail(reason: string): void {
    if (this.#fatalReason !== undefined) return;
    this.#fatalReason = reason;
    this.#hooks.onFatal?.(reason);
  }

  #state(id: NodeId): NodeState {
    const state = this.#nodes.get(id);
    if (!state) throw new Error(`unknown node ${id}: start() it first`);
    return state;
  }

  #running(id: NodeId, action: string): Incarnation {
    const inc = this.#state(id).current;
    if (!inc || inc.exit) throw new Error(`cannot ${action} node ${id}: it is not running`);
    return inc;
  }
}

/** The environment of node-contract "Each node"; the contract's variables win. */
export function nodeEnvironment(spec: NodeSpec): Record<string, string> {
  const env: Record<string, string> = {
    ...spec.env,
    DSLAB_NODE_ID: spec.id,
    DSLAB_PORT: String(spec.port),
    DSLAB_PEERS: spec.peers.map((p) => `${p.id}=${p.host}:${p.port}`).join(","),
    DSLAB_DATA_DIR: spec.dataDir,
    TMPDIR: spec.tmpDir,
  };
  if (spec.peerPort !== undefined) env.DSLAB_PEER_PORT = String(spec.peerPort);
  return env;
}

function nodePorts(spec: NodeSpec): number[] {
  return spec.peerPort === undefined ? [spec.port] : [spec.port, spec.peerPort];
}

function describeExit(exit: { code: number | null; signal: string | null }): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

function lastLines(tail: string[]): string {
  return tail.length === 0 ? "; it printed nothing" : `; last output:\n${tail.join("\n")}`;
}
