// The moment on screen: at every part of every lesson, on a laptop, a
// projector and a phone, the narration (and its question), the cursor's
// instant on the timeline and the anomaly the part names are inside the
// window, below whatever stays stuck at its top, without the person
// scrolling. Measured on real bounding boxes in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usePlayground, openPlayground, screenshot } from './harness.mjs';

const context = usePlayground();

const LAYOUTS = [
  { name: 'laptop-1440x900', viewport: { width: 1440, height: 900 }, query: '' },
  { name: 'laptop-1366x768', viewport: { width: 1366, height: 768 }, query: '' },
  { name: 'presenter-1920x1080', viewport: { width: 1920, height: 1080 }, query: 'present=1&' },
  { name: 'presenter-1280x720', viewport: { width: 1280, height: 720 }, query: 'present=1&' },
  { name: 'phone-390x844', viewport: { width: 390, height: 844 }, query: '', phone: true },
];

/**
 * What is wrong with the window as it is: each of the story's subjects
 * outside the part of the window nothing covers.
 */
async function outOfView(page, phone) {
  return page.evaluate((phone) => {
    const H = window.innerHeight;
    const W = window.innerWidth;
    const box = (e) => e.getBoundingClientRect();
    const story = document.querySelector('.story');
    const stuck = phone || box(story).height === 0 ? document.querySelector('.transport') : story;
    // The stuck part covers the window's top once the page has scrolled.
    const covered = Math.max(0, box(stuck).bottom);
    const problems = [];
    const inside = (what, r, top = 0) => {
      if (r.top < top - 1 || r.bottom > H + 1 || r.left < -1 || r.right > W + 1) {
        problems.push(`${what} at ${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)} (window ${W}x${H}, covered to ${Math.round(covered)})`);
      }
    };
    // The narration: on a phone its line in the transport.
    const narration = phone ? document.querySelector('[data-testid=transport-beat]') : document.querySelector('[data-testid=narration]');
    inside('narration', box(narration));
    const question = document.querySelector('[data-testid=question]');
    if (question && !phone) inside('question', box(question));
    // The cursor's instant: some of the cursor's line, uncovered, in the
    // part of the diagram its frame shows.
    const cursor = document.querySelector('[data-testid=cursor]');
    if (!cursor) {
      problems.push('no cursor on the timeline');
    } else {
      const c = box(cursor);
      const frame = box(document.querySelector('.timeline-scroll'));
      const left = Math.max(0, frame.left);
      const right = Math.min(W, frame.right);
      const visible = Math.min(c.bottom, H) - Math.max(c.top, covered);
      if (visible < 40 || c.left < left - 1 || c.right > right + 1) {
        problems.push(`cursor at x ${Math.round(c.left)} (frame ${Math.round(left)}-${Math.round(right)}), y ${Math.round(c.top)}-${Math.round(c.bottom)}: ${Math.round(visible)} px shown`);
      }
    }
    // What the part is about (its anomaly, the DB reads band, the lane of
    // the actor it names): the latest one drawn, whole; a window, band or
    // lane wider than the view from its start.
    const focus = document.querySelector('[data-testid=narration]')?.dataset.focus;
    if (focus) {
      const marks = document.querySelectorAll(focus);
      if (marks.length === 0) {
        problems.push(`no ${focus} drawn`);
      } else {
        const m = box(marks[marks.length - 1]);
        const frame = box(document.querySelector('.timeline-scroll'));
        const wide = !focus.includes('mark-');
        const r = wide ? { top: m.top, bottom: m.bottom, left: Math.max(m.left, frame.left), right: Math.min(m.right, frame.right) } : m;
        inside(focus, r, covered);
        if (r.right < r.left) problems.push(`${focus} scrolled out of the timeline's view`);
        if (r.left < frame.left - 1 || r.right > frame.right + 1) problems.push(`${focus} outside the timeline's frame`);
      }
    }
    return problems;
  }, phone);
}

for (const layout of LAYOUTS) {
  test(`every part of every lesson keeps its subject in view: ${layout.name}`, async () => {
    const options = { viewport: layout.viewport, ...(layout.phone ? { isMobile: true, hasTouch: true } : {}) };
    const { page, errors } = await openPlayground(context.browser, `${context.server.url}?${layout.query}lesson=cache-aside-basics`, options);
    const lessons = (await page.getByTestId('lesson').locator('option').evaluateAll((os) => os.map((o) => o.value)))
      .filter((name) => !name.startsWith('challenge:'))
      .filter((name) => !process.env.LESSONS || process.env.LESSONS.split(',').includes(name));
    assert.ok(lessons.length >= (process.env.LESSONS ? 1 : 27), lessons.join(" "));
    const failures = [];
    let parts = 0;
    for (const lesson of lessons) {
      // Each lesson opened by its link (the presenter has no lesson menu).
      await page.goto(`${context.server.url}?${layout.query}lesson=${lesson}`);
      await page.getByTestId('beat-count').filter({ hasText: /^1 of / }).waitFor();
      const total = Number((await page.getByTestId('beat-count').textContent()).split(' of ')[1]);
      for (let part = 1; part <= total; part++) {
        if (part > 1) {
          await page.getByTestId('beat-next').click();
          try {
            await page.getByTestId('beat-count').filter({ hasText: `${part} of ${total}` }).waitFor({ timeout: 5000 });
          } catch {
            failures.push(`${lesson}: Next did not reach part ${part} (${await page.getByTestId('beat-count').textContent()})`);
            break;
          }
        }
        // The page scrolls after the frame is drawn.
        await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 30))));
        parts++;
        for (const problem of await outOfView(page, layout.phone)) {
          failures.push(`${lesson} part ${part}: ${problem}`);
        }
        if (failures.length && failures.length < 3) await screenshot(page, `layout-${layout.name}-${lesson}-${part}`);
      }
    }
    assert.ok(parts >= (process.env.LESSONS ? 1 : 100), `${parts} parts walked`);
    assert.deepEqual(failures, []);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('no dead end: a run that waits for a choice says so where the choices are, and a knob it ignores says why', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=read-write-race`, { viewport: { width: 1280, height: 720 } });
  await page.getByTestId('knob-strategy-ttl-ms').fill('10');
  await page.getByTestId('knob-strategy-ttl-ms').press('Enter');
  await page.getByTestId('lesson-title').filter({ hasText: 'your version' }).waitFor();
  await page.getByTestId('run').click();
  await page.getByTestId('clock').filter({ hasText: 'your move: choose who goes next' }).waitFor();
  // Nothing in the transport pretends to act; each says why.
  for (const id of ['play', 'step', 'run']) {
    assert.equal(await page.getByTestId(id).isDisabled(), true, `${id} is disabled`);
    assert.match(await page.getByTestId(id).getAttribute('title'), /choose who goes next/, `${id} says why`);
  }
  // The choices are in view, each with what it makes happen.
  const choices = page.getByTestId('scheduler').locator('button');
  assert.ok(await choices.count() > 0);
  const box = await page.getByTestId('scheduler').boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= 720, `the choices at ${box.y}-${box.y + box.height}`);
  assert.match(await choices.first().textContent(), /^\w+: \S+\.\S+ user:123$/);
  await choices.first().click();
  // The DB read latency decides nothing in a run scheduled by hand; the
  // knob says so and the way to use it.
  await page.getByTestId('back-to-lesson').click();
  await page.getByTestId('lesson-title').filter({ hasText: /^2\.3 The read-write race$/ }).waitFor();
  const hint = page.locator('#knob-latency-ms-db-read-hint');
  assert.match(await hint.textContent(), /chosen by hand .*Run it timed/);
  await page.getByTestId('run-timed').click();
  await page.getByTestId('scheduled-note').waitFor({ state: 'detached' });
  assert.doesNotMatch(await hint.textContent(), /Not used/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('compare reads at a glance: the table fits at 1440, reasons are footnotes, every configuration its own colour, every column explained', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=update-on-write-race`, { viewport: { width: 1440, height: 900 } });
  await page.getByTestId('compare-writes').click();
  await page.locator('[data-testid=work]').waitFor({ state: 'detached' });
  await page.getByTestId('compare-table').scrollIntoViewIfNeeded();
  const [scroll, room] = await page.locator('.compare .table-scroll').evaluate((e) => [e.scrollWidth, e.clientWidth]);
  assert.ok(scroll <= room, `the table is ${scroll} px wide in ${room} px`);
  const rows = await page.locator('[data-testid=compare-table] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
  assert.ok(rows.length >= 7, `${rows.length} configurations`);
  for (const height of rows) assert.ok(height < 60, `a row ${height} px tall`);
  assert.ok(await page.getByTestId('compare-notes').locator('li').count() >= 1, 'reasons as footnotes');
  const colours = await page.locator('.compare .swatch').evaluateAll((ss) => ss.map((s) => getComputedStyle(s).backgroundColor));
  assert.equal(new Set(colours).size, colours.length, colours.join(' '));
  const key = await page.getByTestId('compare-key').textContent();
  for (const name of ['unfinished', 'stale reads', 'peak DB reads', 'hit ratio', 'nines', 'never visible', 'read p50\/p99']) assert.match(key, new RegExp(name));
  assert.deepEqual(errors, []);
  await page.close();
});

for (const layout of LAYOUTS.filter((l) => !l.phone)) {
  test(`a click's explanation lands in view with what it explains: ${layout.name}`, async () => {
    const { page, errors } = await openPlayground(context.browser, `${context.server.url}?${layout.query}lesson=read-write-race`, { viewport: layout.viewport });
    for (let part = 2; part <= 5; part++) {
      await page.getByTestId('beat-next').click();
      await page.getByTestId('beat-count').filter({ hasText: `${part} of 5` }).waitFor();
    }
    await page.getByTestId('shade-stale').first().click();
    await page.getByTestId('explanation').waitFor();
    await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 30))));
    const problems = await outOfView(page, false);
    const box = await page.getByTestId('explanation').boundingBox();
    if (box.y < -1 || box.y + box.height > layout.viewport.height + 1) problems.push(`explanation at ${box.y}-${box.y + box.height}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('in presenter mode the strip\'s captions never run into one another or a box\'s name', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?present=1&lesson=read-write-race`, { viewport: { width: 1280, height: 720 } });
  const rects = (locator) => locator.evaluateAll((ts) => ts.map((t) => {
    const r = t.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom, t.textContent];
  }));
  const apart = (a, b) => a[2] <= b[0] + 0.5 || b[2] <= a[0] + 0.5 || a[3] <= b[1] + 0.5 || b[3] <= a[1] + 0.5;
  const overlaps = [];
  let steps = 0;
  for (const lesson of ['read-write-race', 'update-on-write-race', 'write-behind-crash', 'outbox', 'stampede-lease']) {
    await page.goto(`${context.server.url}?present=1&lesson=${lesson}`);
    await page.getByTestId('step').waitFor();
    for (let i = 0; i < 60 && !(await page.getByTestId('step').isDisabled()); i++) {
      await page.getByTestId('step').click();
      steps++;
      const captions = await rects(page.getByTestId('token').locator('text:not(.token-count)'));
      const names = await rects(page.getByTestId('strip-node').locator('text'));
      for (let a = 0; a < captions.length; a++) {
        for (const other of [...captions.slice(a + 1), ...names]) {
          if (!apart(captions[a], other)) overlaps.push(`${lesson} step ${i + 1}: ${captions[a][4]} / ${other[4]}`);
        }
      }
    }
  }
  assert.ok(steps > 50, `${steps} steps`);
  assert.deepEqual(overlaps, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('on a projector at 1280x720 the shortcuts dialog shows its title', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?present=1&lesson=read-write-race`, { viewport: { width: 1280, height: 720 } });
  await page.keyboard.press('?');
  const title = await page.locator('.dialog h2').boundingBox();
  assert.ok(title.y >= 0 && title.y + title.height <= 720, `the title at ${title.y}`);
  assert.deepEqual(errors, []);
  await page.close();
});
