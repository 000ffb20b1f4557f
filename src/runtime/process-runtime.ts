/**
 * NodeRuntime with local processes: each node is a new session's leader (its own process
 * group), killed with SIGKILL to the group, paused with SIGSTOP / SIGCONT to the group.
 */
import { mkdir } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BaseNodeRuntime,
  type BaseRuntimeOptions,
  type Incarnation,
  type Launch,
  type NodeState,
  nodeEnvironment,
} from "./base-node-runtime.ts";
import { spawnGroupLeader } from "./group-leader.ts";
import { groupRssKiB, liveProcessesInGroup } from "./process-group.ts";
import { killGroup } from "./reaper.ts";
import { settlesWithin } from "./settles-within.ts";
import { acceptsConnections } from "./tcp-probe.ts";
import type { NodeSpec } from "./types.ts";

export type ProcessRuntimeOptions = BaseRuntimeOptions;

/** SIGKILL cannot be refused; a process still there after this is stuck in the kernel. */
const KILL_TIMEOUT_MS = 5_000;
const READY_POLL_MS = 50;
const GROUP_POLL_MS = 20;
const PROBE_TIMEOUT_MS = 500;

/** Nothing to keep between incarnations: each one is a fresh process group. */
type NoHandle = undefined;

export class ProcessRuntime extends BaseNodeRuntime<NoHandle> {
  readonly kind = "process";

  constructor(options: ProcessRuntimeOptions) {
    super(options, READY_POLL_MS);
  }

  protected async prepare(): Promise<NoHandle> {
    return undefined;
  }

  protected readyProbe(state: NodeState<NoHandle>): { host: string; ports: number[] } {
    return { host: "127.0.0.1", ports: nodePorts(state.spec) };
  }

  protected async launch(state: NodeState<NoHandle>): Promise<Launch> {
    const { spec } = state;
    try {
      await mkdir(spec.dataDir, { recursive: true });
      await mkdir(spec.tmpDir, { recursive: true });
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
    const leader = await spawnGroupLeader(file, args, {
      cwd: spec.cwd,
      env: nodeEnvironment(spec),
      label: `dslab node ${spec.id}`,
    });
    if ("error" in leader) {
      return fail(`could not start ${JSON.stringify(spec.argv)}: ${leader.error}`);
    }
    return { ok: true, ...leader };
  }

  protected async terminate(state: NodeState<NoHandle>, inc: Incarnation): Promise<void> {
    killGroup(inc.pid, "SIGKILL");
    const limitMs = KILL_TIMEOUT_MS * this.timeScale;
    if (!(await groupGone(inc, limitMs))) {
      throw new Error(
        `node ${state.spec.id} (process group ${inc.pid}) still runs ${limitMs} ms after SIGKILL; a process may be stuck in the kernel (state D)`,
      );
    }
  }

  protected async freeze(_state: NodeState<NoHandle>, inc: Incarnation): Promise<void> {
    killGroup(inc.pid, "SIGSTOP");
  }

  protected async thaw(_state: NodeState<NoHandle>, inc: Incarnation): Promise<void> {
    killGroup(inc.pid, "SIGCONT");
  }

  protected measureRssKiB(_state: NodeState<NoHandle>, inc: Incarnation): Promise<number> {
    return groupRssKiB(inc.pid);
  }
}

/** The leader has exited and no other member of its group still runs. */
async function groupGone(inc: Incarnation, limitMs: number): Promise<boolean> {
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
