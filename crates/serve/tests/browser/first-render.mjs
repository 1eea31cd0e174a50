// Time to first render of the `kubereach serve` page: from the start of
// navigation to the first frame painted after the graph is drawn (the
// page's `data-first-paint`), which includes fetching the page, its
// scripts and the graph document, building the elements and the layout.
// Usage: node first-render.mjs URL [RUNS]; prints each run and the median.
// Run by scripts/bench/serve-first-render.sh on a generated cluster.

import { launch } from './e2e.mjs';

const [url, runs = '5'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node first-render.mjs URL [RUNS]');
  process.exit(2);
}
const { browser, close } = await launch();
const times = [];
try {
  for (let run = 0; run < Number(runs); run += 1) {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(url);
    await page.waitForSelector('body[data-first-paint]');
    const elements = await page.evaluate(() => window.kubereachView.cy.elements().length);
    const time = Number(await page.getAttribute('body', 'data-first-paint'));
    times.push(time);
    console.log(`run ${run + 1}: ${time} ms to first render (${elements} elements drawn)`);
    await page.close();
  }
} finally {
  await close();
}
times.sort((a, b) => a - b);
console.log(`median ${times[Math.floor(times.length / 2)]} ms, min ${times[0]} ms, max ${times.at(-1)} ms over ${times.length} runs`);
