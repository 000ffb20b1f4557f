/**
 * Debian's Chromium driven by playwright-core, for the viewer's browser tests, the benchmark and
 * the documentation screenshots (never a downloaded browser). Each launch gets a fresh profile
 * directory, removed on close.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface HeadlessChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(
  viewport = { width: 1440, height: 900 },
): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} not found: install Debian package chromium (apt-get install chromium) to test the HTML trace viewer`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), "dslab-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      args: ARGS,
      headless: true,
      viewport,
      timeout: 60_000,
    });
    return {
      context,
      async close() {
        await context.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
