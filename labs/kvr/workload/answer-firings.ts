/**
 * The clients' half of lab 3's answer reaction: the nemesis cut off a node right after it
 * answered a write, and the client whose call that was now asks the other side. Its next call
 * reads the key it wrote from a node across the cut (a write answered before a majority had it
 * reads back stale), then the write itself is sent again there (a replay cache that is not
 * the cluster's runs it twice).
 */
import type { TraceEvent } from "../../../src/trace/events.ts";

/** A firing as one client must answer it: its call's xid and the node cut off. */
export interface DueFiring {
  xid: number;
  isolated: string;
}

export class AnswerFirings {
  readonly #clientOfConn = new Map<number, string>();
  readonly #due = new Map<string, DueFiring>();
  readonly stop: () => void;

  constructor(observe: (observer: (event: TraceEvent) => void) => () => void) {
    this.stop = observe((event) => {
      if (event.type === "conn.open") this.#clientOfConn.set(event.conn, event.client);
      if (event.type !== "nemesis.start" || event.trigger?.event !== "reply") return;
      const { conn, xid, node } = event.trigger;
      const client = conn === undefined ? undefined : this.#clientOfConn.get(conn);
      if (client !== undefined && xid !== undefined) this.#due.set(client, { xid, isolated: node });
    });
  }

  /** The firing `client` has yet to answer, once. */
  take(client: string): DueFiring | undefined {
    const due = this.#due.get(client);
    this.#due.delete(client);
    return due;
  }
}
