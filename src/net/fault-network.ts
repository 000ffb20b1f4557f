/**
 * The fault network: one Toxiproxy proxy per link (client-c1-n1, n1-n2, ...), and the
 * network faults of src/trace/events.ts applied to and removed from those proxies.
 */
import type { Proxy as ProxyHandle, Toxic, ToxicType, Toxiproxy } from "toxiproxy-node-client";
import type { Direction, Fault } from "../trace/events.ts";
import { describeFault } from "./describe-fault.ts";
import { DEFAULT_API_TIMEOUT_MS, toxiproxyClient } from "./toxiproxy-http.ts";

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

export interface FaultNetworkOptions {
  /** Per API call (default 5,000 ms). */
  timeoutMs?: number;
  /** Where proxies listen (default 127.0.0.1). */
  listenHost?: string;
}

export class FaultNetwork implements LinkFaultTarget {
  readonly #client: Toxiproxy;
  readonly #listenHost: string;
  readonly #proxies = new Map<string, ProxyHandle>();
  /** Overlapping link-down faults on one link: it comes back up when the last one ends. */
  readonly #downCounts = new Map<string, number>();
  /** Toxics in place, by "link/toxic name". */
  readonly #toxics = new Map<string, Toxic<unknown>>();
  #toxicSeq = 0;

  constructor(apiUrl: string, options: FaultNetworkOptions = {}) {
    this.#client = toxiproxyClient(apiUrl, options.timeoutMs ?? DEFAULT_API_TIMEOUT_MS);
    this.#listenHost = options.listenHost ?? "127.0.0.1";
  }

  /**
   * Creates the proxy for a link; returns the host:port to dial instead of `upstream`. `port`
   * fixes where it listens (a container's published range); by default the server picks.
   */
  async addLink(name: string, upstream: string, port = 0): Promise<string> {
    if (!LINK_NAME.test(name)) {
      throw new Error(`link name ${JSON.stringify(name)} must use only letters, digits, _ . -`);
    }
    if (this.#proxies.has(name)) throw new Error(`link ${name} already exists`);
    // Port 0: the server binds a free port itself, so no other process can race us for it.
    const listen = `${this.#listenHost}:${port}`;
    const proxy = await this.#call(`create the proxy for link ${name} to ${upstream}`, () =>
      this.#client.createProxy({ name, listen, upstream, enabled: true }),
    );
    this.#proxies.set(name, proxy);
    return proxy.listen;
  }

  /** host:port where the link's proxy listens. */
  listenAddress(name: string): string {
    return this.#proxy(name).listen;
  }

  links(): string[] {
    return [...this.#proxies.keys()];
  }

  async apply(fault: LinkFault): Promise<AppliedFault> {
    const proxy = this.#proxy(fault.link);
    const what = `apply "${describeFault(fault)}"`;
    if (fault.kind === "link-down") {
      const count = (this.#downCounts.get(fault.link) ?? 0) + 1;
      this.#downCounts.set(fault.link, count);
      if (count === 1) await this.#call(what, () => this.#setEnabled(proxy, false));
      return { fault };
    }
    this.#toxicSeq += 1;
    const spec = toxicFor(fault);
    const name = `${fault.kind}-${spec.stream}-${this.#toxicSeq}`;
    const toxic = await this.#call(what, () =>
      proxy.addToxic<unknown>({ name, toxicity: 1, ...spec }),
    );
    this.#toxics.set(`${fault.link}/${name}`, toxic);
    return { fault, toxic: name };
  }

  async remove(applied: AppliedFault): Promise<void> {
    const { fault, toxic } = applied;
    const proxy = this.#proxy(fault.link);
    const what = `remove "${describeFault(fault)}"`;
    if (toxic === undefined) {
      const count = (this.#downCounts.get(fault.link) ?? 0) - 1;
      if (count > 0) {
        this.#downCounts.set(fault.link, count);
        return;
      }
      this.#downCounts.delete(fault.link);
      await this.#call(what, () => this.#setEnabled(proxy, true));
      return;
    }
    const key = `${fault.link}/${toxic}`;
    const found = this.#toxics.get(key);
    if (!found) return; // healed meanwhile
    this.#toxics.delete(key);
    await this.#call(what, () => found.remove());
  }

  async healAll(): Promise<void> {
    this.#downCounts.clear();
    this.#toxics.clear();
    await this.#call("heal every link (POST /reset)", () => this.#client.reset());
  }

  /** Deletes every proxy this network created (the server keeps running). */
  async destroy(): Promise<void> {
    const proxies = [...this.#proxies.values()];
    this.#proxies.clear();
    this.#downCounts.clear();
    this.#toxics.clear();
    const results = await Promise.allSettled(
      proxies.map((proxy) =>
        this.#call(`delete the proxy of link ${proxy.name}`, () => proxy.remove()),
      ),
    );
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    if (failures.length > 0) throw new Error(failures.join("; "));
  }

  #setEnabled(proxy: ProxyHandle, enabled: boolean): Promise<ProxyHandle> {
    return proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
  }

  #proxy(link: string): ProxyHandle {
    const proxy = this.#proxies.get(link);
    if (!proxy) {
      throw new Error(`unknown link ${link}; known links: ${this.links().join(", ") || "none"}`);
    }
    return proxy;
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
