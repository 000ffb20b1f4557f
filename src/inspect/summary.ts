/**
 * The first screen of `dslab inspect`: what ran (lab, scenario, seed, submission, harness),
 * how the nodes lived, which faults were planned and which actually ran, how much traffic
 * there was, the verdicts, and the command that runs it again.
 */

import { describeFault, describeFaultEnd } from "../net/describe-fault.ts";
import { formatChecks, VERDICT_LABEL } from "../report/console.ts";
import type { NemesisEvent, NemesisSkipEvent, Trace, TraceEvent } from "../trace/events.ts";
import type { TraceJudgement } from "./judge.ts";

const ms = (t: number): string => `${t.toFixed(1)} ms`;

/** "build \"make\", run ./server": what a manifest says, when it has the usual shape. */
function describeManifest(manifest: unknown): string {
  if (typeof manifest !== "object" || manifest === null) return "no manifest recorded";
  const { build, run } = manifest as { build?: unknown; run?: unknown };
  const parts = [];
  if (typeof build === "string") parts.push(`build "${build}"`);
  if (Array.isArray(run)) parts.push(`run ${run.join(" ")}`);
  return parts.length > 0 ? parts.join(", ") : JSON.stringify(manifest);
}

/** One phrase per lifecycle event of an incarnation, e.g. "killed 109.9 ms". */
function lifecyclePhrase(e: TraceEvent): string | undefined {
  switch (e.type) {
    case "node.start":
      return `started ${ms(e.t)} (pid ${e.pid})`;
    case "node.ready":
      return `ready ${ms(e.t)}`;
    case "node.failed":
      return `failed ${ms(e.t)}: ${e.reason}`;
    case "node.kill":
      return `killed ${ms(e.t)}`;
    case "node.pause":
      return `paused ${ms(e.t)}`;
    case "node.resume":
      return `resumed ${ms(e.t)}`;
    case "node.exit": {
      const how = e.signal ? `by ${e.signal}` : `with code ${e.code}`;
      return `exited ${ms(e.t)} ${how} (${e.expected ? "killed by dslab" : "on its own"})`;
    }
    default:
      return undefined;
  }
}

function nodeLines(trace: Trace): string[] {
  const incarnations = new Map<string, string[]>();
  for (const e of trace.events) {
    const phrase = lifecyclePhrase(e);
    if (!phrase || !("incarnation" in e)) continue;
    const key = `${e.node} #${e.incarnation}`;
    const phrases = incarnations.get(key) ?? [];
    phrases.push(phrase);
    incarnations.set(key, phrases);
  }
  const lines = [`nodes: ${trace.header.nodes.join(", ")}`];
  for (const [key, phrases] of incarnations) lines.push(`  ${key}: ${phrases.join(", ")}`);
  return lines;
}

function scheduleLines(trace: Trace): string[] {
  const { schedule } = trace.header;
  if (schedule.length === 0) return ["fault schedule: none planned"];
  const lines = [`fault schedule: ${schedule.length} planned`];
  for (const planned of schedule) {
    const started = trace.events.find((e) => e.type === "nemesis.start" && e.id === planned.id);
    const stopped = trace.events.find((e) => e.type === "nemesis.stop" && e.id === planned.id);
    const skipped = trace.events.find(
      (e): e is NemesisSkipEvent => e.type === "nemesis.skip" && e.id === planned.id,
    );
    let ran = skipped ? `skipped: ${skipped.reason}` : "did not run";
    if (started && stopped) ran = `ran ${started.t.toFixed(1)}-${ms(stopped.t)}`;
    else if (started) ran = `started ${ms(started.t)}, never stopped`;
    lines.push(
      `  #${planned.id} at ${planned.atMs} ms for ${planned.durationMs} ms: ${describeFault(planned.fault)}; ${ran}`,
    );
  }
  return lines;
}

/** Faults the nemesis added in answer to the run's events: what each answered, how it ended. */
function reactiveLines(trace: Trace): string[] {
  const starts = trace.events.filter(
    (e): e is NemesisEvent => e.type === "nemesis.start" && e.trigger !== undefined,
  );
  if (starts.length === 0) return [];
  const lines = [`reactive faults: ${starts.length}`];
  for (const start of starts) {
    const stop = trace.events.find(
      (e): e is NemesisEvent => e.type === "nemesis.stop" && e.id === start.id,
    );
    const slot = start.trigger?.slot === undefined ? "" : ` of slot ${start.trigger.slot}`;
    const ran = stop
      ? `ran ${start.t.toFixed(1)}-${ms(stop.t)}${describeFaultEnd(stop)}`
      : `started ${ms(start.t)}, never stopped`;
    const answered =
      start.trigger?.event === "reply"
        ? `'s reply to xid ${start.trigger.xid} on conn ${start.trigger.conn}`
        : `'s decision${slot}`;
    lines.push(
      `  #${start.id} answering ${start.trigger?.node}${answered}: ${describeFault(start.fault)}; ${ran}`,
    );
  }
  return lines;
}

function countLine(trace: Trace): string {
  const count = (type: TraceEvent["type"]) => trace.events.filter((e) => e.type === type).length;
  const sends = trace.events.filter((e) => e.type === "rpc.send");
  const kinds = (["first", "retransmit", "duplicate"] as const).map(
    (kind) => `${sends.filter((s) => s.kind === kind).length} ${kind}`,
  );
  const ops = count("op.invoke");
  const ended = count("op.ok") + count("op.fail") + count("op.info");
  return [
    `counts: ${ops} ops (${count("op.ok")} ok, ${count("op.fail")} failed, ${count("op.info")} indeterminate, ${ops - ended} unfinished)`,
    `${sends.length} transmissions (${kinds.join(", ")})`,
    `${count("rpc.reply")} replies`,
    `${count("conn.open")} connections`,
  ].join("; ");
}

export function summaryLines(trace: Trace, judgement: TraceJudgement): string[] {
  const { header } = trace;
  const end = trace.events.findLast((e) => e.type === "end");
  const last = trace.events.at(-1)?.t ?? 0;
  return [
    `lab ${header.lab}, scenario ${header.scenario}, seed ${header.seed}, time scale ${header.timeScale}`,
    `submission: ${header.submission.path} (${describeManifest(header.submission.manifest)})`,
    `harness: ${header.harness.name} ${header.harness.version} on Node ${header.harness.node}, runtime ${header.runtime}, started ${header.startedAt}`,
    end
      ? `duration: ${ms(end.t)}, ended ${end.status}${end.reason ? ` (${end.reason})` : ""}`
      : `duration: at least ${ms(last)}; the trace has no end event (cut off)`,
    ...nodeLines(trace),
    ...scheduleLines(trace),
    ...reactiveLines(trace),
    countLine(trace),
    `verdict: ${VERDICT_LABEL[judgement.verdict]}${judgement.incomplete ? ` (${judgement.incomplete})` : ""}`,
    ...(judgement.harnessError ? [`      harness error: ${judgement.harnessError}`] : []),
    ...formatChecks(judgement.checks, { onlyProblems: false, moreIn: "dslab check --json" }),
    `reproduce: ${header.reproduce}`,
  ];
}
