/**
 * One scenario run, the same for every lab: draw the schedule from the seed, write the trace
 * header, start Toxiproxy and the nodes, put a proxy on every link, run the lab's workload with
 * the nemesis, heal, stop everything, then hand the trace to the checkers. Whatever fails or
 * interrupts the run, everything started is stopped and the trace ends with an `end` event.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_MIN_ANSWERED_CALLS, evidenceChecker } from "../check/evidence.ts";
import { faultIntegrityChecker } from "../check/fault-integrity.ts";
import { judgeCutShort, neverThrows } from "../check/named-checker.ts";
import type { CheckResult, NamedChecker } from "../check/types.ts";
import { settlesWithin } from "../host/settles-within.ts";
import { type ReactionSpec, reactionsOf } from "../nemesis/reactions.ts";
import { runSchedule } from "../nemesis/runner.ts";
import { drawSchedule, type ScheduleOptions } from "../nemesis/schedule.ts";
import { describeFault } from "../net/describe-fault.ts";
import { FaultVerifier } from "../net/fault-verifier.ts";
import { writeTraceHtml } from "../report/html/index.ts";
import type { RunInfrastructure, RuntimeKind } from "../runtime/infrastructure.ts";
import { startInfrastructure } from "../runtime/start-infrastructure.ts";
import type { NodeRuntime, NodeSpec } from "../runtime/types.ts";
import { startClock } from "../trace/clock.ts";
import {
  type EndEvent,
  type ScheduledFault,
  TRACE_FORMAT,
  TRACE_VERSION,
  type Trace,
  type TraceEvent,
} from "../trace/events.ts";
import { TraceWriter } from "../trace/writer.ts";
import type { LabDefinition, ScenarioDefinition } from "./definition.ts";
import type { Endpoint, Lab } from "./lab.ts";
import type { Manifest } from "./manifest.ts";
import { resolveRunArgv } from "./manifest.ts";
import { runWallLimitMs } from "./run-estimate.ts";
import { HARNESS_VERSION } from "./version.ts";

export interface ScenarioRunRequest {
  lab: Lab;
  definition: LabDefinition;
  scenario: ScenarioDefinition;
  seed: number;
  timeScale: number;
  submissionPath: string;
  manifest: Manifest;
  buildDir: string;
  runDir: string;
  reproduce: string;
  signal: AbortSignal;
  /** Run these faults instead of the schedule drawn from the seed (a shrunk schedule). */
  schedule?: ScheduledFault[];
  /** Where nodes run (default process); the rest of the run is the same. */
  runtime?: RuntimeKind;
  /** The hard wall-clock limit (default runWallLimitMs of the scenario). */
  wallLimitMs?: number;
  /** How long an aborted run may take to wind down before it is left behind (default 30 s). */
  abortGraceMs?: number;
  /** Sees every event as it is recorded (the terminal's live status line). */
  onEvent?: (event: TraceEvent) => void;
}

export type ScenarioVerdict = "pass" | "fail" | "unknown" | "error";

export interface ScenarioResult {
  scenario: string;
  seed: number;
  verdict: ScenarioVerdict;
  points: number;
  maxPoints: number;
  durationMs: number;
  /** Where its trace is; "" when the run passed and its folder was not kept (--seeds, no --keep-all). */
  tracePath: string;
  reproduce: string;
  checks: CheckResult[];
  /** The harness's own trouble (Toxiproxy would not start...), not the submission's. */
  harnessError?: string;
  /** trace.html could not be written; the run and its verdict stand. */
  viewerError?: string;
  interrupted: boolean;
  faults: number;
  /** The schedule as planned, one phrase per fault ("at 300 ms for 500 ms: blackhole ..."). */
  schedule: string[];
  operations: number;
}

export function scheduleFor(
  request: Pick<ScenarioRunRequest, "definition" | "scenario" | "seed" | "timeScale">,
): ScheduledFault[] {
  const { scenario, seed } = request;
  if (!scenario.nemesis) return [];
  return drawSchedule(seed, scenario.nemesis, scheduleOptions(request));
}

function scheduleOptions(
  request: Pick<ScenarioRunRequest, "definition" | "scenario" | "timeScale">,
): ScheduleOptions {
  const nodes = scenarioNodes(request.definition, request.scenario);
  const links = labLinks({ clients: request.definition.clients, nodes }).map((link) => link.name);
  return { timeScale: request.timeScale, links, nodes };
}

/** The plan's reactions to the run's events, with their seeded choices. */
function reactionsFor(
  request: Pick<ScenarioRunRequest, "definition" | "scenario" | "seed" | "timeScale">,
): ReactionSpec[] {
  const { scenario, seed } = request;
  if (!scenario.nemesis?.reactions) return [];
  return reactionsOf(seed, scenario.nemesis, scheduleOptions(request));
}

/** A scenario may run the lab with another number of nodes (lab 2: 3 or 5). */
export function scenarioNodes(definition: LabDefinition, scenario: ScenarioDefinition): string[] {
  return scenario.nodes ?? definition.nodes;
}

export function linkName(from: string, to: string): string {
  return `${from}-${to}`;
}

/** A proxied link: who dials (a client or a node) and which node's port it reaches. */
interface LabLink {
  name: string;
  from: string;
  to: string;
  port: "client" | "peer";
}

/**
 * One proxy per client-to-node link and, where a lab has several nodes, one per ordered node
 * pair (it carries the connections `from` opens to `to`'s peer port), in a fixed order.
 */
export function labLinks(definition: Pick<LabDefinition, "clients" | "nodes">): LabLink[] {
  const { clients, nodes } = definition;
  const toClients = clients.flatMap((client) =>
    nodes.map(
      (node): LabLink => ({ name: linkName(client, node), from: client, to: node, port: "client" }),
    ),
  );
  if (nodes.length < 2) return toClients;
  const toPeers = nodes.flatMap((from) =>
    nodes
      .filter((to) => to !== from)
      .map((to): LabLink => ({ name: linkName(from, to), from, to, port: "peer" })),
  );
  return [...toClients, ...toPeers];
}

/** How long an aborted run's body may take to wind down before the run ends without it. */
const DEFAULT_ABORT_GRACE_MS = 30_000;
/** How long stopping a run's nodes, proxies and containers may take before the run ends anyway. */
const STOP_LIMIT_MS = 60_000;

/** Waits for `work`; once `signal` aborts, at most `graceMs` more. True if it settled. */
async function settlesOnceAborted(
  work: Promise<unknown>,
  signal: AbortSignal,
  graceMs: number,
): Promise<boolean> {
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
  const settled = work.then(
    () => true,
    () => true,
  );
  if (await Promise.race([settled, aborted.then(() => false)])) return true;
  return settlesWithin(work, graceMs);
}

export async function runScenario(request: ScenarioRunRequest): Promise<ScenarioResult> {
  const { lab, definition, scenario, seed, timeScale, runDir, signal } = request;
  const now = startClock();
  const schedule = request.schedule ?? scheduleFor(request);
  const nodes = scenarioNodes(definition, scenario);
  await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });
  const tracePath = join(runDir, "trace.jsonl");
  const writer = new TraceWriter(tracePath, {
    type: "header",
    t: 0,
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    lab: definition.lab,
    scenario: scenario.name,
    seed,
    startedAt: new Date().toISOString(),
    harness: { name: "dslab", version: HARNESS_VERSION, node: process.version },
    submission: { path: request.submissionPath, manifest: request.manifest },
    runtime: request.runtime ?? "process",
    timeScale,
    nodes,
    schedule,
    reproduce: request.reproduce,
    params: {
      ...definition.workloadDefaults,
      ...scenario.workload,
      ...(scenario.probe ? { probe: scenario.probe } : {}),
      ...scaleDurations(scenario.params ?? {}, timeScale),
      expectAllOk: scenario.expectAllOk === true,
      minAnsweredCalls: scenario.minAnsweredCalls ?? DEFAULT_MIN_ANSWERED_CALLS,
      // The progress checker itself leaves out calls that overlap a fault or a node outage.
      cleanFromMs: 0,
    },
  });
  // Drivers (and reactive nemeses) watch the run as it is recorded.
  const observers = new Set<(event: TraceEvent) => void>(request.onEvent ? [request.onEvent] : []);
  const emit = (event: TraceEvent) => {
    writer.emit(event);
    for (const observer of observers) observer(event);
  };
  const observe = (observer: (event: TraceEvent) => void) => {
    observers.add(observer);
    return () => observers.delete(observer);
  };
  const local = new AbortController();
  const onAbort = () => local.abort();
  signal.addEventListener("abort", onAbort);
  let infrastructure: RunInfrastructure | undefined;
  let runtime: NodeRuntime | undefined;
  let harnessError: string | undefined;
  const started = performance.now();
  const failed = (message: string) => {
    // Once the run is interrupted, failures are what stopping did (nodes killed, a proxy gone
    // mid-heal), not dslab's: the run is reported as interrupted.
    if (signal.aborted) return;
    harnessError ??= message;
    emit({ type: "harness.error", t: now(), message });
  };
  const wallLimitMs = request.wallLimitMs ?? runWallLimitMs(definition, scenario, timeScale);
  const wallTimer = setTimeout(() => {
    failed(
      `the run passed its wall-clock limit of ${Math.round(wallLimitMs / 1000)} s and was stopped (dslab should have ended it long before: please report it)`,
    );
    local.abort();
  }, wallLimitMs);
  // The run's body: it ends when it ends, but once the run is aborted (the wall-clock limit,
  // Ctrl-C, a node runtime's fatal trouble) it gets a grace (abortGraceMs) more and is left behind
  // after that, so nothing it waits on (a wedged engine, a starved machine) can hang the run.
  const body = (async () => {
    try {
      infrastructure = await startInfrastructure(request.runtime ?? "process", {
        emit,
        now,
        nodes,
        eventTypes: lab.eventTypes,
        timeScale,
        onFatal: () => local.abort(),
        ...(request.manifest.image ? { image: request.manifest.image } : {}),
      });
      // Every fault change is checked on the server, and the network once more at the end.
      const { faultServerPid } = infrastructure;
      const verified = new FaultVerifier(infrastructure.network, {
        emit,
        now,
        ...(faultServerPid ? { serverPid: faultServerPid } : {}),
      });
      const nodeRuntime = infrastructure.runtime;
      runtime = nodeRuntime;
      // Proxies first: every node's DSLAB_PEERS names its peers' proxies.
      const endpoints = new Map<string, Endpoint>();
      for (const link of labLinks({ clients: definition.clients, nodes })) {
        const at = await infrastructure.addLink(link);
        endpoints.set(link.name, { link: link.name, ...at });
      }
      const specs = nodeSpecs(request, nodes, infrastructure, endpoints);
      const starts = await Promise.all(specs.map((spec) => nodeRuntime.start(spec)));
      if (starts.every((start) => start.ok)) {
        const nemesisDone = runSchedule(schedule, {
          network: verified,
          runtime,
          emit,
          now,
          signal: local.signal,
          reactions: reactionsFor(request),
          observe,
        }).then(
          () => undefined,
          (error: unknown) => {
            // The schedule could not be carried out: the verdict is not the submission's fault.
            failed(`the nemesis failed: ${error instanceof Error ? error.message : String(error)}`);
            local.abort();
          },
        );
        await lab.run({
          scenario,
          definition,
          seed,
          nodes,
          timeScale,
          emit,
          now,
          signal: local.signal,
          runtime,
          nemesisDone,
          observe,
          endpoint: (client, node) => {
            const found = endpoints.get(linkName(client, node));
            if (!found) throw new Error(`no link ${linkName(client, node)} in this lab`);
            return found;
          },
        });
        await nemesisDone;
        if (!local.signal.aborted) await verified.verifyAtEnd();
      }
    } catch (error) {
      failed(error instanceof Error ? error.message : String(error));
    }
  })();
  const graceMs = request.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS;
  const bodyEnded = await settlesOnceAborted(body, local.signal, graceMs);
  clearTimeout(wallTimer);
  signal.removeEventListener("abort", onAbort);
  if (!bodyEnded) {
    failed(`the run did not stop within ${graceMs / 1000} s of being aborted, and was left behind`);
  }
  const stopped = infrastructure;
  const stopEnded =
    !stopped ||
    (await settlesWithin(
      stopped.stop().catch(() => undefined),
      STOP_LIMIT_MS,
    ));
  if (!stopEnded) {
    failed(
      `stopping the run's nodes and proxies took over ${STOP_LIMIT_MS / 1000} s; the run was ended without waiting (dslab clean removes what is left of a docker run)`,
    );
  }
  // A body left behind may still start what it was waiting for: stop that too, when it does.
  if (!bodyEnded) {
    void body.then(() => {
      if (infrastructure && infrastructure !== stopped)
        void infrastructure.stop().catch(() => undefined);
    });
  }
  const interrupted = signal.aborted;
  const end: EndEvent = {
    type: "end",
    t: now(),
    status: interrupted ? "interrupted" : harnessError ? "aborted" : "completed",
    ...(runtime?.fatalReason ? { reason: runtime.fatalReason } : {}),
  };
  emit(end);
  writer.close();
  const checks = runCheckers(lab.checkers, writer.trace);
  // The HTML view is a convenience: its failure is recorded, never the run's.
  const viewerError = await writeTraceHtml(writer.trace, checks, join(runDir, "trace.html")).then(
    () => undefined,
    (error: unknown) => `trace.html not written: ${error instanceof Error ? error.message : error}`,
  );
  const result = summarize(request, writer.trace, checks, {
    durationMs: Math.round(performance.now() - started),
    tracePath,
    interrupted,
    ...(harnessError ? { harnessError } : {}),
    ...(viewerError ? { viewerError } : {}),
  });
  await writeFile(join(runDir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function nodeSpecs(
  request: ScenarioRunRequest,
  nodes: string[],
  infrastructure: Pick<RunInfrastructure, "nodePorts">,
  endpoints: Map<string, Endpoint>,
): NodeSpec[] {
  const argv = resolveRunArgv(request.manifest, request.buildDir);
  return nodes.map((id) => ({
    id,
    argv,
    cwd: request.buildDir,
    env: {},
    ...infrastructure.nodePorts(id),
    peers: nodes
      .filter((peer) => peer !== id)
      .map((peer) => {
        const proxy = endpoints.get(linkName(id, peer));
        return { id: peer, host: proxy?.host ?? "127.0.0.1", port: proxy?.port ?? 0 };
      }),
    dataDir: join(request.runDir, "data", id),
    tmpDir: join(request.runDir, "tmp", id),
  }));
}

/** Every number whose key ends in "Ms" is a duration and scales with the run (nested too). */
export function scaleDurations(
  params: Record<string, unknown>,
  timeScale: number,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(params).map(([key, value]) => {
      if (typeof value === "number" && key.endsWith("Ms"))
        return [key, Math.round(value * timeScale)];
      if (value && typeof value === "object" && !Array.isArray(value))
        return [key, scaleDurations(value as Record<string, unknown>, timeScale)];
      return [key, value];
    }),
  );
}

/**
 * Every checker on the trace, the lab's and then those of every lab: evidence (a run passes
 * only on evidence) and fault-integrity (the faults were really in force); a run cut short
 * cannot fail a liveness property. Checkers are pure, but a bug in one must not take the
 * verdict or the others down.
 */
export function runCheckers(checkers: NamedChecker[], trace: Trace): CheckResult[] {
  return [...checkers, evidenceChecker, faultIntegrityChecker].map((checker) =>
    judgeCutShort(neverThrows(checker.property, checker.check)(trace), checker.kind, trace),
  );
}

/** A run's verdict from its checks; `dslab check` judges a recorded trace the same way. */
export function scenarioVerdict(
  checks: CheckResult[],
  run: { harnessError?: string; interrupted: boolean },
): ScenarioVerdict {
  let verdict: ScenarioVerdict = "pass";
  if (checks.some((check) => check.verdict === "unknown")) verdict = "unknown";
  if (checks.some((check) => check.verdict === "fail")) verdict = "fail";
  if (run.harnessError) verdict = "error"; // our failure: no verdict on the submission
  if (run.interrupted && verdict === "pass") verdict = "unknown";
  return verdict;
}

function summarize(
  request: ScenarioRunRequest,
  trace: Trace,
  checks: CheckResult[],
  extra: Pick<
    ScenarioResult,
    "durationMs" | "tracePath" | "interrupted" | "harnessError" | "viewerError"
  >,
): ScenarioResult {
  const verdict = scenarioVerdict(checks, extra);
  return {
    scenario: request.scenario.name,
    seed: request.seed,
    verdict,
    points: verdict === "pass" ? request.scenario.points : 0,
    maxPoints: request.scenario.points,
    reproduce: request.reproduce,
    checks,
    faults: trace.events.filter((event) => event.type === "nemesis.start").length,
    schedule: trace.header.schedule.map(
      (s) => `at ${s.atMs} ms for ${s.durationMs} ms: ${describeFault(s.fault)}`,
    ),
    operations: trace.events.filter((event) => event.type === "op.invoke").length,
    ...extra,
  };
}
