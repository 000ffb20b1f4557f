/**
 * NodeRuntime with local processes: each incarnation is a new session's leader (its own
 * process group) in a cgroup of its own where the machine allows (cgroup.ts): killed, paused
 * and measured as the whole cgroup, so that a child that leaves the group (setsid) goes too.
 * Without cgroups: SIGKILL, SIGSTOP / SIGCONT to the group, and the reaper's environment tag.
 */
import { mkdir } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { type Cgroup, createCgroup } from "../host/cgroup.ts";
import { spawnGroupLeader } from "../host/group-leader.ts";
import { killGroup } from "../host/reaper.ts";
import { giveToSandbox, type SandboxUser } from "../host/sandbox.ts";
import { settlesWithin } from "../host/settles-within.ts";
import {
  BaseNodeRuntime,
  type BaseRuntimeOptions,
  type Incarnation,
  type Launch,
  type NodeState,
  nodeEnvironment,
} from "./base-node-runtime.ts";
import { liveProcessesInGroup, rssKiB } from "./process-group.ts";
import { acceptsConnections } from "./tcp-probe.ts";
import type { NodeSpec } from "./types.ts";

export interface ProcessRuntimeOptions extends BaseRuntimeOptions {
  /** Run nodes as this user (sandbox.ts); their data and tmp directories become its own. */
  runAs?: SandboxUser;
}

/** SIGKILL cannot be refused; a process still there after this is stuck in the kernel. */
const KILL_TIMEOUT_MS = 5_000;
const READY_POLL_MS = 50;
const GROUP_POLL_MS = 20;
const PROBE_TIMEOUT_MS = 500;

/** The current incarnation's cgroup (each incarnation gets a fresh one, or none). */
interface NodeCgroup {
  cgroup?: Cgroup;
}

export class ProcessRuntime extends BaseNodeRuntime<NodeCgroup> {
  readonly kind = "process";
  readonly #runAs: SandboxUser | undefined;

  constructor(options: ProcessRuntimeOptions) {
    super(options, READY_POLL_MS);
    this.#runAs = options.runAs;
  }

  protected async prepare(): Promise<NodeCgroup> {
    return {};
  }

  protected readyProbe(state: NodeState<NodeCgroup>): { host: string; ports: number[] } {
    return { host: "127.0.0.1", ports: nodePorts(state.spec) };
  }

  protected async launch(state: NodeState<NodeCgroup>): Promise<Launch> {
    const { spec } = state;
    try {
      await mkdir(spec.dataDir, { recursive: true });
      await mkdir(spec.tmpDir, { recursive: true });
      if (this.#runAs) {
        await giveToSandbox(this.#runAs, spec.dataDir);
        await giveToSandbox(this.#runAs, spec.tmpDir);
      }
    } catch (error) {
      return fail(`could not create the data or tmp directory: ${(error as Error).message}`);
    }
    for (const port of nodePorts(spec)) {
      if (await acceptsConnections("127.0.0.1", port, PROBE_TIMEOUT_MS)) {
        return fail(
          `port ${port} is already in use by another process before node ${spec.id} started; free it or choose another port`,
        );
      }
    }
    const [file, ...args] = spec.argv;
    if (file === undefined) return fail("the node's argv is empty");
    const label = `node-${spec.id}`;
    try {
      state.handle.cgroup = await createCgroup(label);
    } catch (error) {
      return fail(`could not create the node's cgroup: ${(error as Error).message}`);
    }
    const leader = await spawnGroupLeader(file, args, {
      cwd: spec.cwd,
      // Root's home is not the sandbox user's: caches (pip, Go) go to the node's tmp.
      env: {
        ...nodeEnvironment(spec),
        ...(this.#runAs ? { HOME: spec.tmpDir, PATH: this.#runAs.path } : {}),
      },
      label: `dslab node ${spec.id}`,
      cgroup: state.handle.cgroup,
      runAs: this.#runAs,
    });
    if ("error" in leader) {
      await state.handle.cgroup?.kill(KILL_TIMEOUT_MS);
      return fail(`could not start ${JSON.stringify(spec.argv)}: ${leader.error}`);
    }
    return { ok: true, ...leader };
  }

  protected async terminate(state: NodeState<NodeCgroup>, inc: Incarnation): Promise<void> {
    const limitMs = KILL_TIMEOUT_MS * this.timeScale;
    const { cgroup } = state.handle;
    const gone = cgroup
      ? (await cgroup.kill(limitMs)) && (await settlesWithin(inc.exited, limitMs))
      : await groupGone(inc, limitMs);
    if (!gone) {
      throw new Error(
        `node ${state.spec.id} (${cgroup ? `cgroup ${cgroup.dir}` : `process group ${inc.pid}`}) still runs ${limitMs} ms after SIGKILL; a process may be stuck in the kernel (state D)`,
      );
    }
  }

  protected async freeze(state: NodeState<NodeCgroup>, inc: Incarnation): Promise<void> {
    if (state.handle.cgroup) await state.handle.cgroup.freeze();
    else killGroup(inc.pid, "SIGSTOP");
  }

  protected async thaw(state: NodeState<NodeCgroup>, inc: Incarnation): Promise<void> {
    if (state.handle.cgroup) await state.handle.cgroup.thaw();
    else killGroup(inc.pid, "SIGCONT");
  }

  protected async measureRssKiB(state: NodeState<NodeCgroup>, inc: Incarnation): Promise<number> {
    const { cgroup } = state.handle;
    return rssKiB(cgroup ? await cgroup.pids() : await liveProcessesInGroup(inc.pid));
  }
}

/** The leader has exited and no other member of its group still runs. */
async function groupGone(inc: Incarnation, limitMs: number): Promise<boolean> {
  killGroup(inc.pid, "SIGKILL");
  const deadline = Date.now() + limitMs;
  if (!(await settlesWithin(inc.exited, limitMs))) return false;
  while ((await liveProcessesInGroup(inc.pid)).length > 0) {
    if (Date.now() >= deadline) return false;
    killGroup(inc.pid, "SIGKILL");
    await sleep(GROUP_POLL_MS);
  }
  return true;
}

function fail(reason: string): Launch {
  return { ok: false, reason };
}

function nodePorts(spec: NodeSpec): number[] {
  return spec.peerPort === undefined ? [spec.port] : [spec.port, spec.peerPort];
}
