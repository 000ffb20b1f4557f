/**
 * The fault network: one Toxiproxy proxy per link (client-c1-n1, n1-n2, ...), and the
 * network faults of src/trace/events.ts applied to and removed from those proxies.
 *
 * It keeps what each link should look like (enabled or not, which toxics) and changes the
 * server to match. Toxiproxy can deadlock a proxy for good when one of its connections closes
 * while a toxic is being added or removed (Shopify/toxiproxy#558: a toxic waits forever to
 * hand data to a writer that has gone); every later call on that proxy, and POST /reset, then
 * hangs. A change that gets no answer is therefore taken as such a deadlock: the link's proxy
 * is deleted and created again, at the same address, in the state it should have. That
 * closes the link's open connections, as a reset would; the trace says so (net.repair).
 * Once a new connection reaches the deadlocked proxy, the server's whole proxy list is stuck
 * too and nothing can be deleted: then the server itself is restarted (where the runtime
 * can) and every link recreated.
 *
 * What it keeps is also what fault-verifier.ts checks the server against: wantedLinks() gives
 * each link as it should be, with whether a change is under way on it (its state is then in
 * flux, not wrong), and actualProxies() what the server says.
 */
import type { Proxy as ProxyHandle, Toxic, ToxicType, Toxiproxy } from "toxiproxy-node-client";
import type { Direction, Fault } from "../trace/events.ts";
import { describeFault } from "./describe-fault.ts";
import { ToxiproxyApiError, toxiproxyClient } from "./toxiproxy-http.ts";

/** The faults that live on a link (crash and pause act on nodes). */
export type LinkFault = Extract<Fault, { link: string }>;

/** A fault as applied, to hand back to remove(). */
export interface AppliedFault {
  readonly fault: LinkFault;
  /** The toxic's name; absent for link-down, which disables the proxy instead. */
  readonly toxic?: string;
}

/** What the nemesis runner needs from the network (the fault network, or a Docker one). */
export interface LinkFaultTarget {
  apply(fault: LinkFault): Promise<AppliedFault>;
  remove(applied: AppliedFault): Promise<void>;
  /** Every toxic removed and every proxy enabled. */
  healAll(): Promise<void>;
  /** Every link's name (a partition blackholes the links its cuts cross). */
  links(): string[];
}

export function isLinkFault(fault: Fault): fault is LinkFault {
  return "link" in fault;
}

interface ToxicSpec {
  type: ToxicType;
  stream: Direction;
  attributes: Record<string, number>;
}

/** How each toxic-based fault maps onto Toxiproxy (field notes: toxics and attributes). */
function toxicFor(fault: Exclude<LinkFault, { kind: "link-down" }>): ToxicSpec {
  const stream = fault.direction;
  switch (fault.kind) {
    case "latency":
      return {
        type: "latency",
        stream,
        attributes: { latency: fault.latencyMs, jitter: fault.jitterMs },
      };
    case "blackhole":
      // timeout 0: drop all data and keep the connection open until the toxic goes.
      return { type: "timeout", stream, attributes: { timeout: 0 } };
    case "reset":
      return { type: "reset_peer", stream, attributes: { timeout: 0 } };
    case "truncate":
      return { type: "limit_data", stream, attributes: { bytes: fault.bytes } };
    case "slice":
      return {
        type: "slicer",
        stream,
        attributes: {
          // Toxiproxy's slicer panics (and the whole server dies) unless
          // 0 <= size_variation < average_size; clamp rather than lose the run.
          average_size: Math.max(1, fault.averageSize),
          size_variation: Math.max(
            0,
            Math.min(fault.sizeVariation, Math.max(1, fault.averageSize) - 1),
          ),
          delay: fault.delayUs,
        },
      };
    case "bandwidth":
      return { type: "bandwidth", stream, attributes: { rate: fault.rateKBps } };
  }
}

const LINK_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Toxiproxy answers in milliseconds; a call with no answer for this long has met the deadlock
 * above. Short, because the repair must come before a new connection to the deadlocked proxy
 * (a node reconnecting) also sticks its accept loop, which then keeps it from being deleted.
 */
export const FAULT_API_TIMEOUT_MS = 2_000;

export interface FaultNetworkOptions {
  /** Per API call (default FAULT_API_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Where proxies listen (default 127.0.0.1). */
  listenHost?: string;
  /** A link's proxy was recreated (its open connections closed); `reason` says why. */
  onRepair?: (link: string, reason: string) => void;
  /** Replaces a deadlocked toxiproxy-server with a new one; resolves to its API URL. */
  restartServer?: () => Promise<string>;
}

/** A toxic as Toxiproxy lists it. */
export interface ToxicState {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: Record<string, unknown>;
}

/** A proxy as Toxiproxy lists it (GET /proxies). */
export interface ProxyState {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicState[];
}

/** A link as it should be, and whether that can be checked now. */
export interface WantedLink extends ProxyState {
  /** Moves on whenever a change, repair or restart on the link begins or ends. */
  epoch: number;
  /** A change, repair or restart is under way on the link: the server may be in between. */
  busy: boolean;
}

/** A toxic the link should carry, and its handle on the server once added. */
interface WantedToxic {
  spec: ToxicSpec;
  handle?: Toxic<unknown>;
}

/** One link: its proxy on the server and the state it should be in. */
interface LinkState {
  readonly name: string;
  proxy: ProxyHandle;
  readonly upstream: string;
  /** Where the server bound it; a recreated proxy binds there again. */
  readonly listen: string;
  /** Link-down faults in force (overlapping ones: it comes back up when the last ends). */
  downCount: number;
  readonly toxics: Map<string, WantedToxic>;
  /** Counts repairs, so a change that raced one knows the repair already carried it out. */
  repairs: number;
  repairing?: Promise<void>;
  /** Changes under way (see WantedLink). */
  changing: number;
  epoch: number;
}

export class FaultNetwork implements LinkFaultTarget {
  #client: Toxiproxy;
  readonly #timeoutMs: number;
  readonly #listenHost: string;
  readonly #onRepair: (link: string, reason: string) => void;
  readonly #restartServer: (() => Promise<string>) | undefined;
  readonly #links = new Map<string, LinkState>();
  #toxicSeq = 0;
  /** Counts server restarts, so a repair that raced one knows it is done. */
  #restarts = 0;
  #restarting: Promise<void> | undefined;

  constructor(apiUrl: string, options: FaultNetworkOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? FAULT_API_TIMEOUT_MS;
    this.#client = toxiproxyClient(apiUrl, this.#timeoutMs);
    this.#listenHost = options.listenHost ?? "127.0.0.1";
    this.#onRepair = options.onRepair ?? (() => undefined);
    this.#restartServer = options.restartServer;
  }

  /**
   * Creates the proxy for a link; returns the host:port to dial instead of `upstream`. `port`
   * fixes where it listens (a container's published range); by default the server picks.
   */
  async addLink(name: string, upstream: string, port = 0): Promise<string> {
    if (!LINK_NAME.test(name)) {
      throw new Error(`link name ${JSON.stringify(name)} must use only letters, digits, _ . -`);
    }
    if (this.#links.has(name)) throw new Error(`link ${name} already exists`);
    // Port 0: the server binds a free port itself, so no other process can race us for it.
    const listen = `${this.#listenHost}:${port}`;
    const proxy = await this.#call(`create the proxy for link ${name} to ${upstream}`, () =>
      this.#client.createProxy({ name, listen, upstream, enabled: true }),
    );
    this.#links.set(name, {
      name,
      proxy,
      upstream,
      listen: proxy.listen,
      downCount: 0,
      toxics: new Map(),
      repairs: 0,
      changing: 0,
      epoch: 0,
    });
    return proxy.listen;
  }

  /** host:port where the link's proxy listens. */
  listenAddress(name: string): string {
    return this.#link(name).listen;
  }

  links(): string[] {
    return [...this.#links.keys()];
  }

  /** Every link as it should be now. */
  wantedLinks(): WantedLink[] {
    return [...this.#links.values()].map((state) => ({
      name: state.name,
      listen: state.listen,
      upstream: state.upstream,
      enabled: state.downCount === 0,
      toxics: [...state.toxics].map(([name, { spec }]) => ({
        name,
        type: spec.type,
        stream: spec.stream,
        toxicity: 1,
        attributes: spec.attributes,
      })),
      epoch: state.epoch,
      busy: state.changing > 0 || state.repairing !== undefined,
    }));
  }

  /** Every proxy the server has, by name, as it lists them. */
  async actualProxies(): Promise<Map<string, ProxyState>> {
    const client = this.#client;
    const { data } = await this.#call("list the proxies", () =>
      client.api.get<Record<string, ProxyState>>(`${client.host}/proxies`),
    );
    return new Map(Object.entries(data ?? {}));
  }

  async apply(fault: LinkFault): Promise<AppliedFault> {
    const state = this.#link(fault.link);
    const what = `apply "${describeFault(fault)}"`;
    if (fault.kind === "link-down") {
      state.downCount += 1;
      if (state.downCount === 1) {
        await this.#change(state, what, (proxy) => this.#setEnabled(proxy, false), {
          undo: () => {
            state.downCount -= 1;
          },
        });
      }
      return { fault };
    }
    this.#toxicSeq += 1;
    const spec = toxicFor(fault);
    const name = `${fault.kind}-${spec.stream}-${this.#toxicSeq}`;
    const wanted: WantedToxic = { spec };
    state.toxics.set(name, wanted);
    await this.#change(
      state,
      what,
      async (proxy) => {
        wanted.handle = await proxy.addToxic<unknown>({ name, toxicity: 1, ...spec });
      },
      { undo: () => state.toxics.delete(name) },
    );
    return { fault, toxic: name };
  }

  async remove(applied: AppliedFault): Promise<void> {
    const { fault, toxic } = applied;
    const state = this.#link(fault.link);
    const what = `remove "${describeFault(fault)}"`;
    if (toxic === undefined) {
      if (state.downCount === 0) return; // healed meanwhile
      state.downCount -= 1;
      if (state.downCount > 0) return;
      await this.#change(state, what, (proxy) => this.#setEnabled(proxy, true));
      return;
    }
    const wanted = state.toxics.get(toxic);
    if (!wanted) return; // healed meanwhile
    state.toxics.delete(toxic);
    // The handle belongs to the proxy that is there now (a repair adds toxics anew).
    await this.#change(state, what, async () => {
      await wanted.handle?.remove();
    });
  }

  healAll(): Promise<void> {
    return this.#during([...this.#links.values()], () => this.#healAll());
  }

  async #healAll(): Promise<void> {
    for (const state of this.#links.values()) {
      state.downCount = 0;
      state.toxics.clear();
    }
    const what = "heal every link (POST /reset)";
    await this.#restarting;
    try {
      await this.#call(what, () => this.#client.reset());
    } catch (error) {
      if (!timedOut(error)) throw error;
      // A deadlocked proxy hangs the reset: find it, recreate it (clean), reset the others.
      const stuck = await this.#stuckLinks();
      if (stuck.length === 0) throw error;
      await Promise.all(
        stuck.map((link) => this.#repair(this.#link(link), `${what} got no answer`)),
      );
      await this.#call(`${what}, after recreating ${stuck.join(", ")}`, () => this.#client.reset());
    }
  }

  /** Deletes every proxy this network created (the server keeps running). */
  async destroy(): Promise<void> {
    const proxies = [...this.#links.values()].map((state) => state.proxy);
    this.#links.clear();
    const results = await Promise.allSettled(
      proxies.map((proxy) =>
        this.#call(`delete the proxy of link ${proxy.name}`, () => proxy.remove()),
      ),
    );
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    if (failures.length > 0) throw new Error(failures.join("; "));
  }

  /**
   * Makes one change on the link's proxy, its wanted state already updated. No answer: the
   * proxy is repaired into the wanted state, which carries the change out. Any other failure
   * undoes the wanted state and throws.
   */
  #change(
    state: LinkState,
    what: string,
    step: (proxy: ProxyHandle) => Promise<unknown>,
    options: { undo?: () => void } = {},
  ): Promise<void> {
    return this.#during([state], () => this.#changeNow(state, what, step, options));
  }

  /**
   * Marks the links busy while `work` runs. Called in the same tick as the wanted state
   * changes, so a verification never sees the new wanted state on a link not marked busy.
   */
  async #during<T>(states: LinkState[], work: () => Promise<T>): Promise<T> {
    for (const state of states) {
      state.changing += 1;
      state.epoch += 1;
    }
    try {
      return await work();
    } finally {
      for (const state of states) {
        state.changing -= 1;
        state.epoch += 1;
      }
    }
  }

  async #changeNow(
    state: LinkState,
    what: string,
    step: (proxy: ProxyHandle) => Promise<unknown>,
    options: { undo?: () => void },
  ): Promise<void> {
    await state.repairing;
    const repairsBefore = state.repairs;
    try {
      await this.#call(what, () => step(state.proxy));
    } catch (error) {
      if (state.repairs !== repairsBefore) {
        // A repair ran meanwhile (this call may have hit the proxy it deleted): it set up
        // the wanted state, this change included.
        await state.repairing;
        return;
      }
      if (!timedOut(error)) {
        options.undo?.();
        throw error;
      }
      await this.#repair(state, `${what} got no answer`);
    }
  }

  /** Deletes the link's proxy and creates it again in its wanted state (one repair at a time). */
  #repair(state: LinkState, why: string): Promise<void> {
    if (state.repairing) return state.repairing;
    state.repairs += 1;
    state.epoch += 1;
    const restartsBefore = this.#restarts;
    const repairing: Promise<void> = this.#recreate(state, why)
      .catch(async (error: unknown) => {
        // A restart meanwhile (this repair may have met the old server going) did it all.
        if (this.#restarts !== restartsBefore) return this.#restarting;
        if (!timedOut(error) || !this.#restartServer) throw error;
        await this.#restart(`${why}, and its proxy could not be deleted either`);
      })
      .finally(() => {
        state.epoch += 1;
        if (state.repairing === repairing) state.repairing = undefined;
      });
    state.repairing = repairing;
    return repairing;
  }

  async #recreate(state: LinkState, why: string): Promise<void> {
    const link = state.name;
    const what = `recreate the proxy of link ${link} (${why}; Toxiproxy deadlocks a proxy when a connection closes during a toxic change, Shopify/toxiproxy#558)`;
    await this.#call(what, async () => {
      await state.proxy.remove().catch((error: unknown) => {
        if (!(error instanceof ToxiproxyApiError && error.status === 404)) throw error;
      });
      await this.#createAsWanted(state);
    });
    this.#onRepair(
      link,
      `${why}; its proxy was recreated as it should be, which closed the link's open connections`,
    );
  }

  /** A new toxiproxy-server, with every link's proxy recreated as it should be (one at a time). */
  #restart(why: string): Promise<void> {
    if (this.#restarting) return this.#restarting;
    this.#restarts += 1;
    const restarting: Promise<void> = this.#restartAndRecreate(why).finally(() => {
      this.#restarting = undefined;
      for (const state of this.#links.values()) {
        state.epoch += 1;
        if (state.repairing === restarting) state.repairing = undefined;
      }
    });
    this.#restarting = restarting;
    for (const state of this.#links.values()) {
      state.repairs += 1;
      state.epoch += 1;
      state.repairing = restarting;
    }
    return restarting;
  }

  async #restartAndRecreate(why: string): Promise<void> {
    const restartServer = this.#restartServer;
    if (!restartServer)
      throw new Error("fault network: this runtime cannot restart toxiproxy-server");
    const apiUrl = await this.#call(`restart toxiproxy-server (${why})`, restartServer);
    this.#client = toxiproxyClient(apiUrl, this.#timeoutMs);
    await Promise.all(
      [...this.#links.values()].map((state) =>
        this.#call(
          `recreate the proxy of link ${state.name} on the restarted toxiproxy-server`,
          () => this.#createAsWanted(state),
        ),
      ),
    );
    for (const link of this.#links.keys()) {
      this.#onRepair(
        link,
        `${why}; toxiproxy-server was restarted and every link's proxy recreated as it should be, which closed every open connection`,
      );
    }
  }

  /** Creates the link's proxy at its address, enabled or not, with the toxics it should have. */
  async #createAsWanted(state: LinkState): Promise<void> {
    state.proxy = await this.#client.createProxy({
      name: state.name,
      listen: state.listen,
      upstream: state.upstream,
      enabled: state.downCount === 0,
    });
    for (const [name, wanted] of state.toxics) {
      wanted.handle = await state.proxy.addToxic<unknown>({ name, toxicity: 1, ...wanted.spec });
    }
  }

  /** Links whose proxy does not answer (showing a proxy lists its toxics: the same lock). */
  async #stuckLinks(): Promise<string[]> {
    const probes = [...this.#links.keys()].map(async (link) => {
      try {
        await this.#client.get(link);
        return [];
      } catch (error) {
        return timedOut(error) ? [link] : [];
      }
    });
    return (await Promise.all(probes)).flat();
  }

  #setEnabled(proxy: ProxyHandle, enabled: boolean): Promise<ProxyHandle> {
    return proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
  }

  #link(link: string): LinkState {
    const state = this.#links.get(link);
    if (!state) {
      throw new Error(`unknown link ${link}; known links: ${this.links().join(", ") || "none"}`);
    }
    return state;
  }

  /** Runs one API step; a failure says which step, then what the server said. */
  async #call<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw new Error(`fault network: could not ${what}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** The error, or the error it wraps, is an API call that got no answer in time. */
function timedOut(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof ToxiproxyApiError) return e.timedOut;
  }
  return false;
}
