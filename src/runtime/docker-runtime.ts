/**
 * NodeRuntime with one container per node on the run's internal network (alias = node id),
 * sandboxed: non-root, no capabilities, no new privileges, read-only root with /tmp as tmpfs,
 * memory / CPU / pids limits. The submission is mounted read-only at /submission, the node's
 * data dir (a host directory, kept across crash and restart) at /data. Crash = kill the
 * container, restart = start it again, pause = docker pause.
 */
import { chown, mkdir } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type Dockerode from "dockerode";
import type { NodeId } from "../trace/events.ts";
import { RUNTIME_IMAGE, runLabels } from "./docker-engine.ts";
import { DEFAULT_OUTPUT_LIMITS, NodeOutput, type OutputLimits } from "./node-output.ts";
import { settlesWithin } from "./settles-within.ts";
import { acceptsConnections } from "./tcp-probe.ts";
import type { NodeRuntime, NodeSpec, NodeStartResult, RuntimeHooks } from "./types.ts";

/** Inside every node container (node-contract: ports are the harness's choice). */
export const NODE_PORT = 7000;
export const NODE_PEER_PORT = 7001;
export const SUBMISSION_MOUNT = "/submission";
export const DATA_MOUNT = "/data";
/** nobody:nogroup in Debian: no home, no privileges. */
export const SANDBOX_USER = { uid: 65534, gid: 65534 };

export interface SandboxLimits {
  memoryMiB: number;
  cpus: number;
  pids: number;
  tmpMiB: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  memoryMiB: 512,
  cpus: 1,
  pids: 256,
  tmpMiB: 64,
};

export interface DockerRuntimeOptions extends RuntimeHooks {
  docker: Dockerode;
  runId: string;
  network: string;
  image?: string;
  eventTypes?: Iterable<string>;
  startupTimeoutMs?: number;
  timeScale?: number;
  limits?: Partial<OutputLimits>;
  sandbox?: Partial<SandboxLimits>;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 10_000;
const KILL_TIMEOUT_MS = 10_000;
const OUTPUT_DRAIN_MS = 2_000;
const READY_POLL_MS = 100;
const PROBE_TIMEOUT_MS = 500;

interface Incarnation {
  n: number;
  ready: boolean;
  paused: boolean;
  expectedExit: boolean;
  exit?: { code: number | null; signal: string | null; oom: boolean };
  exited: Promise<void>;
  outputDone: Promise<void>;
}

interface NodeState {
  spec: NodeSpec;
  container: Dockerode.Container;
  ip: string;
  output: NodeOutput;
  incarnations: number;
  current?: Incarnation;
}

export class DockerRuntime implements NodeRuntime {
  readonly kind = "docker";
  readonly #options: DockerRuntimeOptions;
  readonly #eventTypes: ReadonlySet<string>;
  readonly #limits: OutputLimits;
  readonly #sandbox: SandboxLimits;
  readonly #startupMs: number;
  readonly #timeScale: number;
  readonly #nodes = new Map<NodeId, NodeState>();
  #fatalReason: string | undefined;

  constructor(options: DockerRuntimeOptions) {
    this.#options = options;
    this.#eventTypes = new Set(options.eventTypes ?? []);
    this.#limits = { ...DEFAULT_OUTPUT_LIMITS, ...options.limits };
    this.#sandbox = { ...DEFAULT_SANDBOX_LIMITS, ...options.sandbox };
    this.#timeScale = options.timeScale ?? 1;
    this.#startupMs = (options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS) * this.#timeScale;
  }

  get fatalReason(): string | undefined {
    return this.#fatalReason;
  }

  async start(spec: NodeSpec): Promise<NodeStartResult> {
    if (this.#nodes.has(spec.id)) {
      throw new Error(`node ${spec.id} already has a container; use restart() to start it again`);
    }
    await mkdir(spec.dataDir, { recursive: true });
    // The sandbox user must be able to write its data dir (bind-mounted from the host).
    await chown(spec.dataDir, SANDBOX_USER.uid, SANDBOX_USER.gid).catch(() => undefined);
    const container = await this.#options.docker.createContainer(this.#containerConfig(spec));
    const state: NodeState = {
      spec,
      container,
      ip: "",
      output: new NodeOutput(spec.id, this.#limits, this.#eventTypes, {
        emit: this.#options.emit,
        now: this.#options.now,
        onFatal: (reason) => this.#fail(reason),
      }),
      incarnations: 0,
    };
    this.#nodes.set(spec.id, state);
    return this.#launch(state);
  }

  #containerConfig(spec: NodeSpec): Dockerode.ContainerCreateOptions {
    const { memoryMiB, cpus, pids, tmpMiB } = this.#sandbox;
    const env = {
      ...spec.env,
      DSLAB_NODE_ID: spec.id,
      DSLAB_PORT: String(NODE_PORT),
      DSLAB_PEERS: spec.peers.map((p) => `${p.id}=${p.host}:${p.port}`).join(","),
      DSLAB_DATA_DIR: DATA_MOUNT,
      TMPDIR: "/tmp",
      ...(spec.peerPort !== undefined ? { DSLAB_PEER_PORT: String(NODE_PEER_PORT) } : {}),
    };
    return {
      name: `dslab-${this.#options.runId}-${spec.id}`,
      Image: this.#options.image ?? RUNTIME_IMAGE,
      Cmd: containerArgv(spec),
      WorkingDir: SUBMISSION_MOUNT,
      Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
      User: `${SANDBOX_USER.uid}:${SANDBOX_USER.gid}`,
      Labels: { ...runLabels(this.#options.runId), "dslab.node": spec.id },
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      HostConfig: {
        NetworkMode: this.#options.network,
        Binds: [`${spec.cwd}:${SUBMISSION_MOUNT}:ro`, `${spec.dataDir}:${DATA_MOUNT}:rw`],
        ReadonlyRootfs: true,
        Tmpfs: { "/tmp": `rw,nosuid,nodev,size=${tmpMiB}m,mode=1777` },
        Memory: memoryMiB * 1024 * 1024,
        MemorySwap: memoryMiB * 1024 * 1024,
        NanoCpus: Math.round(cpus * 1e9),
        PidsLimit: pids,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        RestartPolicy: { Name: "no" },
      },
      NetworkingConfig: {
        EndpointsConfig: { [this.#options.network]: { Aliases: [spec.id] } },
      },
    };
  }

  async kill(id: NodeId): Promise<void> {
    const state = this.#state(id);
    const inc = state.current;
    if (!inc || inc.exit) return;
    inc.expectedExit = true;
    this.#options.emit({ type: "node.kill", t: this.#options.now(), node: id, incarnation: inc.n });
    // A paused container cannot be killed by some engines' cgroup setups: unpause first.
    if (inc.paused) await state.container.unpause().catch(() => undefined);
    await state.container.kill({ signal: "SIGKILL" }).catch(() => undefined);
    const limitMs = KILL_TIMEOUT_MS * this.#timeScale;
    if (!(await settlesWithin(inc.exited, limitMs))) {
      throw new Error(`node ${id}'s container still runs ${limitMs} ms after docker kill`);
    }
  }

  async restart(id: NodeId): Promise<NodeStartResult> {
    const state = this.#state(id);
    await this.kill(id);
    return this.#launch(state);
  }

  async pause(id: NodeId): Promise<void> {
    const state = this.#state(id);
    const inc = this.#running(id, "pause");
    if (inc.paused) return;
    await state.container.pause();
    inc.paused = true;
    this.#options.emit({
      type: "node.pause",
      t: this.#options.now(),
      node: id,
      incarnation: inc.n,
    });
  }

  async resume(id: NodeId): Promise<void> {
    const state = this.#state(id);
    const inc = state.current;
    if (!inc || inc.exit || !inc.paused) return;
    await state.container.unpause();
    inc.paused = false;
    this.#options.emit({
      type: "node.resume",
      t: this.#options.now(),
      node: id,
      incarnation: inc.n,
    });
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
    const state = this.#state(id);
    this.#running(id, "sample the memory of");
    const stats = await state.container.stats({ stream: false });
    const rssKiB = Math.round((stats.memory_stats?.usage ?? 0) / 1024);
    this.#options.emit({ type: "node.memory", t: this.#options.now(), node: id, rssKiB });
    return rssKiB;
  }

  /** Kills every node and removes its container (the data dirs stay on the host). */
  async stopAll(): Promise<void> {
    const states = [...this.#nodes.values()];
    const results = await Promise.allSettled(states.map((state) => this.kill(state.spec.id)));
    await Promise.all(states.map((state) => this.#drainOutput(state)));
    for (const state of states) state.output.flushDropped();
    await Promise.allSettled(states.map((state) => state.container.remove({ force: true })));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    if (failures.length > 0) throw new Error(`stopping the nodes failed: ${failures.join("; ")}`);
  }

  async #launch(state: NodeState): Promise<NodeStartResult> {
    const { spec, container } = state;
    state.incarnations += 1;
    const n = state.incarnations;
    const emit = this.#options.emit;
    const now = this.#options.now;
    const failed = (reason: string): NodeStartResult => {
      emit({ type: "node.failed", t: now(), node: spec.id, incarnation: n, reason });
      return { ok: false, reason };
    };
    state.output.clearTail();
    // Attach before start, so that no early output is lost.
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    container.modem.demuxStream(stream, stdout, stderr);
    stream.on("end", () => {
      stdout.end();
      stderr.end();
    });
    const outputDone = Promise.all([
      state.output.attach(stdout, "stdout"),
      state.output.attach(stderr, "stderr"),
    ]).then(() => undefined);
    try {
      await container.start();
    } catch (error) {
      stdout.end();
      stderr.end();
      return failed(`the container would not start: ${(error as Error).message}`);
    }
    const info = await container.inspect();
    state.ip = info.NetworkSettings.Networks[this.#options.network]?.IPAddress ?? "";
    const inc: Incarnation = {
      n,
      ready: false,
      paused: false,
      expectedExit: false,
      outputDone,
      exited: container.wait().then(
        async (result: { StatusCode: number }) => this.#onExit(state, inc, result.StatusCode),
        async () => this.#onExit(state, inc, null),
      ),
    };
    state.current = inc;
    emit({
      type: "node.start",
      t: now(),
      node: spec.id,
      incarnation: n,
      pid: info.State.Pid,
      port: NODE_PORT,
      dataDir: spec.dataDir,
    });
    const reason = await this.#awaitReady(state, inc);
    if (reason !== undefined) return failed(reason);
    inc.ready = true;
    emit({ type: "node.ready", t: now(), node: spec.id, incarnation: n });
    return { ok: true };
  }

  /** Polls the node's ports on its container address; returns why it is not ready. */
  async #awaitReady(state: NodeState, inc: Incarnation): Promise<string | undefined> {
    const deadline = Date.now() + this.#startupMs;
    const ports = state.spec.peerPort === undefined ? [NODE_PORT] : [NODE_PORT, NODE_PEER_PORT];
    for (;;) {
      if (inc.exit) {
        await this.#drainOutput(state);
        return `exited before it was ready (${this.#describeExit(inc.exit)})${lastLines(state.output.tail())}`;
      }
      const open = await Promise.all(
        ports.map((port) => acceptsConnections(state.ip, port, PROBE_TIMEOUT_MS)),
      );
      if (open.every(Boolean)) return undefined;
      if (Date.now() >= deadline) {
        const closed = ports.filter((_, i) => !open[i]).join(" and ");
        const pids = await this.#processCount(state);
        const why = `never listened on port ${closed} within the startup limit of ${this.#startupMs / 1000} s${pids >= this.#sandbox.pids - 1 ? ` (it hit its process limit of ${this.#sandbox.pids})` : ""}`;
        await this.kill(state.spec.id);
        await this.#drainOutput(state);
        return `${why}${lastLines(state.output.tail())}`;
      }
      await Promise.race([sleep(READY_POLL_MS), inc.exited]);
    }
  }

  async #processCount(state: NodeState): Promise<number> {
    const stats = await state.container.stats({ stream: false }).catch(() => undefined);
    return stats?.pids_stats?.current ?? 0;
  }

  async #onExit(state: NodeState, inc: Incarnation, code: number | null): Promise<void> {
    const info = await state.container.inspect().catch(() => undefined);
    const oom = info?.State.OOMKilled === true;
    // docker reports a signal death as 128 + signal.
    const signal = code !== null && code > 128 && inc.expectedExit ? "SIGKILL" : null;
    inc.exit = { code: signal ? null : code, signal, oom };
    const exit = {
      node: state.spec.id,
      incarnation: inc.n,
      code: inc.exit.code,
      signal,
      expected: inc.expectedExit,
    };
    this.#options.emit({ type: "node.exit", t: this.#options.now(), ...exit });
    if (oom) {
      this.#options.emit({
        type: "node.log",
        t: this.#options.now(),
        node: state.spec.id,
        stream: "stderr",
        line: `[dslab] killed by the memory limit of ${this.#sandbox.memoryMiB} MiB`,
      });
    }
    if (!inc.expectedExit) this.#options.onUnexpectedExit?.(exit);
  }

  #describeExit(exit: { code: number | null; signal: string | null; oom: boolean }): string {
    if (exit.oom) return `killed by the memory limit of ${this.#sandbox.memoryMiB} MiB`;
    return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  }

  async #drainOutput(state: NodeState): Promise<void> {
    const inc = state.current;
    if (inc) await settlesWithin(inc.outputDone, OUTPUT_DRAIN_MS * this.#timeScale);
  }

  #fail(reason: string): void {
    if (this.#fatalReason !== undefined) return;
    this.#fatalReason = reason;
    this.#options.onFatal?.(reason);
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

/** The manifest's argv as seen inside the container: host paths under cwd become /submission. */
export function containerArgv(spec: Pick<NodeSpec, "argv" | "cwd">): string[] {
  return spec.argv.map((arg, i) =>
    i === 0 && arg.startsWith(`${spec.cwd}/`)
      ? `${SUBMISSION_MOUNT}/${arg.slice(spec.cwd.length + 1)}`
      : arg,
  );
}

function lastLines(tail: string[]): string {
  return tail.length === 0 ? "; it printed nothing" : `; last output:\n${tail.join("\n")}`;
}
