/**
 * One scenario run, the same for every lab: draw the schedule from the seed, write the trace
 * header, start Toxiproxy and the nodes, put a proxy on every link, run the lab's workload with
 * the nemesis, heal, stop everything, then hand the trace to the checkers. Whatever fails or
 * interrupts the run, everything started is stopped and the trace ends with an `end` event.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CheckResult, NamedChecker } from "../check/types.ts";
import { runSchedule } from "../nemesis/runner.ts";
import { drawSchedule } from "../nemesis/schedule.ts";
import { describeFault } from "../net/describe-fault.ts";
import { FaultNetwork } from "../net/fault-network.ts";
import { freePort } from "../net/free-port.ts";
import { startToxiproxyServer, type ToxiproxyServer } from "../net/toxiproxy-server.ts";
import { ProcessRuntime } from "../runtime/process-runtime.ts";
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
import type { Manifest } from "./manifest.ts";
import { resolveRunArgv } from "./manifest.ts";
import { HARNESS_VERSION } from "./version.ts";

/** What a lab plugs into the common run: its workload and its checkers. */
export interface LabDriver {
  lab: string;
  /** stdout JSON "type"s that are events for this lab. */
  eventTypes: string[];
  checkers: NamedChecker[];
  /** Runs the workload (or probe) while the nemesis works; ends after the final reads. */
  run(ctx: DriverContext): Promise<void>;
}

export interface Endpoint {
  link: string;
  host: string;
  port: number;
}

export interface DriverContext {
  scenario: ScenarioDefinition;
  definition: LabDefinition;
  seed: number;
  timeScale: number;
  emit: (event: TraceEvent) => void;
  now: () => number;
  signal: AbortSignal;
  runtime: NodeRuntime;
  /** The proxy in front of `node` for `client`. */
  endpoint: (client: string, node: string) => Endpoint;
  /** Resolves after the schedule ended and the final heal completed (at once if no faults). */
  nemesisDone: Promise<void>;
}

export interface ScenarioRunRequest {
  driver: LabDriver;
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
}

export type ScenarioVerdict = "pass" | "fail" | "unknown" | "error";

export interface ScenarioResult {
  scenario: string;
  seed: number;
  verdict: ScenarioVerdict;
  points: number;
  maxPoints: number;
  durationMs: number;
  tracePath: string;
  reproduce: string;
  checks: CheckResult[];
  /** The harness's own trouble (Toxiproxy would not start...), not the submission's. */
  harnessError?: string;
  interrupted: boolean;
  faults: number;
  /** The schedule as planned, one phrase per fault ("at 300 ms for 500 ms: blackhole ..."). */
  schedule: string[];
  operations: number;
}

export function scheduleFor(
  request: Pick<ScenarioRunRequest, "definition" | "scenario" | "seed" | "timeScale">,
): ScheduledFault[] {
  const { definition, scenario, seed, timeScale } = request;
  if (!scenario.nemesis) return [];
  const links = definition.clients.flatMap((client) =>
    definition.nodes.map((node) => linkName(client, node)),
  );
  return drawSchedule(seed, scenario.nemesis, { timeScale, links, nodes: definition.nodes });
}

export function linkName(client: string, node: string): string {
  return `${client}-${node}`;
}

export async function runScenario(request: ScenarioRunRequest): Promise<ScenarioResult> {
  const { driver, definition, scenario, seed, timeScale, runDir, signal } = request;
  const now = startClock();
  const schedule = scheduleFor(request);
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
    runtime: "process",
    timeScale,
    nodes: definition.nodes,
    schedule,
    reproduce: request.reproduce,
    params: {
      ...definition.workloadDefaults,
      ...scenario.workload,
      ...(scenario.probe ? { probe: scenario.probe } : {}),
      expectAllOk: scenario.expectAllOk === true,
      // The progress checker itself leaves out calls that overlap a fault or a node outage.
      cleanFromMs: 0,
    },
  });
  const emit = (event: TraceEvent) => writer.emit(event);
  const local = new AbortController();
  const onAbort = () => local.abort();
  signal.addEventListener("abort", onAbort);
  let toxiproxy: ToxiproxyServer | undefined;
  let network: FaultNetwork | undefined;
  let runtime: ProcessRuntime | undefined;
  let harnessError: string | undefined;
  const started = performance.now();
  try {
    toxiproxy = await startToxiproxyServer();
    network = new FaultNetwork(toxiproxy.apiUrl);
    runtime = new ProcessRuntime({
      emit,
      now,
      eventTypes: driver.eventTypes,
      timeScale: Math.max(1, timeScale),
      onFatal: () => local.abort(),
    });
    const specs = await nodeSpecs(request);
    const starts = await Promise.all(specs.map((spec) => (runtime as ProcessRuntime).start(spec)));
    if (starts.every((start) => start.ok)) {
      const endpoints = new Map<string, Endpoint>();
      for (const spec of specs) {
        for (const client of definition.clients) {
          const link = linkName(client, spec.id);
          const listen = await network.addLink(link, `127.0.0.1:${spec.port}`);
          const [host, port] = splitHostPort(listen);
          endpoints.set(link, { link, host, port });
        }
      }
      const nemesisDone = runSchedule(schedule, {
        network,
        runtime,
        emit,
        now,
        signal: local.signal,
      }).then(
        () => undefined,
        (error: unknown) => {
          // The schedule could not be carried out: the verdict is not the submission's fault.
          harnessError = `the nemesis failed: ${error instanceof Error ? error.message : String(error)}`;
          emit({ type: "harness.error", t: now(), message: harnessError });
          local.abort();
        },
      );
      await driver.run({
        scenario,
        definition,
        seed,
        timeScale,
        emit,
        now,
        signal: local.signal,
        runtime,
        nemesisDone,
        endpoint: (client, node) => {
          const found = endpoints.get(linkName(client, node));
          if (!found) throw new Error(`no link ${linkName(client, node)} in this lab`);
          return found;
        },
      });
      await nemesisDone;
    }
  } catch (error) {
    harnessError ??= error instanceof Error ? error.message : String(error);
    emit({ type: "harness.error", t: now(), message: harnessError });
  } finally {
    signal.removeEventListener("abort", onAbort);
    await runtime?.stopAll().catch(() => undefined);
    await network?.destroy().catch(() => undefined);
    await toxiproxy?.stop().catch(() => undefined);
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
  const checks = runCheckers(driver.checkers, writer.trace);
  const result = summarize(request, writer.trace, checks, {
    durationMs: Math.round(performance.now() - started),
    tracePath,
    interrupted,
    ...(harnessError ? { harnessError } : {}),
  });
  await writeFile(join(runDir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

async function nodeSpecs(request: ScenarioRunRequest): Promise<NodeSpec[]> {
  const argv = resolveRunArgv(request.manifest, request.buildDir);
  return Promise.all(
    request.definition.nodes.map(async (id) => ({
      id,
      argv,
      cwd: request.buildDir,
      env: {},
      port: await freePort(),
      peers: [],
      dataDir: join(request.runDir, "data", id),
      tmpDir: join(request.runDir, "tmp", id),
    })),
  );
}

function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(":");
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

/** Checkers are pure, but a bug in one must not take the verdict or the others down. */
export function runCheckers(checkers: NamedChecker[], trace: Trace): CheckResult[] {
  return checkers.map((checker) => {
    try {
      return checker.check(trace);
    } catch (error) {
      return {
        property: checker.property,
        verdict: "unknown",
        summary: `the checker itself failed (a dslab bug, please report it): ${String(error)}`,
        evidence: [],
      };
    }
  });
}

function summarize(
  request: ScenarioRunRequest,
  trace: Trace,
  checks: CheckResult[],
  extra: Pick<ScenarioResult, "durationMs" | "tracePath" | "interrupted" | "harnessError">,
): ScenarioResult {
  let verdict: ScenarioVerdict = "pass";
  if (checks.some((check) => check.verdict === "unknown")) verdict = "unknown";
  if (checks.some((check) => check.verdict === "fail")) verdict = "fail";
  if (extra.harnessError) verdict = "error"; // our failure: no verdict on the submission
  if (extra.interrupted && verdict === "pass") verdict = "unknown";
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
