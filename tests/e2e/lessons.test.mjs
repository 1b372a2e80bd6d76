// Every lesson, run to the end in the page (the core compiled to wasm),
// ends in the same state as the native command line reports for the same
// scenario: the two builds of the core agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { usePlayground, openPlayground, screenshot, repoRoot, artifactDir } from './harness.mjs';

const context = usePlayground();

/** A duration as the inspector says it: `40 ms`, `1.2 s`, `5 min`, `2 h`. */
function spoken(ms) {
  const tenths = (value, unit) => `${value.toFixed(1).replace(/\.0$/, '')} ${unit}`;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return tenths(ms / 1000, 's');
  if (ms < 3600000) return tenths(ms / 60000, 'min');
  return tenths(ms / 3600000, 'h');
}

/** Runs the native command line; returns its stdout. */
function cachescope(...args) {
  return execFileSync('cargo', ['run', '--quiet', '--', ...args], { cwd: repoRoot, encoding: 'utf8' });
}

test('every lesson, played to the end, ends in the page as the command line reports it', async () => {
  const names = cachescope('presets').trim().split('\n');
  assert.ok(names.length >= 6, `lessons: ${names}`);
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  // Free play: one Play runs a lesson to its end (the setting is kept from
  // lesson to lesson).
  await page.getByTestId('pause-at-parts').uncheck();
  for (const name of names) {
    const scenario = cachescope('preset', name);
    mkdirSync(artifactDir, { recursive: true });
    const file = `${artifactDir}/${name}.json`;
    writeFileSync(file, scenario);
    const report = JSON.parse(cachescope('run', file, '--no-trace'));

    await page.getByTestId('lesson').selectOption(name);
    // Played to the end at 100x: every step taken by the playback clock.
    await page.getByTestId('speed').evaluate((input) => {
      input.value = '20';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.getByTestId('play').click();
    await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();

    const clock = await page.getByTestId('clock').textContent();
    assert.match(clock, new RegExp(`^t = ${report.end_ms} ms`), `${name}: ${clock}`);
    const keys = Object.keys(report.keys);
    const cacheCells = await page.getByTestId('cache-cell').allTextContents();
    const ttlCells = await page.getByTestId('cache-ttl').allTextContents();
    const dbCells = await page.getByTestId('db-cell').allTextContents();
    keys.forEach((key, i) => {
      const { db, cache } = report.keys[key];
      assert.equal(dbCells[i], `${db.value} @${db.version}`, `${name} ${key} db`);
      if (!cache) {
        // No live entry: none at all, or one past its expiry.
        assert.match(cacheCells[i], /^\(empty\)$|\(expired\)$/, `${name} ${key} cache`);
        return;
      }
      const value = cache.version === null ? `${cache.value} (uncommitted)` : `${cache.value} @${cache.version}`;
      assert.equal(cacheCells[i], value, `${name} ${key} cache`);
      if (cache.dirty) {
        assert.equal(ttlCells[i], 'never (dirty)', `${name} ${key} ttl`);
      } else if (cache.expires_ms > report.end_ms) {
        assert.equal(ttlCells[i], `expires in ${spoken(cache.expires_ms - report.end_ms)}`, `${name} ${key} ttl`);
      } else {
        assert.match(ttlCells[i], /served while revalidating/, `${name} ${key} ttl`);
      }
    });
    // A key left stale is flagged in the page exactly when the report
    // leaves a divergence window open.
    const open = report.divergence.filter((w) => w.to_ms === null).length;
    assert.equal(await page.locator('tr.diverged').count(), open, `${name} diverged rows`);
    // The timeline marks what the report counts: a triangle per stale
    // read, a ring per phantom read, a hatched (stale) or dotted (ahead)
    // shade per divergence window.
    const marks = async (id) => page.getByTestId(id).count();
    // A workload's requests are counted, not listed: only scripted reads
    // are marked.
    const staleListed = Array.isArray(report.requests)
      ? report.requests.filter((r) => r.stale === true).length
      : 0;
    assert.equal(await marks('mark-stale'), staleListed, `${name} stale marks`);
    assert.equal(await marks('mark-phantom'), report.phantom_reads, `${name} phantom marks`);
    const windows = (kind) => report.divergence.filter((w) => w.kind === kind).length;
    assert.equal(await marks('shade-stale'), windows('stale'), `${name} stale shades`);
    assert.equal(await marks('shade-ahead'), windows('ahead'), `${name} ahead shades`);
    if (report.lost_writes > 0) {
      assert.ok(await marks('mark-lost') > report.lost_writes, `${name} lost marks (writes and crash)`);
    }
    await screenshot(page, `lesson-${name}`);
  }
  assert.deepEqual(errors, []);
});
