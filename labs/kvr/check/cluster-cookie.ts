/**
 * cluster-cookie: the cluster has one boot cookie for the whole run (contract rule 8): every
 * KV_BOOT reply, from any node, in any incarnation, gives the same non-zero cookie, and no call
 * carrying that cookie is answered AUTH_REJECTEDCRED.
 */
import { countedVerdict } from "../../../src/check/counted-verdict.ts";
import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import { describeOp } from "../../../src/kv/kv-describe.ts";
import type { Trace } from "../../../src/trace/events.ts";
import { routedOps } from "./transmissions.ts";

export const CLUSTER_COOKIE = "cluster-cookie";
const MAX_EVIDENCE = 20;

export function checkClusterCookie(trace: Trace): CheckResult {
  const evidence: Evidence[] = [];
  let first: { cookie: string; node: string | undefined; event: number; op: number } | undefined;
  let boots = 0;
  const ops = routedOps(trace);
  for (const { op, replies } of ops) {
    if (op.call.proc !== "BOOT") continue;
    for (const s of op.successes) {
      if (s.result.proc !== "BOOT") continue;
      boots++;
      const node = replies.find((r) => r.event === s.event)?.node;
      const cookie = s.result.cookie;
      if (cookie === "0") {
        evidence.push({
          message: `${describeOp(op)}: ${node ?? "a node"} answered cookie 0; the cluster's cookie is never 0.`,
          events: [s.event],
          ops: [op.id],
        });
      } else if (!first) {
        first = { cookie, node, event: s.event, op: op.id };
      } else if (cookie !== first.cookie) {
        evidence.push({
          message: `${describeOp(op)}: ${node ?? "a node"} answered cookie ${cookie}, but ${first.node ?? "a node"} had answered ${first.cookie}: the cluster must have one cookie for the whole run.`,
          events: [first.event, s.event],
          ops: [first.op, op.id],
        });
      }
    }
  }
  for (const { op, sent, replies } of first ? ops : []) {
    for (const r of op.replies) {
      const o = r.reply.outcome;
      if (o.kind !== "auth-error" || o.stat !== "AUTH_REJECTEDCRED") continue;
      const send = op.sends.find((s) => s.send.conn === r.reply.conn && s.send.xid === r.reply.xid);
      const cred = send?.send.cred;
      if (cred?.flavor !== "AUTH_AMO" || cred.cookie !== first?.cookie) continue;
      const node = replies.find((x) => x.event === r.event)?.node;
      evidence.push({
        message: `${describeOp(op)} carried the cluster's cookie ${cred.cookie}, yet ${node ?? "a node"} answered AUTH_REJECTEDCRED (sent to ${sent.length} node(s)).`,
        events: [send?.event ?? op.invokeEvent, r.event],
        ops: [op.id],
      });
    }
  }
  return countedVerdict(CLUSTER_COOKIE, boots, evidence.slice(0, MAX_EVIDENCE), {
    fail: `The nodes do not share one boot cookie: ${evidence[0]?.message ?? ""}`,
    skipped: "No KV_BOOT call was answered, so the cookie could not be compared.",
    pass: `All ${boots} KV_BOOT replies gave the same cookie, ${first?.cookie ?? ""}, and no call with it was rejected.`,
  });
}
