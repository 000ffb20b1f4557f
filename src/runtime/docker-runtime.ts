/**
 * NodeRuntime with one container per node on the run's internal network (alias = node id),
 * sandboxed: non-root, no capabilities, no new privileges, read-only root with /tmp as tmpfs,
 * memory / CPU / pids limits. The submission is mounted read-only at /submission, the node's
 * data dir (a host directory, kept across crash and restart) at /data. Crash = kill the
 * container, restart = start it again, pause = docker pause. Its network namespace belongs to
 * a holder container that lives as long as the run, so a crash leaves the address in place.
 */
import { chown, mkdir } from "node:fs/promises";
import { PassThrough } from "node:stream";
import type Dockerode from "dockerode";
import { RUNTIME_IMAGE, runLabels } from "../host/docker-engine.ts";
import { settlesWithin } from "../host/settles-within.ts";
import {
  BaseNodeRuntime,
  type BaseRuntimeOptions,
  type ExitStatus,
  type Incarnation,
  type Launch,
  type NodeState,
  nodeEnvironment,
} from "./base-node-runtime.ts";
import type { NodeSpec } from "./types.ts";

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

export interface DockerRuntimeOptions extends BaseRuntimeOptions {
  docker: Dockerode;
  runId: string;
  network: string;
  image?: string;
  sandbox?: Partial<SandboxLimits>;
}

const KILL_TIMEOUT_MS = 10_000;
/** A network holder runs `sleep` and nothing else. */
const HOLDER_MEMORY_MIB = 16;
/** A holder container start that failed is tried once more, from a new container. */
const HOLDER_START_ATTEMPTS = 2;
const READY_POLL_MS = 100;

/** A node's container, created once and started again for every incarnation. */
interface ContainerHandle {
  container: Dockerode.Container;
  /** Holds the node's network namespace (its address) while the node is down. */
  holder: Dockerode.Container;
  /** Its address on the run network: the holder's, the same for every incarnation. */
  readonly ip: string;
}

export class DockerRuntime extends BaseNodeRuntime<ContainerHandle> {
  readonly kind = "docker";
  readonly #options: DockerRuntimeOptions;
  readonly #sandbox: SandboxLimits;

  constructor(options: DockerRuntimeOptions) {
    super(options, READY_POLL_MS);
    this.#options = options;
    this.#sandbox = { ...DEFAULT_SANDBOX_LIMITS, ...options.sandbox };
  }

  protected async prepare(spec: NodeSpec): Promise<ContainerHandle> {
    await mkdir(spec.dataDir, { recursive: true });
    // The sandbox user must be able to write its data dir (bind-mounted from the host).
    await chown(spec.dataDir, SANDBOX_USER.uid, SANDBOX_USER.gid).catch(() => undefined);
    const holder = await this.#startHolder(spec);
    const info = await holder.inspect();
    const ip = info.NetworkSettings.Networks[this.#options.network]?.IPAddress ?? "";
    const container = await this.#options.docker.createContainer(
      this.#containerConfig(spec, holder.id),
    );
    return { container, holder, ip };
  }

  /**
   * The holder is dslab's own container, so a failed start is the engine's trouble, never the
   * submission's: dockerd 20.10 sometimes refuses a start while other containers are being
   * removed ("cannot start an already running container"). One fresh try, then the error
   * says whose container it was.
   */
  async #startHolder(spec: NodeSpec): Promise<Dockerode.Container> {
    const { docker } = this.#options;
    for (let attempt = 1; ; attempt++) {
      const holder = await docker.createContainer(this.#holderConfig(spec));
      try {
        await holder.start();
        return holder;
      } catch (error) {
        await holder.remove({ force: true }).catch(() => undefined);
        if (attempt === HOLDER_START_ATTEMPTS) {
          throw new Error(
            `the Docker engine would not start ${spec.id}'s network holder container (${HOLDER_START_ATTEMPTS} tries): ${(error as Error).message}`,
          );
        }
      }
    }
  }

  /**
   * A container that only sleeps and owns the node's network namespace: a crashed node's
   * address stays, so its ports refuse connections as a dead process's would (as under the
   * process runtime), instead of vanishing (a dial to a gone address hangs for seconds, and
   * links to a restarted node stayed dead until their peers' silence timers fired).
   */
  #holderConfig(spec: NodeSpec): Dockerode.ContainerCreateOptions {
    const locked = this.#lockedDown(`${spec.id}-net`);
    return {
      ...locked,
      Cmd: ["sleep", "infinity"],
      HostConfig: {
        ...locked.HostConfig,
        NetworkMode: this.#options.network,
        Memory: HOLDER_MEMORY_MIB * 1024 * 1024,
        PidsLimit: 4,
      },
      NetworkingConfig: {
        EndpointsConfig: { [this.#options.network]: { Aliases: [spec.id] } },
      },
    };
  }

  #containerConfig(spec: NodeSpec, holderId: string): Dockerode.ContainerCreateOptions {
    const { memoryMiB, cpus, pids, tmpMiB } = this.#sandbox;
    const env = nodeEnvironment(spec, {
      port: NODE_PORT,
      peerPort: spec.peerPort === undefined ? undefined : NODE_PEER_PORT,
      dataDir: DATA_MOUNT,
      tmpDir: "/tmp",
    });
    const locked = this.#lockedDown(spec.id);
    return {
      ...locked,
      Cmd: containerArgv(spec),
      WorkingDir: SUBMISSION_MOUNT,
      Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
      Labels: { ...locked.Labels, "dslab.node": spec.id },
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      HostConfig: {
        ...locked.HostConfig,
        NetworkMode: `container:${holderId}`,
        Binds: [`${spec.cwd}:${SUBMISSION_MOUNT}:ro`, `${spec.dataDir}:${DATA_MOUNT}:rw`],
        Tmpfs: { "/tmp": `rw,nosuid,nodev,size=${tmpMiB}m,mode=1777` },
        Memory: memoryMiB * 1024 * 1024,
        MemorySwap: memoryMiB * 1024 * 1024,
        NanoCpus: Math.round(cpus * 1e9),
        PidsLimit: pids,
      },
    };
  }

  /** What every container of the run's nodes shares: non-root, no privileges, read-only. */
  #lockedDown(name: string) {
    return {
      name: `dslab-${this.#options.runId}-${name}`,
      Image: this.#options.image ?? RUNTIME_IMAGE,
      User: `${SANDBOX_USER.uid}:${SANDBOX_USER.gid}`,
      Labels: runLabels(this.#options.runId),
      HostConfig: {
        ReadonlyRootfs: true,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        RestartPolicy: { Name: "no" },
      },
    } satisfies Dockerode.ContainerCreateOptions;
  }

  protected readyProbe(state: NodeState<ContainerHandle>): { host: string; ports: number[] } {
    const ports = state.spec.peerPort === undefined ? [NODE_PORT] : [NODE_PORT, NODE_PEER_PORT];
    return { host: state.handle.ip, ports };
  }

  protected async launch(state: NodeState<ContainerHandle>, inc: Incarnation): Promise<Launch> {
    const { container } = state.handle;
    // Attach before start, so that no early output is lost (the streams hold it until read).
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    container.modem.demuxStream(stream, stdout, stderr);
    stream.on("end", () => {
      stdout.end();
      stderr.end();
    });
    try {
      await container.start();
    } catch (error) {
      stdout.end();
      stderr.end();
      return { ok: false, reason: `the container would not start: ${(error as Error).message}` };
    }
    const info = await container.inspect();
    const exited = container.wait().then(
      (result: { StatusCode: number }) => this.#exitStatus(container, inc, result.StatusCode),
      () => ({ code: null, signal: null }),
    );
    return { ok: true, pid: info.State.Pid, exited, stdout, stderr };
  }

  async #exitStatus(
    container: Dockerode.Container,
    inc: Incarnation,
    code: number,
  ): Promise<ExitStatus> {
    const info = await container.inspect().catch(() => undefined);
    // docker reports a signal death as 128 + signal.
    const signal = code > 128 && inc.expectedExit ? "SIGKILL" : null;
    return {
      code: signal ? null : code,
      signal,
      ...(info?.State.OOMKilled === true
        ? { cause: `killed by the memory limit of ${this.#sandbox.memoryMiB} MiB` }
        : {}),
    };
  }

  protected override async notReadyHint(state: NodeState<ContainerHandle>): Promise<string> {
    const stats = await state.handle.container.stats({ stream: false }).catch(() => undefined);
    const pids = stats?.pids_stats?.current ?? 0;
    return pids >= this.#sandbox.pids - 1
      ? ` (it hit its process limit of ${this.#sandbox.pids})`
      : "";
  }

  protected async terminate(state: NodeState<ContainerHandle>, inc: Incarnation): Promise<void> {
    const { container } = state.handle;
    // A paused container cannot be killed by some engines' cgroup setups: unpause first.
    if (inc.paused) await container.unpause().catch(() => undefined);
    await container.kill({ signal: "SIGKILL" }).catch(() => undefined);
    const limitMs = KILL_TIMEOUT_MS * this.timeScale;
    if (!(await settlesWithin(inc.exited, limitMs))) {
      throw new Error(
        `node ${state.spec.id}'s container still runs ${limitMs} ms after docker kill`,
      );
    }
  }

  protected async freeze(state: NodeState<ContainerHandle>): Promise<void> {
    await state.handle.container.pause();
  }

  protected async thaw(state: NodeState<ContainerHandle>): Promise<void> {
    await state.handle.container.unpause();
  }

  protected async measureRssKiB(state: NodeState<ContainerHandle>): Promise<number> {
    const stats = await state.handle.container.stats({ stream: false });
    return Math.round((stats.memory_stats?.usage ?? 0) / 1024);
  }

  /** Removes the containers (the data dirs stay on the host). */
  protected override async release(states: NodeState<ContainerHandle>[]): Promise<void> {
    await Promise.allSettled(
      states.map(async ({ handle }) => {
        await handle.container.remove({ force: true }).catch(() => undefined);
        await handle.holder.remove({ force: true });
      }),
    );
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
