/**
 * Finding 1 of issue 12 under `--runtime docker`: fixtures/hostile/proxy-tamper's server forgets
 * replies after 150 ms, a bug only faults show, and its tamperer tries to switch the faults off.
 * In a container no toxiproxy-server runs beside it, so it goes for the API of the Toxiproxy
 * container that connects to it, which the run network's firewall rejects: the faults stay, the
 * bug shows, and the scenario fails on at-most-once with fault-integrity intact (the process
 * runtime's twin is hostile-proxy-tamper.test.ts). Needs dockerd and the images.
 */
import { describe, expect, it } from "vitest";
import { readTrace } from "../src/trace/reader.ts";
import { requireDocker } from "./support/docker.ts";
import { fixtureRunner, TIME_SCALE } from "./support/e2e.ts";

requireDocker();
const run = fixtureRunner("rpc", TIME_SCALE, "docker");

describe("a node that tries to switch its faults off, in a container", () => {
  it("cannot reach the Toxiproxy API, and its bug fails lost-replies", async () => {
    const summary = await run("../hostile/proxy-tamper", ["lost-replies"], 1);
    const [result] = summary.results;
    if (!result) throw new Error(`no result: ${summary.status} ${summary.build?.reason ?? ""}`);
    const trace = await readTrace(result.tracePath);
    const said = trace.events.flatMap((e) =>
      e.type === "node.log" && e.line.startsWith("tamper:") ? [e.line] : [],
    );
    // It found the Toxiproxy container by its connections, and was turned away.
    expect(said.some((line) => /blocked: the Toxiproxy API at [\d.]+:8474/.test(line))).toBe(true);
    expect(said.some((line) => line.includes("deleting every toxic"))).toBe(false);
    expect(result.harnessError).toBeUndefined();
    expect(result.verdict).toBe("fail");
    const verdictOf = (property: string) =>
      result.checks.find((c) => c.property === property)?.verdict;
    expect(verdictOf("fault-integrity")).toBe("pass");
    expect(verdictOf("at-most-once")).toBe("fail");
  }, 240_000);
});
