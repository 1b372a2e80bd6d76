// The transport and be-the-scheduler, end to end in headless Chromium: a
// step back restores exactly the state before the step; the scrubber seeks;
// clicking pending actors builds update-on-write's race by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePlayground, openPlayground, screenshot } from './harness.mjs';

const context = usePlayground();

/** Drags the scrubber to `step` (as an input event, as a drag sends). */
async function scrub(page, step) {
  await page.getByTestId('scrubber').evaluate((input, value) => {
    input.value = String(value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, step);
}

/** Everything the page shows about the run, as text. */
async function snapshot(page) {
  const text = async (id) => (await page.getByTestId(id).allTextContents()).join(' | ');
  return {
    clock: await text('clock'),
    cache: await text('cache-cell'),
    db: await text('db-cell'),
    steps: await text('step-row'),
    scheduler: await page.locator('section[aria-labelledby=scheduler-title]').textContent(),
    // Exactly what is drawn: the inspector (with its change highlights),
    // the timeline, the architecture strip, the narration.
    inspector: await page.getByTestId('inspector').innerHTML(),
    timeline: await page.getByTestId('timeline').innerHTML(),
    strip: await page.getByTestId('strip').innerHTML(),
    narration: await page.getByTestId('narration').innerHTML(),
  };
}

test('a step back restores exactly the state before the step; the scrubber seeks', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption('read-write-race');
  const clock = page.getByTestId('clock');
  for (let i = 0; i < 3; i++) await page.getByTestId('step').click();
  await clock.filter({ hasText: 'step 3 of' }).waitFor();
  const before = await snapshot(page);

  await page.getByTestId('step').click();
  await clock.filter({ hasText: 'step 4 of' }).waitFor();
  assert.notDeepEqual(await snapshot(page), before);

  await page.getByTestId('step-back').click();
  await clock.filter({ hasText: 'step 3 of' }).waitFor();
  assert.deepEqual(await snapshot(page), before);

  // The scrubber: to the end, then back to the start.
  await scrub(page, 6);
  await clock.filter({ hasText: 'done' }).waitFor();
  assert.match(await page.getByTestId('cache-cell').textContent(), /^v1 @1/);
  await scrub(page, 0);
  await clock.filter({ hasText: 'step 0 of' }).waitFor();
  assert.equal(await page.getByTestId('step-row').count(), 0);
  assert.deepEqual(errors, [], 'no errors in the page');
});

test('clicking pending actors builds the update-on-write race by hand', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption('update-on-write-race');
  const clock = page.getByTestId('clock');
  // W1 commits A, W2 commits B and sets B, W1 sets its older A; R reads A.
  const order = ['W1', 'W2', 'W2', 'W1', 'R'];
  for (const [i, actor] of order.entries()) {
    await page.getByTestId(`schedule-${actor}`).click();
    await clock.filter({ hasText: `step ${i + 1} of ${i + 1}` }).waitFor();
  }
  assert.match(await page.getByTestId('cache-cell').textContent(), /^A @2/);
  assert.equal(await page.getByTestId('db-cell').textContent(), 'B @3');
  assert.match(await page.locator('tr.diverged').textContent(), /user:123/);
  // The stale window opened by W1's late set is on the timeline.
  assert.equal(await page.getByTestId('shade-stale').count(), 1);
  assert.equal(await page.getByTestId('mark-stale').count(), 1);
  assert.match(await page.getByTestId('step-row').last().textContent(), /R.*hit A@2/);
  await screenshot(page, 'scheduler-update-on-write-race');

  // Going back and choosing differently forks the run: the future is dropped.
  await page.getByTestId('step-back').click();
  await page.getByTestId('step-back').click();
  await clock.filter({ hasText: 'step 3 of 5' }).waitFor();
  await page.getByTestId('schedule-R').click();
  await clock.filter({ hasText: 'step 4 of 4' }).waitFor();
  assert.match(await page.getByTestId('step-row').last().textContent(), /R.*hit B@3/);
  assert.deepEqual(errors, [], 'no errors in the page');
});

test('clicking an anomaly explains it and highlights its causes', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption('read-write-race');
  await page.getByTestId('run').click();
  await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();

  await page.getByTestId('shade-stale').click();
  const explanation = page.getByTestId('explanation');
  await explanation.waitFor();
  assert.equal(
    await explanation.textContent(),
    'R read v1 at 11 ms; W committed v2 at 25 ms and deleted at 26 ms; R set v1 at 26 ms, ' +
      'so the cache is stale until the entry expires',
  );
  // R's DB read, W's commit and delete, R's set.
  assert.equal(await page.locator('rect.span.highlight').count(), 4);

  await page.getByTestId('mark-stale').click();
  await explanation.filter({ hasText: 'R2 started' }).waitFor();
  assert.equal(
    await explanation.textContent(),
    'R2 started at 40 ms, after W committed v2 at 25 ms, and got v1 from the cache at 41 ms',
  );
  assert.equal(await page.locator('rect.span.highlight').count(), 2);
  await screenshot(page, 'explained-read-write-race');
  assert.deepEqual(errors, [], 'no errors in the page');
});

test('the keyboard drives the transport, but not inside a form field', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  const clock = page.getByTestId('clock');
  await page.locator('h1').click();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await clock.filter({ hasText: 'step 2 of 4' }).waitFor();
  await page.keyboard.press('ArrowLeft');
  await clock.filter({ hasText: 'step 1 of 4' }).waitFor();
  await page.keyboard.press('End');
  await clock.filter({ hasText: 'done' }).waitFor();
  await page.keyboard.press('Home');
  await clock.filter({ hasText: 'step 0 of 4' }).waitFor();
  // Space plays and pauses.
  await page.keyboard.press(' ');
  await page.locator('[data-testid=play][aria-pressed=true]').waitFor();
  await page.keyboard.press(' ');
  await page.locator('[data-testid=play][aria-pressed=false]').waitFor();
  await page.keyboard.press('Home');
  // In the lesson picker the arrows belong to the picker.
  await page.getByTestId('lesson').focus();
  await page.keyboard.press('ArrowRight');
  assert.match(await clock.textContent(), /step 0 of/);
  assert.deepEqual(errors, [], 'no errors in the page');
});
