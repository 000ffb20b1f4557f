/**
 * The fault network as it should be against what Toxiproxy says it is: each link's proxy
 * exists, is enabled or not as wanted, listens where its dialers were sent, forwards to the
 * node it should, and carries exactly the toxics wanted (type, stream, toxicity and every
 * attribute dslab set). Proxies dslab did not create are no concern of a link's.
 */
import type { LinkMismatch } from "../trace/events.ts";
import type { ProxyState, ToxicState } from "./fault-network.ts";

export function diffProxies(
  wanted: readonly ProxyState[],
  actual: ReadonlyMap<string, ProxyState>,
): LinkMismatch[] {
  return wanted.flatMap((link) => diffProxy(link, actual.get(link.name)));
}

function diffProxy(wanted: ProxyState, found: ProxyState | undefined): LinkMismatch[] {
  const link = wanted.name;
  if (!found) {
    return [{ link, what: "proxy", wanted: `a proxy named ${link}`, found: "no such proxy" }];
  }
  const mismatches: LinkMismatch[] = [];
  const field = (what: "enabled" | "listen" | "upstream") => {
    if (found[what] !== wanted[what]) {
      mismatches.push({ link, what, wanted: String(wanted[what]), found: String(found[what]) });
    }
  };
  field("enabled");
  field("listen");
  field("upstream");
  const wantedToxics = describeToxics(wanted.toxics);
  const foundToxics = describeToxics(
    Array.isArray(found.toxics)
      ? found.toxics.map((toxic) => onlyWantedAttributes(toxic, wanted.toxics))
      : [],
  );
  if (wantedToxics !== foundToxics) {
    mismatches.push({ link, what: "toxics", wanted: wantedToxics, found: foundToxics });
  }
  return mismatches;
}

/**
 * Toxiproxy lists every attribute of a toxic's type; dslab sets some. A toxic's other
 * attributes are left out of the comparison, those dslab set are compared.
 */
function onlyWantedAttributes(toxic: ToxicState, wanted: readonly ToxicState[]): ToxicState {
  const same = wanted.find((w) => w.name === toxic.name && w.type === toxic.type);
  if (!same || typeof toxic.attributes !== "object" || toxic.attributes === null) return toxic;
  const attributes = Object.fromEntries(
    Object.keys(same.attributes).map((key) => [key, toxic.attributes[key]]),
  );
  return { ...toxic, attributes };
}

/** The toxics in one line, sorted by name: "none", or "blackhole-downstream-3 timeout/downstream ...". */
function describeToxics(toxics: readonly ToxicState[]): string {
  if (toxics.length === 0) return "none";
  return toxics
    .map((toxic) => {
      const attributes = Object.entries(toxic.attributes ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join(",");
      return `${toxic.name} ${toxic.type}/${toxic.stream} toxicity=${toxic.toxicity} ${attributes}`;
    })
    .sort()
    .join("; ");
}
