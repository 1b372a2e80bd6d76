// Page benchmarks (print numbers, assert nothing): time to first render from
// a local server in headless Chromium, frame times while playing a
// 10,000-operation run (benches/page-10k-operations.json), and the explorer
// panel on the leases lesson; a 100,000-request workload simulated in the
// page's worker and drawn aggregated (wall time, frames meanwhile), and its
// simulated operations per second in wasm against the native command line
// on the same file, in the same run (first and second run in a page); a million reads a second on one hot
// key for ten seconds (benches/hot-key-1m-*.json) simulated by the page.
// Run by `make bench` after the native benchmarks (which build
// target/release/cachescope).
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serveDist, launchBrowser, repoRoot } from './harness.mjs';

const server = await serveDist();
const browser = await launchBrowser();
// Which parts to measure (all by default): load (first render, time to
// interactive, transfer), frames (playing and stepping 10,000 operations),
// charts (a step's cost with the charts on screen and hidden), explorer,
// large (100,000 requests), hotkey (ten million requests).
// CACHESCOPE_BENCH_LABEL prefixes every line (a build measured beside
// another); CACHESCOPE_NATIVE is the command line compared with.
const parts = new Set((process.env.CACHESCOPE_BENCH_PARTS ?? 'load,frames,charts,explorer,large,hotkey').split(','));
const label = process.env.CACHESCOPE_BENCH_LABEL ? `[${process.env.CACHESCOPE_BENCH_LABEL}] ` : '';
const print = (line) => console.log(`${label}${line}`);
const native = process.env.CACHESCOPE_NATIVE ?? join(repoRoot, 'target', 'release', 'cachescope');

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}
const ms = (v) => `${v.toFixed(1)} ms`;

try {
  if (parts.has('load')) {
    // First render: navigation start to the timeline in the DOM, recorded by
    // the page itself (a mutation observer installed before any script).
    const firsts = [];
    for (let i = 0; i < 7; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.addInitScript(() => {
        new MutationObserver((_, observer) => {
          if (document.querySelector('[data-testid=timeline]')) {
            window.__firstRender = performance.now();
            observer.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(server.url);
      await page.waitForFunction(() => window.__firstRender !== undefined);
      firsts.push(await page.evaluate(() => window.__firstRender));
      await page.close();
    }
    const first = stats(firsts.slice(1)); // the first load also warms the disk cache
    print(`page first render (navigation -> timeline drawn), ${first.n} loads: median ${ms(first.median)}, max ${ms(first.max)}`);

    // Time to interactive: navigation start to the page's answer to its first
    // input (Step pressed as soon as it exists, until the clock says step 1).
    const interactives = [];
    for (let i = 0; i < 7; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.addInitScript(() => {
        const press = () => {
          const clock = document.querySelector('[data-testid=clock]');
          if (clock && clock.textContent.includes('step 1 of')) {
            window.__interactive = performance.now();
            return;
          }
          document.querySelector('[data-testid=step]')?.click();
          setTimeout(press, 1);
        };
        press();
      });
      await page.goto(server.url);
      await page.waitForFunction(() => window.__interactive !== undefined);
      interactives.push(await page.evaluate(() => window.__interactive));
      await page.close();
    }
    const interactive = stats(interactives.slice(1));
    print(`page time to interactive (navigation -> first Step answered), ${interactive.n} loads: median ${ms(interactive.median)}, max ${ms(interactive.max)}`);

    // What a visitor downloads, gzip -9: the first load (index.html and the
    // files it names) and, apart, the worker fetched on first use.
    const dist = process.env.CACHESCOPE_DIST ?? join(repoRoot, 'dist');
    const index = readFileSync(join(dist, 'index.html'), 'utf8');
    const sizes = readdirSync(dist).map((name) => {
      const raw = readFileSync(join(dist, name));
      return { name, raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length, first: name === 'index.html' || index.includes(name) };
    });
    const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
    const line = (files) =>
      `${kb(files.reduce((sum, f) => sum + f.gzip, 0))} (${files.map((f) => `${f.name.replace(/-[0-9a-f]{15,16}/, '')} ${kb(f.gzip)}`).join(', ')})`;
    print(`page first load (index.html and what it names, gzip -9): ${line(sizes.filter((f) => f.first))}`);
    const later = sizes.filter((f) => !f.first);
    if (later.length > 0) print(`page worker, fetched on first use (gzip -9): ${line(later)}`);
  }

  if (parts.has('frames')) {
    // Frame time while playing 10,000 operations.
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(server.url);
    await page.getByTestId('step').waitFor();
    const scenario = readFileSync(join(repoRoot, 'benches', 'page-10k-operations.json'), 'utf8');
    await page.locator('details.loader summary').click();
    await page.getByTestId('scenario-json').fill(scenario);
    const loadStart = Date.now();
    await page.getByTestId('scenario-load').click();
    await page.getByTestId('lesson-title').filter({ hasText: 'Your scenario' }).waitFor();
    const loadMs = Date.now() - loadStart;
    const clock = await page.getByTestId('clock').textContent();
    print(`page load of the 10k-operation scenario (simulate, record, lay out, draw): ${loadMs} ms (${clock})`);
    // Watch the run as a person does: loader closed, the page at its top
    // (the strip and the timeline on screen, not the pasted JSON).
    await page.locator('details.loader summary').click();
    await page.evaluate(() => window.scrollTo(0, 0));
    // 20 s of simulated time at 2x: ~10 s of wall time to play it all; we
    // sample 6 s of it, from the start (few spans drawn) into the middle.
    await page.getByTestId('speed').evaluate((input) => {
      input.value = '3';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const measure = (seconds) =>
      page.evaluate(
        (seconds) =>
          new Promise((done) => {
            const frames = [];
            let last = performance.now();
            const end = last + seconds * 1000;
            // Only frames while playing count (the run may end first).
            const playing = () => document.querySelector('[data-testid=play]').getAttribute('aria-pressed') === 'true';
            const frame = (now) => {
              frames.push(now - last);
              last = now;
              if (now < end && playing()) requestAnimationFrame(frame);
              else done(frames);
            };
            requestAnimationFrame(frame);
          }),
        seconds,
      );
    await page.getByTestId('play').click();
    const early = stats(await measure(6));
    const stepAfter = await page.getByTestId('clock').textContent();
    print(`page frame time playing 10k operations at 2x (first 6 s, to "${stepAfter}"): median ${ms(early.median)}, p95 ${ms(early.p95)}, max ${ms(early.max)}, ${early.n} frames`);
    // Near the end: every span drawn.
    await page.getByTestId('play').click();
    await page.getByTestId('scrubber').evaluate((input) => {
      input.value = String(Number(input.max) - 2000);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.getByTestId('play').click();
    const late = stats(await measure(4));
    print(`page frame time playing 10k operations at 2x (last steps, all spans drawn): median ${ms(late.median)}, p95 ${ms(late.p95)}, max ${ms(late.max)}, ${late.n} frames`);
    // One step with everything drawn (a click on Step to the next paint).
    await page.getByTestId('play').click();
    const stepTimes = [];
    for (let i = 0; i < 20; i++) {
      stepTimes.push(
        await page.evaluate(
          () =>
            new Promise((done) => {
              const start = performance.now();
              document.querySelector('[data-testid=step]').click();
              requestAnimationFrame(() => done(performance.now() - start));
            }),
        ),
      );
    }
    const step = stats(stepTimes);
    print(`page one step with 10k operations drawn (click -> next frame): median ${ms(step.median)}, max ${ms(step.max)}`);
    await page.close();
  }

  if (parts.has('charts')) {
    // The charts' price per frame: one step of the lease-hot-key lesson
    // (808 reads, 40 writes) in a window tall enough to show the run and
    // every chart, against the same steps with the charts' panel hidden
    // (not on screen, so not drawn). Paused, every step draws them again.
    const stepOnce = (page) =>
      page.evaluate(
        () =>
          new Promise((done) => {
            const start = performance.now();
            document.querySelector('[data-testid=step]').click();
            requestAnimationFrame(() => done(performance.now() - start));
          }),
      );
    const measure = async (hidden) => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 3600 } });
      await page.goto(`${server.url}?lesson=lease-hot-key`);
      await page.getByTestId('step').waitFor();
      if (hidden) await page.addStyleTag({ content: '[data-testid=charts] { display: none !important; }' });
      await page.waitForTimeout(300);
      const times = [];
      for (let i = 0; i < 60; i++) times.push(await stepOnce(page));
      await page.close();
      return stats(times.slice(10));
    };
    const shown = await measure(false);
    const hidden = await measure(true);
    print(`page one step of lease-hot-key with the charts on screen (click -> next frame): median ${ms(shown.median)}, p95 ${ms(shown.p95)}; charts hidden: median ${ms(hidden.median)}, p95 ${ms(hidden.p95)}; the charts' share: ${ms(shown.median - hidden.median)}`);
  }

  if (parts.has('explorer')) {
    // The explorer panel on the largest explorable lesson (leases: 490,938
    // schedules, 136,123 states), counted in the page's worker, against
    // `cachescope explore` natively: wall time to the answer (the first
    // use fetches and compiles the worker's module; then the worker is
    // warm), and frame times on the page's thread while it counts.
    const explorerPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await explorerPage.goto(server.url);
    await explorerPage.getByTestId('lesson').selectOption('leases');
    const explore = async () => {
      const started = Date.now();
      await explorerPage.getByTestId('explore').click();
      const frames = await explorerPage.evaluate(
        () =>
          new Promise((done) => {
            const frames = [];
            let last = performance.now();
            const frame = (now) => {
              frames.push(now - last);
              last = now;
              if (document.querySelector('[data-testid=explore-total]')) done(frames);
              else requestAnimationFrame(frame);
            };
            requestAnimationFrame(frame);
          }),
      );
      return { ms: Date.now() - started, frames };
    };
    const cold = await explore();
    const warm = [];
    const warmFrames = [];
    for (let i = 0; i < 3; i++) {
      // Another lesson and back: the panel starts again.
      await explorerPage.getByTestId('lesson').selectOption('read-write-race');
      await explorerPage.getByTestId('lesson').selectOption('leases');
      const run = await explore();
      warm.push(run.ms);
      warmFrames.push(...run.frames);
    }
    const warmMs = stats(warm).median;
    const during = stats([...cold.frames, ...warmFrames]);
    // The same count natively, in the same run (median of 3).
    const nativeExplore = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      execFileSync(native, ['explore', join(repoRoot, 'src', 'lessons', 'leases.json')], { stdio: 'ignore' });
      nativeExplore.push(Date.now() - started);
    }
    const nativeMs = stats(nativeExplore).median;
    const ratio = (x) => `${(x / nativeMs).toFixed(1)}x`;
    print(`page explorer, leases lesson (${await explorerPage.getByTestId('explore-total').textContent()}): first use ${cold.ms} ms (${ratio(cold.ms)}), then median ${warmMs} ms of 3 (${ratio(warmMs)}); native ${nativeMs} ms; the page's frames while counting: median ${ms(during.median)}, p95 ${ms(during.p95)}, max ${ms(during.max)}, ${during.n} frames`);
    await explorerPage.close();
  }

  if (parts.has('large')) {
    // 100,000 requests: simulated in slices between frames, then drawn
    // aggregated. Wall time from "Run" to the density drawn; frames while
    // simulating; operations per second in wasm (the page's own time spent
    // in the simulator) against the native command line on the same file.
    const bigFile = join(repoRoot, 'benches', 'page-100k-requests.json');
    const nativeRuns = [];
    for (let i = 0; i < 5; i++) {
      const line = execFileSync(native, ['bench', '--scenario', bigFile], { encoding: 'utf8' });
      nativeRuns.push(Number(/ops_per_s=(\d+)/.exec(line)[1]));
    }
    const wasmRuns = [];
    const warmUps = [];
    const workerWarmUps = [];
    const warmRuns = [];
    const wallRuns = [];
    const bigFrames = [];
    const lastFrames = [];
    const longTasks = [];
    let bigSummary = '';
    // Where the page simulated it: its worker, or its own thread in slices
    // (a page built before runs went to the worker says nothing).
    let simulatedIn = 'the page\'s thread, in slices';
    for (let i = 0; i < 5; i++) {
      const bigPage = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
      // The main thread's long tasks (over 50 ms), wherever they fall in
      // a frame: what a frame-interval count can miss.
      await bigPage.addInitScript(() => {
        window.cachescopeLongTasks = [];
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) window.cachescopeLongTasks.push(entry.duration);
        }).observe({ type: 'longtask' });
      });
      await bigPage.goto(server.url);
      await bigPage.getByTestId('step').waitFor();
      // The page warms its simulator up a second after it opens (a person
      // takes longer than that to paste a scenario): the first run starts
      // after.
      await bigPage.locator('html[data-warmed-up]').waitFor({ state: 'attached' });
      warmUps.push(Number(await bigPage.locator('html').getAttribute('data-warmed-up')));
      // And its simulating worker a few seconds after (a build that has
      // no such worker, or does not warm it, is not waited for).
      const workerWarmed = await bigPage
        .locator('html[data-worker-warmed-up]')
        .waitFor({ state: 'attached', timeout: 10_000 })
        .then(() => true, () => false);
      if (workerWarmed) workerWarmUps.push(Number(await bigPage.locator('html').getAttribute('data-worker-warmed-up')));
      await bigPage.locator('details.loader summary').click();
      await bigPage.getByTestId('scenario-json').fill(readFileSync(bigFile, 'utf8'));
      const framesDone = bigPage.evaluate(
        () =>
          new Promise((done) => {
            const frames = [];
            let last = performance.now();
            let start = null;
            const frame = (now) => {
              if (start === null && document.querySelector('[data-testid=work]')) start = now;
              if (start !== null) frames.push(now - last);
              last = now;
              // The frame that drew the result ends when the next begins
              // (a page that reads the result in one frame and draws it in
              // the next has drawn it in the one before: the longer of the
              // two is taken).
              if (document.querySelector('[data-testid=density]')) {
                requestAnimationFrame((after) => done({ frames, ms: now - start, last: Math.max(after - now, frames.at(-1) ?? 0) }));
              }
              else requestAnimationFrame(frame);
            };
            requestAnimationFrame(frame);
          }),
      );
      await bigPage.evaluate(() => { window.cachescopeLongTasks.length = 0; });
      await bigPage.getByTestId('scenario-load').click();
      const { frames, ms: wall, last: lastFrame } = await framesDone;
      await bigPage.waitForTimeout(200);
      longTasks.push(Math.max(0, ...(await bigPage.evaluate(() => window.cachescopeLongTasks))));
      lastFrames.push(lastFrame);
      const aggregated = bigPage.getByTestId('aggregated');
      wasmRuns.push(Number(await aggregated.getAttribute('data-ops-per-s')));
      wallRuns.push(wall);
      bigFrames.push(...frames);
      bigSummary = `${await aggregated.getAttribute('data-requests')} requests, ${await aggregated.getAttribute('data-operations')} operations`;
      if ((await aggregated.getAttribute('data-simulated-in')) === 'worker') simulatedIn = 'the page\'s worker';
      // Again in the same page (another seed): V8 first runs wasm from its
      // baseline compiler and optimises hot functions while they run, so a
      // first run of a quarter of a second is partly unoptimised.
      await bigPage.getByTestId('knob-seed').fill('2');
      await bigPage.getByTestId('knob-seed').press('Enter');
      await bigPage.getByTestId('work').waitFor();
      await bigPage.getByTestId('work').waitFor({ state: 'detached' });
      warmRuns.push(Number(await aggregated.getAttribute('data-ops-per-s')));
      await bigPage.close();
    }
    const wall = stats(wallRuns);
    const frames = stats(bigFrames);
    const lastFrame = stats(lastFrames);
    print(`page 100k-request workload (${bigSummary}), simulated in ${simulatedIn} + drawn aggregated, 5 runs: median ${ms(wall.median)}, max ${ms(wall.max)}; frames meanwhile: median ${ms(frames.median)}, p95 ${ms(frames.p95)}, max ${ms(frames.max)}; the frame that drew the result (the longer of the last two): median ${ms(lastFrame.median)}, max ${ms(lastFrame.max)}; the longest task of the page's thread from Load to drawn (0: none over 50 ms): median ${ms(stats(longTasks).median)}, max ${ms(stats(longTasks).max)}`);
    const nativeOps = stats(nativeRuns).median;
    const wasmOps = stats(wasmRuns).median;
    const warmOps = stats(warmRuns).median;
    print(`simulated operations per second on benches/page-100k-requests.json (median of 5 each): native ${nativeOps.toFixed(0)}; wasm in ${simulatedIn}, first run ${wasmOps.toFixed(0)} (${(wasmOps / nativeOps).toFixed(2)}x native), second run in the same page ${warmOps.toFixed(0)} (${(warmOps / nativeOps).toFixed(2)}x native); the page's warm-up took ${ms(stats(warmUps).median)}${workerWarmUps.length ? `, its worker's ${ms(stats(workerWarmUps).median)} (before the first run)` : ''}`);
  }

  if (parts.has('hotkey')) {
    // A million reads a second on one hot key for ten seconds (10 million
    // requests), with leases, with and without serving stale values: loaded
    // in the page, simulated in its worker with a progress bar (sampled here)
    // and a Cancel button, drawn aggregated. Wall time from Load to the
    // density drawn, against the native command line on the same file.
    for (const name of ['hot-key-1m-stale', 'hot-key-1m-wait']) {
      const file = join(repoRoot, 'benches', `${name}.json`);
      const nativeLine = execFileSync(native, ['bench', '--scenario', file], { encoding: 'utf8' });
      const nativeWall = Number(/wall_s=([\d.]+)/.exec(nativeLine)[1]);
      const hotPage = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
      await hotPage.goto(server.url);
      await hotPage.getByTestId('step').waitFor();
      await hotPage.locator('html[data-warmed-up]').waitFor({ state: 'attached' });
      await hotPage.locator('details.loader summary').click();
      await hotPage.getByTestId('scenario-json').fill(readFileSync(file, 'utf8'));
      const watched = hotPage.evaluate(
        () =>
          new Promise((done) => {
            const progress = [];
            const frames = [];
            let last = performance.now();
            let start = null;
            const frame = (now) => {
              const bar = document.querySelector('[data-testid=work-progress]');
              if (start === null && bar) start = now;
              if (start !== null) frames.push(now - last);
              if (bar) progress.push(Number(bar.value));
              last = now;
              const refused = document.querySelector('[data-testid=message]');
              if (document.querySelector('[data-testid=density]') || refused) {
                done({ progress, frames, ms: now - start, refused: refused?.textContent });
              } else requestAnimationFrame(frame);
            };
            requestAnimationFrame(frame);
          }),
      );
      await hotPage.getByTestId('scenario-load').click();
      const { progress, frames: hotFrames, ms: hotMs, refused } = await watched;
      if (refused) {
        print(`page ${name}: refused: ${refused}`);
        await hotPage.close();
        continue;
      }
      const aggregated = hotPage.getByTestId('aggregated');
      const requests = await aggregated.getAttribute('data-requests');
      const operations = await aggregated.getAttribute('data-operations');
      const opsPerS = Number(await aggregated.getAttribute('data-ops-per-s'));
      const distinct = new Set(progress.map((p) => p.toFixed(2))).size;
      const during = stats(hotFrames);
      print(`page ${name} (${requests} requests, ${operations} operations): ${(hotMs / 1000).toFixed(1)} s from Load to drawn (native command line ${nativeWall.toFixed(1)} s); ${opsPerS.toFixed(0)} operations/s in wasm; progress bar showed ${distinct} distinct values; frames meanwhile median ${ms(during.median)}, p95 ${ms(during.p95)}`);
      await hotPage.close();
    }
  }

} finally {
  await browser.close();
  await server.close();
}
