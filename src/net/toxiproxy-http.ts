/**
 * toxiproxy-node-client's object model (Toxiproxy, Proxy, Toxic) over an HTTP layer of our
 * own: the client's fetch has no timeout and throws away the server's error body
 * ("proxy already exists", "invalid toxic type"), which is what a user needs to see.
 */
import { Toxiproxy } from "toxiproxy-node-client";
import { HttpClient, type HttpResponse } from "toxiproxy-node-client/dist/HttpClient.js";

export const DEFAULT_API_TIMEOUT_MS = 5_000;

export class ToxiproxyApiError extends Error {
  readonly status: number | undefined;
  /** The server took the request and never answered (see FaultNetwork's repair). */
  readonly timedOut: boolean;
  constructor(message: string, status?: number, cause?: unknown, timedOut = false) {
    super(message, { cause });
    this.name = "ToxiproxyApiError";
    this.status = status;
    this.timedOut = timedOut;
  }
}

/** Every request bounded by a timeout; failures say method, path, status and server text. */
export class TimedHttpClient extends HttpClient {
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    super();
    this.#timeoutMs = timeoutMs;
  }

  override async get<T>(url: string): Promise<HttpResponse<T>> {
    return { data: parseBody<T>(await this.#send("GET", url)) };
  }

  override async post<T>(url: string, body?: unknown): Promise<HttpResponse<T>> {
    return { data: parseBody<T>(await this.#send("POST", url, body)) };
  }

  override async delete(url: string): Promise<void> {
    await this.#send("DELETE", url);
  }

  override getText(url: string): Promise<string> {
    return this.#send("GET", url);
  }

  async #send(method: string, url: string, body?: unknown): Promise<string> {
    const what = `toxiproxy ${method} ${new URL(url).pathname}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        signal: AbortSignal.timeout(this.#timeoutMs),
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
      });
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      const reason = timedOut
        ? `no answer within ${this.#timeoutMs} ms`
        : `${(error as Error).message} (is toxiproxy-server running at ${new URL(url).host}?)`;
      throw new ToxiproxyApiError(`${what}: ${reason}`, undefined, error, timedOut);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ToxiproxyApiError(
        `${what}: ${response.status} ${serverError(text)}`,
        response.status,
      );
    }
    return text;
  }
}

/** A client whose every call has a timeout and a useful error. */
export function toxiproxyClient(apiUrl: string, timeoutMs = DEFAULT_API_TIMEOUT_MS): Toxiproxy {
  const client = new Toxiproxy(apiUrl);
  client.api = new TimedHttpClient(timeoutMs);
  return client;
}

function parseBody<T>(text: string): T {
  return (text.length === 0 ? undefined : JSON.parse(text)) as T;
}

/** The server answers errors as {"error": "...", "status": n}. */
function serverError(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
  } catch {
    // not JSON: show the text itself
  }
  return text.trim().slice(0, 500);
}
