// The walking skeleton, end to end: the built page runs the real core in
// headless Chromium, and Step advances it one operation at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePlayground, openPlayground, screenshot } from './harness.mjs';

const context = usePlayground();

test('Step advances the cache-aside lesson one operation at a time', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  const clock = page.getByTestId('clock');
  const rows = page.getByTestId('step-row');

  assert.equal(await clock.textContent(), 't = 0 ms · step 0 of 4');
  assert.equal(await rows.count(), 0);

  // First step: R1's cache.get takes effect and misses; its DB read is now in flight.
  await page.getByTestId('step').click();
  await rows.first().waitFor();
  assert.equal(await clock.textContent(), 't = 1 ms · step 1 of 4');
  assert.match(await rows.nth(0).textContent(), /R1.*cache\.get user:123.*miss/);
  assert.match(await page.getByTestId('pending').textContent(), /db\.read user:123/);

  // Three more steps: DB read, cache fill, then R2's hit.
  for (let i = 0; i < 3; i++) await page.getByTestId('step').click();
  await rows.nth(3).waitFor();
  assert.match(await rows.nth(1).textContent(), /db\.read user:123.*v1@1/);
  assert.match(await rows.nth(2).textContent(), /cache\.set user:123/);
  assert.match(await rows.nth(3).textContent(), /R2.*cache\.get user:123.*hit v1@1/);
  assert.match(await clock.textContent(), /t = 21 ms · step 4 of 4 · done/);
  assert.equal(await page.getByTestId('step').isDisabled(), true);
  assert.match(await page.getByTestId('cache-cell').textContent(), /^v1 @1/);

  await screenshot(page, 'skeleton-end');
  assert.deepEqual(errors, [], 'no errors in the page');
});
