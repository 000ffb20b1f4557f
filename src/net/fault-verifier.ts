/**
 * The fault network, verified: toxiproxy-server's API listens unauthenticated, and a node that
 * reaches it can move a proxy aside, delete a toxic or relay the proxy's address straight to
 * itself, so that the faults never apply. Whatever isolation the runtime manages, every fault
 * change is followed by a check of the server's state against the wanted state (one at a
 * time: changes that come while one runs share the next), and the run ends with one more;
 * where the runtime lets dslab see the kernel's sockets (the process runtime on Linux) the
 * check also shows who holds the proxies' addresses (proxy-sockets.ts). Each check is a
 * `net.verify` trace event, so the fault-integrity checker judges it from the trace alone.
 *
 * A change the server refuses because what it changes is gone (404), or that fails while
 * the state shows tampering, is tampering's doing, not dslab's: it is recorded as a mismatch
 * and the run goes on, never a harness error (which would only bring a regrade). The fault
 * network's own repairs (net.repair) happen inside a change and are never mistaken for it.
 */
import type { LinkMismatch, NetVerifyEvent } from "../trace/events.ts";
import { describeFault } from "./describe-fault.ts";
import type {
  AppliedFault,
  FaultNetwork,
  LinkFault,
  LinkFaultTarget,
  ProxyState,
} from "./fault-network.ts";
import { canInspectSockets, inspectProxySockets, type SocketFindings } from "./proxy-sockets.ts";
import { diffProxies } from "./proxy-state-diff.ts";
import { ToxiproxyApiError } from "./toxiproxy-http.ts";

export interface FaultVerifierOptions {
  emit: (event: NetVerifyEvent) => void;
  now: () => number;
  /** toxiproxy-server's pid where the harness can see its sockets; else only its API is checked. */
  serverPid?: () => number;
}

export class FaultVerifier implements LinkFaultTarget {
  readonly #network: FaultNetwork;
  readonly #options: FaultVerifierOptions;
  /** Faults whose change the server refused for tampering: nothing to remove later. */
  readonly #notApplied = new WeakSet<AppliedFault>();
  /** toxiproxy-server's pid, where its sockets can be seen (Linux's /proc). */
  readonly #serverPid: (() => number) | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(network: FaultNetwork, options: FaultVerifierOptions) {
    this.#network = network;
    this.#options = options;
    this.#serverPid = canInspectSockets() ? options.serverPid : undefined;
  }

  links(): string[] {
    return this.#network.links();
  }

  async apply(fault: LinkFault): Promise<AppliedFault> {
    try {
      const applied = await this.#network.apply(fault);
      this.#verifySoon();
      return applied;
    } catch (error) {
      await this.#blameTampering(error, {
        link: fault.link,
        what: `apply "${describeFault(fault)}"`,
      });
      const applied: AppliedFault = { fault };
      this.#notApplied.add(applied);
      return applied;
    }
  }

  async remove(applied: AppliedFault): Promise<void> {
    if (this.#notApplied.has(applied)) return;
    try {
      await this.#network.remove(applied);
      this.#verifySoon();
    } catch (error) {
      await this.#blameTampering(error, {
        link: applied.fault.link,
        what: `remove "${describeFault(applied.fault)}"`,
      });
    }
  }

  async healAll(): Promise<void> {
    try {
      await this.#network.healAll();
      this.#verifySoon();
    } catch (error) {
      await this.#blameTampering(error);
    }
  }

  /** The check at the end of the run, after the final heal (and after any check under way). */
  async verifyAtEnd(): Promise<void> {
    await this.#idle();
    await this.#verify({ final: true });
  }

  /** Resolves once no check is running or due. */
  async #idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** A check now, or, if one is running, one more after it. */
  #verifySoon(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#verify({});
      } while (this.#again);
    })().finally(() => {
      this.#running = undefined;
    });
  }

  /**
   * A change failed. If the server no longer had what it changed, or the state now shows
   * tampering, that is recorded and the change is over; otherwise the failure is dslab's.
   */
  async #blameTampering(error: unknown, change?: { link: string; what: string }): Promise<void> {
    const status = apiStatus(error);
    if (status === undefined) throw error; // no answer: the fault network's repair failed
    const refused: LinkMismatch[] =
      status === 404 && change
        ? [
            {
              link: change.link,
              what: "change",
              wanted: change.what,
              found: `the server answered: ${errorText(error)}`,
            },
          ]
        : [];
    await this.#idle();
    if ((await this.#verify({ extra: refused })) === 0) throw error;
  }

  /** One check, traced; resolves to the number of mismatches found. Never throws. */
  async #verify(options: { final?: true; extra?: LinkMismatch[] }): Promise<number> {
    try {
      return await this.#check(options);
    } catch (error) {
      // Recorded (the server gone or wedged, an answer dslab did not expect), never thrown.
      const extra = options.extra ?? [];
      this.#options.emit({
        type: "net.verify",
        t: this.#options.now(),
        ...(options.final ? { final: true as const } : {}),
        links: 0,
        mismatches: extra,
        error: `the fault network's state could not be read: ${errorText(error)}`,
      });
      return extra.length;
    }
  }

  async #check(options: { final?: true; extra?: LinkMismatch[] }): Promise<number> {
    const { emit, now } = this.#options;
    const extra = options.extra ?? [];
    const before = new Map(
      this.#network
        .wantedLinks()
        .filter((link) => !link.busy)
        .map((link) => [link.name, link.epoch]),
    );
    const actual = await this.#network.actualProxies();
    const sockets = await this.#inspectSockets(
      this.#network.wantedLinks().filter((link) => before.has(link.name)),
    );
    // Only links on which nothing began or ended meanwhile: the others were in between.
    const compared = this.#network
      .wantedLinks()
      .filter((link) => !link.busy && before.get(link.name) === link.epoch);
    const names = new Set(compared.map((link) => link.name));
    const mismatches = [
      ...extra,
      ...diffProxies(compared, actual),
      ...(sockets && "mismatches" in sockets ? sockets.mismatches : []).filter((m) =>
        names.has(m.link),
      ),
    ];
    if (compared.length === 0 && mismatches.length === 0 && !options.final) return 0;
    emit({
      type: "net.verify",
      t: now(),
      ...(options.final ? { final: true as const } : {}),
      links: compared.length,
      ...(sockets && "connections" in sockets ? { connections: sockets.connections } : {}),
      mismatches,
      ...(sockets && "error" in sockets ? { error: sockets.error } : {}),
    });
    return mismatches.length;
  }

  /** Who holds the links' addresses, where the harness can see it (undefined: it cannot). */
  async #inspectSockets(
    links: ProxyState[],
  ): Promise<SocketFindings | { error: string } | undefined> {
    if (!this.#serverPid) return undefined;
    try {
      return await inspectProxySockets(
        this.#serverPid(),
        links.map((link) => ({ link: link.name, listen: link.listen, enabled: link.enabled })),
      );
    } catch (error) {
      return { error: `the proxies' sockets could not be inspected: ${errorText(error)}` };
    }
  }
}

/** The HTTP status of the API's refusal in the error's chain; undefined for no answer. */
function apiStatus(error: unknown): number | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof ToxiproxyApiError) return e.timedOut ? undefined : e.status;
  }
  return undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
