// The page says, under each lesson, what its check on a real Redis and
// PostgreSQL found (read from src/lessons/reproduced.json, which the native
// test tests/real.rs regenerates on real servers): what the servers
// decided, what the model supplied, and, where the lesson turns on
// something the model supplied, that its point is the model's. It says why
// a lesson was not checked; an edited scenario makes no such claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePlayground, openPlayground } from './harness.mjs';

const context = usePlayground();

const decided = "every reply Redis and PostgreSQL gave to its operations matched the model's, "
  + "and so did the clients' answers and the final cache and rows";

test('each lesson says what the real servers decided and what the model supplied', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('lesson').selectOption('read-write-race');
  const reproduced = page.getByTestId('reproduced');
  await reproduced.filter({ hasText: 'in all 534 orders' }).waitFor();
  assert.equal(
    await reproduced.textContent(),
    `Checked on Redis 7.0 and PostgreSQL 15: ${decided}; so in all 534 orders, with stale reads `
      + "and the final cache judged from the servers' own data. "
      + 'The model supplied the order and the clock, and expiry.',
  );

  // Beside it, what its live runs showed, with the servers deciding.
  const live = page.getByTestId('reproduced-live');
  assert.match(
    await live.textContent(),
    /^Run live 3 times on Redis 7\.0 and PostgreSQL 15, each request a thread of its own, with Redis's own expiry and PostgreSQL's own transactions deciding: their records show \d+ stale of 6 reads \(the model's timed runs: \d+ of 6\), and the model, replaying the order they recorded, gave every reply they gave/,
  );

  // A lesson whose point is the model's says so, and names it.
  await page.getByTestId('lesson').selectOption('event-loss');
  await reproduced.filter({ hasText: 'in all 5,804 orders' }).waitFor();
  assert.equal(
    await reproduced.textContent(),
    `Replayed on Redis 7.0 and PostgreSQL 15: ${decided}; so in all 5,804 orders, with stale reads `
      + "and the final cache judged from the servers' own data. "
      + "The model supplied the order and the clock, expiry, the bus's delay, loss and partitions, "
      + "and the faults. What this lesson turns on is the model's, not the servers': "
      + "the bus's delay, loss and partitions, and the faults.",
  );

  // Events on the bus: each partition's consumer ran as a thread of its own.
  await page.getByTestId('lesson').selectOption('kafka-partitions');
  await live.filter({ hasText: "partitions' consumers" }).waitFor();
  assert.match(
    await live.textContent(),
    /^Run live 3 times on Redis 7\.0 and PostgreSQL 15, each request a thread of its own and each of the bus's 2 partitions' consumers another, reading Redis Streams, with Redis's own expiry/,
  );

  await page.getByTestId('lesson').selectOption('stampede-lease');
  await reproduced.filter({ hasText: 'lease rules' }).waitFor();
  assert.match(await reproduced.textContent(), /^Replayed on Redis 7\.0 and PostgreSQL 15: every reply/);
  assert.match(await reproduced.textContent(), /turns on is the model's, not the servers': the lease rules \(Lua that ports the model's\)\.$/);

  // A lesson the live mode cannot run says why.
  assert.equal(
    await live.textContent(),
    'Not run live with the servers deciding: memcache-style leases and versioned sets, which Redis lacks.',
  );

  await page.getByTestId('lesson').selectOption('replica-lag');
  await reproduced.filter({ hasText: 'Not checked' }).waitFor();
  assert.match(await reproduced.textContent(), /^Not checked on real servers: a read replica/);

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
