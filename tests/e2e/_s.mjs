import { serveDist, launchBrowser } from './harness.mjs';
const [,, w, h, query, parts, out] = process.argv;
const server = await serveDist();
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: +w, height: +h } });
await page.goto(server.url + query);
await page.getByTestId('step').waitFor();
const next = query.includes('embed') ? 'transport-beat-next' : 'beat-next';
for (let i = 1; i < +parts; i++) { await page.getByTestId(next).click(); await page.waitForTimeout(150); }
await page.waitForTimeout(200);
await page.screenshot({ path: out });
await browser.close(); await server.close();
