/**
 * A real headless Chromium for the browser tests, driven by playwright-core: Debian's binary
 * (or CHROMIUM_PATH), a fresh profile per launch, nothing fetched from the network.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

export function chromiumPath(): string {
  const found = CANDIDATES.find((path) => path && existsSync(path));
  if (!found) {
    throw new Error(
      'The browser tests need Chromium: `apt-get install -y chromium`, or set CHROMIUM_PATH (npm test runs scripts/ensure-browser.mjs for this)',
    );
  }
  return found;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Errors the page threw or logged, for assertions and for failure messages. */
  pageErrors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(
  options: { width?: number; height?: number } = {},
): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'warden-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
    viewport: { width: options.width ?? 1440, height: options.height ?? 900 },
    deviceScaleFactor: 1,
    reducedMotion: 'no-preference',
  });
  const pageErrors: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    context,
    page,
    pageErrors,
    newPage: () => context.newPage(),
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
