// End-to-end tests of the `kubereach serve` page in headless chromium.
// Run by crates/kubereach/tests/serve/browser.rs, which starts the servers
// and passes their URLs (with the access token) in the environment:
//   KUBEREACH_DEMO_URL   the demo cluster
//   KUBEREACH_DIFF_URL   `--diff` of the demo against a changed copy
//   KUBEREACH_XSS_URL    a cluster whose label values are HTML
//   KUBEREACH_LARGE_URL  a generated cluster of 5,000 pods
//   KUBEREACH_HUGE_URL   a generated cluster of 10,000 pods in 100 namespaces
//   KUBEREACH_CLASSES_URL  a generated cluster of 180 pods in twelve classes per namespace
//   KUBEREACH_ADMIN_URL  admin policies and an ipBlock matching pod IPs (tests/serve/admin.yaml)
//   KUBEREACH_SCREENSHOTS  where to save screenshots
// Prints one `ok`/`not ok` line per test and a final count; exits 1 on a failure.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.KUBEREACH_CHROMIUM || '/usr/bin/chromium';
const SCREENSHOTS = process.env.KUBEREACH_SCREENSHOTS || 'screenshots';
// Bounds on waiting, not measurements: a debug build on a busy machine is slow.
const WAIT = 120_000;

/** Chromium with a fresh profile (its --user-data-dir), closed and removed by `close`. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'kubereach-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1500, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return { browser, close: async () => { await browser.close(); rmSync(profile, { recursive: true, force: true }); } };
}

/** Opens `url` in a new page and waits for the first drawing; fails on any page error. */
export async function open(browser, url) {
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  const errors = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()}`); });
  page.on('dialog', (dialog) => { errors.push(`dialog: ${dialog.message()}`); dialog.dismiss(); });
  await page.goto(url);
  await page.waitForSelector('body[data-rendered]');
  return { page, errors };
}

const cyIds = (page, selector) => page.evaluate((s) => window.kubereachView.cy.$(s).map((e) => e.id()).sort(), selector);

async function clickElement(page, id) {
  const point = await page.evaluate((elementId) => {
    const cy = window.kubereachView.cy;
    const element = cy.getElementById(elementId);
    if (element.empty()) return null;
    cy.fit(element.isEdge() ? element.connectedNodes() : element, 80);
    const position = element.isEdge() ? element.renderedMidpoint() : element.renderedPosition();
    const box = cy.container().getBoundingClientRect();
    return { x: box.left + position.x, y: box.top + position.y };
  }, id);
  assert.ok(point, `no element ${id} on the canvas`);
  await page.mouse.click(point.x, point.y);
}

/** Pairs of drawn nodes, neither inside the other, whose boxes (labels included) meet. */
const overlaps = (page) => page.evaluate(() => {
  const cy = window.kubereachView.cy;
  const boxes = cy.nodes().map((n) => [n, n.boundingBox({ includeLabels: true, includeOverlays: false })]);
  const found = [];
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) {
      const [[a, A], [b, B]] = [boxes[i], boxes[j]];
      if (a.ancestors().contains(b) || b.ancestors().contains(a)) continue;
      if (A.x1 < B.x2 && B.x1 < A.x2 && A.y1 < B.y2 && B.y1 < A.y2) found.push(`${a.id()} ${b.id()}`);
    }
  }
  return found;
});

async function expand(page, namespace) {
  await page.click(`li[data-namespace="${namespace}"] > button[aria-expanded="false"]`);
  await page.waitForSelector(`li[data-namespace="${namespace}"] > button[aria-expanded="true"]`);
}

const tests = [];
const test = (name, body) => tests.push({ name, body });

test('overview: namespaces as groups, edges between them', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_DEMO_URL);
  assert.deepEqual(await cyIds(page, 'node.namespace'), ['ns:ingress-nginx', 'ns:kube-system', 'ns:monitoring', 'ns:production', 'ns:{outside}']);
  assert.deepEqual(await cyIds(page, 'node.workload'), [], 'collapsed by default');
  const edges = await cyIds(page, 'edge');
  assert.ok(edges.includes('e:ns:ingress-nginx->ns:production'), edges.join(' '));
  // Drawn, not only present: every node visible and pixels on the canvas.
  await page.waitForFunction(() => {
    const cy = window.kubereachView.cy;
    const pixels = [...cy.container().querySelectorAll('canvas')].some((canvas) => {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i]) return true;
      return false;
    });
    return pixels && cy.nodes().every((n) => n.visible());
  });
  const label = await page.evaluate(() => window.kubereachView.cy.getElementById('e:ns:ingress-nginx->ns:production').data('label'));
  assert.equal(label, 'TCP 8080');
  assert.deepEqual(await overlaps(page), [], 'no two nodes overlap');
  // The same as text: the namespace list with counts and coverage.
  const production = await page.textContent('li[data-namespace="production"]');
  assert.match(production, /3 workloads, 7 pods; policy coverage: ingress 100%, egress 29%/);
  await page.screenshot({ path: join(SCREENSHOTS, 'overview.png') });
  assert.deepEqual(errors, []);
});

test('expanding a namespace draws its workloads with markers', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_DEMO_URL);
  await expand(page, 'production');
  await page.waitForFunction(() => window.kubereachView.cy.getElementById('w:production/api').nonempty());
  assert.deepEqual(await cyIds(page, 'node.workload'), ['w:production/api', 'w:production/frontend', 'w:production/worker']);
  assert.equal(await page.evaluate(() => window.kubereachView.cy.getElementById('w:production/api').parent().id()), 'ns:production');
  assert.deepEqual(await overlaps(page), [], 'no two nodes overlap');
  const list = await page.textContent('li[data-namespace="production"] ul');
  assert.match(list, /api \(Deployment\)egress not isolatedexposed: Ingress/);
  // Keyboard: the list is made of buttons.
  await page.focus('button[data-workload="production/worker"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#details h3:text("Deployment production/worker")');
  // A policy highlights the workloads it selects, on the canvas and as text.
  await page.click('button[data-workload="production/api"]');
  await page.click('#details button.policy:text("NetworkPolicy production/default-deny-ingress")');
  await page.waitForSelector('#details .policy-selection');
  assert.equal(await page.textContent('#details .policy-selection ul'), 'production/apiproduction/frontendproduction/worker');
  assert.deepEqual(await cyIds(page, 'node.highlight'), ['w:production/api', 'w:production/frontend', 'w:production/worker']);
  await page.screenshot({ path: join(SCREENSHOTS, 'expanded.png') });
  assert.deepEqual(errors, []);
});

test('a policy highlights the pods it selects and the peers it admits', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_DEMO_URL);
  await expand(page, 'production');
  await page.click('button[data-workload="production/api"]');
  await page.click('#details button.policy:text("NetworkPolicy production/allow-ingress-nginx")');
  await page.waitForSelector('#details .policy-selection li[data-rule="ingress-0"]');
  assert.equal(await page.textContent('#details .policy-selection ul.selects'), 'production/api');
  // Its rule admits the ingress controller's namespace: the collapsed namespace is marked as the peer.
  assert.match(await page.textContent('#details li[data-rule="ingress-0"]'), /^ingress rule 0 \S*50-network-policies\.yaml:\d+ admits from: ingress-nginx\/ingress-nginx-controller$/);
  assert.deepEqual(await cyIds(page, 'node.highlight'), ['w:production/api']);
  assert.deepEqual(await cyIds(page, 'node.peer'), ['ns:ingress-nginx']);
  await page.screenshot({ path: join(SCREENSHOTS, 'policy-peers.png') });
  // Another policy of the same pods: its peer is a workload of the expanded namespace.
  await page.click('#details button.policy:text("NetworkPolicy production/allow-frontend-to-api")');
  await page.waitForSelector('#details .policy-selection:has-text("allow-frontend-to-api") li[data-rule="ingress-0"]');
  assert.equal(await page.$$eval('#details .policy-selection', (sections) => sections.length), 1, 'one policy at a time');
  assert.deepEqual(await cyIds(page, 'node.peer'), ['w:production/frontend']);
  // An egress-only policy without rules admits nothing.
  await page.click('button[data-workload="production/worker"]');
  await page.click('#details button.policy:text("NetworkPolicy production/default-deny-egress")');
  await page.waitForSelector('#details .policy-selection');
  assert.match(await page.textContent('#details .policy-selection'), /isolates the selected pods for Egress: no rule admits anything/);
  assert.deepEqual(await cyIds(page, 'node.peer'), []);
  assert.deepEqual(await cyIds(page, 'node.highlight'), ['w:production/worker']);
  assert.deepEqual(errors, []);
});

test('an edge shows the rule that allows it, with file:line', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_DEMO_URL);
  await expand(page, 'production');
  await page.waitForFunction(() => window.kubereachView.cy.getElementById('e:w:production/frontend->w:production/api').nonempty());
  await clickElement(page, 'e:w:production/frontend->w:production/api');
  await page.waitForSelector('#details .explanation-result');
  const details = await page.textContent('#details');
  assert.match(details, /production\/frontend → production\/api/);
  assert.match(details, /allow TCP 80 — NetworkPolicy production\/allow-frontend-to-api rule 0 \(network tier\) \S*50-network-policies\.yaml:50/);
  await page.screenshot({ path: join(SCREENSHOTS, 'edge.png') });
  // A missing edge: the worker may not reach the api; the explanation names the blocking policy.
  await page.click('button[data-workload="production/worker"]');
  await page.fill('.explain-form input[name="peer"]', 'production/api');
  await page.click('.explain-form button[type="submit"]');
  await page.waitForSelector('#details .explanation-result');
  const denied = await page.textContent('#details .explanation-result');
  assert.match(denied, /production\/worker → production\/api: denied/);
  assert.match(denied, /egress of production\/worker.*deny .*isolated, and no rule allows it/s);
  assert.deepEqual(errors, []);
});

test('a trace shows the layers and highlights the blocking one', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_DEMO_URL);
  await page.fill('#trace-from', 'production/frontend');
  await page.fill('#trace-to', 'http://api-service.production/healthz');
  await page.click('#trace-form button[type="submit"]');
  await page.waitForSelector('#trace-result .verdict');
  assert.equal(await page.textContent('#trace-result .verdict'), 'blocked at network-policy-ingress');
  const blocking = await page.$$eval('#trace-result li.fail', (items) => items.map((i) => i.dataset.layer));
  assert.deepEqual(blocking, ['network-policy-ingress']);
  const colour = await page.$eval('#trace-result li.fail', (item) => getComputedStyle(item).backgroundColor);
  assert.equal(colour, 'rgb(255, 227, 227)');
  assert.match(await page.textContent('#trace-result li.fail'), /fix: .*allow `port: http` \(TCP 8080\)/);
  const layers = await page.$$eval('#trace-result li[data-layer]', (items) => items.map((i) => i.dataset.layer));
  assert.deepEqual(layers.slice(0, 5), ['source', 'dns', 'service-type', 'service-port', 'endpoints']);
  assert.equal(layers.at(-1), 'destination');
  await page.screenshot({ path: join(SCREENSHOTS, 'trace.png') });
  assert.deepEqual(errors, []);
});

test('dns shows every query the pod sends, in order', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_DEMO_URL);
  await page.fill('#dns-name', 'api-service.production');
  await page.fill('#dns-from', 'production/frontend');
  await page.click('#dns-form button[type="submit"]');
  await page.waitForSelector('#dns-result ol.queries');
  const queries = await page.$$eval('#dns-result ol.queries li', (items) => items.map((i) => i.textContent));
  // ndots 5: the name is tried with each search domain first (see the README's trace).
  assert.match(queries[0], /^api-service\.production\.production\.svc\.cluster\.local A → nxdomain/);
  assert.match(queries[1], /^api-service\.production\.svc\.cluster\.local A → A api-service\.production\.svc\.cluster\.local .*Service production\/api-service/);
  assert.deepEqual(errors, []);
});

test('a finding opens its object', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_DEMO_URL);
  const codes = await page.$$eval('#findings li', (items) => items.map((i) => i.dataset.code));
  assert.ok(codes.includes('KR306') && codes.includes('KR101'), codes.join(' '));
  // KR306 is about `Deployment/worker`'s policy; the object is the NetworkPolicy, so its namespace is selected.
  await page.click('#findings li[data-code="KR101"]');
  await page.waitForSelector('#details .finding-details');
  const details = await page.textContent('#details');
  assert.match(details, /KR101/);
  assert.match(details, /Service monitoring\/metrics/);
  assert.match(details, /60-monitoring\.yaml:\d+/);
  assert.deepEqual(await cyIds(page, 'node:selected'), ['ns:monitoring']);
  assert.deepEqual(errors, []);
});

test('cluster strings with HTML show as text', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_XSS_URL);
  // The API server rejects such label values, so the Deployment carrying
  // them is a finding (KR502) whose message quotes them: shown as text.
  await page.waitForSelector('#findings li[data-code="KR502"]');
  const listed = (await page.$$eval('#findings li', (items) => items.map((i) => i.textContent))).join('\n');
  for (const payload of ['<img src=x onerror=alert(1)>', '</script><script>window.__pwned=1</script>']) {
    assert.ok(listed.includes(payload), listed);
  }
  await page.click('#findings li[data-code="KR502"]');
  await page.waitForSelector('#details .finding-details');
  assert.match(await page.textContent('#details'), /Invalid value: "(<img src=x onerror=alert\(1\)>|<\/script><script>window\.__pwned=1<\/script>)"/);
  // The valid workload beside it still shows its labels as text.
  await expand(page, 'xss');
  await page.click('button[data-workload="xss/web"]');
  await page.waitForSelector('#details table.labels');
  const values = await page.$$eval('#details td.label-value', (cells) => cells.map((c) => c.textContent));
  assert.deepEqual(values.sort(), ['web']);
  assert.equal(await page.$$eval('#findings img, #findings script, #details img, #details script', (nodes) => nodes.length), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.screenshot({ path: join(SCREENSHOTS, 'xss.png') });
  assert.deepEqual(errors, [], 'no dialog opened, no error');
});

test('diff mode colours added edges green and removed ones red', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_DIFF_URL);
  assert.match(await page.textContent('#legend'), /added.*removed.*changed/);
  await expand(page, 'production');
  await page.waitForFunction(() => window.kubereachView.cy.getElementById('w:production/api').nonempty());
  const style = (id) => page.evaluate((edgeId) => {
    const edge = window.kubereachView.cy.getElementById(edgeId);
    return edge.empty() ? null : { classes: edge.classes().join(' '), colour: edge.style('line-color') };
  }, id);
  assert.deepEqual(await style('e:ns:monitoring->w:production/api'), { classes: 'added', colour: 'rgb(43,147,72)' });
  assert.deepEqual(await style('e:ns:ingress-nginx->w:production/api'), { classes: 'removed', colour: 'rgb(208,0,0)' });
  assert.deepEqual(await style('e:w:production/frontend->w:production/api'), { classes: 'changed', colour: 'rgb(244,162,97)' });
  // Positions come from the server, the same in both versions.
  const position = await page.evaluate(() => window.kubereachView.cy.getElementById('w:production/api').position());
  const graph = await page.evaluate(() => window.kubereachView.state.graph.workloads.find((w) => w.id === 'production/api').position);
  assert.deepEqual(position, graph);
  await page.screenshot({ path: join(SCREENSHOTS, 'diff.png') });
  assert.deepEqual(errors, []);
});

test('a generated cluster of 5,000 pods opens', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_LARGE_URL);
  const counts = await page.evaluate(() => ({
    drawn: window.kubereachView.cy.$('node.namespace').length,
    namespaces: window.kubereachView.state.graph.namespaces.length,
    pods: window.kubereachView.state.graph.namespaces.reduce((sum, n) => sum + n.pods, 0),
  }));
  assert.equal(counts.drawn, counts.namespaces);
  assert.ok(counts.pods >= 5000, `${counts.pods} pods`);
  // Within the element budget; what is left out is said, and a selected namespace gets its edges.
  assert.ok(await page.evaluate(() => window.kubereachView.cy.elements().length) <= 1500);
  const hidden = await page.evaluate(() => window.kubereachView.state.hiddenEdges);
  assert.ok(hidden > 1000, `${hidden} edges left out`);
  {
    assert.match(await page.textContent('#hidden-edges'), /namespace connections not drawn/);
    await page.click('li[data-namespace="team-001"] > button.namespace-name');
    const own = await page.evaluate(() => window.kubereachView.cy.edges().filter((e) => e.source().id() === 'ns:team-001' || e.target().id() === 'ns:team-001').length);
    assert.ok(own > 0, 'the selected namespace has its edges drawn');
  }
  await page.click('#view-adjacency');
  assert.equal(await page.$$eval('table.adjacency tbody tr', (rows) => rows.length), counts.namespaces);
  await page.click('#view-graph');
  await page.screenshot({ path: join(SCREENSHOTS, 'large.png') });
  assert.deepEqual(errors, []);
});

test('the namespace adjacency matrix reads at 10,000 pods', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_HUGE_URL);
  const graph = await page.evaluate(() => ({
    namespaces: window.kubereachView.state.graph.namespaces.map((n) => n.name),
    pods: window.kubereachView.state.graph.namespaces.reduce((sum, n) => sum + n.pods, 0),
  }));
  assert.equal(graph.namespaces.filter((name) => name.startsWith('team-')).length, 100);
  assert.ok(graph.pods >= 10000, `${graph.pods} pods`);
  await page.click('#view-adjacency');
  // One row and one column per namespace, every namespace named as text.
  const rows = await page.$$eval('table.adjacency tbody tr', (trs) => trs.map((tr) => tr.querySelector('th').textContent));
  assert.equal(rows.length, graph.namespaces.length);
  for (const name of graph.namespaces.filter((n) => n.startsWith('team-'))) assert.ok(rows.includes(name), name);
  const columns = await page.$$eval('table.adjacency thead th', (ths) => ths.length);
  assert.equal(columns, graph.namespaces.length + 1, 'a corner cell and one column per namespace');
  // Tier t2 admits every namespace on 8080, so each row has connections into team-001.
  const counted = await page.$$eval('table.adjacency td.some', (tds) => tds.map((td) => Number(td.textContent)));
  assert.ok(counted.length >= 99 && counted.every((n) => n > 0), `${counted.length} cells with connections`);
  await page.screenshot({ path: join(SCREENSHOTS, 'adjacency-10k.png'), fullPage: false });
  assert.deepEqual(errors, []);
});

test('a namespace expands into classes of pods with identical connectivity', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_LARGE_URL);
  const item = 'li[data-namespace="team-001"]';
  // Policies tell its 20 Deployments apart by tier only: three classes.
  assert.equal(await page.textContent(`${item} button.by-class`), '3 classes');
  await page.click(`${item} button.by-class`);
  await page.waitForSelector(`${item} button.by-class[aria-pressed="true"]`);
  await page.waitForFunction(() => window.kubereachView.cy.$('node.class-node').length === 3);
  assert.deepEqual(await cyIds(page, 'node.class-node'), ['c:team-001#1', 'c:team-001#2', 'c:team-001#3']);
  const labels = await page.evaluate(() => window.kubereachView.cy.$('node.class-node').map((n) => `${n.id()} ${n.data('label')}`).sort());
  assert.deepEqual(labels, ['c:team-001#1 7 workloads\n35 pods', 'c:team-001#2 7 workloads\n35 pods', 'c:team-001#3 6 workloads\n30 pods']);
  assert.deepEqual(await cyIds(page, 'node.workload'), [], 'its workloads are drawn as their classes');
  // The same as text: the list holds the classes, each with its workloads.
  const listed = await page.$$eval(`${item} ul.classes > li > button`, (buttons) => buttons.map((b) => b.textContent));
  assert.deepEqual(listed, ['class team-001#1: 7 workloads, 35 pods', 'class team-001#2: 7 workloads, 35 pods', 'class team-001#3: 6 workloads, 30 pods']);
  assert.equal(await page.$$eval(`${item} li[data-class="team-001#3"] button[data-workload]`, (buttons) => buttons.length), 6);
  assert.ok(await page.evaluate(() => window.kubereachView.cy.elements().length) <= 1500);
  // Tier t2 admits every namespace on 8080: its class has edges from the other namespaces.
  const into = await page.evaluate(() => window.kubereachView.cy.getElementById('c:team-001#3').incomers('edge').map((e) => e.source().id()));
  assert.ok(into.includes('ns:team-000') && into.includes('ns:team-049'), into.join(' '));
  const label = await page.evaluate(() => window.kubereachView.cy.getElementById('e:ns:team-049->c:team-001#3').data('label'));
  assert.equal(label, '120 · TCP 8080', 'workload pairs: 20 sources × 6 destinations');
  // The classes are the graph document's: each workload names its own.
  const members = await page.evaluate(() => window.kubereachView.state.graph.workloads.filter((w) => w.class === 'team-001#3').map((w) => w.name));
  assert.deepEqual(members, ['app-02', 'app-05', 'app-08', 'app-11', 'app-14', 'app-17']);
  // The class's details list its workloads as text; one of them opens the workloads view.
  await clickElement(page, 'c:team-001#3');
  await page.waitForSelector('#details ul.class-members');
  assert.match(await page.textContent('#details h3'), /^class team-001#3$/);
  assert.equal(await page.$$eval('#details ul.class-members button', (buttons) => buttons.length), 6);
  await page.screenshot({ path: join(SCREENSHOTS, 'classes.png') });
  await page.click('#details ul.class-members button[data-workload="team-001/app-05"]');
  await page.waitForSelector(`${item} button.by-class[aria-pressed="false"]`);
  await page.waitForFunction(() => window.kubereachView.cy.getElementById('w:team-001/app-05').nonempty());
  assert.deepEqual(await cyIds(page, 'node.class-node'), []);
  assert.deepEqual(errors, []);
});

test('class nodes never overlap, under the element budget and over it', async (browser) => {
  for (const [url, namespaces, screenshot] of [
    [process.env.KUBEREACH_CLASSES_URL, ['team-001', 'team-003', 'team-004'], 'classes-small.png'],
    [process.env.KUBEREACH_LARGE_URL, ['team-001', 'team-002'], 'classes-large.png'],
  ]) {
    const { page, errors } = await open(browser, url);
    for (const namespace of namespaces) {
      await page.click(`li[data-namespace="${namespace}"] button.by-class`);
      await page.waitForSelector(`li[data-namespace="${namespace}"] button.by-class[aria-pressed="true"]`);
    }
    const drawn = await page.evaluate(() => ({ classes: window.kubereachView.cy.$('node.class-node').length, elements: window.kubereachView.cy.elements().length }));
    assert.ok(drawn.classes >= 6, JSON.stringify(drawn));
    assert.deepEqual(await overlaps(page), [], `${screenshot}: ${JSON.stringify(drawn)}`);
    // Positions come from the server whenever fCoSE's would overlap: the graph's classes.
    if (await page.evaluate(() => window.kubereachView.state.layout) !== 'fcose') {
      const [place, drawnAt] = await page.evaluate((id) => [
        window.kubereachView.state.graph.classes.find((c) => c.id === id).position,
        window.kubereachView.cy.getElementById(`c:${id}`).position(),
      ], `${namespaces[0]}#2`);
      assert.deepEqual(drawnAt, place);
    }
    await page.screenshot({ path: join(SCREENSHOTS, screenshot) });
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('admin policies show their subjects, peers and rules; ipBlock peers show their pods', async (browser) => {
  const { page, errors } = await open(browser, process.env.KUBEREACH_ADMIN_URL);
  await expand(page, 'shop');
  await page.click('button[data-workload="shop/db"]');
  await page.click('#details button.policy:text("AdminNetworkPolicy guard")');
  await page.waitForSelector('#details .policy-selection li[data-rule="ingress-0"]');
  assert.equal(await page.textContent('#details .policy-selection ul.selects'), 'shop/dbshop/web');
  assert.match(await page.textContent('#details .policy-selection .tier'), /admin tier, priority 10/);
  assert.match(await page.textContent('#details li[data-rule="ingress-0"]'), /^ingress rule 0 no-ops \S*admin\.yaml:38 denies from: ops\/probe$/);
  assert.deepEqual(await cyIds(page, 'node.highlight'), ['w:shop/db', 'w:shop/web']);
  assert.deepEqual(await cyIds(page, 'node.peer'), ['ns:ops']);
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-policy.png') });
  // The NetworkPolicy's ipBlock matches web's address (the plugin matches pod IPs).
  await page.click('#details button.policy:text("NetworkPolicy shop/db")');
  await page.waitForSelector('#details .policy-selection:has-text("NetworkPolicy shop/db") li[data-rule="ingress-0"]');
  const rule = await page.textContent('#details li[data-rule="ingress-0"]');
  assert.match(rule, /admits from: shop\/webby its pods\u2019 addressesipBlock 10\.0\.0\.0\/24$/);
  assert.deepEqual(await cyIds(page, 'node.peer'), ['w:shop/web']);
  // A pair the admin policy denies: the explanation names its rule, tier and line.
  await page.evaluate(() => window.kubereachView.actions.selectWorkload('ops/probe'));
  await page.waitForSelector('#details h3:text("Pod ops/probe")');
  await page.fill('.explain-form input[name="peer"]', 'shop/web');
  await page.click('.explain-form button[type="submit"]');
  await page.waitForSelector('#details .explanation-result');
  const denied = await page.textContent('#details .explanation-result');
  assert.match(denied, /ops\/probe → shop\/web: denied/);
  assert.match(denied, /deny all ports — AdminNetworkPolicy guard rule no-ops \(admin tier\) \S*admin\.yaml:38/);
  // The baseline, from probe's own list.
  await page.click('#details button.policy:text("BaselineAdminNetworkPolicy default")');
  await page.waitForSelector('#details .policy-selection:has-text("BaselineAdminNetworkPolicy default") li[data-rule="egress-0"]');
  // 0.0.0.0/0 holds every pod's address: on this plugin it matches them all.
  assert.match(await page.textContent('#details li[data-rule="egress-0"]'), /^egress rule 0 only-shop \S*admin\.yaml:49 denies to: ops\/probeby its pods\u2019 addressesshop\/dbby its pods\u2019 addressesshop\/webby its pods\u2019 addressesnetworks 0\.0\.0\.0\/0$/);
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-explain.png') });
  assert.deepEqual(errors, []);
});

async function main() {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const { browser, close } = await launch();
  let passed = 0;
  let failed = 0;
  const only = process.env.KUBEREACH_E2E_ONLY;
  try {
    for (const { name, body } of tests) {
      if (only && !name.includes(only)) continue;
      try {
        await body(browser);
        passed += 1;
        console.log(`ok - ${name}`);
      } catch (error) {
        failed += 1;
        console.log(`not ok - ${name}\n${String(error.stack || error).replace(/^/gm, '    ')}`);
      }
    }
  } finally {
    await close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
