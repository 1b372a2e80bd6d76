// Share, teach, embed, fail well, end to end in headless Chromium:
// links restore the exact state; exports run with the command line and
// imports come back; the playground embeds in another origin's page; the
// embed dialog's snippet; presenter mode and a remote's keys; the shortcut
// overlay; axe-core finds no serious or critical violation; a phone-sized
// touch screen works; the page fetches nothing but its own files under a
// Content-Security-Policy; bad links and files get a message; a panic
// shows a banner whose details can be copied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  usePlayground, openPlayground, screenshot, repoRoot, artifactDir, axeViolations, serveDist, distDir, testSwitchesDistDir,
} from './harness.mjs';

const context = usePlayground();

/** Runs the native command line; returns its stdout. */
function cachescope(...args) {
  return execFileSync('cargo', ['run', '--quiet', '--', ...args], { cwd: repoRoot, encoding: 'utf8' });
}

/** Clicks `testid` and returns the text of the file it downloads. */
async function download(page, testid) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

/** What the page shows that a link must restore. */
async function snapshot(page) {
  return {
    lesson: await page.getByTestId('lesson').inputValue(),
    title: await page.getByTestId('lesson-title').textContent(),
    clock: await page.getByTestId('clock').textContent(),
    axis: await page.getByTestId('timeline').getAttribute('data-axis'),
    explanation: (await page.getByTestId('explanation').count())
      ? await page.getByTestId('explanation').textContent()
      : null,
    speed: await page.getByTestId('speed').inputValue(),
    steps: await page.getByTestId('step-row').allTextContents(),
  };
}

test('a link restores the exact state: lesson, fork, cursor, axis, selection, speed, edited scenario', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url, {
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  await page.getByTestId('lesson').selectOption('read-write-race');
  await page.getByTestId('run').click();
  await page.getByTestId('mark-stale').first().click();
  await page.getByTestId('explanation').waitFor();
  await page.getByTestId('step-back').click();
  await page.getByTestId('step-back').click();
  await page.getByTestId('axis-steps').click();
  await page.getByTestId('speed').evaluate((input) => {
    input.value = '3';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  // Fork: choose who goes next.
  const choice = page.getByTestId('scheduler').locator('button').last();
  await choice.click();
  await page.waitForFunction(() => location.hash.startsWith('#v2.'));
  const before = await snapshot(page);
  const url = page.url();
  assert.ok(url.length < 600, `a lesson's link stays short: ${url.length} characters`);

  // Copy link gives the same address (the clipboard is granted).
  await page.getByTestId('copy-link').click();
  await page.getByTestId('link-text').waitFor();
  assert.equal(await page.getByTestId('link-text').inputValue(), url);
  assert.match(await page.getByTestId('link-status').textContent(), /Link copied/);

  // Copied while playing: the instant of the click, and playing stops there.
  await page.getByTestId('reset').click();
  await page.getByTestId('play').click();
  await page.getByTestId('clock').filter({ hasText: /step [1-9]/ }).waitFor();
  await page.getByTestId('copy-link').click();
  await page.locator('[data-testid=play][aria-pressed=false]').waitFor();
  const copiedWhilePlaying = await page.getByTestId('link-text').inputValue();
  await page.waitForFunction((copied) => location.href === copied, copiedWhilePlaying);

  const { page: again, errors: againErrors } = await openPlayground(context.browser, url);
  assert.deepEqual(await snapshot(again), before);
  assert.equal(again.url(), url, 'the restored page writes the same link');

  // An edited scenario (a knob) travels in the link too.
  await again.getByTestId('knob-strategy-ttl-ms').fill('777');
  await again.getByTestId('knob-strategy-ttl-ms').press('Enter');
  await again.waitForFunction((old) => location.href !== old, url);
  await again.getByTestId('step').click();
  const edited = await snapshot(again);
  const { page: third, errors: thirdErrors } = await openPlayground(context.browser, again.url());
  assert.deepEqual(await snapshot(third), edited);
  assert.equal(await third.getByTestId('knob-strategy-ttl-ms').inputValue(), '777');
  assert.match(edited.title, /your version/);

  // ?lesson=NAME opens a lesson at its start.
  const { page: named } = await openPlayground(context.browser, `${context.server.url}?lesson=leases`);
  assert.equal(await named.getByTestId('lesson').inputValue(), 'leases');
  assert.deepEqual([...errors, ...againErrors, ...thirdErrors], []);
  for (const p of [page, again, third, named]) await p.close();
});

test('a malformed, truncated, future or unknown link gives one message and the first lesson', async () => {
  const { page: good } = await openPlayground(context.browser, `${context.server.url}?lesson=leases`);
  await good.getByTestId('step').click();
  await good.waitForFunction(() => location.hash.length > 5);
  const valid = new URL(good.url()).hash.slice(1);
  await good.close();
  for (const [fragment, expected] of [
    [valid.slice(0, Math.floor(valid.length / 2)), /cut short or altered/],
    ['v1.%%%', /not part of a link/],
    ['v3.AAAA', /newer cachescope \(format v3/],
    ['hello', /no version/],
  ]) {
    const { page, errors } = await openPlayground(context.browser, `${context.server.url}#${fragment}`);
    const message = await page.getByTestId('message').textContent();
    assert.match(message, /^This link could not be opened: /, fragment);
    assert.match(message, expected, fragment);
    assert.match(message, /The first lesson is shown instead\.$/);
    assert.equal(await page.getByTestId('lesson').inputValue(), 'cache-aside-basics');
    // The page works.
    await page.getByTestId('step').click();
    assert.match(await page.getByTestId('clock').textContent(), /step 1 of/);
    assert.deepEqual(errors, []);
    await page.close();
  }
  const { page } = await openPlayground(context.browser, `${context.server.url}?lesson=no-such-lesson`);
  assert.match(await page.getByTestId('message').textContent(), /there is no lesson named no-such-lesson/);
  await page.close();
});

test('exports run with the command line; imports come back; a file that is not a scenario is refused', async () => {
  mkdirSync(artifactDir, { recursive: true });
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=write-behind-crash`);
  await page.getByTestId('step').click();
  await page.getByTestId('scheduler').locator('button').last().click();
  const scenario = await download(page, 'export-scenario');
  assert.match(scenario.name, /^write-behind[a-z-]*\.json$/);
  const file = join(artifactDir, 'exported-scenario.json');
  writeFileSync(file, scenario.bytes);
  const report = await download(page, 'export-report');
  assert.equal(report.name, scenario.name.replace(/\.json$/, '.report.json'));
  writeFileSync(join(artifactDir, 'exported-report.json'), report.bytes);
  assert.equal(report.bytes.toString('utf8').trim(), cachescope('run', file).trim(), 'the report is the command line\'s, byte for byte');

  // The timeline as SVG (standalone, styled) and as PNG (twice its size).
  const svg = await download(page, 'export-svg');
  const text = svg.bytes.toString('utf8');
  writeFileSync(join(artifactDir, 'timeline.svg'), svg.bytes);
  assert.match(text, /^<\?xml/);
  assert.match(text, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(text, /<style>[^]*\.lane-label/);
  assert.match(text, /class="export-cursor"/);
  const drawn = await page.locator('.timeline-plot .span').count();
  assert.ok(drawn >= 2, `${drawn} operations on screen`);
  assert.equal((text.match(/class="span /g) ?? []).length, drawn, 'the operations on screen are in the SVG');
  const png = await download(page, 'export-png');
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = png.bytes.readUInt32BE(16);
  const svgWidth = Number(text.match(/<svg[^>]* width="(\d+)/)[1]);
  assert.equal(width, svgWidth * 2);
  writeFileSync(join(artifactDir, 'timeline.png'), png.bytes);

  // A command-line scenario imports into the page.
  await page.getByTestId('lesson').selectOption('leases');
  const loader = page.locator('details.loader');
  await loader.locator('summary').click();
  const preset = join(artifactDir, 'preset-stampede.json');
  writeFileSync(preset, cachescope('preset', 'stampede'));
  await page.getByTestId('scenario-file').setInputFiles(preset);
  await page.getByTestId('lesson-title').filter({ hasText: 'Your scenario' }).waitFor();
  await page.getByTestId('run').click();
  const expected = JSON.parse(cachescope('run', preset, '--no-trace'));
  assert.match(await page.getByTestId('clock').textContent(), new RegExp(`^t = ${expected.end_ms} ms`));
  const title = await page.getByTestId('lesson-title').textContent();
  const clock = await page.getByTestId('clock').textContent();

  // A report is not a scenario: refused, the run on screen kept.
  const notScenario = join(artifactDir, 'not-a-scenario.json');
  writeFileSync(notScenario, report.bytes);
  await page.getByTestId('scenario-file').setInputFiles(notScenario);
  await page.getByTestId('message').waitFor();
  assert.match(await page.getByTestId('message').textContent(), /^This scenario was not loaded: /);
  assert.equal(await page.getByTestId('lesson-title').textContent(), title);
  assert.equal(await page.getByTestId('clock').textContent(), clock);
  const binary = join(artifactDir, 'not-text.json');
  writeFileSync(binary, Buffer.from([0xff, 0xfe, 0x00, 0x01]));
  await page.getByTestId('scenario-file').setInputFiles(binary);
  await page.getByTestId('message').filter({ hasText: 'not valid JSON' }).waitFor();
  assert.equal(await page.getByTestId('clock').textContent(), clock);
  assert.deepEqual(errors, []);
  await page.close();
});

/** A host page with the lesson in a frame, on another port: another origin. */
async function serveHost(playgroundUrl) {
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>host</title></head><body>
    <iframe id="lesson" src="${playgroundUrl}?embed=1&amp;lesson=read-write-race" width="720" height="480"
      title="cachescope: The read-write race"></iframe></body></html>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

test('embedded from another origin: transport and timeline only, fits small frames, opens in full', async () => {
  // localhost vs 127.0.0.1: another origin, not only another port.
  const playground = context.server.url.replace('127.0.0.1', 'localhost');
  const host = await serveHost(playground);
  const page = await context.browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(host.url);
    const frame = page.frameLocator('#lesson');
    await frame.getByTestId('step').waitFor();
    assert.match(await frame.getByTestId('lesson-title').textContent(), /a slow reader refills the old value/);
    await frame.getByTestId('timeline').waitFor();
    for (const hidden of ['charts', 'inspector', 'lesson', 'copy-link', 'narration']) {
      assert.equal(await frame.getByTestId(hidden).count(), 0, `${hidden} is not in the embed`);
    }
    await frame.getByTestId('step').click();
    await frame.getByTestId('step').click();
    assert.match(await frame.getByTestId('clock').textContent(), /step 2 of/);
    const full = await frame.getByTestId('open-full').getAttribute('href');
    assert.ok(full.startsWith(playground), full);
    assert.doesNotMatch(full, /embed=1/);
    assert.equal(await frame.getByTestId('open-full').getAttribute('target'), '_blank');
    // The full playground at that link: the same run at the same step.
    const { page: opened } = await openPlayground(context.browser, full);
    assert.match(await opened.getByTestId('clock').textContent(), /step 2 of/);
    assert.equal(await opened.getByTestId('lesson').inputValue(), 'read-write-race');
    await opened.close();
    await screenshot(page, 'embed-host');
    // Any size: nothing wider than the frame, at 720, 400 and 300 wide.
    for (const [width, height] of [[720, 480], [400, 300], [300, 420]]) {
      await page.locator('#lesson').evaluate((f, [w, h]) => {
        f.style.width = `${w}px`;
        f.style.height = `${h}px`;
      }, [width, height]);
      const inner = page.frames().find((f) => f.url().startsWith(playground));
      await inner.waitForFunction((w) => document.documentElement.clientWidth <= w, width);
      const overflow = await inner.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `${width}x${height}: ${overflow}px wider than the frame`);
    }
    await screenshot(page, 'embed-host-small');
    const frameHandle = page.frames().find((f) => f.url().startsWith(playground));
    assert.ok(frameHandle, 'the iframe is the playground');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await host.close();
  }
});

test('the embed dialog writes the snippet and previews exactly it', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.getByTestId('embed').click();
  const dialog = page.getByTestId('embed-dialog');
  await dialog.waitFor();
  // It starts on the lesson on screen, and names the frame after it.
  assert.equal(await page.getByTestId('embed-lesson').inputValue(), 'cache-aside-basics');
  assert.match(await page.getByTestId('embed-snippet').inputValue(), /lesson=cache-aside-basics" width="720" height="360" title="cachescope: Cache-aside basics \(lesson 1\.1\)"/);
  await page.getByTestId('embed-lesson').selectOption('leases');
  await page.getByTestId('embed-width').fill('400');
  await page.getByTestId('embed-width').press('Tab');
  await page.getByTestId('embed-height').fill('5'); // below the minimum: clamped
  await page.getByTestId('embed-height').press('Tab');
  await page.getByTestId('embed-autoplay').check();
  // Relative by default (served at this server's root: the folder the
  // guide recommends), the guide's height until changed.
  assert.match(await page.getByTestId('embed-snippet').inputValue(), /^<iframe src="cachescope\/\?embed=1&amp;lesson=leases&amp;autoplay=1" width="400" height="240"/);
  await page.getByTestId('embed-absolute').check();
  const snippet = await page.getByTestId('embed-snippet').inputValue();
  assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?embed=1&amp;lesson=leases&amp;autoplay=1" width="400" height="240" title="cachescope: Leases \(lesson \d\.\d\)"/);
  const src = snippet.match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
  const preview = page.getByTestId('embed-preview');
  assert.equal(await preview.getAttribute('src'), src);
  assert.equal(await preview.getAttribute('width'), '400');
  const frame = page.frameLocator('[data-testid=embed-preview]');
  await frame.getByTestId('play').filter({ hasText: 'Pause' }).waitFor(); // autoplay
  assert.match(await frame.getByTestId('lesson-title').textContent(), /lease/i);
  // "This run" embeds the state on screen, titled with where it stands.
  await page.getByTestId('embed-lesson').selectOption({ index: 0 });
  assert.match(await page.getByTestId('embed-snippet').inputValue(), /\?embed=1&amp;autoplay=1#v2\.[^"]*" .* title="cachescope: Cache-aside basics, step 0 of \d+"/);
  await page.keyboard.press('Escape');
  assert.equal(await dialog.count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('presenter mode: large type, remote keys, pauses when the tab is hidden', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=read-write-race`);
  const size = () => page.locator('main').evaluate((m) => parseFloat(getComputedStyle(m).fontSize));
  const normal = await size();
  await page.getByTestId('present').click();
  assert.equal(await page.getByTestId('present').getAttribute('aria-pressed'), 'true');
  assert.ok((await size()) >= normal * 1.3, `${await size()} vs ${normal}`);
  await screenshot(page, 'presenter');
  // PageDown: the lesson's next part; PageUp: back.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  assert.equal(await page.getByTestId('beat-count').textContent(), '1 of ' + (await page.getByTestId('beat-count').textContent()).split(' of ')[1]);
  await page.keyboard.press('PageDown');
  assert.match(await page.getByTestId('beat-count').textContent(), /^2 of/);
  const atSecond = await page.getByTestId('clock').textContent();
  await page.keyboard.press('PageDown');
  assert.match(await page.getByTestId('beat-count').textContent(), /^3 of/);
  await page.keyboard.press('PageUp');
  assert.equal(await page.getByTestId('clock').textContent(), atSecond);
  // '.' plays and pauses.
  await page.keyboard.press('Home');
  await page.keyboard.press('.');
  assert.equal(await page.getByTestId('play').getAttribute('aria-pressed'), 'true');
  await page.keyboard.press('.');
  assert.equal(await page.getByTestId('play').getAttribute('aria-pressed'), 'false');
  // Hidden tab: paused.
  await page.keyboard.press('Home');
  await page.getByTestId('play').click();
  assert.equal(await page.getByTestId('play').getAttribute('aria-pressed'), 'true');
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { value: true, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.getByTestId('play').filter({ hasText: 'Play' }).waitFor();
  assert.equal(await page.getByTestId('play').getAttribute('aria-pressed'), 'false');
  // ?present=1 opens in presenter mode.
  const { page: presented } = await openPlayground(context.browser, `${context.server.url}?present=1`);
  assert.match(await presented.locator('main').getAttribute('class'), /presenting/);
  assert.deepEqual(errors, []);
  await presented.close();
  await page.close();
});

test('? lists every shortcut; Escape and the button close it', async () => {
  const { page, errors } = await openPlayground(context.browser, context.server.url);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('?');
  const overlay = page.getByTestId('shortcuts-overlay');
  await overlay.waitFor();
  const text = await overlay.textContent();
  for (const key of ['Space', '→', '←', 'Home', 'End', 'Page Down', 'Page Up', '.', '?', 'Escape']) {
    assert.ok(text.includes(key), `${key} listed`);
  }
  // Focus moved into the dialog.
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'shortcuts-close');
  await page.keyboard.press('Escape');
  assert.equal(await overlay.count(), 0);
  await page.getByTestId('shortcuts').click();
  await overlay.waitFor();
  await page.getByTestId('shortcuts-close').click();
  assert.equal(await overlay.count(), 0);
  // Space and the arrows still work.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  assert.match(await page.getByTestId('clock').textContent(), /step 1 of/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('axe-core: no serious or critical violations (light, dark, presenter, embed, dialogs); every control reachable by keyboard', async () => {
  const pages = [
    ['light', context.server.url, {}],
    ['dark', `${context.server.url}?lesson=write-behind-crash`, { colorScheme: 'dark' }],
    ['presenter', `${context.server.url}?present=1&lesson=read-write-race`, {}],
    ['embed', `${context.server.url}?embed=1&lesson=read-write-race`, {}],
  ];
  for (const [label, url, options] of pages) {
    const { page, errors } = await openPlayground(context.browser, url, options);
    await page.getByTestId('run').click();
    if (label === 'presenter') {
      // The presenter view as the room sees it, then with its panels back.
      assert.deepEqual(await axeViolations(page), [], 'presenter, panels hidden');
      await page.keyboard.press('e');
      await page.getByTestId('knobs').waitFor();
    }
    if (label !== 'embed') {
      // Every panel open, so every control is checked.
      for (const summary of await page.locator('details > summary').all()) await summary.click();
      await page.getByTestId('mark-stale').first().click().catch(() => {});
    }
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 1)}`);
    if (label === 'light') {
      await page.getByTestId('embed').click();
      assert.deepEqual(await axeViolations(page), [], 'embed dialog');
      await page.keyboard.press('Escape');
      await page.getByTestId('shortcuts').click();
      assert.deepEqual(await axeViolations(page), [], 'shortcuts overlay');
      await page.keyboard.press('Escape');
      // Keyboard: no control is taken out of the tab order.
      const unreachable = await page.evaluate(() =>
        [...document.querySelectorAll('button, input, select, textarea, a[href], summary, [role=slider]')]
          .filter((e) => !e.disabled && e.tabIndex < 0)
          .map((e) => e.outerHTML.slice(0, 80)),
      );
      assert.deepEqual(unreachable, []);
    }
    assert.deepEqual(errors, [], label);
    await page.close();
  }
});

test('a phone (390x844, touch): no sideways scrolling, every action by tap', async () => {
  const { page, errors } = await openPlayground(context.browser, `${context.server.url}?lesson=read-write-race`, {
    viewport: { width: 390, height: 844 },
    hasTouch: true,
    isMobile: true,
  });
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok((await overflow()) <= 0, `${await overflow()}px of sideways scrolling`);
  await page.getByTestId('step').tap();
  await page.getByTestId('step').tap();
  assert.match(await page.getByTestId('clock').textContent(), /step 2 of/);
  await page.getByTestId('step-back').tap();
  assert.match(await page.getByTestId('clock').textContent(), /step 1 of/);
  await page.getByTestId('run').tap();
  // An anomaly explained by a tap (no hover needed).
  await page.getByTestId('mark-stale').first().tap();
  await page.getByTestId('explanation').waitFor();
  // The narration, the shortcuts list and the embed dialog by tap.
  await page.getByTestId('beat-previous').tap();
  await page.getByTestId('shortcuts').tap();
  await page.getByTestId('shortcuts-close').tap();
  await page.getByTestId('embed').tap();
  assert.ok((await overflow()) <= 0, 'the embed dialog fits');
  await page.getByTestId('embed-close').tap();
  // A chart's values by touch.
  const chart = page.getByTestId('chart-db-reads').locator('canvas');
  await chart.scrollIntoViewIfNeeded();
  await chart.tap();
  await page.getByTestId('chart-db-reads-hover').filter({ hasText: /ms: / }).waitFor();
  assert.ok((await overflow()) <= 0);
  await screenshot(page, 'phone');
  assert.deepEqual(errors, []);
  await page.close();
});

test('no request leaves for anything but the page\'s own files; a Content-Security-Policy is set', async () => {
  const page = await context.browser.newPage();
  const requests = [];
  const violations = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${context.server.url}?lesson=stampede`);
  await page.getByTestId('step').waitFor();
  await page.getByTestId('run').click();
  await page.getByTestId('embed').click();
  await page.frameLocator('[data-testid=embed-preview]').getByTestId('step').waitFor();
  await page.keyboard.press('Escape');
  await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
  const files = new Set(readdirSync(join(repoRoot, process.env.CACHESCOPE_DIST ?? 'dist')));
  const origin = new URL(context.server.url).origin;
  const foreign = requests.filter((url) => {
    if (url.startsWith('blob:') || url.startsWith('data:')) return false;
    const u = new URL(url);
    if (u.origin !== origin) return true;
    return u.pathname !== '/' && !files.has(u.pathname.slice(1));
  });
  assert.deepEqual(foreign, [], 'requests other than the page\'s own files');
  assert.ok(requests.some((url) => url.endsWith('.wasm')), 'the wasm was seen');
  const csp = await page.locator('meta[http-equiv=Content-Security-Policy]').getAttribute('content');
  for (const directive of ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval' 'sha256-", "connect-src 'self'", "frame-src 'self'"]) {
    assert.ok(csp.includes(directive), `${directive} in ${csp}`);
  }
  // The policy is enforced: an inline script is refused.
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = true';
    document.head.append(s);
  });
  assert.equal(await page.evaluate(() => window.__inline ?? false), false);
  assert.ok(violations.length >= 1, 'the refusal was reported');
  assert.ok(violations.every((v) => /inline/.test(v)), `only the test's own inline script was refused: ${violations}`);
  await page.close();
});

test('the release has no deliberate panic: ?panic=1 opens the page as usual', async () => {
  const wasm = readdirSync(distDir).filter((name) => /^cachescope-[0-9a-f]+_bg\.wasm$/.test(name));
  assert.equal(wasm.length, 1, `the page's module in ${distDir}: ${wasm}`);
  assert.ok(!readFileSync(join(distDir, wasm[0])).includes('deliberate panic'), 'no panic switch in the release bundle');
  const page = await context.browser.newPage();
  await page.goto(`${context.server.url}?panic=1`);
  await page.getByTestId('step').waitFor();
  await page.getByTestId('step').click();
  assert.equal(await page.locator('#panic-banner').count(), 0);
  await page.close();
});

test('a panic shows the error banner; "Copy details" copies them', async () => {
  // The page built with the tests' switches.
  assert.ok(existsSync(join(testSwitchesDistDir, 'index.html')),
    `${testSwitchesDistDir} is missing: scripts/test-all.sh e2e builds it`);
  const server = await serveDist('/', testSwitchesDistDir);
  const page = await context.browser.newPage();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
  await page.goto(`${server.url}?panic=1`);
  const banner = page.locator('#panic-banner');
  await banner.waitFor();
  assert.match(await banner.textContent(), /internal error/);
  const details = await banner.locator('.panic-details').inputValue();
  assert.match(details, /deliberate panic/);
  assert.match(details, /panic=1/);
  await banner.locator('.panic-copy').click();
  await banner.locator('.panic-copy').filter({ hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), details);
  await screenshot(page, 'panic-banner');
  await page.close();
  await server.close();
});
