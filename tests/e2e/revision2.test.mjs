// What revision 2 of the scenario format added, end to end in headless
// Chromium: the read replica beside the primary in the inspector and a
// refill from it explained; a consumer's offsets; a lock deleted by a holder
// whose lock had expired, explained on click; a fallback read marked and
// explained; the new knobs refusing bad values in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePlayground, openPlayground } from './harness.mjs';

const context = usePlayground();

async function runLesson(lesson) {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption(lesson);
  await page.getByTestId('run').click();
  await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();
  return { page, errors };
}

test('the replica, the offsets and a lock deleted by an expired holder show and explain themselves', async () => {
  let { page, errors } = await runLesson('replica-lag');
  assert.deepEqual(await page.getByTestId('db-cell').allTextContents(), ['v2 @2']);
  assert.deepEqual(await page.getByTestId('replica-cell').allTextContents(), ['v2 @2']);
  await page.getByTestId('shade-stale').last().click();
  const explanation = page.getByTestId('explanation');
  await explanation.filter({ hasText: 'replica' }).waitFor();
  assert.match(await explanation.textContent(), /^R read v1 from the replica at 41 ms \(it applied v2 only at 70 ms\)/);
  // Back at the start the replica is in step; after W's commit it is behind.
  await page.getByTestId('scrubber').evaluate((input) => {
    input.value = '1';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.getByTestId('clock').filter({ hasText: 'step 1 of' }).waitFor();
  assert.deepEqual(await page.getByTestId('replica-cell').allTextContents(), ['v1 @1, behind: @2 committed at 20 ms']);
  assert.deepEqual(errors, []);

  ({ page, errors } = await runLesson('consumer-replay'));
  // Two events applied twice: the crash went back to offset 0, the replay
  // applied them again, and the next commit is not due yet.
  assert.deepEqual(await page.getByTestId('partition-offsets').allTextContents(), [' · offset 2, committed 0']);
  assert.deepEqual(errors, []);

  ({ page, errors } = await runLesson('lock-expiry'));
  await page.getByTestId('span').filter({ hasText: "deleted another holder's lock #2" }).click();
  await page.getByTestId('explanation').filter({ hasText: 'compare-and-delete' }).waitFor();
  assert.match(await page.getByTestId('explanation').textContent(), /^R1 \(app 0\) cache\.unlock hot: issued at 176 ms, took effect at 177 ms: deleted another holder's lock #2\. Its own lock had expired/);
  assert.deepEqual(errors, []);
});

test('a fallback read is marked and explained; a bad wait is refused in place', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.locator('details.loader summary').click();
  await page.getByTestId('scenario-json').fill(JSON.stringify({
    name: 'a lease waiter gives up',
    keys: { k: 'v1' },
    latency_ms: { cache: 1, db_read: 300 },
    strategy: { stampede: 'lease', retry_ms: 10, wait_max_ms: 50 },
    requests: [
      { id: 'R1', op: 'read', key: 'k', at_ms: 0 },
      { id: 'R2', op: 'read', key: 'k', at_ms: 1 },
    ],
  }));
  await page.getByTestId('scenario-load').click();
  await page.getByTestId('lesson-title').filter({ hasText: 'Your scenario' }).waitFor();
  await page.getByTestId('run').click();
  await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();
  assert.equal(await page.getByTestId('mark-fallback').count(), 1);
  await page.getByTestId('mark-fallback').click();
  await page.getByTestId('explanation').filter({ hasText: 'fallback read' }).waitFor();
  assert.match(await page.getByTestId('explanation').textContent(), /^R2 was refused a lease token 6 time\(s\) from 2 ms to 53 ms/);
  // The new knob is validated like the old ones: a bad value keeps the run.
  await page.getByTestId('knob-strategy-wait-max-ms').fill('soon');
  await page.getByTestId('knob-strategy-wait-max-ms').press('Enter');
  assert.match(await page.getByTestId('knob-strategy-wait-max-ms-error').textContent(), /whole number/);
  assert.equal(await page.getByTestId('mark-fallback').count(), 1);
  assert.deepEqual(errors, []);
});
