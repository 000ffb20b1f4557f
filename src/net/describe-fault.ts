/** One short human phrase per fault, for error messages and reports. */
import type { Fault } from "../trace/events.ts";

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case "latency":
      return `latency ${fault.latencyMs}±${fault.jitterMs} ms ${fault.direction} on ${fault.link}`;
    case "blackhole":
      return `blackhole ${fault.direction} on ${fault.link}`;
    case "reset":
      return `connection reset ${fault.direction} on ${fault.link}`;
    case "truncate":
      return `truncate after ${fault.bytes} bytes ${fault.direction} on ${fault.link}`;
    case "slice":
      return `slice into ~${fault.averageSize}±${fault.sizeVariation} byte pieces every ${fault.delayUs} µs ${fault.direction} on ${fault.link}`;
    case "bandwidth":
      return `bandwidth ${fault.rateKBps} KB/s ${fault.direction} on ${fault.link}`;
    case "link-down":
      return `link ${fault.link} down`;
    case "crash":
      return `crash ${fault.node}, restart after ${fault.restartAfterMs} ms`;
    case "pause":
      return `pause ${fault.node}`;
  }
}
