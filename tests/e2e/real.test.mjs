// The page says, under each lesson, what its check on a real Redis and
// PostgreSQL found (read from src/lessons/reproduced.json, which the native
// test tests/real.rs regenerates on real servers), and says why a lesson
// was not checked; an edited scenario makes no such claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePlayground, openPlayground } from './harness.mjs';

const context = usePlayground();

test('each lesson says what was reproduced on real servers', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption('read-write-race');
  const reproduced = page.getByTestId('reproduced');
  await reproduced.filter({ hasText: '534 of 534 orders agree' }).waitFor();
  assert.equal(
    await reproduced.textContent(),
    'Reproduced on Redis 7.0 and PostgreSQL 15: its run agrees with the model, reply by reply, and 534 of 534 orders agree.',
  );

  await page.getByTestId('lesson').selectOption('stampede-lease');
  await reproduced.filter({ hasText: 'reply by reply.' }).waitFor();
  assert.equal(
    await reproduced.textContent(),
    'Reproduced on Redis 7.0 and PostgreSQL 15: its run agrees with the model, reply by reply.',
  );

  await page.getByTestId('lesson').selectOption('replica-lag');
  await reproduced.filter({ hasText: 'Not reproduced' }).waitFor();
  assert.match(await reproduced.textContent(), /^Not reproduced on real servers: a read replica/);

  // An edited scenario is not the lesson that was checked.
  await page.locator('details.loader summary').click();
  await page.getByTestId('scenario-json').fill(JSON.stringify({
    name: 'mine', keys: { k: 'v1' }, requests: [{ id: 'R', op: 'read', key: 'k', at_ms: 0 }],
  }));
  await page.getByTestId('scenario-load').click();
  await page.getByTestId('lesson-title').filter({ hasText: 'mine' }).waitFor();
  assert.equal(await reproduced.count(), 0);
  assert.deepEqual(errors, []);
});
