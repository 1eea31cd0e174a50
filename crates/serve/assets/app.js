// Wiring: fetch the documents, keep what is expanded and selected, and ask
// the canvas and the panels to draw. No semantics here: every answer comes
// from the API.

import { get } from './api.js';
import { el, replace } from './dom.js';
import { createCanvas, drawnId, classesOf, DIFF_COLOURS } from './canvas.js';
import * as panels from './panels.js';

const byId = (id) => document.getElementById(id);

const state = {
  info: null,
  graph: null,
  workloads: new Map(),
  expanded: new Set(),
  // Expanded namespaces drawn as connectivity classes instead of workloads.
  byClass: new Set(),
  matrices: new Map(),
  diff: null,
  findings: null,
  selected: null,
};

let canvas;

function status(text, error) {
  const node = byId('status');
  node.textContent = text;
  node.className = error ? 'error' : '';
}

async function guarded(what, action) {
  try {
    status(`${what}…`);
    await action();
    status('');
  } catch (error) {
    status(`${what}: ${error.message}`, true);
  }
}

function setGraph(graph) {
  state.graph = graph;
  state.workloads = new Map(graph.workloads.map((w) => [w.id, w]));
  state.matrices.clear();
  const known = new Set(graph.namespaces.map((n) => n.name));
  for (const name of [...state.expanded]) if (!known.has(name)) state.expanded.delete(name);
  for (const name of [...state.byClass]) if (!known.has(name)) state.byClass.delete(name);
  replace(byId('node-ids'), ['external', ...graph.workloads.filter((w) => w.namespace !== '{outside}').map((w) => w.id)].map((id) => el('option', { value: id })));
}

function draw() {
  canvas.render(state);
  byId('hidden-edges').textContent = state.hiddenEdges
    ? `${state.hiddenEdges} namespace connections not drawn (too many to read): select a namespace to draw its own, or open the namespace matrix.`
    : '';
  panels.renderTree(byId('namespaces'), state, actions);
  // The matrix is built when shown: at a hundred namespaces it is ten thousand cells.
  if (!byId('adjacency').hidden) panels.renderAdjacency(byId('adjacency'), state, actions);
  if (state.selected) canvas.select(state.selected);
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered || 0) + 1);
  // The first frame painted after the first drawing, in ms since navigation
  // started: what the first-render benchmark reads.
  if (!document.body.dataset.firstPaint) {
    requestAnimationFrame(() => requestAnimationFrame(() => {
      document.body.dataset.firstPaint = String(Math.round(performance.now()));
    }));
  }
}

async function expand(namespace) {
  if (!state.matrices.has(namespace)) state.matrices.set(namespace, await get('/api/matrix', { namespace }));
  state.expanded.add(namespace);
}

const actions = {
  async toggle(namespace) {
    await guarded(`expanding ${namespace}`, async () => {
      if (state.expanded.has(namespace)) state.expanded.delete(namespace);
      else await expand(namespace);
      draw();
    });
  },
  async toggleClasses(namespace) {
    await guarded(`expanding ${namespace} into classes`, async () => {
      if (state.expanded.has(namespace) && state.byClass.has(namespace)) {
        state.byClass.delete(namespace);
      } else {
        state.byClass.add(namespace);
        if (!state.expanded.has(namespace)) await expand(namespace);
      }
      draw();
    });
  },
  selectClass(id) {
    state.selected = `c:${id}`;
    canvas.select(state.selected);
    const workload = state.graph.workloads.find((w) => w.class === id);
    panels.classDetails(byId('details'), classesOf(state, workload.namespace).get(id), id, actions);
    panels.renderTree(byId('namespaces'), state, actions);
  },
  selectNamespace(namespace) {
    state.selected = `ns:${namespace}`;
    if (state.hiddenEdges) draw();
    canvas.select(state.selected);
    panels.namespaceDetails(byId('details'), state, namespace);
    panels.renderTree(byId('namespaces'), state, actions);
  },
  async selectWorkload(id) {
    const workload = state.workloads.get(id);
    if (!workload) return;
    if (!state.expanded.has(workload.namespace) || state.byClass.has(workload.namespace)) {
      // A workload is drawn on its own: its namespace leaves the class view.
      state.byClass.delete(workload.namespace);
      await guarded(`expanding ${workload.namespace}`, () => expand(workload.namespace));
      draw();
    }
    state.selected = `w:${id}`;
    canvas.select(state.selected);
    panels.workloadDetails(byId('details'), state, id, actions);
    panels.renderTree(byId('namespaces'), state, actions);
  },
  selectNamespaceEdge(edge) {
    panels.edgeDetails(byId('details'), { namespaces: { from: edge.from, to: edge.to }, count: edge.connections, ports: edge.ports, pairs: [], change: '' }, actions);
  },
  async highlightPolicy(policy) {
    const details = byId('details');
    for (const old of details.querySelectorAll('.policy-selection')) old.remove();
    await guarded(`resolving ${policy.namespace ? `${policy.namespace}/` : ''}${policy.name}`, async () => {
      const parameters = { kind: policy.kind, name: policy.name };
      if (policy.namespace) parameters.namespace = policy.namespace;
      const resolved = await get('/api/policy', parameters);
      const peers = [...resolved.ingress, ...resolved.egress].flatMap((rule) => rule.workloads);
      canvas.highlight(resolved.selects.map((id) => drawnId(state, id)), peers.map((id) => drawnId(state, id)));
      details.appendChild(panels.policyPeers(resolved));
    });
  },
  explain(from, to) {
    const target = el('div', {});
    byId('details').appendChild(target);
    actions.explainInto(target, from, to);
  },
  async explainInto(target, from, to) {
    try {
      const result = await get('/api/explain', { from, to });
      target.appendChild(panels.explanation(from, to, result));
    } catch (error) {
      target.appendChild(el('p', { class: 'error' }, `${from} → ${to}: ${error.message}`));
    }
  },
  async openFinding(index) {
    const finding = state.findings.findings[index];
    const object = finding.object;
    const id = object.namespace ? `${object.namespace}/${object.name}` : null;
    if (id && state.workloads.has(id)) await actions.selectWorkload(id);
    else if (object.namespace && state.graph.namespaces.some((n) => n.name === object.namespace)) actions.selectNamespace(object.namespace);
    const details = byId('details');
    const holder = el('div', { class: 'finding-details' });
    panels.findingDetails(holder, finding);
    if (!(id && state.workloads.has(id))) replace(details);
    details.prepend(holder);
    for (const [i, item] of [...byId('findings').children].entries()) item.classList.toggle('selected', i === index);
  },
};

async function trace(event) {
  event.preventDefault();
  const from = byId('trace-from').value.trim();
  const to = byId('trace-to').value.trim();
  const protocol = byId('trace-protocol').value;
  const target = byId('trace-result');
  try {
    panels.traceResult(target, await get('/api/trace', { from, to, protocol }));
  } catch (error) {
    replace(target, el('p', { class: 'error' }, error.message));
  }
}

async function dns(event) {
  event.preventDefault();
  const target = byId('dns-result');
  const parameters = { name: byId('dns-name').value.trim(), from: byId('dns-from').value.trim(), type: byId('dns-type').value };
  try {
    panels.dnsResult(target, await get('/api/dns', parameters));
  } catch (error) {
    replace(target, el('p', { class: 'error' }, error.message));
  }
}

function view(which) {
  const graph = which === 'graph';
  byId('graph').hidden = !graph;
  byId('adjacency').hidden = graph;
  byId('view-graph').setAttribute('aria-pressed', String(graph));
  byId('view-adjacency').setAttribute('aria-pressed', String(!graph));
  if (graph) canvas.cy.resize();
  else panels.renderAdjacency(byId('adjacency'), state, actions);
}

async function start() {
  canvas = createCanvas(byId('graph'), {
    onNode(data) {
      if (data.type === 'namespace') actions.selectNamespace(data.namespace);
      else if (data.type === 'class') actions.selectClass(data.class);
      else actions.selectWorkload(data.workload);
    },
    onEdge(data) {
      state.selected = data.id;
      panels.edgeDetails(byId('details'), data, actions);
    },
    onToggle: (namespace) => actions.toggle(namespace),
  });
  window.kubereachView = { cy: canvas.cy, state, actions };
  byId('trace-form').addEventListener('submit', trace);
  byId('dns-form').addEventListener('submit', dns);
  byId('view-graph').addEventListener('click', () => view('graph'));
  byId('view-adjacency').addEventListener('click', () => view('adjacency'));
  await guarded('loading', async () => {
    const [info, graph, findings] = await Promise.all([get('/api/info'), get('/api/graph'), get('/api/check')]);
    state.info = info;
    state.findings = findings;
    if (info.diff) state.diff = await get('/api/diff');
    byId('source').textContent = info.source;
    // `--as-written`: policies the plugin does not enforce are drawn too.
    byId('view-note').textContent = info.as_written ? 'policies as written (--as-written)' : '';
    if (info.diff) {
      replace(byId('legend'), Object.keys(DIFF_COLOURS).map((kind) => el('span', { class: kind }, `■ ${kind}`)));
    }
    const refresh = byId('refresh');
    refresh.hidden = !info.live;
    refresh.addEventListener('click', () => guarded('refreshing', async () => {
      setGraph(await get('/api/refresh'));
      state.findings = await get('/api/check');
      for (const namespace of state.expanded) await expand(namespace);
      panels.renderFindings(byId('findings'), state.findings, actions);
      draw();
    }));
    setGraph(graph);
    panels.renderFindings(byId('findings'), findings, actions);
    draw();
  });
}

start();
