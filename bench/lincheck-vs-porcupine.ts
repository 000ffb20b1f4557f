/**
 * dslab's linearizability search against Porcupine (bench/porcupine, v1.3.1) on the same real
 * Jepsen histories (fixtures/linearizability), one after the other, Porcupine with GOMAXPROCS=1:
 * per file the best of at least N runs of each (more for small files, until 200 ms are spent), the ratio dslab/Porcupine, and each side's peak memory
 * (a fresh process per file); then the totals for the etcd set and each kv file. Verdicts are
 * compared with expected.tsv on both sides. dslab's time is the verdict alone, as Porcupine's
 * CheckOperations gives it; the "evidence" column adds the smallest contradictory set.
 * Usage: node bench/lincheck-vs-porcupine.ts [repeats (default 5)] [data dir]
 * (internally also: --side <repeats> files... and --maxrss file, one side's measurements)
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { HISTORY_MODELS } from "../src/lincheck/history-models.ts";

const modelOf = (file: string) => (file.endsWith(".log") ? "etcd" : "kv");
const nameOf = (file: string) => basename(file).replace(/\.(log|txt)$/, "");

/** Times one file's check (not its parsing) `repeats` times: [verdict, best ms, median ms, evidence ms]. */
function measure(file: string, repeats: number): [string, number, number, number] {
  const checker = HISTORY_MODELS[modelOf(file)];
  if (!checker) throw new Error(`no model for ${file}`);
  const history = checker.parse(file, readFileSync(file, "utf8"));
  const times: number[] = [];
  let verdict = "";
  // At least `repeats` checks, and more until 200 ms went by (at most 10,000): a small file's
  // best time then is not its first runs' JIT warm-up. bench/porcupine does the same.
  let spent = 0;
  while (times.length < repeats || (spent < 200 && times.length < 10_000)) {
    const started = performance.now();
    verdict = history.verdict({ smallest: false });
    times.push(performance.now() - started);
    spent += times.at(-1) ?? 0;
  }
  const started = performance.now();
  history.check({});
  const withEvidence = performance.now() - started;
  times.sort((a, b) => a - b);
  return [verdict, times[0] ?? 0, times[Math.floor(times.length / 2)] ?? 0, withEvidence];
}

const args = process.argv.slice(2);
if (args[0] === "--side") {
  const repeats = Number(args[1]);
  for (const file of args.slice(2)) {
    const [verdict, best, median, evidence] = measure(file, repeats);
    console.log(
      [nameOf(file), verdict, best.toFixed(3), median.toFixed(3), evidence.toFixed(3)].join("\t"),
    );
  }
} else if (args[0] === "--maxrss") {
  const file = args[1] as string;
  const [verdict, ms] = measure(file, 1);
  console.log([nameOf(file), verdict, ms.toFixed(3), process.resourceUsage().maxRSS].join("\t"));
} else {
  await compare(Number(args[0] ?? 5), resolve(args[1] ?? "fixtures/linearizability"));
}

async function compare(repeats: number, data: string): Promise<void> {
  const expected = new Map(
    readFileSync(join(data, "expected.tsv"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("\t") as [string, string]),
  );
  const etcd = readdirSync(join(data, "jepsen-etcd"))
    .sort()
    .map((f) => join(data, "jepsen-etcd", f));
  const kv = readdirSync(join(data, "kv"))
    .sort()
    .map((f) => join(data, "kv", f));
  const files = [...etcd, ...kv];
  const porcupine = join(tmpdir(), "dslab-porcupine-bench");
  execFileSync("go", ["build", "-o", porcupine, "."], { cwd: "bench/porcupine", stdio: "inherit" });
  // One thread of search each (dslab's is single-threaded JavaScript), one side after the other.
  const oneCore = (command: string, commandArgs: string[]) =>
    execFileSync(command, commandArgs, {
      encoding: "utf8",
      maxBuffer: 2 ** 26,
      env: { ...process.env, GOMAXPROCS: "1" },
    });
  const rows = (text: string) =>
    new Map(
      text
        .trim()
        .split("\n")
        .map((line) => {
          const cells = line.split("\t");
          return [cells[0] as string, cells.slice(1)] as const;
        }),
    );
  const node = process.execPath;
  const script = new URL(import.meta.url).pathname;
  const ours = rows(oneCore(node, [script, "--side", String(repeats), ...files]));
  const theirs = rows(oneCore(porcupine, ["-repeat", String(repeats), ...files]));
  const peak = (command: string, commandArgs: string[]) =>
    Number(rows(oneCore(command, commandArgs)).values().next().value?.[2] ?? 0) / 1024;

  console.log(
    `repeats ${repeats}, best run each; times in ms, memory = peak RSS in MiB of a process checking one file\n`,
  );
  console.log(
    ["file", "verdict", "dslab", "porcupine", "ratio", "evidence", "dslab MiB", "porc. MiB"]
      .map((h, i) => (i === 0 ? h.padEnd(10) : h.padStart(i === 1 ? 16 : 10)))
      .join(""),
  );
  const totals = { etcd: [0, 0], wrong: 0, maxMiB: 0 };
  for (const file of files) {
    const name = nameOf(file);
    const [verdict = "?", best = "0", , evidence = "0"] = ours.get(name) ?? [];
    const [theirVerdict = "?", theirBest = "0"] = theirs.get(name) ?? [];
    const want = expected.get(name);
    if (verdict !== want || theirVerdict !== want) totals.wrong++;
    const mine = Number(best);
    const other = Number(theirBest);
    const ourMiB = peak(node, [script, "--maxrss", file]);
    const theirMiB = peak(porcupine, ["-maxrss", file]);
    totals.maxMiB = Math.max(totals.maxMiB, ourMiB);
    if (file.endsWith(".log")) {
      (totals.etcd[0] as number) += mine;
      (totals.etcd[1] as number) += other;
    }
    const mark = verdict === want ? "" : " WRONG";
    console.log(
      [
        name.padEnd(10),
        `${verdict}${mark}`.padStart(16),
        mine.toFixed(3).padStart(10),
        other.toFixed(3).padStart(10),
        (mine / other).toFixed(2).padStart(10),
        Number(evidence).toFixed(2).padStart(10),
        ourMiB.toFixed(0).padStart(10),
        theirMiB.toFixed(0).padStart(10),
      ].join(""),
    );
  }
  const [ourEtcd = 0, theirEtcd = 0] = totals.etcd;
  console.log(
    `\netcd set (${etcd.length} files): dslab ${ourEtcd.toFixed(1)} ms, Porcupine ${theirEtcd.toFixed(1)} ms, ratio ${(ourEtcd / theirEtcd).toFixed(2)}`,
  );
  console.log(`verdicts different from expected.tsv (either side): ${totals.wrong}`);
  console.log(`dslab's peak memory on any file: ${totals.maxMiB.toFixed(0)} MiB`);
}
