// Tune and compare, end to end in headless Chromium: every group of knobs
// changes the run as the command line predicts for the same scenario; the
// charts' data follow the cursor and match the report; comparing write
// strategies gives the command line's figures for each; a 100,000-request
// workload is simulated in slices (progress, cancel) and shown aggregated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { usePlayground, openPlayground, screenshot, repoRoot, artifactDir } from './harness.mjs';

const context = usePlayground();

/** The native command line's report of `scenario` (an object), no trace. */
function cliReport(scenario, name) {
  mkdirSync(artifactDir, { recursive: true });
  const file = `${artifactDir}/tune-${name}.json`;
  writeFileSync(file, JSON.stringify(scenario));
  const out = execFileSync('cargo', ['run', '--quiet', '--', 'run', file, '--no-trace'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/** The scenario on screen, as the page exports it to its loader. */
async function scenarioOnScreen(page) {
  const loader = page.locator('details.loader');
  if (!(await loader.evaluate((d) => d.open))) await loader.locator('summary').click();
  await page.getByTestId('scenario-edit-current').click();
  return JSON.parse(await page.getByTestId('scenario-json').inputValue());
}

/** A chart canvas's data attribute, as a number. */
async function chartData(page, metric, attribute) {
  return Number(await page.getByTestId(`chart-${metric}`).locator('canvas').getAttribute(`data-${attribute}`));
}

/** Types into a knob's field and applies it (Enter). */
async function setKnob(page, id, value) {
  const field = page.getByTestId(`knob-${id}`);
  if ((await field.evaluate((e) => e.tagName)) === 'SELECT') {
    await field.selectOption(value);
  } else {
    await field.fill(String(value));
    await field.press('Enter');
  }
}

/** Runs to the end and checks the page against the command line. */
async function assertMatchesCli(page, label) {
  await page.getByTestId('run').click().catch(() => {});
  await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();
  const scenario = await scenarioOnScreen(page);
  const report = cliReport(scenario, label);
  const clock = await page.getByTestId('clock').textContent();
  assert.match(clock, new RegExp(`^t = ${report.end_ms} ms`), `${label}: ${clock}`);
  assert.equal(await chartData(page, 'db-reads', 'sum'), report.db.reads, `${label}: DB reads`);
  assert.equal(await chartData(page, 'db-concurrency', 'max'), report.db.peak_concurrent_reads, `${label}: peak`);
  assert.equal(await chartData(page, 'stale-reads', 'last'), report.stale_reads, `${label}: stale reads`);
  // The consistency figures at the end are the report's.
  const consistency = page.getByTestId('consistency');
  const c = report.consistency;
  const some = (ms) => (ms === null ? 'None' : `Some(${ms})`);
  assert.equal(await consistency.getAttribute('data-reads'), String(c.reads), `${label}: reads`);
  assert.equal(await consistency.getAttribute('data-fresh-reads'), String(c.fresh_reads), `${label}: fresh`);
  assert.equal(await consistency.getAttribute('data-nines'), c.nines === null ? '' : String(c.nines), `${label}: nines`);
  assert.equal(
    await consistency.getAttribute('data-visible'),
    `${some(c.visible_p50_ms)} ${some(c.visible_p99_ms)} ${some(c.visible_max_ms)}`,
    `${label}: visible`,
  );
  assert.equal(await consistency.getAttribute('data-never'), String(c.never_visible), `${label}: never`);
  assert.equal(await chartData(page, 'lost-writes', 'last'), report.lost_writes, `${label}: lost writes`);
  return { scenario, report };
}

test('each group of knobs changes the run as the command line predicts; a bad value is refused in place', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption('stampede');
  const before = await assertMatchesCli(page, 'stampede');
  assert.equal(before.report.db.reads, 12);

  // Strategy: leases make one DB read of twelve.
  await setKnob(page, 'strategy-stampede', 'lease');
  let now = await assertMatchesCli(page, 'lease');
  assert.equal(now.scenario.strategy.stampede, 'lease');
  assert.equal(now.scenario.seed, before.scenario.seed);
  assert.equal(now.report.db.reads, 1);
  // TTL.
  await setKnob(page, 'strategy-ttl-ms', 150);
  now = await assertMatchesCli(page, 'ttl');
  assert.equal(now.scenario.strategy.ttl_ms, 150);
  // Latencies.
  await setKnob(page, 'latency-ms-db-read', 300);
  now = await assertMatchesCli(page, 'latency');
  assert.equal(now.scenario.latency_ms.db_read, 300);
  // System.
  await setKnob(page, 'apps', 2);
  await setKnob(page, 'keys', 3);
  await setKnob(page, 'seed', 7);
  now = await assertMatchesCli(page, 'system');
  assert.deepEqual([now.scenario.apps, Object.keys(now.scenario.keys).length, now.scenario.seed], [2, 3, 7]);
  // Bus: an event channel with a lossy bus (the bus knobs apply then).
  await setKnob(page, 'strategy-channel', 'event');
  await setKnob(page, 'bus-loss', 0.5);
  await setKnob(page, 'bus-partitions', 2);
  await setKnob(page, 'bus-partition-lag-ms', '0, 40');
  now = await assertMatchesCli(page, 'bus');
  assert.deepEqual(now.scenario.bus.partition_lag_ms, [0, 40]);
  assert.equal(now.scenario.bus.loss, 0.5);

  // A bad value: one message beside the field, the typed text kept, the
  // run unchanged.
  const clock = await page.getByTestId('clock').textContent();
  await setKnob(page, 'bus-loss', 1.5);
  assert.match(await page.getByTestId('knob-bus-loss-error').textContent(), /probability from 0 to 1/);
  assert.equal(await page.getByTestId('knob-bus-loss').inputValue(), '1.5');
  await setKnob(page, 'strategy-ttl-ms', 'soon');
  assert.match(await page.getByTestId('knob-strategy-ttl-ms-error').textContent(), /whole number/);
  assert.equal(await page.getByTestId('clock').textContent(), clock);
  assert.equal((await scenarioOnScreen(page)).bus.loss, 0.5);

  // Workload: the scripted requests replaced by a generated workload,
  // then its rate and skew tuned.
  await page.getByTestId('make-workload').click();
  await setKnob(page, 'workload-reads-per-s', 400);
  await setKnob(page, 'workload-zipf-s', 1.5);
  now = await assertMatchesCli(page, 'workload');
  assert.equal(now.scenario.workload.reads_per_s, 400);
  assert.equal(now.scenario.workload.zipf_s, 1.5);
  await screenshot(page, 'tune-knobs');
  assert.deepEqual(errors, []);
});

test('charts follow the cursor, match the report, draw non-empty canvases and show values on hover', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption('write-behind-crash');
  const { report } = await assertMatchesCli(page, 'write-behind-crash');
  assert.ok(report.lost_writes > 0);
  // Drawn: the canvas has plenty of non-white pixels (charts are drawn
  // while on screen: looked at, as a person would).
  for (const metric of ['db-reads', 'db-concurrency', 'hit-ratio', 'stale-reads', 'latency', 'lost-writes']) {
    const canvas = page.getByTestId(`chart-${metric}`).locator('canvas');
    await canvas.scrollIntoViewIfNeeded();
    const inked = await canvas.evaluate(
      (canvas) =>
        new Promise((done) => {
          const count = () => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) n++;
            return n;
          };
          // Drawn within a few frames of coming into view.
          let frames = 0;
          const look = () => (count() > 500 || ++frames > 60 ? done(count()) : requestAnimationFrame(look));
          look();
        }),
    );
    assert.ok(inked > 500, `${metric}: ${inked} inked pixels`);
  }
  // Back at the start, nothing has happened yet: the charts show no lost
  // write (the crash is in the future).
  await page.getByTestId('reset').click();
  assert.equal(await chartData(page, 'lost-writes', 'last'), 0);
  assert.equal(await chartData(page, 'db-reads', 'sum'), 0);
  // Hover: the bucket's values.
  const canvas = page.getByTestId('chart-lost-writes').locator('canvas');
  await page.getByTestId('run').click();
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  // (Playwright places the pointer relative to the canvas where it is when
  // it moves: panels below the run may settle their size on screen.)
  await canvas.hover({ position: { x: box.width * 0.95, y: box.height / 2 } });
  assert.match(await page.getByTestId('chart-lost-writes-hover').textContent(), /^\d+-\d+ ms: lost writes \d+/);
  assert.deepEqual(errors, []);
});

test('comparing write strategies gives the command line figures of each, and any opens on the timeline', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption('read-write-race');
  const base = await scenarioOnScreen(page);
  await page.getByTestId('compare-writes').click();
  const rows = page.getByTestId('compare-table').locator('tbody tr');
  await rows.nth(6).waitFor();
  await page.locator('[data-testid=work]').waitFor({ state: 'detached' });
  assert.equal(await rows.count(), 7);
  for (let i = 0; i < 7; i++) {
    const row = rows.nth(i);
    const label = await row.getAttribute('data-label');
    // A variant whose operations do not fit the race's schedule runs timed.
    const write = label.replace(/ \(timed\)$/, '');
    const scenario = structuredClone(base);
    if (label.endsWith('(timed)')) delete scenario.schedule;
    scenario.strategy = { ...scenario.strategy, write };
    if (!['invalidate', 'update'].includes(write)) scenario.strategy.channel = 'inline';
    if (write !== 'invalidate') scenario.strategy.double_delete_ms = null;
    const report = cliReport(scenario, `compare-${write}`);
    const cell = async (name) => row.locator(`td[data-column="${name}"]`).textContent();
    assert.equal(await cell('stale reads'), String(report.stale_reads), `${write} stale reads`);
    assert.equal(await cell('stale ms'), String(report.stale_ms), `${write} stale ms`);
    assert.equal(await cell('ahead ms'), String(report.ahead_ms), `${write} ahead ms`);
    assert.equal(await cell('lost writes'), String(report.lost_writes), `${write} lost writes`);
    assert.equal(await cell('DB reads'), String(report.db.reads), `${write} DB reads`);
    const pair = (p50, p99) => (p50 === null ? '–' : `${p50}/${p99}`);
    const l = report.latency_ms;
    assert.equal(await cell('read p50/p99'), pair(l.read_p50, l.read_p99), `${write} read p50/p99`);
    assert.equal(await cell('write p50/p99'), pair(l.write_p50, l.write_p99), `${write} write p50/p99`);
    const c = report.consistency;
    assert.equal(await cell('nines'), c.nines === null ? '–' : `${c.all_fresh ? '≥' : ''}${c.nines}`, `${write} nines`);
    assert.equal(await cell('visible p50/p99'), pair(c.visible_p50_ms, c.visible_p99_ms), `${write} visible`);
    assert.equal(await cell('never visible'), String(c.never_visible), `${write} never visible`);
  }
  // Invalidate-on-write is not always consistent: this race leaves a stale
  // entry with it, not with write-through.
  assert.notEqual(await rows.nth(0).locator('td[data-column="stale ms"]').textContent(), '0');
  // One chart overlays them all.
  const overlay = page.getByTestId('overlay-stale-reads').locator('canvas');
  assert.equal(await overlay.getAttribute('data-lines'), '7');
  // Open write_through on the timeline.
  await page.getByTestId('compare-open-4').click();
  assert.equal(await page.getByTestId('knob-strategy-write').inputValue(), 'write_through');
  await page.getByTestId('run').click();
  await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();
  // Stampede protections too, on the stampede lesson.
  await page.getByTestId('lesson').selectOption('stampede');
  await page.getByTestId('compare-stampede').click();
  await page.getByTestId('compare-table').locator('tbody tr').nth(6).waitFor();
  await page.locator('[data-testid=work]').waitFor({ state: 'detached' });
  const reads = await page.getByTestId('compare-table').locator('td[data-column="DB reads"]').allTextContents();
  assert.equal(reads.length, 7);
  assert.equal(reads[0], '12');
  assert.equal(reads[3], '1');
  await screenshot(page, 'tune-compare');
  assert.deepEqual(errors, []);
});

test('a chart answers its question in words, shows its numbers on request, and reads out the bucket at the pointer', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=stampede`);
  await page.getByTestId('run').click();
  await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();
  // The twelve readers' DB reads start together: one bar of 12, said so.
  const chart = page.getByTestId('chart-db-reads');
  assert.match(await page.getByTestId('chart-db-reads-description').textContent(), /^DB reads started per \d+ ms: peak 12 at \d+-\d+ ms/);
  const canvas = chart.locator('canvas');
  assert.equal(await canvas.getAttribute('data-max'), '12');
  // Screen readers get the sentence: the canvas is an image described by it.
  assert.equal(await canvas.getAttribute('aria-describedby'), 'chart-db-reads-description');
  assert.match(await canvas.getAttribute('aria-label'), /peak 12/);
  // The numbers as a table, on request.
  await page.getByTestId('chart-db-reads-data-toggle').click();
  const table = page.getByTestId('chart-db-reads-data');
  assert.equal(await page.getByTestId('chart-db-reads-data-toggle').getAttribute('aria-expanded'), 'true');
  const cells = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
  assert.ok(cells.some(([, n]) => n === '12'), JSON.stringify(cells));
  await page.getByTestId('chart-db-reads-data-toggle').click();
  assert.equal(await table.count(), 0);
  // The readout sits at the pointer, not under the chart.
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const at = { x: box.x + box.width * 0.3, y: box.y + box.height * 0.4 };
  await page.mouse.move(at.x, at.y);
  const readout = page.getByTestId('chart-db-reads-hover');
  await readout.filter({ hasText: /ms: DB reads started \d+/ }).waitFor();
  const near = await readout.boundingBox();
  assert.ok(Math.abs(near.y + near.height / 2 - at.y) < 4, `readout beside the pointer: ${JSON.stringify(near)} vs ${JSON.stringify(at)}`);
  assert.ok(near.x > at.x && near.x - at.x < 30, `readout right of the pointer: ${near.x} vs ${at.x}`);
  // The consistency panel: every read fresh, no writes; dark theme readable.
  assert.equal(await page.getByTestId('consistency-nines').textContent(), 'all 16 reads fresh: at least 1 nine');
  assert.equal(await page.getByTestId('consistency-visible').textContent(), 'no writes');
  assert.deepEqual(errors, []);
});

test('comparisons are honest: unfinished requests are counted and explained, charts share one y axis, the overlay takes a log time axis', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  // update-on-write-race's schedule ends before invalidate's read does.
  await page.getByTestId('lesson').selectOption('update-on-write-race');
  await page.getByTestId('compare-writes').click();
  await page.locator('[data-testid=work]').waitFor({ state: 'detached' });
  const row = page.locator('[data-testid=compare-table] tbody tr[data-label="invalidate"]');
  assert.equal(await row.locator('td[data-column="unfinished"]').textContent(), '1');
  assert.equal(await row.locator('td[data-column="stale reads"]').textContent(), '0');
  const index = await row.evaluate((tr) => [...tr.parentNode.children].indexOf(tr));
  assert.match(
    await page.getByTestId(`compare-why-${index}`).textContent(),
    /^\d invalidate: 1 request \(R\) did not finish, so no figure counts it: the scenario's schedule ended first/,
  );
  const update = page.locator('[data-testid=compare-table] tbody tr[data-label="update"]');
  assert.equal(await update.locator('td[data-column="unfinished"]').textContent(), '0');
  assert.equal(await update.locator('sup').count(), 0, 'no footnote');
  // Opened, the variant does not claim to be done: R is still to go.
  await page.getByTestId(`compare-open-${index}`).click();
  await page.getByTestId('run').click();
  await page.getByTestId('clock').filter({ hasText: 'your move' }).waitFor();
  assert.doesNotMatch(await page.getByTestId('clock').textContent(), /done/);

  // Stampede protections: 12 reads in flight against a lease's 1, on one scale.
  await page.getByTestId('lesson').selectOption('stampede');
  await page.getByTestId('compare-stampede').click();
  await page.locator('[data-testid=work]').waitFor({ state: 'detached' });
  const lease = await page.locator('[data-testid=compare-table] tbody tr').evaluateAll((rows) =>
    rows.findIndex((r) => r.dataset.label === 'lease'));
  await page.getByTestId(`compare-open-${lease}`).click();
  await page.getByTestId('run').click();
  await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();
  const inFlight = page.getByTestId('chart-db-concurrency').locator('canvas');
  assert.equal(await inFlight.getAttribute('data-max'), '1');
  const ticks = (await inFlight.getAttribute('data-y-ticks')).split(' ').map(Number);
  assert.ok(ticks.at(-1) >= 12, `the y axis reaches the stampede's 12: ${ticks}`);
  for (const chart of await page.locator('[data-testid=charts] canvas').all()) {
    const values = (await chart.getAttribute('data-y-ticks')).split(' ').map(Number);
    const hitRatio = (await chart.evaluate((c) => c.closest('figure').dataset.testid)) === 'chart-hit-ratio';
    if (!hitRatio) assert.ok(values.every(Number.isInteger), `whole ticks for counts: ${values}`);
  }
  // Runs of very different lengths: the overlay's time axis is logarithmic
  // unless a person says otherwise.
  const overlay = page.getByTestId('overlay-stale-reads').locator('canvas');
  const ends = await page.locator('[data-testid=compare-log-time]').evaluate((box) => box.parentNode.textContent);
  const [shortest, longest] = ends.match(/last (\d+) to (\d+) ms/).slice(1).map(Number);
  assert.equal(await overlay.getAttribute('data-log-time'), String(longest >= shortest * 10));
  await page.getByTestId('compare-log-time').click();
  assert.equal(await overlay.getAttribute('data-log-time'), String(!(longest >= shortest * 10)));
  assert.deepEqual(errors, []);
  await page.close();

  // The charts follow the dark theme (not white panels on a dark page).
  const dark = await context.browser.newPage({ colorScheme: 'dark' });
  await dark.goto(`${context.server.url}?lesson=stampede`);
  await dark.getByTestId('run').click();
  await dark.getByTestId('clock').filter({ hasText: 'done' }).waitFor();
  const darkCanvas = dark.getByTestId('chart-db-reads').locator('canvas');
  await darkCanvas.scrollIntoViewIfNeeded();
  // Drawn within a few frames of coming into view (a canvas never drawn
  // is transparent: alpha 0).
  const corner = await darkCanvas.evaluate(
    (c) =>
      new Promise((done) => {
        let frames = 0;
        const look = () => {
          const pixel = [...c.getContext('2d').getImageData(2, 2, 1, 1).data];
          if (pixel[3] > 0 || ++frames > 60) done(pixel.slice(0, 3));
          else requestAnimationFrame(look);
        };
        look();
      }),
  );
  assert.ok(corner.every((channel) => channel < 80), `a dark chart background: rgb(${corner})`);
  await dark.close();
});

test('a 100,000-request workload shows progress, can be cancelled, then shows the aggregated result', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  const file = `${repoRoot}/benches/page-100k-requests.json`;
  const scenario = JSON.parse(readFileSync(file, 'utf8'));
  const report = cliReport(scenario, 'big');
  const load = async (json) => {
    const loader = page.locator('details.loader');
    if (!(await loader.evaluate((d) => d.open))) await loader.locator('summary').click();
    await page.getByTestId('scenario-json').fill(JSON.stringify(json));
    await page.getByTestId('scenario-load').click();
  };
  // Cancelled: the lesson stays on screen. Ten times the workload, so
  // that the run (in the page's worker) is still going when the click
  // lands, however fast the machine.
  const title = await page.getByTestId('lesson-title').textContent();
  await load({ ...scenario, workload: { ...scenario.workload, duration_ms: scenario.workload.duration_ms * 10 } });
  await page.getByTestId('work').waitFor();
  await page.getByTestId('work-cancel').click();
  await page.getByTestId('work').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('lesson-title').textContent(), title);
  assert.equal(await page.getByTestId('aggregated').count(), 0);
  // Run: progress rises while the page keeps answering, then the result.
  await load(scenario);
  const seen = [];
  while ((await page.getByTestId('aggregated').count()) === 0) {
    const value = await page.getByTestId('work-progress').getAttribute('value').catch(() => null);
    if (value !== null) seen.push(Number(value));
    await page.waitForTimeout(20);
  }
  assert.ok(seen.some((v) => v > 0 && v < 1), `progress seen: ${seen}`);
  const aggregated = page.getByTestId('aggregated');
  assert.equal(await aggregated.getAttribute('data-simulated-in'), 'worker');
  assert.match(await aggregated.textContent(), /Simulated in \d+ ms by the page's worker, off the page's thread/);
  const requests = Number(await aggregated.getAttribute('data-requests'));
  assert.equal(requests, report.requests.reads + report.requests.writes);
  assert.ok(requests > 99_000, `${requests} requests`);
  const metric = async (name) => aggregated.locator(`tr[data-metric="${name}"] td`).textContent();
  assert.equal(await metric('DB reads'), String(report.db.reads));
  assert.equal(await metric('stale reads'), String(report.stale_reads));
  assert.equal(await metric('read p50/p99'), `${report.latency_ms.read_p50}/${report.latency_ms.read_p99}`);
  assert.equal(await chartData(page, 'db-reads', 'sum'), report.db.reads);
  const lane = async (name) => Number(await page.locator(`[data-lane="${name}"]`).getAttribute('data-sum'));
  assert.equal(await lane('DB reads'), report.db.reads);
  assert.equal(await lane('requests answered'), requests);
  // The time cursor moves the charts' cursor line and the values shown.
  await page.getByTestId('time-cursor').evaluate((input) => {
    input.value = '2000';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  assert.match(await page.getByTestId('cursor-values').textContent(), /^\d+-\d+ ms: requests answered \d+/);
  await screenshot(page, 'tune-100k');
  assert.deepEqual(errors, []);
});
