// Headless Debian Chromium driven by playwright-core (which never downloads a browser of its own).
// Every context is a persistent one in a fresh profile folder of its own, so nothing leaks between
// shoppers — and a profile can be made to block every cookie for real (a content setting in
// Default/Preferences; the CDP cookie switches only hide document.cookie).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Response as PageResponse } from 'playwright-core';

/** CHROMIUM_BIN when set, else Debian's chromium (/usr/bin/chromium, or on PATH); null when missing. */
export function findChromium(): string | null {
  if (process.env.CHROMIUM_BIN) return existsSync(process.env.CHROMIUM_BIN) ? process.env.CHROMIUM_BIN : null;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return Bun.which('chromium');
}

// Without the networking switches Chromium keeps dialling Google's hosts, which this machine refuses.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export const PHONE = { width: 390, height: 844 };
export const LAPTOP = { width: 1280, height: 800 };

export type ContextOptions = {
  /** Block every cookie in this profile (first-party included), as a privacy-minded shopper might. */
  blockCookies?: boolean;
  viewport?: { width: number; height: number };
  /** Another user agent, e.g. an app's built-in browser on a phone. */
  userAgent?: string;
};

export type Browsers = {
  open(options?: ContextOptions): Promise<{ context: BrowserContext; page: Page }>;
  closeAll(): Promise<void>;
};

export function browsers(executablePath: string): Browsers {
  const open: { context: BrowserContext; dir: string }[] = [];
  return {
    async open(options = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'va-chromium-'));
      if (options.blockCookies) {
        mkdirSync(join(dir, 'Default'), { recursive: true });
        writeFileSync(join(dir, 'Default', 'Preferences'), JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }));
      }
      let context: BrowserContext;
      try {
        context = await chromium.launchPersistentContext(dir, {
          executablePath,
          headless: true,
          args: CHROMIUM_ARGS,
          viewport: options.viewport ?? LAPTOP,
          ...(options.userAgent ? { userAgent: options.userAgent } : {}),
          timeout: 20_000,
        });
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      open.push({ context, dir });
      context.setDefaultTimeout(10_000);
      const page = context.pages()[0] ?? (await context.newPage());
      return { context, page };
    },
    async closeAll() {
      for (const { context, dir } of open.splice(0)) {
        await context.close().catch((error) => console.error('browser e2e: closing a context:', error));
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Runs `act` (a click) and returns the answer to the navigation it causes, once the page has loaded. */
export async function navigation(page: Page, act: () => Promise<unknown>): Promise<PageResponse> {
  const answer = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400),
  );
  await act();
  const response = await answer;
  await page.waitForLoadState('load');
  return response;
}

/** Opens `url` and returns its answer (a navigation always has one). */
export async function goto(page: Page, url: string): Promise<PageResponse> {
  const response = await page.goto(url);
  if (!response) throw new Error(`no answer for ${url}`);
  return response;
}
