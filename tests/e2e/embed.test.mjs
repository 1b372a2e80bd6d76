// Embeds end to end in headless Chromium: the build served from a
// sub-folder; the sample documentation page (docs/embed-example.html), on
// another origin, embedding a lesson that tells its own story, sized by the
// frame's messages and driven by the page's buttons; small frames (720x360,
// 480x320) with the whole time axis in view, legible lane names and the
// explanation on click; a build served from the wrong path says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serveDist, launchBrowser, repoRoot, screenshot, axeViolations } from './harness.mjs';

const context = { dist: null, browser: null };
before(async () => {
  context.dist = await serveDist('/cachescope/');
  context.browser = await launchBrowser();
});
after(async () => {
  await context.browser?.close();
  await context.dist?.close();
});

/** A tiny site on its own port: `pages` maps a path to the HTML it serves. */
async function serveSite(pages) {
  const server = createServer((req, res) => {
    const body = pages[new URL(req.url, 'http://x').pathname];
    const type = req.url.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8';
    if (body === undefined) res.writeHead(404).end('not found');
    else res.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** A page that records its errors and every failed request (frames too). */
async function newPage(viewport) {
  const page = await context.browser.newPage({ viewport });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  return { page, problems };
}

test('a documentation page embeds a lesson from a sub-folder of another origin: it sizes itself, tells its story, and the page drives it', async () => {
  // localhost vs 127.0.0.1: another origin, not only another port.
  const playground = context.dist.url.replace('127.0.0.1', 'localhost');
  const html = readFileSync(join(repoRoot, 'docs', 'embed-example.html'), 'utf8').replace('src="cachescope/?', `src="${playground}?`);
  assert.match(html, new RegExp(`src="${playground}\\?embed=1`), 'the sample page embeds from its sub-folder');
  const site = await serveSite({
    '/why-invalidation-races.html': html,
    '/embed-host.js': readFileSync(join(repoRoot, 'docs', 'embed-host.js'), 'utf8'),
  });
  const { page, problems } = await newPage({ width: 1000, height: 900 });
  // What the embedded playground downloads (printed, not asserted).
  const fetched = [];
  page.on('response', (r) => {
    if (r.url().startsWith(playground)) fetched.push(r.body().then((b) => [r.url().split('/').pop(), b]).catch(() => null));
  });
  try {
    // Every message the frame sends, as the host page hears it.
    await page.addInitScript(() => {
      window.heard = [];
      window.addEventListener('message', (e) => {
        if (e.data && e.data.source === 'cachescope') window.heard.push(e.data);
      });
    });
    await page.goto(`${site.url}why-invalidation-races.html`);
    const frame = page.frameLocator('#race');
    await frame.getByTestId('step').waitFor();
    const status = page.locator('#race-status');
    await status.filter({ hasText: 'Part 1 of 5' }).waitFor();
    const ready = await page.evaluate(() => window.heard.find((m) => m.event === 'ready'));
    assert.equal(ready.lesson, 'read-write-race');
    assert.deepEqual([ready.step, ready.steps, ready.part, ready.parts, ready.playing, ready.done], [0, 6, 1, 5, false, false]);
    assert.match(ready.text, /^Invalidate-on-write, but the reader is slow/);

    // The frame takes its content's height: nothing to scroll inside it.
    await page.waitForFunction(() => document.getElementById('race').style.height !== '');
    const inner = page.frames().find((f) => f.url().startsWith(playground));
    const size = await page.evaluate(() => window.heard.filter((m) => m.event === 'size').pop().height);
    assert.equal(await page.locator('#race').evaluate((f) => f.clientHeight), size);
    assert.ok((await inner.evaluate(() => document.documentElement.scrollHeight - innerHeight)) <= 1, 'the frame shows all of it');

    // The lesson tells its story in the frame: the narration's line, with
    // its own previous / next.
    const line = frame.getByTestId('transport-beat');
    assert.match(await line.textContent(), /^Invalidate-on-write, but the reader is slow/);
    await frame.getByTestId('transport-beat-next').click();
    await line.filter({ hasText: 'R missed and read v1' }).waitFor();
    await status.filter({ hasText: 'Part 2 of 5' }).waitFor();

    // The page drives it: to a part, play (which stops at the next part).
    await page.getByRole('button', { name: 'Show where R sets v1' }).click();
    await line.filter({ hasText: "R's set of v1 lands after the delete" }).waitFor();
    await status.filter({ hasText: 'Part 4 of 5' }).waitFor();
    await page.getByRole('button', { name: 'Play' }).click();
    await status.filter({ hasText: 'Part 5 of 5' }).waitFor();
    await line.filter({ hasText: 'R2 reads v1: a stale read' }).waitFor();
    await frame.getByTestId('play').filter({ hasText: 'Play' }).waitFor();

    // A click in the frame explains, there and to the page.
    await frame.getByTestId('shade-stale').first().click();
    const explanation = frame.getByTestId('explanation');
    await explanation.waitFor();
    const sentence = await explanation.textContent();
    assert.match(sentence, /stale/);
    await status.filter({ hasText: sentence }).waitFor();

    // Commands by hand: a bad one is answered with why, as is a part that
    // does not exist; reset goes back to the start.
    const send = (command, part) =>
      page.evaluate(([c, p]) => cachescope(document.getElementById('race'), c, p), [command, part]);
    await send('explode');
    await page.waitForFunction(() => window.heard.some((m) => m.event === 'error'));
    const error = await page.evaluate(() => window.heard.find((m) => m.event === 'error').message);
    assert.match(error, /^unknown command explode: the commands are hello, play/);
    // A part the narration does not have is refused to the host too.
    await send('part', 9);
    await page.waitForFunction(() => window.heard.some((m) => m.event === 'error' && /part 9/.test(m.message)));
    const refused = await page.evaluate(() => window.heard.filter((m) => m.event === 'error').pop().message);
    assert.equal(refused, "there is no part 9: this run's narration has 5 parts");
    await send('reset');
    await status.filter({ hasText: 'Part 1 of 5' }).waitFor();
    assert.match(await frame.getByTestId('clock').textContent(), /step 0 of 6/);
    await send('run-to-end');
    await status.filter({ hasText: 'Part 5 of 5 (the end)' }).waitFor();
    // hello: where it stands, again.
    const before = await page.evaluate(() => window.heard.length);
    await send('hello');
    await page.waitForFunction((n) => window.heard.slice(n).some((m) => m.event === 'status' && m.done), before);

    const files = (await Promise.all(fetched)).filter(Boolean);
    const total = files.reduce((sum, [, body]) => sum + gzipSync(body, { level: 9 }).length, 0);
    console.log(`the embedded playground's transfer: ${(total / 1024).toFixed(1)} KB gzip -9 in ${files.length} files (${files
      .map(([name, body]) => `${name.replace(/-[0-9a-f]{15,16}/, '').replace(/\?.*/, '') || 'index.html'} ${(gzipSync(body, { level: 9 }).length / 1024).toFixed(1)} KB`)
      .join(', ')})`);
    await screenshot(page, 'embed-docs-site');
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
    await site.close();
  }
});

test('small frames (720x360, 480x320): one row of controls, the story, the whole time axis, legible lane names, the explanation on click', async () => {
  for (const [width, height] of [[720, 360], [480, 320]]) {
    const { page, problems } = await newPage({ width, height });
    try {
      await page.goto(`${context.dist.url}?embed=1&lesson=read-write-race`);
      await page.getByTestId('step').waitFor();
      await page.getByTestId('run').click();
      await page.getByTestId('clock').filter({ hasText: 'done' }).waitFor();
      const where = `${width}x${height}`;
      const fits = async (what) => {
        const overflow = await page.evaluate(() => [
          document.documentElement.scrollWidth - innerWidth,
          document.documentElement.scrollHeight - innerHeight,
        ]);
        assert.deepEqual(overflow.map((o) => Math.max(0, o)), [0, 0], `${where} ${what}: nothing to scroll`);
      };
      await fits('at the end');
      // A one-line title; the transport's controls on one row.
      const title = await page.getByTestId('lesson-title').boundingBox();
      assert.ok(title.height < 30, `${where}: the title is one line (${title.height}px)`);
      const tops = await page.locator('.transport > button, .transport > .scrubber').evaluateAll((els) =>
        els.filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect()).map((r) => Math.round(r.top + r.height / 2)));
      assert.ok(Math.max(...tops) - Math.min(...tops) <= 4, `${where}: one row of controls (${tops})`);
      // The narration's line is in the frame.
      assert.match(await page.getByTestId('transport-beat').textContent(), /R2 reads v1: a stale read/);
      // The whole time axis, at round values.
      const ticks = await page.locator('[data-testid=timeline] text.axis').evaluateAll((els) =>
        els.map((e) => ({ text: e.textContent.trim(), box: e.getBoundingClientRect().toJSON(), size: parseFloat(getComputedStyle(e).fontSize) })));
      assert.ok(ticks.length >= 3, `${where}: ${ticks.length} ticks`);
      for (const { text, box } of ticks) {
        assert.ok(box.left >= 0 && box.right <= width && box.top >= 0 && box.bottom <= height, `${where}: tick ${text} in view (${JSON.stringify(box)})`);
      }
      const values = ticks.map((t) => Number(t.text.replace(/ ms$/, '')));
      const step = values[1] - values[0];
      assert.ok([1, 2, 5, 10, 20, 50, 100].includes(step), `${where}: round ticks ${values}`);
      values.forEach((v, i) => assert.equal(v, values[0] + i * step, `${where}: evenly spaced ${values}`));
      // Lane names at a legible size, each beside its lane.
      const names = await page.locator('.lane-names span').evaluateAll((els) =>
        els.map((e) => ({ text: e.textContent, size: parseFloat(getComputedStyle(e).fontSize), visible: e.getBoundingClientRect().width > 0 })));
      assert.deepEqual(names.map((n) => n.text), ['R', 'W', 'R2', 'cache', 'DB reads']);
      for (const n of names) assert.ok(n.size >= 11 && n.visible, `${where}: lane name ${n.text} at ${n.size}px`);
      // The view controls are folded into a menu.
      assert.equal(await page.getByTestId('zoom-in').isVisible(), false);
      await page.getByTestId('timeline-menu').click();
      await page.getByTestId('zoom-in').waitFor();
      await page.getByTestId('timeline-menu').click();
      // A click explains, in view.
      await page.getByTestId('shade-stale').first().click();
      const explanation = page.getByTestId('explanation');
      await explanation.waitFor();
      assert.match(await explanation.textContent(), /stale/);
      const box = await explanation.boundingBox();
      assert.ok(box.y + box.height <= height, `${where}: the explanation is in view`);
      await screenshot(page, `embed-${where}`);
      assert.deepEqual(await axeViolations(page), [], `${where} axe`);
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  }
});

test('every lesson fits 720x360 and 480x320 whole, time axis included (readers grouped onto shared lanes)', async () => {
  const lessons = execFileSync('cargo', ['run', '--quiet', '--', 'presets'], { cwd: repoRoot, encoding: 'utf8' }).trim().split('\n');
  assert.equal(lessons.length, 27);
  for (const [width, height] of [[720, 360], [480, 320]]) {
    const { page, problems } = await newPage({ width, height });
    try {
      for (const lesson of lessons) {
        await page.goto(`${context.dist.url}?embed=1&lesson=${lesson}`);
        await page.getByTestId('step').waitFor();
        // At each part: nothing clipped (the frame does not scroll), the
        // axis and the part's line in view.
        const hasParts = (await page.getByTestId('transport-beat-next').count()) > 0;
        for (let part = 1; ; part++) {
          const [scroll, lanes, axisBottom] = await page.evaluate(() => [
            document.documentElement.scrollHeight,
            document.querySelectorAll('.lane-names span').length - 1, // and "DB reads"
            Math.max(...[...document.querySelectorAll('.timeline .axis')].map((t) => t.getBoundingClientRect().bottom)),
          ]);
          const where = `${lesson} part ${part} at ${width}x${height}`;
          assert.ok(lanes <= 7, `${where}: ${lanes} lanes`);
          assert.ok(scroll <= height, `${where}: ${scroll}px for ${lanes} lanes`);
          assert.ok(axisBottom <= height, `${where}: the axis ends at ${axisBottom}`);
          const next = page.getByTestId('transport-beat-next');
          if (!hasParts || await next.isDisabled()) break;
          const line = await page.getByTestId('transport-beat').textContent();
          await next.click();
          await page.waitForFunction((was) => document.querySelector('[data-testid=transport-beat]').textContent !== was, line);
        }
      }
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  }
});

test('a build opened from the wrong path says so instead of staying blank', async () => {
  // The page without its files beside it (a folder copied in part, or an
  // address missing its trailing slash).
  const index = readFileSync(join(repoRoot, 'dist', 'index.html'), 'utf8');
  const site = await serveSite({ '/docs/cachescope': index });
  const page = await context.browser.newPage();
  try {
    await page.goto(`${site.url}docs/cachescope`);
    const banner = page.locator('#panic-banner');
    await banner.waitFor();
    const text = await banner.textContent();
    assert.match(text, /cachescope could not load its files \(.*cachescope-[0-9a-f]+\.js/);
    assert.match(text, /ending in a slash/);
    assert.match(await banner.locator('.panic-details').inputValue(), /missing: /);
  } finally {
    await page.close();
    await site.close();
  }
});
