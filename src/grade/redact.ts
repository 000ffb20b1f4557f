/**
 * Text students may read, whatever a submission printed. Every secret (secrets.ts says which)
 * found in a text, in any letter case and however its white space runs, becomes "[hidden]",
 * and the text is cut to a bound. Secrets are looked up by their first characters, one map
 * lookup per position and key length, so thousands of them (other submissions' lines) cost
 * little.
 */

export const REDACTED = "[hidden]";
/** Shorter secrets would garble honest text (and a three-letter name tells little). */
export const MIN_SECRET_CHARS = 4;
/** A secret this long or longer is found by its first KEY_CHARS characters. */
const KEY_CHARS = 16;
/** One student-visible text at most (a build log's tail fits: 4 KiB). */
export const MAX_SHOWN_CHARS = 5000;

export interface Secret {
  text: string;
  /** The scenario the secret describes: its own results may show it (see `sparing`). */
  owner?: string;
}

/** Lower case and one space for every run of white space, with where each character came from. */
interface Normalized {
  text: string;
  /** Per normalized character: the original text's [start, end) it stands for. */
  starts: number[];
  ends: number[];
}

const WHITE_SPACE = /\s/;
/** Printable ASCII, no tabs or line breaks: what most secrets (lines of code) are. */
const PLAIN_ASCII = /^[\u0020-\u007e]*$/;

function normalize(text: string): Normalized {
  let out = "";
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (WHITE_SPACE.test(char)) {
      const start = i;
      while (i + 1 < text.length && WHITE_SPACE.test(text[i + 1] as string)) i++;
      out += " ";
      starts.push(start);
      ends.push(i + 1);
      continue;
    }
    const lower = char.toLowerCase();
    // A character whose lower case is longer (İ) stays as it is: one character for one.
    out += lower.length === 1 ? lower : char;
    starts.push(i);
    ends.push(i + 1);
  }
  return { text: out, starts, ends };
}

/** normalize(text).text, trimmed, and quicker for plain ASCII. */
function normalizedSecret(text: string): string {
  if (PLAIN_ASCII.test(text)) return text.toLowerCase().replaceAll(/\s+/g, " ").trim();
  return normalize(text).text.trim();
}

/** How a secret also shows up when a program prints it as JSON (Python escapes non-ASCII). */
function printedForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const ascii = json.replaceAll(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return [...new Set([secret, json, ascii])];
}

/** The secrets' normalized forms, by their first characters, and whose each one is. */
class SecretIndex {
  readonly #byKey = new Map<number, Map<string, string[]>>();
  /** Forms of no scenario (paths, lines): hidden everywhere. Most secrets are these. */
  readonly #always = new Set<string>();
  /** Forms of scenarios: hidden but in the results of each scenario they describe. */
  readonly #owned = new Map<string, Set<string>>();
  readonly longest: number;

  constructor(secrets: Iterable<Secret>) {
    for (const secret of secrets) {
      for (const form of printedForms(secret.text)) {
        const text = normalizedSecret(form);
        if (text.length < MIN_SECRET_CHARS) continue;
        if (secret.owner === undefined) this.#always.add(text);
        else this.#owned.set(text, (this.#owned.get(text) ?? new Set()).add(secret.owner));
      }
    }
    const forms = new Set([...this.#always, ...this.#owned.keys()]);
    for (const form of forms) {
      const keyLength = form.length >= KEY_CHARS ? KEY_CHARS : MIN_SECRET_CHARS;
      const byKey = this.#byKey.get(keyLength) ?? new Map<string, string[]>();
      this.#byKey.set(keyLength, byKey);
      const key = form.slice(0, keyLength);
      const sameKey = byKey.get(key);
      if (sameKey) sameKey.push(form);
      else byKey.set(key, [form]);
    }
    this.longest = [...forms].reduce((most, form) => Math.max(most, form.length), 0);
  }

  get empty(): boolean {
    return this.#byKey.size === 0;
  }

  /**
   * Every stretch of `text` (normalized) that is a secret, merged where they overlap; those of
   * the `spared` scenario alone are left.
   */
  stretches(text: string, spared: string | undefined): Array<[number, number]> {
    const found: Array<[number, number]> = [];
    for (let i = 0; i < text.length; i++) {
      const longest = this.#startingAt(text, i).find((form) => this.#hides(form, spared));
      if (longest === undefined) continue;
      const end = i + longest.length;
      const last = found.at(-1);
      if (last && i <= last[1]) last[1] = Math.max(last[1], end);
      else found.push([i, end]);
    }
    return found;
  }

  /** The secrets (normalized) that occur in `text`. */
  occurringIn(text: string): Set<string> {
    const normalized = normalize(text).text;
    const occurring = new Set<string>();
    for (let i = 0; i < normalized.length; i++) {
      for (const form of this.#startingAt(normalized, i)) occurring.add(form);
    }
    return occurring;
  }

  #hides(form: string, spared: string | undefined): boolean {
    if (this.#always.has(form)) return true;
    return [...(this.#owned.get(form) ?? [])].some((owner) => owner !== spared);
  }

  /** The secrets (normalized) that `text` (normalized) holds at `i`, longest first. */
  #startingAt(text: string, i: number): string[] {
    const found: string[] = [];
    for (const [keyLength, byKey] of this.#byKey) {
      for (const candidate of byKey.get(text.slice(i, i + keyLength)) ?? []) {
        if (text.startsWith(candidate, i)) found.push(candidate);
      }
    }
    return found.sort((a, b) => b.length - a.length);
  }
}

/**
 * The secrets among `candidates` that `publicText` does not already hold: what students read
 * anyway (the lab's own definition, what they are shown) is no secret, and redacting it would
 * only garble honest text.
 */
export function notPublic<T extends Secret>(candidates: T[], publicText: string): T[] {
  const known = new SecretIndex(candidates).occurringIn(publicText);
  return candidates.filter((candidate) => {
    const text = normalizedSecret(candidate.text);
    return text.length >= MIN_SECRET_CHARS && !known.has(text);
  });
}

export class Redactor {
  readonly #index: SecretIndex;
  /** A scenario whose own secrets this redactor shows (in that scenario's results). */
  readonly #spared: string | undefined;

  private constructor(index: SecretIndex, spared?: string) {
    this.#index = index;
    this.#spared = spared;
  }

  static of(secrets: Secret[]): Redactor {
    return new Redactor(new SecretIndex(secrets));
  }

  /** Nothing to hide: texts are only bounded. */
  static none(): Redactor {
    return Redactor.of([]);
  }

  /** The same secrets but those of one scenario alone, for that scenario's own results. */
  sparing(owner: string): Redactor {
    return new Redactor(this.#index, owner);
  }

  /** `text` with every secret replaced by "[hidden]", cut to MAX_SHOWN_CHARS. */
  shown(text: string): string {
    // Enough beyond the bound that a secret the cut keeps a part of is still found whole.
    const kept = text.slice(0, MAX_SHOWN_CHARS + this.#index.longest);
    const scrubbed = this.#scrub(kept);
    if (kept.length === text.length && scrubbed.length <= MAX_SHOWN_CHARS) return scrubbed;
    return `${scrubbed.slice(0, MAX_SHOWN_CHARS)}… (cut at ${MAX_SHOWN_CHARS} characters)`;
  }

  /** A copy of `value` with every string in it (at any depth) passed through `shown`. */
  shownAll<T>(value: T): T {
    return mapStrings(value, (text) => this.shown(text)) as T;
  }

  #scrub(text: string): string {
    if (this.#index.empty) return text;
    const normalized = normalize(text);
    let out = "";
    let from = 0;
    for (const [start, end] of this.#index.stretches(normalized.text, this.#spared)) {
      const originalStart = normalized.starts[start] as number;
      out += `${text.slice(from, originalStart)}${REDACTED}`;
      from = normalized.ends[end - 1] as number;
    }
    return out + text.slice(from);
  }
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]),
    );
  }
  return value;
}
