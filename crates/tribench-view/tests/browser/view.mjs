// Drives headless Chromium through the viewer as a person would, for the Rust test
// `browser::the_viewer_works_in_a_real_browser`. Prints one JSON line per observation
// ({"check": name, "value": ...}); the Rust side asserts on them. Screenshots go to $SHOTS.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { once } from 'node:events';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE);
const facts = JSON.parse(process.env.TB_FACTS);
const shots = process.env.SHOTS;
const out = (check, value) => console.log(JSON.stringify({ check, value }));

const visibleTrials = (page) =>
  page.$$eval('#trials tbody tr', (rows) => rows.filter((r) => !r.hidden).map((r) => r.dataset.trial));
const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // Runs: the list, sorted by score both ways.
  await page.goto(facts.base);
  out('runs', await page.$$eval('#runs tbody tr', (rs) => rs.map((r) => r.dataset.key)));
  const score = page.locator('#runs th', { hasText: 'score' });
  await score.click();
  out('sorted_up', await page.$$eval('#runs tbody tr', (rs) => rs.map((r) => r.dataset.key)));
  await score.click();
  out('sorted_down', await page.$$eval('#runs tbody tr', (rs) => rs.map((r) => r.dataset.key)));
  await shot(page, 'runs');

  // Run: filter to failures, then search a word of one message.
  await page.click(`a[href="run/${facts.llm}/index.html"]`);
  await page.waitForSelector('#trials');
  out('run_all', await visibleTrials(page));
  out('charts', await page.$$eval('.charts svg', (s) => s.length));
  await page.selectOption('#outcome', 'unresolved');
  out('failures', await visibleTrials(page));
  await shot(page, 'run-failures');
  await page.selectOption('#outcome', '');
  await page.fill('#search', facts.word);
  await page.waitForFunction(() => /^\d+ trials?$/.test(document.getElementById('shown').textContent));
  out('searched', await visibleTrials(page));
  await shot(page, 'run-search');

  // Trial: the marked one, reached by its link.
  await page.click(`a[href="trial/${facts.marked}.html"]`);
  await page.waitForSelector('#step-count');
  out('steps', await page.textContent('#step-count'));
  out('diff_added', await page.$$eval('pre.diff .d-add', (l) => l.map((x) => x.textContent)));
  out('tests', await page.$$eval('table.tests tbody tr', (rs) => rs.map((r) => Array.from(r.cells, (c) => c.textContent))));
  out('first_message', await page.textContent('pre.msg'));
  out('injected', await page.$$eval('main img, main script', (e) => e.length));
  await shot(page, 'trial');

  // Compare: tick two runs, reach a discordant task, see both trials side by side.
  await page.goto(facts.base);
  await page.check(`input.pick[value="${facts.llm}"]`);
  await page.check(`input.pick[value="${facts.oracle}"]`);
  await page.click('#pick');
  await page.waitForSelector('#heatmap');
  out('verdict', await page.textContent('#verdict'));
  out('first_row', await page.$eval('#heatmap tbody tr', (r) => ({ cls: r.className, task: r.cells[0].textContent })));
  await shot(page, 'compare');
  await page.click('#heatmap tbody tr a');
  await page.waitForSelector('.sides');
  out('sides', await page.$$eval('.sides .col', (cols) => cols.map((c) => c.querySelector('#outcome').textContent)));
  await shot(page, 'compare-task');

  // The static copy, from file://: runs, a run, a search, a trial.
  await page.goto(facts.export + 'index.html');
  out('export_runs', await page.$$eval('#runs tbody tr', (rs) => rs.map((r) => r.dataset.key)));
  await page.click(`a[href="run/${facts.llm}/index.html"]`);
  await page.waitForSelector('#trials');
  await page.fill('#search', facts.word);
  await page.waitForFunction(() => /^\d+ trials?$/.test(document.getElementById('shown').textContent));
  out('export_searched', await visibleTrials(page));
  await page.click(`a[href="trial/${facts.marked}.html"]`);
  await page.waitForSelector('#step-count');
  out('export_steps', await page.textContent('#step-count'));
  out('export_first_message', await page.textContent('pre.msg'));
  out('export_url', page.url());
  await shot(page, 'export-trial');

  // Live: the count of a run being written goes up without a reload.
  await page.goto(facts.base + `run/${facts.live}/index.html`);
  const counter = 'ul.facts .recorded';
  // The feed has answered once the state word is set by it.
  await page.waitForFunction(() => document.querySelector('ul.facts .state').textContent.includes('running'));
  const before = await page.textContent(counter);
  out('live_before', before);
  console.log(`LIVE-READY ${before}`);
  const lines = createInterface({ input: process.stdin });
  await once(lines, 'line');
  await page.waitForFunction((b) => document.querySelector('ul.facts .recorded').textContent !== b, before, { timeout: 30000 });
  out('live_after', await page.textContent(counter));
  out('live_summary', await page.textContent('ul.facts .summary'));
  // The table follows without a reload.
  await page.waitForFunction(() => document.querySelectorAll('#trials tbody tr').length === 2, null, { timeout: 30000 });
  out('live_rows', await visibleTrials(page));
  await shot(page, 'live');
  lines.close();

  out('dialogs', dialogs);
  out('errors', errors);
} finally {
  await browser.close();
}
