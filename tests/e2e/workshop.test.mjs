// A workshop, end to end in headless Chromium: the course menu and its
// walk, Play pausing at each part, a prediction judged by the run, a
// challenge solved by clicking and recognised, the presenter layout
// measured at 1920x1080 and 1280x720, the strip's bundles, the state the
// page reports, and the phone layout. Screenshots in target/e2e/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePlayground, openPlayground, screenshot, axeViolations } from './harness.mjs';

const context = usePlayground();

async function lesson(page, name) {
  await page.getByTestId('lesson').selectOption(name);
  await page.getByTestId('clock').filter({ hasText: 'step 0 of' }).waitFor();
}

test('the lessons are a course: chapters, numbers, titles, where you are and what is next', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  const groups = await page.getByTestId('lesson').locator('optgroup').evaluateAll((gs) => gs.map((g) => g.label));
  assert.deepEqual(groups.slice(0, 3), ['1 · Basics', '2 · Races on write', '3 · Fixes, and what they miss']);
  assert.equal(groups.at(-1), 'Challenges');
  const options = await page.getByTestId('lesson').locator('option').allTextContents();
  assert.ok(options.includes('2.3 The read-write race'), options.join(' | '));
  assert.ok(!options.some((o) => /^[a-z-]+$/.test(o)), 'no bare slugs');
  await lesson(page, 'read-write-race');
  assert.match(await page.getByTestId('course-place').textContent(), /^Chapter 2 · Races on write · lesson 4 of \d+$/);
  assert.match(await page.getByTestId('lesson-title').textContent(), /^2\.3 The read-write race$/);
  assert.match(await page.getByTestId('lesson-summary').textContent(), /a slow reader refills the old value/);
  await page.getByTestId('course-next').click();
  await page.getByTestId('lesson-title').filter({ hasText: '3.1 Leases' }).waitFor();
  assert.equal(await page.getByTestId('lesson').inputValue(), 'leases');
  await page.waitForFunction(() => location.hash !== '' || location.search.includes('leases'));
  await page.getByTestId('course-previous').click();
  await page.getByTestId('lesson-title').filter({ hasText: '2.3' }).waitFor();
  assert.equal(await page.getByTestId('lesson').inputValue(), 'read-write-race', 'the menu follows, backwards too');
  await screenshot(page, 'workshop-course');
  // The menu itself, opened out (a drop-down is not in a screenshot).
  const menu = page.getByTestId('lesson');
  await menu.evaluate((select) => { select.size = select.options.length + 7; });
  await screenshot(page, 'workshop-course-menu');
  await menu.evaluate((select) => { select.size = 0; });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Play stops at each part of the story; the prediction is judged when the run shows it', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await lesson(page, 'read-write-race');
  assert.equal(await page.getByTestId('speed-label').textContent(), '0.020x', 'slow enough for a projector');
  await page.getByTestId('speed').evaluate((input) => {
    input.value = '20';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const paused = page.locator('[data-testid=play][aria-pressed=false]');
  const counts = [];
  for (let part = 2; part <= 5; part++) {
    await page.getByTestId('play').click();
    await page.getByTestId('beat-count').filter({ hasText: `${part} of 5` }).waitFor();
    await paused.waitFor();
    counts.push(await page.getByTestId('beat-count').textContent());
    if (part === 3) {
      // Asked once W has deleted: predict before playing on.
      const question = page.getByTestId('question');
      assert.match(await question.textContent(), /What will R2 read\?/);
      assert.match(await page.getByTestId('verdict').textContent(), /^Predict/);
      await question.getByTestId('answer').filter({ hasText: 'stale' }).click();
      assert.match(await page.getByTestId('verdict').textContent(), /Prediction made/);
      assert.deepEqual(await axeViolations(page), [], 'the question');
    }
  }
  assert.deepEqual(counts, ['2 of 5', '3 of 5', '4 of 5', '5 of 5']);
  assert.match(await page.getByTestId('clock').textContent(), /done$/);
  assert.match(await page.getByTestId('verdict').textContent(), /^Your prediction held: v1, the old value/);
  assert.equal(await page.getByTestId('answer').first().isDisabled(), true, 'no answering after the reveal');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a challenge is a link, solved by clicking who goes next, and recognised with the explorer\'s count', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?challenge=delete-first-stale`);
  const status = page.getByTestId('challenge-status');
  assert.match(await page.getByTestId('lesson-title').textContent(), /Challenge: Leave the cache stale/);
  // Cold, the answer is hidden: no count, no shortest order, no lesson
  // text describing the solution; each choice says what it makes happen.
  await page.getByTestId('challenge-hidden').waitFor();
  assert.equal(await page.getByTestId('challenge-count').count(), 0);
  assert.equal(await page.getByTestId('challenge-shortest').count(), 0);
  assert.equal(await page.getByTestId('lesson-text').count(), 0);
  assert.doesNotMatch(await page.locator('body').innerText(), /possible orders|The shortest/);
  assert.equal(await page.getByTestId('schedule-W').textContent(), 'W: cache.delete user:123');
  // Asked for, it shows.
  await page.getByTestId('challenge-reveal').click();
  await page.getByTestId('challenge-count').filter({ hasText: '66 of the 146 possible orders' }).waitFor();
  assert.match(await page.getByTestId('challenge-shortest').textContent(), /The shortest \(6 moves\): W → R → R → W → R → R2/);
  assert.match(await status.textContent(), /^0 moves so far/);
  for (const actor of ['W', 'R', 'R', 'W', 'R', 'R2']) {
    await page.getByTestId(`schedule-${actor}`).click();
  }
  await status.filter({ hasText: 'Solved in 6 moves. That is the fewest possible.' }).waitFor();
  assert.match(await page.getByTestId('clock').textContent(), /done$/);
  await screenshot(page, 'workshop-challenge-solved');
  assert.deepEqual(await axeViolations(page), [], 'the challenge panel');
  // The link holds the attempt.
  const { page: opened } = await openPlayground(context.browser, page.url());
  await opened.getByTestId('challenge-status').filter({ hasText: 'Solved in 6 moves' }).waitFor();
  await opened.close();
  // Impossible: the page says how many orders it checked.
  await page.getByTestId('lesson').selectOption('challenge:leases-stale-end');
  await page.getByTestId('challenge-reveal').click({ timeout: 120_000 });
  await page.getByTestId('challenge-count').filter({ hasText: 'Impossible' }).waitFor();
  assert.match(await page.getByTestId('challenge-count').textContent(), /checked all 490938 orders, and none does it/);
  // A fault is placed by hand.
  await page.getByTestId('lesson').selectOption('challenge:write-behind-lost');
  await page.getByTestId('schedule-W1').click();
  await status.filter({ hasText: /^1 move so far/ }).waitFor();
  assert.match(await page.getByTestId('clock').textContent(), /your move/);
  await page.getByTestId('schedule-cache-crash').click();
  assert.ok(await page.getByTestId('mark-lost').count() > 0, 'the lost write is marked');
  // Solved once the run is complete, as the explorer counts orders.
  assert.match(await status.textContent(), /^2 moves so far/);
  for (let i = 0; i < 20 && !(await status.textContent()).startsWith('✓'); i++) {
    await page.getByTestId('scheduler').locator('button').first().click();
  }
  await status.filter({ hasText: /^✓ Solved in \d+ moves/ }).waitFor();
  await page.getByTestId('back-to-lesson').click();
  await page.getByTestId('narration').waitFor();
  assert.equal(await page.getByTestId('challenge').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const [width, height] of [[1920, 1080], [1280, 720]]) {
  test(`presenter layout at ${width}x${height}: narration, strip and timeline above the fold; panels behind a key`, async () => {
    const { page, errors } = await openPlayground(context.browser, `${context.server.url}?present=1&lesson=stampede-lease`, { viewport: { width, height } });
    const top = async (id) => (await page.getByTestId(id).boundingBox()).y;
    for (const id of ['narration', 'strip', 'timeline']) {
      const y = await top(id);
      assert.ok(y < height - 40, `${id} starts at ${y}, the fold is at ${height}`);
    }
    const size = async (selector) => page.locator(selector).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(await size('[data-testid=beat]') >= 26, 'the narration is large');
    assert.ok(await size('[data-testid=lesson-title]') >= 28, 'the title is large');
    for (const id of ['knobs', 'charts', 'compare', 'explorer', 'faults', 'copy-link']) {
      assert.equal(await page.getByTestId(id).isVisible(), false, `${id} hidden`);
    }
    await page.keyboard.press('e');
    await page.getByTestId('knobs').waitFor();
    assert.equal(await page.getByTestId('copy-link').isVisible(), true);
    await page.keyboard.press('e');
    await page.getByTestId('knobs').waitFor({ state: 'hidden' });
    await screenshot(page, `workshop-presenter-${width}x${height}`);
    // PageDown walks the lesson, then on to the next one.
    let guard = 0;
    while ((await page.getByTestId('lesson').inputValue()) === 'stampede-lease' && guard++ < 40) {
      await page.keyboard.press('PageDown');
    }
    assert.equal(await page.getByTestId('lesson').inputValue(), 'lease-hot-key');
    await page.keyboard.press('PageUp');
    await page.getByTestId('lesson-title').filter({ hasText: 'Leases against the stampede' }).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the strip bundles a burst, counts waiters, and its labels never overlap', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=stampede`);
  await page.getByTestId('beat-next').click();
  await page.getByTestId('beat-next').click();
  assert.match(await page.getByTestId('beat').textContent(), /twelve DB reads at once/);
  const captions = await page.getByTestId('token').locator('text:not(.token-count)').allTextContents();
  assert.ok(captions.some((c) => /^×1[0-2] db\.read \(R1…R1[0-2]\)$/.test(c)), captions.join(' | '));
  // No caption overlaps another, nor a box's own caption.
  const rects = (locator) => locator.evaluateAll((ts) => ts.map((t) => {
    const r = t.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom, t.textContent];
  }));
  const boxes = await rects(page.getByTestId('token').locator('text:not(.token-count)'));
  const nodeTexts = await rects(page.getByTestId('strip-node').locator('text'));
  const apart = (a, b) => a[2] <= b[0] + 0.5 || b[2] <= a[0] + 0.5 || a[3] <= b[1] + 0.5 || b[3] <= a[1] + 0.5;
  for (let i = 0; i < boxes.length; i++) {
    for (const other of [...boxes.slice(i + 1), ...nodeTexts]) {
      assert.ok(apart(boxes[i], other), `labels ${boxes[i][4]} and ${other[4]} overlap`);
    }
  }
  // The strip's boxes span its width.
  const strip = await page.getByTestId('strip').boundingBox();
  const nodes = await page.getByTestId('strip-node').evaluateAll((ns) => ns.map((n) => n.getBoundingClientRect()));
  const span = Math.max(...nodes.map((r) => r.right)) - Math.min(...nodes.map((r) => r.left));
  assert.ok(span > strip.width * 0.85, `boxes span ${span} of ${strip.width}`);
  // With leases: one DB read, the others waiting.
  await lesson(page, 'stampede-lease');
  await page.getByTestId('beat-next').click();
  await page.getByTestId('beat-next').click();
  await page.getByTestId('step').click();
  assert.match((await page.getByTestId('strip-node').allTextContents()).join(' '), /App ×4\d+ waiting/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page says what the run is: changed, rescheduled, waiting for a move; held operations are held', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=read-write-race`);
  await page.getByTestId('step').click();
  await page.getByTestId('step').click();
  await page.getByTestId('schedule-W').click();
  assert.match(await page.getByTestId('run-state').textContent(), /an order chosen by hand/);
  const clock = await page.getByTestId('clock').textContent();
  assert.match(clock, /your move: choose who goes next$/);
  assert.doesNotMatch(clock, /done/);
  const pending = await page.getByTestId('pending').textContent();
  assert.match(pending, /held until chosen/);
  const now = Number(clock.match(/^t = (\d+) ms/)[1]);
  for (const [, due] of pending.matchAll(/ready since (\d+) ms/g)) assert.ok(Number(due) <= now);
  // Changed by a knob: said so, and the way back.
  await page.getByTestId('knob-strategy-ttl-ms').fill('777');
  await page.getByTestId('knob-strategy-ttl-ms').press('Enter');
  await page.getByTestId('lesson-title').filter({ hasText: 'The read-write race: your version' }).waitFor();
  await page.getByTestId('back-to-lesson').click();
  await page.getByTestId('lesson-title').filter({ hasText: /^2\.3 The read-write race$/ }).waitFor();
  assert.equal(await page.getByTestId('run-state').count(), 0);
  // Showing the explorer's shortest order brings the timeline into view.
  await page.getByTestId('explore').click();
  await page.getByTestId('show-stale').click();
  const top = (await page.getByTestId('timeline').boundingBox()).y;
  assert.ok(top >= 0 && top < 900, `the timeline is in view (top at ${top})`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('on a phone the transport stays small, carries the narration, and lane names stay in view', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=read-write-race`, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const transport = await page.locator('.transport').boundingBox();
  assert.ok(transport.height <= 844 / 5, `the transport is ${transport.height} px tall`);
  await page.getByTestId('timeline').scrollIntoViewIfNeeded();
  await page.getByTestId('step').click();
  await page.getByTestId('step').click();
  assert.match(await page.getByTestId('transport-beat').textContent(), /R missed and read v1/);
  assert.ok(await page.getByTestId('transport-beat').isVisible());
  // The parts are walked from there too, without scrolling back up.
  await page.getByTestId('transport-beat-next').tap();
  await page.getByTestId('transport-beat').filter({ hasText: 'W committed v2 and deleted the key' }).waitFor();
  await page.getByTestId('transport-beat-previous').tap();
  await page.getByTestId('transport-beat').filter({ hasText: 'R missed and read v1' }).waitFor();
  const after = await page.locator('.transport').boundingBox();
  assert.ok(after.height <= 844 / 5, `the transport is ${after.height} px tall with the narration in it`);
  // Scrolled sideways, the lane names are still at the left edge, and the
  // timeline's heading and buttons do not move.
  const heading = await page.locator('.timeline figcaption').boundingBox();
  const scrolled = await page.locator('.timeline-scroll').evaluate((t) => { t.scrollLeft = 300; return t.scrollLeft; });
  assert.ok(scrolled > 0, 'the diagram scrolls sideways');
  assert.deepEqual(await page.locator('.timeline figcaption').boundingBox(), heading);
  const name = page.locator('.lane-names span').first();
  const box = await name.boundingBox();
  const figure = await page.locator('.timeline').boundingBox();
  assert.ok(box.x >= figure.x && box.x < figure.x + 40, `lane name at ${box.x}, timeline at ${figure.x}`);
  await screenshot(page, 'workshop-phone');
  assert.deepEqual(errors, []);
  await page.close();
});
