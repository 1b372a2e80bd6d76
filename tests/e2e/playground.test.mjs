// The rest of watching a run, end to end in headless Chromium: play and
// pause at a chosen speed, the scrubber pausing playback, lesson narration
// following the model, the inspector's contents, the timeline's zoom, pan
// and step view, the architecture strip, explanations of phantom reads, lost
// writes and ahead windows, and a scenario loaded by hand (a bad one is
// refused with a message, keeping what was on screen).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { usePlayground, openPlayground, screenshot, axeViolations, repoRoot } from './harness.mjs';

const context = usePlayground();

/** Sets a range input as a drag does (an input event). */
async function slide(page, testid, value) {
  await page.getByTestId(testid).evaluate((input, v) => {
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

async function open(lesson) {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption(lesson);
  return { page, errors, clock: page.getByTestId('clock') };
}

test('play runs the lesson at the chosen speed and stops at the end; the scrubber pauses', async () => {
  const { page, errors, clock } = await open('read-write-race');
  await slide(page, 'speed', 20);
  assert.equal(await page.getByTestId('speed-label').textContent(), '100x');
  await slide(page, 'speed', -20);
  assert.equal(await page.getByTestId('speed-label').textContent(), '0.010x');
  // At 1/100x the run's 41 ms take about 4 s: it is still playing after
  // its first step, until the scrubber is touched.
  await page.getByTestId('play').click();
  await clock.filter({ hasText: 'step 1 of' }).waitFor();
  assert.equal(await page.getByTestId('play').getAttribute('aria-pressed'), 'true');
  await page.getByTestId('scrubber').dispatchEvent('pointerdown');
  await page.locator('[data-testid=play][aria-pressed=false]').waitFor();
  const paused = await clock.textContent();
  await page.waitForTimeout(300);
  assert.equal(await clock.textContent(), paused, 'paused: the cursor stays');
  // Fast, without pausing at the lesson's parts: plays to the end by
  // itself and stops there.
  await slide(page, 'speed', 20);
  await page.getByTestId('pause-at-parts').uncheck();
  await page.getByTestId('play').click();
  await clock.filter({ hasText: 'done' }).waitFor();
  await page.locator('[data-testid=play][aria-pressed=false]').waitFor();
  assert.deepEqual(errors, []);
});

test('the narration follows the model, and next / previous go where each part is reached', async () => {
  const { page, errors, clock } = await open('read-write-race');
  const beat = page.getByTestId('beat');
  const count = page.getByTestId('beat-count');
  assert.equal(await count.textContent(), '1 of 5');
  // Stepping by hand advances the narration when the model gets there.
  for (let i = 0; i < 2; i++) await page.getByTestId('step').click();
  await clock.filter({ hasText: 'step 2 of' }).waitFor();
  assert.match(await beat.textContent(), /^R missed and read v1/);
  // Next: to where W's delete has happened (step 4), then the stale set (5).
  await page.getByTestId('beat-next').click();
  await clock.filter({ hasText: 'step 4 of' }).waitFor();
  assert.equal(await count.textContent(), '3 of 5');
  await page.getByTestId('beat-next').click();
  await clock.filter({ hasText: 'step 5 of' }).waitFor();
  assert.match(await beat.textContent(), /stale until the TTL/);
  await page.getByTestId('beat-previous').click();
  await clock.filter({ hasText: 'step 4 of' }).waitFor();
  assert.equal(await count.textContent(), '3 of 5');
  assert.deepEqual(errors, []);
});

test('the inspector shows leases, bus partitions and the outbox, and flags what changed', async () => {
  let { page, errors, clock } = await open('leases');
  await page.getByTestId('step').click();
  await clock.filter({ hasText: 'step 1 of' }).waitFor();
  assert.equal(await page.getByTestId('cache-hold').textContent(), 'lease #1, 500 ms left');
  assert.equal(await page.locator('[data-testid=cache-table] tr.changed').count(), 1);
  await page.getByTestId('step').click();
  await clock.filter({ hasText: 'step 2 of' }).waitFor();
  assert.equal(await page.getByTestId('cache-hold').textContent(), 'lease #1, 490 ms left');
  assert.equal(await page.locator('[data-testid=cache-table] tr.changed').count(), 0, 'a countdown is no change');
  assert.deepEqual(errors, []);

  ({ page, errors, clock } = await open('outbox'));
  for (let i = 0; i < 4; i++) await page.getByTestId('step').click();
  await clock.filter({ hasText: 'step 4 of' }).waitFor();
  assert.match(await page.getByTestId('partition').textContent(), /on the way: delete user:123, arrives 161 ms/);
  assert.match(await page.getByTestId('outbox').textContent(), /#0 delete user:123\s*not sent/);
  await page.getByTestId('run').click();
  await clock.filter({ hasText: 'done' }).waitFor();
  assert.match(await page.getByTestId('outbox').textContent(), /#0 delete user:123\s*sent/);
  await screenshot(page, 'inspector-outbox');
  assert.deepEqual(errors, []);
});

test('the timeline zooms, pans and switches to one column per step', async () => {
  const { page, errors } = await open('delayed-double-delete');
  await page.getByTestId('run').click();
  await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();
  const firstX = async () => Number(await page.getByTestId('span').first().getAttribute('x'));
  const fitted = await firstX();
  assert.equal(await page.getByTestId('zoom-out').isDisabled(), true);
  await page.getByTestId('zoom-in').click();
  await page.getByTestId('zoom-in').click();
  assert.equal(await page.getByTestId('zoom-fit').isDisabled(), false);
  assert.notEqual(await firstX(), fitted, 'zoomed: the spans moved');
  await page.getByTestId('pan-left').click();
  await page.getByTestId('zoom-fit').click();
  assert.equal(await firstX(), fitted);
  // One column per step: every span the same width, in trace order.
  await page.getByTestId('axis-steps').click();
  assert.equal(await page.getByTestId('timeline').getAttribute('data-axis'), 'steps');
  const widths = await page
    .getByTestId('span')
    .evaluateAll((spans) => spans.map((s) => Number(s.getAttribute('width')).toFixed(3)));
  assert.equal(new Set(widths).size, 1, `widths ${widths}`);
  const xs = await page.getByTestId('span').evaluateAll((spans) => spans.map((s) => Number(s.getAttribute('x'))));
  assert.deepEqual(xs, [...xs].sort((a, b) => a - b));
  assert.equal(await page.getByTestId('shade-stale').count(), 1);
  await screenshot(page, 'timeline-steps-view');
  assert.deepEqual(errors, []);
});

test('the architecture strip shows the boxes in use and operations on their arrows', async () => {
  const { page, errors, clock } = await open('event-invalidation');
  const nodes = await page.getByTestId('strip-node').allTextContents();
  assert.deepEqual(nodes, ['Clients', 'App', 'Cache', 'Database', 'Event bus', 'Consumer']);
  await page.getByTestId('step').click();
  await clock.filter({ hasText: 'step 1 of' }).waitFor();
  assert.match(await page.getByTestId('token').first().textContent(), /W bus\.publish/);
  await page.getByTestId('step').click();
  await clock.filter({ hasText: 'step 2 of' }).waitFor();
  assert.match((await page.getByTestId('strip-node').allTextContents()).join(), /Event bus1 on the way/);
  assert.deepEqual(errors, []);
});

test('phantom reads, lost writes and ahead windows explain themselves', async () => {
  let { page, errors, clock } = await open('write-behind-crash');
  await page.getByTestId('run').click();
  await clock.filter({ hasText: 'done' }).waitFor();
  const explanation = page.getByTestId('explanation');
  await page.getByTestId('mark-phantom').click();
  await explanation.filter({ hasText: 'never had' }).waitFor();
  assert.match(await explanation.textContent(), /^W2 cached its value at 11 ms .* R read it from the cache at 21 ms/);
  assert.equal(await page.locator('rect.span.highlight').count(), 3);
  await page.getByTestId('mark-lost').first().click();
  await explanation.filter({ hasText: 'lost' }).waitFor();
  assert.match(await explanation.textContent(), /^W1 at 1 ms and W2 at 11 ms acknowledged/);
  // Before the crash the marks are not there: nothing is lost yet.
  await page.getByTestId('scrubber').evaluate((input) => {
    input.value = '3';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await clock.filter({ hasText: 'step 3 of' }).waitFor();
  assert.equal(await page.getByTestId('mark-lost').count(), 0);
  assert.equal(await page.getByTestId('mark-phantom').count(), 0);
  assert.deepEqual(errors, []);

  ({ page, errors, clock } = await open('cache-then-db'));
  await page.getByTestId('run').click();
  await clock.filter({ hasText: 'done' }).waitFor();
  await page.getByTestId('shade-ahead').click();
  await page.getByTestId('explanation').filter({ hasText: 'ahead' }).waitFor();
  assert.match(await page.getByTestId('explanation').textContent(), /^W2 cached its value at 1 ms before committing it/);
  // Any operation: its details.
  await page.getByTestId('span').first().click();
  await page.getByTestId('explanation').filter({ hasText: 'issued at' }).waitFor();
  assert.match(await page.getByTestId('explanation').textContent(), /^W1 \(app 0\) cache\.set user:123: issued at 0 ms, took effect at 1 ms/);
  assert.deepEqual(errors, []);
});

test('a scenario loaded by hand runs; a bad one is refused with a message and the page keeps its state', async () => {
  const { page, errors, clock } = await open('cache-aside-basics');
  await page.getByTestId('step').click();
  await clock.filter({ hasText: 'step 1 of 4' }).waitFor();
  await page.locator('details.loader summary').click();
  await page.getByTestId('scenario-json').fill('{"name": "broken", "keys": 3}');
  await page.getByTestId('scenario-load').click();
  const message = page.getByTestId('message');
  await message.waitFor();
  assert.match(await message.textContent(), /^This scenario was not loaded: /);
  assert.match(await clock.textContent(), /step 1 of 4/, 'the last good state is kept');

  await page.getByTestId('scenario-edit-current').click();
  const json = JSON.parse(await page.getByTestId('scenario-json').inputValue());
  assert.equal(json.name, 'cache-aside basics');
  json.name = 'mine';
  json.requests.push({ id: 'R3', op: 'read', key: 'user:123', at_ms: 30 });
  await page.getByTestId('scenario-json').fill(JSON.stringify(json));
  await page.getByTestId('scenario-load').click();
  await page.getByTestId('lesson-title').filter({ hasText: 'Your scenario: mine' }).waitFor();
  await page.getByTestId('run').click();
  await clock.filter({ hasText: 'step 5 of 5 · done' }).waitFor();
  assert.equal(await page.getByTestId('message').count(), 0);
  assert.deepEqual(errors, []);
});

test('the page fits a phone and a projector, in light and dark', async () => {
  for (const [name, options] of [
    ['phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
    ['projector-dark', { viewport: { width: 1920, height: 1080 }, colorScheme: 'dark' }],
  ]) {
    const { page, errors } = await openPlayground(context.browser, context.server.url, options);
    await page.getByTestId('lesson').selectOption('event-invalidation');
    // On the phone by touch.
    const step = page.getByTestId('step');
    for (let i = 0; i < 3; i++) await (options.hasTouch ? step.tap() : step.click());
    await page.getByTestId('clock').filter({ hasText: 'step 3 of' }).waitFor();
    // Nothing sticks out sideways (the diagrams scroll inside their boxes).
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, `${name}: page wider than the screen by ${overflow}px`);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, name.endsWith('dark') ? 'rgb(21, 23, 27)' : 'rgb(251, 251, 250)', name);
    await screenshot(page, `layout-${name}`);
    assert.deepEqual(errors, []);
  }
});

test('the explorer panel counts every interleaving and opens a failing schedule', async () => {
  const { page, errors, clock } = await open('update-on-write-race');
  await page.getByTestId('explore').click();
  const total = page.getByTestId('explore-total');
  await total.waitFor();
  // As `cachescope explore` counts it (tests/golden/explore.json).
  assert.equal(await total.textContent(), '188 schedules (288 distinct states).');
  assert.match(await page.getByTestId('explore-stale').textContent(), /^6 of 188 schedules: a stale read/);
  assert.match(await page.getByTestId('explore-divergent_at_end').textContent(), /^64 of 188 schedules/);
  assert.match(await page.getByTestId('explore-lost_writes').textContent(), /^0 of 188 schedules/);
  await page.getByTestId('show-stale').click();
  await page.getByTestId('explore-shown').filter({ hasText: 'shortest' }).waitFor();
  await clock.filter({ hasText: 'done' }).waitFor();
  assert.ok((await page.getByTestId('mark-stale').count()) >= 1, 'the stale read is on the timeline');
  await page.getByTestId('show-next-stale').click();
  await page.getByTestId('explore-shown').filter({ hasText: 'schedule 1 with a stale read' }).waitFor();
  assert.ok((await page.getByTestId('mark-stale').count()) >= 1);
  await screenshot(page, 'explorer-update-on-write-race');
  // A lesson with 16 readers has too many orders to count: random orders
  // are drawn instead, with the command line's figures for the same seed.
  await page.getByTestId('lesson').selectOption('stampede');
  await page.getByTestId('explore').click();
  await page.getByTestId('explore-db-reads').waitFor({ timeout: 60_000 });
  const sampled = JSON.parse(execFileSync('cargo', ['run', '--quiet', '--', 'explore', '--sample', '2000',
    join(repoRoot, 'src/lessons/stampede.json')], { cwd: repoRoot, encoding: 'utf8' }));
  assert.match(await total.textContent(), /^16 concurrent requests have too many orders to count \(about \d\.\d × 10\^\d+\)\. 2,000 orders drawn by a random scheduler/);
  assert.match(await page.getByTestId('explore-stale').textContent(),
    new RegExp(`^${sampled.stale.count} of 2,000 orders \\(0%, 95% interval 0%–0\\.19%\\): a stale read`));
  assert.equal(await page.getByTestId('explore-db-reads').textContent(),
    `DB reads per order: ${sampled.db_reads.min} to ${sampled.db_reads.max}, median ${sampled.db_reads.p50}.`);
  await screenshot(page, 'explorer-stampede-sampled');
  // A generated workload: orders are not varied, seeds are, with the
  // command line's figures; the first seed with a stale read opens.
  await page.getByTestId('lesson').selectOption('lease-hot-key');
  await page.getByTestId('explore').click();
  await page.getByTestId('explore-db-reads').waitFor({ timeout: 60_000 });
  const seeds = JSON.parse(execFileSync('cargo', ['run', '--quiet', '--', 'explore', '--sample', '200',
    join(repoRoot, 'src/lessons/lease-hot-key.json')], { cwd: repoRoot, encoding: 'utf8' }));
  assert.match(await total.textContent(), /^A generated workload's requests arrive at drawn instants, so their orders are not varied: the scenario ran as timed on 200 seeds \(1 to 200\) instead/);
  assert.match(await page.getByTestId('explore-stale').textContent(), new RegExp(`^${seeds.stale.count} of 200 runs \\(`));
  assert.equal(await page.getByTestId('explore-db-reads').textContent(),
    `DB reads per run: ${seeds.db_reads.min} to ${seeds.db_reads.max}, median ${seeds.db_reads.p50}.`);
  await page.getByTestId('show-stale').click();
  await page.getByTestId('explore-shown').filter({ hasText: `the first seed with a stale read (seed ${seeds.example_seeds.stale})` }).waitFor();
  await clock.filter({ hasText: 'done' }).waitFor();
  const consistency = await page.getByTestId('consistency').textContent();
  assert.doesNotMatch(consistency, /all [\d,]+ reads fresh/, `a read not fresh on the run shown: ${consistency}`);
  // A pause spans time; this lesson draws nothing at random.
  await page.getByTestId('lesson').selectOption('lock-expiry');
  await page.getByTestId('explore').click();
  await page.getByTestId('explore-db-reads').waitFor({ timeout: 60_000 });
  assert.match(await total.textContent(), /Nothing in it is drawn at random: every seed gave the same run\.$/);
  assert.deepEqual(errors, []);
});

test('faults: a cache crash placed on a write-behind run loses the writes; moved after the flush, none', async () => {
  const { page, errors, clock } = await open('write-behind-crash');
  const faults = page.getByTestId('fault');
  assert.equal(await faults.count(), 1);
  assert.match(await faults.first().textContent(), /cache crash at 500 ms/);
  // Without the crash the flusher writes B at 1,001 ms: nothing is lost.
  await page.getByTestId('fault-remove').click();
  await page.getByTestId('lesson-title').filter({ hasText: 'your version' }).waitFor();
  await page.getByTestId('run').click();
  await clock.filter({ hasText: 'done' }).waitFor();
  assert.equal(await page.getByTestId('mark-lost').count(), 0);
  assert.equal(await page.getByTestId('db-cell').textContent(), 'B @2');
  // A crash at 15 ms, after both acknowledged writes: both are lost.
  await page.getByTestId('fault-kind').selectOption('cache_crash');
  await page.getByTestId('fault-at').fill('15');
  await page.getByTestId('fault-add').click();
  await faults.first().waitFor();
  assert.match(await faults.first().textContent(), /cache crash at 15 ms/);
  await page.getByTestId('run').click();
  await clock.filter({ hasText: 'done' }).waitFor();
  assert.equal(await page.getByTestId('mark-lost').count(), 3, 'two writes and the crash');
  assert.equal(await page.getByTestId('db-cell').textContent(), 'v1 @1');
  // Moved to 2,000 ms, after the flush: nothing lost again.
  await page.getByTestId('fault-start').fill('2000');
  await page.getByTestId('fault-start').dispatchEvent('change');
  await faults.filter({ hasText: 'at 2000 ms' }).waitFor();
  await page.getByTestId('run').click();
  await clock.filter({ hasText: 'done' }).waitFor();
  assert.equal(await page.getByTestId('mark-lost').count(), 0);
  // A fault that lasts is added with its length: an app pause from 100 ms
  // for 300 ms.
  await page.getByTestId('fault-kind').selectOption('app_pause');
  await page.getByTestId('fault-at').fill('100');
  await page.getByTestId('fault-span').fill('300');
  await page.getByTestId('fault-add').click();
  await faults.filter({ hasText: 'app 0 paused 100–400 ms' }).waitFor();
  await page.getByTestId('fault-remove').nth(1).click();
  await faults.nth(1).waitFor({ state: 'detached' });
  // Not a number: one message, nothing changes.
  await page.getByTestId('fault-at').fill('');
  await page.getByTestId('fault-add').click();
  assert.match(await page.getByTestId('fault-error').textContent(), /expected a whole number of milliseconds/);
  assert.equal(await faults.count(), 1);
  // A timed fault in a scheduled lesson is refused with the reason.
  await page.getByTestId('lesson').selectOption('update-on-write-race');
  await page.getByTestId('fault-at').fill('10');
  await page.getByTestId('fault-add').click();
  assert.match(await page.getByTestId('message').textContent(), /in scheduled mode, put faults in the schedule/);
  assert.equal(await page.getByTestId('fault').count(), 0);
  assert.deepEqual(errors, []);
});

test('a fault is moved by dragging its handle on the timeline', async () => {
  const { page, errors, clock } = await open('write-behind-crash');
  const handle = page.getByTestId('fault-handle');
  await handle.waitFor();
  await handle.scrollIntoViewIfNeeded();
  const box = await handle.boundingBox();
  // The axis runs 0 ms (x of the first tick) to the run's end (1021 ms).
  const ticks = await page.locator('.ticks text').evaluateAll((ts) =>
    ts.map((t) => { const r = t.getBoundingClientRect(); return { text: t.textContent, left: r.left, right: r.right }; }),
  );
  const x0 = ticks[0].left;
  const x1 = ticks[ticks.length - 1].right;
  const end = Number(ticks[ticks.length - 1].text.replace(' ms', ''));
  const target = x0 + ((x1 - x0) * 250) / end;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(target, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
  const fault = page.getByTestId('fault');
  await fault.filter({ hasNotText: 'at 500 ms' }).waitFor();
  const at = Number((await fault.textContent()).match(/at (\d+) ms/)[1]);
  assert.ok(Math.abs(at - 250) <= 15, `dropped at ${at} ms`);
  // Still before the flush: both writes are still lost.
  await page.getByTestId('run').click();
  await clock.filter({ hasText: 'done' }).waitFor();
  assert.equal(await page.getByTestId('mark-lost').count(), 3);
  assert.deepEqual(errors, []);
});

test('a fault handle moves with the arrow keys and Delete removes it', async () => {
  const { page, errors } = await open('write-behind-crash');
  const handle = page.getByTestId('fault-handle');
  await handle.waitFor();
  assert.equal(await handle.getAttribute('aria-valuenow'), '500');
  await handle.focus();
  // A hundredth of the visible range (the run's 1,021 ms): about 10 ms.
  await page.keyboard.press('ArrowRight');
  const fault = page.getByTestId('fault');
  await fault.filter({ hasNotText: 'at 500 ms' }).waitFor();
  const at = Number((await fault.textContent()).match(/at (\d+) ms/)[1]);
  assert.ok(at > 500 && at <= 515, `moved to ${at} ms`);
  // The arrow moved the fault, not the transport.
  assert.match(await page.getByTestId('clock').textContent(), /step 0 of/);
  await page.getByTestId('fault-handle').focus();
  await page.keyboard.press('Delete');
  await page.getByTestId('fault').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('fault-handle').count(), 0);
  assert.deepEqual(errors, []);
});

test('a dense run draws its spans on a canvas: those taken effect at each cursor, selectable by a click', async () => {
  const file = join(repoRoot, 'benches', 'page-10k-operations.json');
  const report = JSON.parse(
    execFileSync('cargo', ['run', '--quiet', '--', 'run', file], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 28 }),
  );
  const { page, errors } = await openPlayground(context.browser, context.server.url, { viewport: { width: 1440, height: 900 } });
  await page.locator('details.loader summary').click();
  await page.getByTestId('scenario-json').fill(readFileSync(file, 'utf8'));
  await page.getByTestId('scenario-load').click();
  await page.getByTestId('lesson-title').filter({ hasText: 'Your scenario' }).waitFor();
  const canvas = page.getByTestId('span-canvas');
  await canvas.waitFor();
  assert.equal(await page.getByTestId('span').count(), 0, 'no SVG element per span');
  // At each cursor the canvas holds exactly the operations taken effect
  // there: the operations list's last number, and at the end the report's
  // whole trace.
  const drawnAt = async (step) => {
    await slide(page, 'scrubber', step);
    await page.getByTestId('clock').filter({ hasText: `step ${step} of` }).waitFor();
    const numbers = await page.getByTestId('step-row').count();
    const first = Number(await page.getByTestId('steps').getAttribute('start'));
    await page.waitForFunction((n) => document.querySelector('[data-testid=span-canvas]')?.getAttribute('data-drawn') === String(n), first + numbers - 1);
    return Number(await canvas.getAttribute('data-drawn'));
  };
  const total = Number(await page.getByTestId('scrubber').getAttribute('max'));
  for (const step of [total, 10, 4000, 2500, total - 1]) {
    assert.ok((await drawnAt(step)) > 0, `drawn at step ${step}`);
  }
  assert.equal(await drawnAt(total), report.trace.length, 'at the end: every operation of the report');
  // Pixels: something is drawn where the spans are.
  const inked = await canvas.evaluate((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  });
  assert.ok(inked > 10_000, `${inked} pixels drawn`);
  // A click on a span selects its operation. One column per step: the
  // first operation's column, tried on each lane until one holds it.
  await page.getByTestId('axis-steps').click();
  const box = await canvas.boundingBox();
  const steps = report.trace.length;
  const x = ((110 + (1000 - 110 - 10) * (0.5 / steps)) / 1000) * box.width;
  let selected = false;
  for (let lane = 0; lane < 6 && !selected; lane++) {
    const y = ((20 + lane * 30 + 15) / (await page.getByTestId('timeline').evaluate((svg) => svg.viewBox.baseVal.height))) * box.height;
    await page.mouse.click(box.x + x, box.y + y);
    selected = /issued at/.test((await page.getByTestId('explanation').allTextContents()).join(' '));
  }
  assert.ok(selected, 'a click on the first column selected an operation');
  const first = report.trace[0];
  assert.match(await page.getByTestId('explanation').textContent(), new RegExp(`^${first.actor} .*issued at ${first.start_ms} ms, took effect at ${first.end_ms} ms`));
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, 'dense-run-canvas');
  assert.deepEqual(errors, []);
  await page.close();
});
