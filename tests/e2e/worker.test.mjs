// Heavy work in the page's worker, end to end in headless Chromium: the
// worker's module is fetched on first use (a full page also loads it once
// idle; an embed never until asked); the explorer counts what the command
// line counts and a large run gives the command line's figures, while the
// page keeps moving; Cancel ends the worker at once; and a worker that
// cannot load is a reason in the explorer's panel, while runs go on in the
// page's thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { usePlayground, openPlayground, repoRoot } from './harness.mjs';

const context = usePlayground();

/** Records the worker files a page asks for. */
function workerRequests(page) {
  const seen = [];
  page.on('request', (request) => {
    if (/cachescope-worker/.test(request.url())) seen.push(request.url().split('/').pop());
  });
  return seen;
}

test('an embed fetches no worker module; a full page loads it once idle, before it is asked', async () => {
  const embed = await context.browser.newPage();
  const embedAsked = workerRequests(embed);
  await embed.goto(`${context.server.url}?embed=1&lesson=read-write-race`);
  await embed.getByTestId('step').waitFor();
  await embed.waitForTimeout(4_500);
  assert.deepEqual(embedAsked, [], 'an embed loads only what playing a lesson needs');
  assert.equal(embed.workers().length, 0);
  assert.equal(await embed.locator('html').getAttribute('data-worker-warmed-up'), null);
  await embed.close();

  const page = await context.browser.newPage();
  const asked = workerRequests(page);
  await page.goto(context.server.url);
  await page.getByTestId('step').waitFor();
  assert.deepEqual(asked, [], 'not in the first load');
  await page.waitForEvent('worker', { timeout: 10_000 });
  await page.waitForFunction(() => true);
  await page.waitForTimeout(500);
  assert.ok(asked.includes('cachescope-worker_bg.wasm'), `loaded once idle: ${asked}`);
  // Both workers (the explorer's and the simulating one), and the
  // simulating one warms up.
  await page.locator('html[data-worker-warmed-up]').waitFor({ state: 'attached', timeout: 10_000 });
  assert.equal(page.workers().length, 2);
  await page.close();
});

test('the worker counts as the command line does while the page keeps stepping; Cancel ends it at once', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  const asked = workerRequests(page);
  // Asked before the idle load: fetched on first use.
  await page.getByTestId('lesson').selectOption('leases');
  await page.getByTestId('explore').click();
  const working = page.getByTestId('explore-working');
  await working.waitFor();
  await page.waitForFunction(() => true);
  for (let i = 0; i < 50 && !asked.includes('cachescope-worker_bg.wasm'); i++) await page.waitForTimeout(100);
  assert.ok(asked.includes('cachescope-worker_bg.wasm'), `fetched on first use: ${asked}`);
  // Counting 490,938 schedules takes seconds; the page answers meanwhile.
  await page.waitForFunction(() => /[1-9]\d* states/.test(document.querySelector('[data-testid=explore-working]')?.textContent ?? ''));
  const clock = page.getByTestId('clock');
  const before = await clock.textContent();
  await page.getByTestId('step').click();
  await page.waitForFunction((was) => document.querySelector('[data-testid=clock]').textContent !== was, before);
  assert.equal(await working.count(), 1, 'still counting after a step');
  // Cancel: the panel is idle at once and the counting worker is ended (a
  // full page may load a fresh, idle one later).
  assert.equal(page.workers().length, 1);
  const [counting] = page.workers();
  const ended = new Promise((ok) => counting.once('close', () => ok(true)));
  await page.getByTestId('explore-cancel').click();
  await working.waitFor({ state: 'detached' });
  const timedOut = new Promise((ok) => setTimeout(() => ok(false), 5_000));
  assert.equal(await Promise.race([ended, timedOut]), true, 'the worker is ended, not left counting');
  // Asked again, a new worker counts it to the end: the command line's figures
  // (tests/golden/explore.json).
  await page.getByTestId('explore').click();
  const total = page.getByTestId('explore-total');
  await total.waitFor({ timeout: 120_000 });
  assert.match(await total.textContent(), /^490938 schedules \(/);
  assert.match(await page.getByTestId('explore-stale').textContent(), /^44 of 490938 schedules: a stale read/);
  await page.getByTestId('show-next-stale').click();
  await page.getByTestId('explore-shown').filter({ hasText: 'schedule 1 with a stale read' }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a worker that cannot load is a reason in the panel, and the page goes on', async () => {
  // Its script missing (the Worker's error event), or its module missing
  // (the loader's message).
  for (const [missing, reason] of [
    [/worker_loader\.js/, /^Not explored: the worker's script did not load \(serve every file of the built folder/],
    [/cachescope-worker_bg\.wasm/, /^Not explored: the worker's module did not load: .*serve every file of the built folder/],
  ]) {
    const page = await context.browser.newPage();
    await page.route(missing, (route) => route.abort());
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${context.server.url}?lesson=update-on-write-race`);
    await page.getByTestId('step').waitFor();
    await page.getByTestId('explore').click();
    const refused = page.getByTestId('explore-refused');
    await refused.waitFor();
    assert.match(await refused.textContent(), reason);
    await page.getByTestId('step').click();
    assert.deepEqual(errors, []);
    await page.close();
  }
});

/** Loads `scenario` (an object) with the page's scenario loader. */
async function load(page, scenario) {
  const loader = page.locator('details.loader');
  if (!(await loader.evaluate((d) => d.open))) await loader.locator('summary').click();
  await page.getByTestId('scenario-json').fill(JSON.stringify(scenario));
  await page.getByTestId('scenario-load').click();
}

test('a large run goes to the worker while the page keeps stepping; Cancel ends it; without a worker it runs in the page', async () => {
  const file = `${repoRoot}/benches/page-100k-requests.json`;
  const scenario = JSON.parse(readFileSync(file, 'utf8'));
  // The command line's figures for it.
  const report = JSON.parse(execFileSync('cargo', ['run', '--quiet', '--', 'run', file, '--no-trace'], {
    cwd: repoRoot,
    encoding: 'utf8',
  }));
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=read-write-race`);
  const closed = [];
  page.on('worker', (worker) => worker.once('close', () => closed.push(worker)));
  // Four times the workload, so it is still running while the page is used.
  const longer = { ...scenario, workload: { ...scenario.workload, duration_ms: scenario.workload.duration_ms * 4 } };
  await load(page, longer);
  await page.getByTestId('work').waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=work-progress]')?.value) > 0);
  const clock = page.getByTestId('clock');
  const before = await clock.textContent();
  await page.getByTestId('step').click();
  await page.waitForFunction((was) => document.querySelector('[data-testid=clock]').textContent !== was, before);
  assert.equal(await page.getByTestId('work').count(), 1, 'still simulating after a step');
  await page.getByTestId('work-cancel').click();
  await page.getByTestId('work').waitFor({ state: 'detached' });
  for (let i = 0; i < 50 && closed.length === 0; i++) await page.waitForTimeout(100);
  assert.equal(closed.length, 1, 'the simulating worker is ended, not left running');
  // Run to the end: the command line's figures.
  await load(page, scenario);
  const aggregated = page.getByTestId('aggregated');
  await aggregated.waitFor({ timeout: 60_000 });
  assert.equal(await aggregated.getAttribute('data-simulated-in'), 'worker');
  const metric = async (target, name) => target.locator(`tr[data-metric="${name}"] td`).textContent();
  assert.equal(await metric(aggregated, 'DB reads'), String(report.db.reads));
  assert.equal(await metric(aggregated, 'stale reads'), String(report.stale_reads));
  assert.deepEqual(errors, []);
  await page.close();

  // Without the worker's module: the same run in the page's thread.
  const without = await context.browser.newPage();
  await without.route(/cachescope-worker_bg\.wasm/, (route) => route.abort());
  const pageErrors = [];
  without.on('pageerror', (err) => pageErrors.push(err.message));
  await without.goto(`${context.server.url}?lesson=read-write-race`);
  await without.getByTestId('step').waitFor();
  await load(without, scenario);
  const here = without.getByTestId('aggregated');
  await here.waitFor({ timeout: 60_000 });
  assert.equal(await here.getAttribute('data-simulated-in'), 'page');
  assert.equal(await metric(here, 'DB reads'), String(report.db.reads));
  assert.equal(await metric(here, 'stale reads'), String(report.stale_reads));
  assert.deepEqual(pageErrors, []);
  await without.close();
});
