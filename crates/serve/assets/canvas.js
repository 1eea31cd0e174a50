// The graph drawn with Cytoscape.js: namespaces collapsed by default, a
// namespace expanded into its workloads on demand. It only draws what the
// API documents say; every label is drawn as canvas text.

import { ports } from './dom.js';

/** Above this many elements, positions come from the server's layout. */
const LAYOUT_LIMIT = 1500;

/** Longest name drawn whole on the canvas; the lists show every name whole. */
const LABEL_LIMIT = 32;

const OUTSIDE = '{outside}';

const STYLE = [
  { selector: 'node', style: { label: 'data(label)', 'font-size': 11, 'text-wrap': 'wrap', 'text-max-width': 160, color: '#1d232a' } },
  {
    selector: 'node.namespace',
    style: {
      shape: 'round-rectangle', 'background-color': '#457b9d', color: '#fff', 'text-valign': 'center', 'text-halign': 'center',
      width: 150, height: 46, 'font-size': 11, 'text-max-width': 140, 'text-overflow-wrap': 'anywhere',
    },
  },
  {
    selector: 'node.namespace:parent',
    style: { 'background-color': '#edf2f7', 'background-opacity': 1, color: '#1d3557', 'text-valign': 'top', 'border-width': 1, 'border-color': '#457b9d', padding: 16 },
  },
  // Labels fit a place of the server's 80-pixel grid: at most 76 pixels
  // wide and three lines below the node, so that nodes never overlap there.
  { selector: 'node.workload', style: { 'background-color': '#2a9d8f', width: 22, height: 22, 'text-valign': 'bottom', 'text-margin-y': 3, 'text-max-width': 76, 'text-overflow-wrap': 'anywhere' } },
  { selector: 'node.workload.open-ingress', style: { 'border-width': 3, 'border-color': '#e76f51' } },
  { selector: 'node.workload.exposed', style: { shape: 'star', 'background-color': '#d62828' } },
  { selector: 'node.outside', style: { shape: 'diamond', 'background-color': '#8d99ae' } },
  { selector: 'node.class-node', style: { shape: 'ellipse', 'background-color': '#264653', width: 36, height: 36, 'text-valign': 'bottom', 'text-margin-y': 1, 'text-max-width': 76, 'text-overflow-wrap': 'anywhere' } },
  { selector: 'node.added', style: { 'background-color': '#2b9348' } },
  { selector: 'node.removed', style: { 'background-color': '#d00000', opacity: 0.6 } },
  { selector: 'node.peer', style: { 'border-width': 5, 'border-color': '#7b2cbf', 'border-style': 'double' } },
  { selector: 'node.highlight', style: { 'border-width': 5, 'border-color': '#ffb703' } },
  { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#e63946' } },
  {
    selector: 'edge',
    style: {
      'curve-style': 'bezier', 'target-arrow-shape': 'triangle', width: 1.5, 'line-color': '#8d99ae', 'target-arrow-color': '#8d99ae',
      label: 'data(label)', 'font-size': 9, 'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 0.8,
    },
  },
  { selector: 'edge.added', style: { 'line-color': '#2b9348', 'target-arrow-color': '#2b9348', width: 3 } },
  { selector: 'edge.removed', style: { 'line-color': '#d00000', 'target-arrow-color': '#d00000', width: 3, 'line-style': 'dashed' } },
  { selector: 'edge.changed', style: { 'line-color': '#f4a261', 'target-arrow-color': '#f4a261', width: 3 } },
  // Above the element budget: straight edges without labels, which
  // Cytoscape draws an order of magnitude faster; the edge's details and
  // the namespace matrix give the numbers.
  { selector: 'edge.dense', style: { 'curve-style': 'straight', label: '', width: 1, 'arrow-scale': 0.6 } },
  { selector: 'edge:selected', style: { width: 5, 'overlay-color': '#e63946', 'overlay-opacity': 0.25, 'overlay-padding': 4 } },
];

/** The colours the page uses for a diff, as CSS colours (for the legend and tests). */
export const DIFF_COLOURS = { added: '#2b9348', removed: '#d00000', changed: '#f4a261' };

export function createCanvas(container, callbacks) {
  if (typeof cytoscapeFcose === 'function') cytoscape.use(cytoscapeFcose);
  const cy = cytoscape({ container, style: STYLE, minZoom: 0.02, maxZoom: 4, hideEdgesOnViewport: true, textureOnViewport: true });
  cy.on('tap', 'node', (event) => callbacks.onNode(event.target.data()));
  cy.on('tap', 'edge', (event) => callbacks.onEdge(event.target.data()));
  cy.on('dbltap', 'node.namespace', (event) => callbacks.onToggle(event.target.data('namespace')));
  return {
    cy,
    render(state) {
      const elements = buildElements(state);
      cy.batch(() => {
        cy.elements().remove();
        cy.add(elements);
      });
      layout(cy, state);
    },
    select(id) {
      cy.elements().unselect();
      const element = cy.getElementById(id);
      if (element.nonempty()) {
        element.select();
        cy.animate({ center: { eles: element } }, { duration: 200 });
      }
    },
    /** Marks the nodes a policy selects (`ids`) and the peers it admits (`peers`). */
    highlight(ids, peers) {
      cy.nodes().removeClass('highlight peer');
      for (const id of peers) cy.getElementById(id).addClass('peer');
      for (const id of ids) cy.getElementById(id).addClass('highlight');
    },
  };
}

/**
 * The element id of a workload as drawn: itself when its namespace is
 * expanded, its connectivity class when the namespace is expanded into
 * classes, else its namespace.
 */
export function drawnId(state, workloadId) {
  const workload = state.workloads.get(workloadId);
  const namespace = workload ? workload.namespace : OUTSIDE;
  if (!state.expanded.has(namespace)) return `ns:${namespace}`;
  if (state.byClass.has(namespace) && workload.class) return `c:${workload.class}`;
  return `w:${workloadId}`;
}

/** The classes of an expanded namespace, each with its workloads (in id order). */
export function classesOf(state, namespace) {
  const classes = new Map();
  for (const workload of state.graph.workloads) {
    if (workload.namespace !== namespace || !workload.class) continue;
    if (!classes.has(workload.class)) classes.set(workload.class, []);
    classes.get(workload.class).push(workload);
  }
  return classes;
}

/** A name as drawn: whole up to LABEL_LIMIT characters. */
function short(name) {
  return name.length > LABEL_LIMIT ? `${name.slice(0, LABEL_LIMIT - 1)}…` : name;
}

function namespaceLabel(namespace) {
  if (namespace.name === OUTSIDE) return 'outside the cluster';
  return `${namespace.name}\n${namespace.workloads} workloads · ${namespace.pods} pods`;
}

function buildElements(state) {
  const elements = [];
  for (const namespace of state.graph.namespaces) {
    const expanded = state.expanded.has(namespace.name);
    elements.push({
      group: 'nodes',
      data: { id: `ns:${namespace.name}`, namespace: namespace.name, type: 'namespace', label: expanded ? namespace.name : namespaceLabel(namespace) },
      classes: namespace.name === OUTSIDE ? 'namespace outside-group' : 'namespace',
      position: { ...namespace.position },
    });
  }
  const classPlaces = new Map((state.graph.classes || []).map((c) => [c.id, c.position]));
  for (const namespace of state.byClass) {
    if (!state.expanded.has(namespace)) continue;
    for (const [id, members] of classesOf(state, namespace)) {
      const pods = members.reduce((sum, w) => sum + w.pods, 0);
      elements.push({
        group: 'nodes',
        data: { id: `c:${id}`, parent: `ns:${namespace}`, class: id, type: 'class', label: `${members.length} workloads\n${pods} pods` },
        classes: 'class-node',
        // The server's place for the class, the same on every refresh.
        position: { ...(classPlaces.get(id) || members[0].position) },
      });
    }
  }
  for (const workload of state.graph.workloads) {
    if (!state.expanded.has(workload.namespace) || (state.byClass.has(workload.namespace) && workload.class)) continue;
    const classes = ['workload'];
    if (workload.namespace === OUTSIDE) classes.push('outside');
    else if (!workload.ingress_isolated) classes.push('open-ingress');
    if (workload.exposed.length > 0 && workload.namespace !== OUTSIDE) classes.push('exposed');
    if (workload.change) classes.push(workload.change);
    elements.push({
      group: 'nodes',
      data: { id: `w:${workload.id}`, parent: `ns:${workload.namespace}`, workload: workload.id, type: 'workload', label: short(workload.name) },
      classes: classes.join(' '),
      position: { ...workload.position },
    });
  }
  let edges = buildEdges(state);
  state.hiddenEdges = 0;
  if (elements.length + edges.length > LAYOUT_LIMIT) {
    // Over the budget, the overview keeps the edges of what the reader is
    // looking at (expanded namespaces, the selected namespace); the
    // namespace matrix holds them all.
    const focus = state.selected && state.selected.startsWith('ns:') ? state.selected : null;
    const inside = (id) => id.startsWith('w:') || id.startsWith('c:');
    const kept = edges.filter((e) => inside(e.data.source) || inside(e.data.target) || e.data.source === focus || e.data.target === focus);
    state.hiddenEdges = edges.length - kept.length;
    edges = kept;
    for (const edge of edges) edge.classes = `${edge.classes} dense`.trim();
  }
  elements.push(...edges);
  // Where the server's layout puts each node: the fallback of `layout`.
  for (const element of elements) if (element.position) element.data.home = { ...element.position };
  return elements;
}

function buildEdges(state) {
  const edges = new Map();
  const edge = (source, target) => {
    const key = `${source}->${target}`;
    if (!edges.has(key)) edges.set(key, { id: `e:${key}`, source, target, count: 0, ports: [], pairs: [], changes: new Set(), namespaces: null });
    return edges.get(key);
  };
  for (const nsEdge of state.graph.namespace_edges) {
    if (nsEdge.from === nsEdge.to || state.expanded.has(nsEdge.from) || state.expanded.has(nsEdge.to)) continue;
    const entry = edge(`ns:${nsEdge.from}`, `ns:${nsEdge.to}`);
    entry.count = nsEdge.connections;
    entry.ports = nsEdge.ports;
    entry.namespaces = { from: nsEdge.from, to: nsEdge.to };
    if (nsEdge.added) entry.changes.add('added');
    if (nsEdge.removed) entry.changes.add('removed');
    if (nsEdge.changed) entry.changes.add('changed');
  }
  const seen = new Set();
  for (const namespace of state.expanded) {
    const matrix = state.matrices.get(namespace);
    if (!matrix) continue;
    for (const pair of matrix.edges) {
      const key = `${pair.from}->${pair.to}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const source = drawnId(state, pair.from);
      const target = drawnId(state, pair.to);
      if (source === target) continue;
      const entry = edge(source, target);
      entry.count += 1;
      entry.ports = entry.ports.concat(pair.ports);
      entry.pairs.push([pair.from, pair.to]);
    }
  }
  if (state.diff) {
    for (const change of state.diff.changes) {
      const source = drawnId(state, change.from.id);
      const target = drawnId(state, change.to.id);
      if (source === target || !(source.startsWith('w:') || target.startsWith('w:') || source.startsWith('c:') || target.startsWith('c:'))) continue;
      const entry = edge(source, target);
      entry.changes.add(change.kind);
      if (change.kind === 'removed') entry.pairs.push([change.from.id, change.to.id]);
    }
  }
  return [...edges.values()].map((entry) => {
    const text = ports(dedupe(entry.ports));
    const label = entry.count > 1 ? `${entry.count} · ${text}` : entry.count === 1 ? text : '';
    const change = entry.changes.size === 1 ? [...entry.changes][0] : entry.changes.size > 1 ? 'changed' : '';
    return {
      group: 'edges',
      data: {
        id: entry.id, source: entry.source, target: entry.target, count: entry.count, ports: dedupe(entry.ports),
        pairs: entry.pairs, namespaces: entry.namespaces, change, label: label.length > 40 ? label.slice(0, 39) + '…' : label,
      },
      classes: change,
    };
  });
}

function dedupe(entries) {
  const seen = new Set();
  return entries.filter((e) => {
    const key = JSON.stringify(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function layout(cy, state) {
  // The server's layout puts every node (label included) in a place of its
  // own: the fallback whenever fCoSE's forces leave two nodes on each other
  // (a dense graph pulls them together), so that nodes never overlap.
  const preset = (why) => {
    cy.layout({ name: 'preset', fit: true, padding: 30, positions: (node) => node.data('home') }).run();
    state.layout = why;
  };
  // Positions are the server's when the graph is large, and in diff mode so
  // that both versions sit in the same places.
  if (state.graph.diff || cy.elements().length > LAYOUT_LIMIT || typeof cytoscapeFcose !== 'function') {
    preset('server');
    return;
  }
  cy.layout({ name: 'fcose', randomize: false, animate: false, quality: 'default', nodeDimensionsIncludeLabels: true, fit: true, padding: 30, idealEdgeLength: 120, nodeRepulsion: 9000 }).run();
  if (overlapping(cy).length > 0) preset('server: fCoSE overlapped');
  else state.layout = 'fcose';
}

/** Pairs of drawn nodes, neither inside the other, whose boxes (labels included) meet. */
export function overlapping(cy) {
  const boxes = cy.nodes().map((node) => ({
    id: node.id(),
    box: node.boundingBox({ includeLabels: true, includeOverlays: false }),
    ancestors: new Set(node.ancestors().map((a) => a.id())),
  }));
  const pairs = [];
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) {
      const [a, b] = [boxes[i], boxes[j]];
      if (a.ancestors.has(b.id) || b.ancestors.has(a.id)) continue;
      if (a.box.x1 < b.box.x2 && b.box.x1 < a.box.x2 && a.box.y1 < b.box.y2 && b.box.y1 < a.box.y2) pairs.push([a.id, b.id]);
    }
  }
  return pairs;
}
