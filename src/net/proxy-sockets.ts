/**
 * Who really serves the proxies' addresses, from the kernel (Linux): the TCP tables of
 * toxiproxy-server's network namespace (/proc/<pid>/net/tcp and tcp6) and the sockets it
 * holds (/proc/<pid>/fd). Toxiproxy's API answers what it was told; this shows where the
 * bytes go. At every enabled link's address, the listener must be toxiproxy-server's; at a
 * disabled link's, nobody else may listen; and every connection accepted at a link's
 * address must be toxiproxy-server's. So whoever dialed a proxy's address reached
 * toxiproxy-server, which (as its API shows) forwards to the node with the faults wanted, and
 * the connections it holds there count the traffic that went through the proxies.
 *
 * The tables and the descriptor list are not read at one instant: a socket that looks
 * foreign in one reading (toxiproxy just accepted or closed it) counts only when a second
 * reading, after the first, still finds it there and still not toxiproxy-server's.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";
import { endianness } from "node:os";
import type { LinkMismatch } from "../trace/events.ts";

const ESTABLISHED = 0x01;
const LISTEN = 0x0a;
const WILDCARDS = new Set(["0.0.0.0", "::"]);

interface Address {
  host: string;
  port: number;
}

export interface TcpSocket {
  local: Address;
  remote: Address;
  state: number;
  /** 0 for a socket no process holds (not yet accepted, or closed and lingering). */
  inode: number;
}

/** A link's proxy address, and whether it should accept connections now. */
export interface ProxyAddress {
  link: string;
  listen: string;
  enabled: boolean;
}

export interface SocketFindings {
  mismatches: LinkMismatch[];
  /** Connections toxiproxy-server held at the proxies' addresses. */
  connections: number;
}

/** Whether this machine shows processes' sockets (Linux's /proc; not macOS). */
export function canInspectSockets(): boolean {
  return existsSync("/proc/self/net/tcp");
}

/** The proxies' addresses as the kernel shows them in toxiproxy-server's namespace. */
export async function inspectProxySockets(
  serverPid: number,
  proxies: readonly ProxyAddress[],
): Promise<SocketFindings> {
  const first = findSuspects(await readSnapshot(serverPid), proxies);
  if (first.suspects.size === 0) return { mismatches: [], connections: first.connections };
  const second = findSuspects(await readSnapshot(serverPid), proxies);
  const mismatches = [...second.suspects]
    .filter(([key]) => first.suspects.has(key))
    .map(([, mismatch]) => mismatch);
  return { mismatches, connections: first.connections };
}

interface Snapshot {
  sockets: TcpSocket[];
  /** Socket inodes toxiproxy-server holds, read after the tables. */
  owned: Set<number>;
}

async function readSnapshot(pid: number): Promise<Snapshot> {
  const tables = await Promise.all(
    (["tcp", "tcp6"] as const).map((name) =>
      readFile(`/proc/${pid}/net/${name}`, "utf8").then(
        (text) => parseTcpTable(text),
        // No IPv6 in the kernel: no tcp6 table.
        (error: NodeJS.ErrnoException) => {
          if (name === "tcp6" && error.code === "ENOENT") return [];
          throw error;
        },
      ),
    ),
  );
  return { sockets: tables.flat(), owned: await socketInodes(pid) };
}

/** The socket inodes among a process's open files. */
export async function socketInodes(pid: number): Promise<Set<number>> {
  const dir = `/proc/${pid}/fd`;
  const fds = await readdir(dir);
  const targets = await Promise.all(
    // A descriptor closed since the listing is simply not there.
    fds.map((fd) => readlink(`${dir}/${fd}`).catch(() => "")),
  );
  const inodes = new Set<number>();
  for (const target of targets) {
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(Number(match[1]));
  }
  return inodes;
}

/**
 * The listening and established sockets of a /proc/net/tcp or tcp6 table (a busy machine
 * lists thousands in TIME_WAIT: one pass of a regular expression skips them cheaply);
 * IPv4-mapped IPv6 addresses come out as IPv4.
 */
export function parseTcpTable(text: string): TcpSocket[] {
  const line = /^\s*\d+: ([0-9A-F]+:[0-9A-F]+) ([0-9A-F]+:[0-9A-F]+) (01|0A) (?:\S+\s+){5}(\d+)/gm;
  return [...text.matchAll(line)].map(([, local = "", remote = "", state = "", inode = ""]) => ({
    local: decodeAddress(local),
    remote: decodeAddress(remote),
    state: Number.parseInt(state, 16),
    inode: Number(inode),
  }));
}

/** "0100007F:1F90" -> 127.0.0.1:8080: each 32-bit word is printed in the host's byte order. */
function decodeAddress(text: string): Address {
  const [hex = "", port = "0"] = text.split(":");
  const bytes = Buffer.from(hex, "hex");
  if (endianness() === "LE") {
    for (let word = 0; word < bytes.length; word += 4) bytes.subarray(word, word + 4).reverse();
  }
  return { host: formatHost(bytes), port: Number.parseInt(port, 16) };
}

function formatHost(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join(".");
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes.readUInt16BE(10) === 0xffff;
  if (mapped) return [...bytes.subarray(12)].join(".");
  if (bytes.every((b) => b === 0)) return "::";
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(":");
}

/** "127.0.0.1:40123" or "[::]:8666". */
function parseAddress(text: string): Address {
  const at = text.lastIndexOf(":");
  return { host: text.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(text.slice(at + 1)) };
}

const same = (a: Address, b: Address) => a.port === b.port && a.host === b.host;
/** A listener bound to `listener` takes connections to `to`. */
const covers = (listener: Address, to: Address) =>
  listener.port === to.port && (listener.host === to.host || WILDCARDS.has(listener.host));

/** What looks wrong in one snapshot, keyed so that two snapshots can be matched. */
function findSuspects(
  snapshot: Snapshot,
  proxies: readonly ProxyAddress[],
): { suspects: Map<string, LinkMismatch>; connections: number } {
  const { sockets, owned } = snapshot;
  const listeners = sockets.filter((s) => s.state === LISTEN);
  const suspects = new Map<string, LinkMismatch>();
  let connections = 0;
  for (const proxy of proxies) {
    const address = parseAddress(proxy.listen);
    const link = proxy.link;
    const here = listeners.filter((s) => covers(s.local, address));
    const foreign = here.filter((s) => !owned.has(s.inode));
    for (const s of foreign) {
      suspects.set(`${link} listener ${s.inode}`, {
        link,
        what: "listener",
        wanted: proxy.enabled
          ? `only toxiproxy-server listening at ${proxy.listen}`
          : `nobody listening at ${proxy.listen} (the link is down)`,
        found: `another process listening at ${s.local.host}:${s.local.port}`,
      });
    }
    if (proxy.enabled && here.length === 0) {
      suspects.set(`${link} no listener`, {
        link,
        what: "listener",
        wanted: `toxiproxy-server listening at ${proxy.listen}`,
        found: "nothing listening there",
      });
    }
    for (const s of sockets) {
      if (s.state !== ESTABLISHED || s.inode === 0 || !same(s.local, address)) continue;
      if (owned.has(s.inode)) {
        connections += 1;
        continue;
      }
      // A connection some process dialed from this port while it was free (the link down)
      // goes to a listener; one accepted here comes from a dialer's ephemeral port.
      if (listeners.some((l) => covers(l.local, s.remote))) continue;
      suspects.set(`${link} connection ${s.inode}`, {
        link,
        what: "connection",
        wanted: `connections to ${proxy.listen} accepted by toxiproxy-server`,
        found: `a connection from ${s.remote.host}:${s.remote.port} accepted by another process`,
      });
    }
  }
  return { suspects, connections };
}
