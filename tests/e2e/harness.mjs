// Shared harness for the end-to-end tests: serves the built playground
// (dist/) on loopback and drives Debian's Chromium through playwright-core.
// Never downloads a browser: the executable is the system one.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const distDir = resolve(process.env.CACHESCOPE_DIST ?? join(repoRoot, 'dist'));
/**
 * The page built with the switches only tests use (`?panic=1`), which the
 * release in dist/ has not: scripts/test-all.sh builds it before the
 * end-to-end tests (CACHESCOPE_TEST_SWITCHES set, its own target folder).
 */
export const testSwitchesDistDir = resolve(
  process.env.CACHESCOPE_TEST_SWITCHES_DIST ?? join(repoRoot, 'target', 'e2e', 'dist-test-switches'),
);
export const artifactDir = join(repoRoot, 'target', 'e2e');

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
};

/**
 * Serves dist/ (or `dir`) on 127.0.0.1 at a free port, at `prefix` (a
 * sub-folder such as '/cachescope/', as a documentation site would host
 * it; outside it, 404). Resolves to { url, close }; `url` is the folder's
 * address.
 */
export async function serveDist(prefix = '/', dir = distDir) {
  const server = createServer(async (req, res) => {
    const whole = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!whole.startsWith(prefix)) {
      res.writeHead(404).end('not found');
      return;
    }
    const path = `/${whole.slice(prefix.length)}`;
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/** Launches headless Chromium with no network beyond loopback. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Opens the playground and fails the test on any page error. */
export async function openPlayground(browser, url, options = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, ...options });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(url);
  await page.getByTestId('step').waitFor();
  return { page, errors };
}

/** Saves a full-page screenshot under target/e2e/. */
export async function screenshot(page, name) {
  await mkdir(artifactDir, { recursive: true });
  const path = join(artifactDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Registers the suite's setup and teardown: the built page served on
 * loopback and one headless browser. Returns an object whose `server` and
 * `browser` are filled in before the tests run.
 */
export function usePlayground() {
  const context = { server: null, browser: null };
  before(async () => {
    context.server = await serveDist();
    context.browser = await launchBrowser();
  });
  after(async () => {
    await context.browser?.close();
    await context.server?.close();
  });
  return context;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is. */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    // Through the debugger protocol: the page's CSP does not apply.
    await page.evaluate(axeSource);
  }
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
