/**
 * The Python reference's twins (issue 11): `--slow` times the node like a slow independent
 * submission, `--bug` compiles in one of the C++ reference's reactive bugs, and three fixture
 * folders run them from symlinks to the reference's files. The behaviours are checked on the
 * node's own classes, driven by a short Python script per case (no network, no timers).
 */
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const FIXTURES = "fixtures/consensus";
const REFERENCE = join(FIXTURES, "python-reference");

const TWINS = [
  { fixture: "python-slow-reference", options: ["--slow"] },
  {
    fixture: "bug-slow-acceptor-memory-only",
    options: ["--slow", "--bug", "acceptor-memory-only"],
  },
  { fixture: "bug-slow-ignores-accepted", options: ["--slow", "--bug", "ignores-accepted"] },
];

/** Runs `script` with the reference's modules importable; its last stdout line is JSON. */
async function python(script: string): Promise<unknown> {
  const result = await execa("python3", ["-B", "-c", script], { cwd: REFERENCE, timeout: 60_000 });
  return JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "");
}

/** Python that defines replica(slow, bug): a node n1 of 3 on a fresh journal, its sent messages
 * in `sent` as (peer, message) and the answers it gave in `answers`. */
const REPLICA = `
import json, os, random, tempfile
from journal import Journal
from messages import Accept, Ballot, Decided, Nack, Prepare, Promise, Query
from replica import Replica
random.seed(1)
sent, answers = [], []
def replica(slow=False, bug=None, journal_dir=None):
    journal = Journal(os.path.join(journal_dir or tempfile.mkdtemp(), "journal"))
    return Replica(1, [2, 3], journal, send=lambda peer, m: sent.append((peer, m)),
                   ready=lambda peer: True, round_trip=lambda: 0.0, slow=slow, bug=bug)
`;

describe("the slow twins' fixture folders", () => {
  it.each(TWINS)(
    "$fixture is a manifest running node.py $options and symlinks to every .py of the reference",
    async ({ fixture, options }) => {
      const dir = join(FIXTURES, fixture);
      const manifest = JSON.parse(await readFile(join(dir, "dslab.json"), "utf8"));
      expect(manifest).toEqual({
        lab: "consensus",
        run: ["python3", "-u", "-B", "node.py", ...options],
      });
      const sources = (await readdir(REFERENCE)).filter((name) => name.endsWith(".py")).sort();
      const entries = (await readdir(dir)).filter((name) => name !== "dslab.json").sort();
      expect(entries).toEqual(sources);
      for (const name of entries) {
        expect((await lstat(join(dir, name))).isSymbolicLink(), name).toBe(true);
        expect(await readlink(join(dir, name))).toBe(`../python-reference/${name}`);
      }
    },
  );
});

describe("node.py's options", () => {
  it("an unknown --bug is exit 2 with the usage, naming the value and the known bugs", async () => {
    const result = await execa("python3", ["-B", "node.py", "--bug", "forgets-inputs"], {
      cwd: REFERENCE,
      reject: false,
      timeout: 60_000,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /invalid choice: 'forgets-inputs' \(choose from 'acceptor-memory-only', 'ignores-accepted'\)/,
    );
  });

  it("--bug acceptor-memory-only journals inputs and decisions but no promise or acceptance", async () => {
    const kinds = await python(`${REPLICA}
def journaled(bug):
    directory = tempfile.mkdtemp()
    node = replica(bug=bug, journal_dir=directory)
    node.propose(7, b"mine", 0.0)
    node.on_message(2, Prepare(8, Ballot(1, 2)), answers.append, 0.0)
    node.on_message(2, Accept(8, Ballot(1, 2), b"theirs"), answers.append, 0.0)
    node.on_message(2, Decided(9, b"decided"), answers.append, 0.0)
    return [entry.kind for entry in Journal(os.path.join(directory, "journal")).recovered()]
print(json.dumps({"reference": journaled(None), "bug": journaled("acceptor-memory-only")}))
`);
    // INPUT 1, PROMISE 2, ACCEPT 3, DECIDE 4 (journal.py)
    expect(kinds).toEqual({ reference: [1, 2, 3, 4], bug: [1, 4] });
  });

  it("--bug ignores-accepted proposes its own input in phase 2 over a promise's accepted value", async () => {
    const proposed = await python(`${REPLICA}
def phase_2_value(bug):
    sent.clear()
    node = replica(bug=bug)
    node.propose(5, b"mine", 0.0)
    node.tick(1.0)
    prepare = next(m for _, m in sent if isinstance(m, Prepare))
    node.on_message(2, Promise(5, prepare.ballot, Ballot(1, 3), b"chosen"), answers.append, 1.0)
    return next(m.value.decode() for _, m in sent if isinstance(m, Accept))
print(json.dumps({"reference": phase_2_value(None), "bug": phase_2_value("ignores-accepted")}))
`);
    expect(proposed).toEqual({ reference: "chosen", bug: "mine" });
  });

  it("--slow asks every peer every second about each undecided slot it knows; a node that decided answers", async () => {
    const seen = await python(`${REPLICA}
def queries(slow):
    sent.clear()
    node = replica(slow=slow)
    node.propose(5, b"input", 0.0)  # an input of its own
    node.on_message(2, Prepare(6, Ballot(1, 2)), answers.append, 0.0)  # a promise only
    asked = []
    for tick in range(25):  # 0 to 2.4 s
        sent.clear()
        node.tick(tick / 10)
        asked += [[tick / 10, peer, m.slot] for peer, m in sent if isinstance(m, Query)]
    return asked
decider, to_n3 = replica(slow=True), []
decider.on_message(2, Decided(6, b"six"), answers.append, 0.0)
decider.on_message(3, Query(6), to_n3.append, 0.0)
decider.on_message(3, Query(7), to_n3.append, 0.0)  # undecided there: no answer
print(json.dumps({"slow": queries(True), "reference": queries(False),
                  "answers": [[m.slot, m.value.decode()] for m in to_n3]}))
`);
    const everyPeerAndSlot = (t: number) => [
      [t, 2, 5],
      [t, 2, 6],
      [t, 3, 5],
      [t, 3, 6],
    ];
    expect(seen).toEqual({
      slow: [...everyPeerAndSlot(0), ...everyPeerAndSlot(1), ...everyPeerAndSlot(2)],
      reference: [],
      answers: [[6, "six"]],
    });
  });

  it("--slow backs off uniformly up to 2 s after a failed round, even when a link comes back", async () => {
    const waits = (await python(`${REPLICA}
def waits_after_failure(slow):
    """Seconds from a Nack (and a link up at once) to the next round's Prepare, 100 times."""
    waits = []
    for _ in range(100):
        sent.clear()
        node = replica(slow=slow)
        node.propose(5, b"mine", 0.0)
        node.tick(0.1)
        prepare = next(m for _, m in sent if isinstance(m, Prepare))
        sent.clear()
        node.on_message(2, Nack(5, prepare.ballot, Ballot(prepare.ballot.round + 1, 2)), answers.append, 0.1)
        node.link_up(3, 0.1)
        tick = 0
        while not any(isinstance(m, Prepare) for _, m in sent):
            tick += 1
            node.tick(0.1 + tick / 100)
        waits.append(tick / 100)
    return waits
print(json.dumps({"slow": waits_after_failure(True), "reference": waits_after_failure(False)}))
`)) as { slow: number[]; reference: number[] };
    expect(Math.max(...waits.slow)).toBeGreaterThan(1.5);
    expect(Math.max(...waits.slow)).toBeLessThanOrEqual(2.01);
    expect(Math.min(...waits.slow)).toBeLessThan(0.5);
    // The reference skips its backoff once a link is back.
    expect(Math.max(...waits.reference)).toBeLessThanOrEqual(0.31);
  });

  it("--slow dials a refused peer again only after 3 s of quiet", async () => {
    const dials = await python(`
import json, selectors
import peers
def dial_times(timing):
    times = []
    def refused(host, port):
        times.append(now)
        return None
    peers.start_connect = refused
    links = peers.PeerLinks(1, {2: ("127.0.0.1", 9)}, selectors.DefaultSelector(),
                            deliver=lambda *args: None, link_up=lambda peer: None, timing=timing)
    global now
    for tick in range(140):  # 0 to 6.95 s
        now = tick / 20
        links.tick(now)
    return times
slow = dial_times(peers.SLOW_LINKS)
print(json.dumps({"slow": slow, "reference_count": len(dial_times(peers.FAST_LINKS))}))
`);
    expect(dials).toEqual({ slow: [0, 3, 6], reference_count: expect.any(Number) });
    expect((dials as { reference_count: number }).reference_count).toBeGreaterThan(12);
  });
});
