// The text side of the page: the namespace / workload tree, the details of
// the selection, the findings, the trace checklist and the namespace matrix.
// All cluster strings go in through `el` as text.

import { el, replace, location, ports, policyName } from './dom.js';

const OUTSIDE = '{outside}';

function percent(part, whole) {
  return whole === 0 ? '–' : `${Math.round((100 * part) / whole)}%`;
}

/** Marker badges of a workload, as text. */
export function markers(workload) {
  if (workload.namespace === OUTSIDE) return [];
  const badges = [];
  if (!workload.ingress_isolated) badges.push(el('span', { class: 'marker open' }, 'ingress not isolated'));
  if (!workload.egress_isolated) badges.push(el('span', { class: 'marker open' }, 'egress not isolated'));
  if (workload.exposed.length > 0) badges.push(el('span', { class: 'marker exposed' }, `exposed: ${workload.exposed.join(', ')}`));
  if (workload.change) badges.push(el('span', { class: `marker ${workload.change}` }, workload.change));
  return badges;
}

/** The namespace list with counts, coverage and, when expanded, workloads. */
export function renderTree(list, state, actions) {
  const items = state.graph.namespaces.map((namespace) => {
    const expanded = state.expanded.has(namespace.name);
    const name = namespace.name === OUTSIDE ? 'outside the cluster' : namespace.name;
    const coverage = namespace.name === OUTSIDE ? null
      : el('span', { class: 'counts' }, ` ${namespace.workloads} workloads, ${namespace.pods} pods; policy coverage: ingress ${percent(namespace.ingress_isolated_pods, namespace.pods)}, egress ${percent(namespace.egress_isolated_pods, namespace.pods)}`);
    const item = (workload) => el('li', { class: state.selected === `w:${workload.id}` ? 'selected' : null },
      el('button', { type: 'button', 'data-workload': workload.id, onclick: () => actions.selectWorkload(workload.id) }, `${workload.name} (${workload.kind})`),
      markers(workload));
    const members = state.graph.workloads.filter((w) => w.namespace === namespace.name);
    let children = null;
    if (expanded && state.byClass.has(namespace.name)) {
      // The classes drawn, as text: each with its workloads.
      const classes = new Map();
      for (const workload of members) {
        const key = workload.class || '';
        if (!classes.has(key)) classes.set(key, []);
        classes.get(key).push(workload);
      }
      children = el('ul', { class: 'classes' }, [...classes].map(([id, list]) => el('li', { 'data-class': id, class: state.selected === `c:${id}` ? 'selected' : null },
        el('button', { type: 'button', onclick: () => actions.selectClass(id) }, `class ${id}: ${counted(list.length, 'workload', 'workloads')}, ${counted(list.reduce((sum, w) => sum + w.pods, 0), 'pod', 'pods')}`),
        el('ul', {}, list.map(item)))));
    } else if (expanded) {
      children = el('ul', {}, members.map(item));
    }
    const byClass = expanded && state.byClass.has(namespace.name);
    const classes = namespace.name === OUTSIDE ? null
      : el('button', { type: 'button', class: 'by-class', 'aria-pressed': byClass ? 'true' : 'false', title: `draw as ${counted(namespace.classes, 'class', 'classes')} of pods with identical connectivity`, onclick: () => actions.toggleClasses(namespace.name) }, counted(namespace.classes, 'class', 'classes'));
    return el('li', { 'data-namespace': namespace.name, class: state.selected === `ns:${namespace.name}` ? 'selected' : null },
      el('button', { type: 'button', 'aria-expanded': expanded ? 'true' : 'false', title: expanded ? 'collapse' : 'expand', onclick: () => actions.toggle(namespace.name) }, expanded ? '▾' : '▸'),
      el('button', { type: 'button', class: 'namespace-name', onclick: () => actions.selectNamespace(namespace.name) }, name),
      coverage, classes, children);
  });
  replace(list, items);
}

/** Details of a namespace. */
export function namespaceDetails(target, state, name) {
  const namespace = state.graph.namespaces.find((n) => n.name === name);
  if (!namespace) return;
  const internal = state.graph.namespace_edges.find((e) => e.from === name && e.to === name);
  replace(target,
    el('h3', {}, name === OUTSIDE ? 'outside the cluster' : `namespace ${name}`),
    el('dl', {},
      el('dt', {}, 'workloads'), el('dd', {}, String(namespace.workloads)),
      el('dt', {}, 'pods'), el('dd', {}, String(namespace.pods)),
      el('dt', {}, 'pods isolated for ingress'), el('dd', {}, `${namespace.ingress_isolated_pods} (${percent(namespace.ingress_isolated_pods, namespace.pods)})`),
      el('dt', {}, 'pods isolated for egress'), el('dd', {}, `${namespace.egress_isolated_pods} (${percent(namespace.egress_isolated_pods, namespace.pods)})`),
      el('dt', {}, 'connections inside'), el('dd', {}, internal ? `${internal.connections} (${ports(internal.ports)})` : 'none')),
    el('p', { class: 'hint' }, state.expanded.has(name) ? 'Expanded: its workloads are drawn.' : 'Double-click it, or use ▸ in the list, to expand it.'));
}

/** Details of a connectivity class: its workloads, which have the same connections. */
export function classDetails(target, members, id, actions) {
  const pods = members.reduce((sum, w) => sum + w.pods, 0);
  replace(target,
    el('h3', {}, `class ${id}`),
    el('p', {}, `${members.length} workloads, ${pods} pods with identical connectivity: every connection from or to one of them is the same for the others.`),
    el('ul', { class: 'class-members' }, members.map((workload) => el('li', {},
      el('button', { type: 'button', 'data-workload': workload.id, onclick: () => actions.selectWorkload(workload.id) }, `${workload.name} (${workload.kind}, ${workload.pods} pods)`),
      markers(workload)))));
}

/** Details of a workload, with its labels and policies. */
export function workloadDetails(target, state, id, actions) {
  const workload = state.workloads.get(id);
  if (!workload) return;
  const labels = Object.entries(workload.labels || {});
  replace(target,
    el('h3', {}, `${workload.kind} ${workload.id}`),
    el('p', {}, markers(workload)),
    el('dl', {},
      el('dt', {}, 'pods'), el('dd', {}, String(workload.pods)),
      el('dt', {}, 'isolated for ingress'), el('dd', {}, workload.ingress_isolated ? 'yes' : 'no: every source may connect'),
      el('dt', {}, 'isolated for egress'), el('dd', {}, workload.egress_isolated ? 'yes' : 'no: it may connect anywhere'),
      el('dt', {}, 'reachable from outside'), el('dd', {}, workload.exposed.length ? workload.exposed.join(', ') : 'no')),
    labels.length ? el('table', { class: 'labels' }, el('caption', {}, 'labels'),
      labels.map(([key, value]) => el('tr', {}, el('th', {}, key), el('td', { class: 'label-value' }, value)))) : null,
    el('h4', {}, 'Policies selecting it'),
    workload.policies.length
      ? el('ul', {}, workload.policies.map((policy) => el('li', {},
        el('button', { type: 'button', class: 'policy', onclick: () => actions.highlightPolicy(policy) }, policyName(policy)), ' ', location(policy.location))))
      : el('p', { class: 'hint' }, 'none'),
    el('form', { class: 'explain-form', onsubmit: (event) => { event.preventDefault(); actions.explain(id, event.target.elements.peer.value); } },
      el('label', {}, 'Explain a connection to ', el('input', { name: 'peer', list: 'node-ids', placeholder: 'namespace/name or address', required: true })),
      el('button', { type: 'submit' }, 'Explain')));
}

/** A policy resolved both ways: what it selects and, per rule, the peers it matches. */
export function policyPeers(resolved) {
  const admin = resolved.tier !== 'network';
  const rule = (direction, item) => {
    const every = direction === 'ingress' ? 'every source' : 'every destination';
    const blocks = item.ip_blocks.map((block) => `ipBlock ${block.cidr}${block.except.length ? ` except ${block.except.join(', ')}` : ''}`);
    const networks = item.networks.map((network) => `networks ${network}`);
    const byAddress = new Set(item.by_address);
    const peers = [
      ...item.workloads.map((id) => el('li', { 'data-workload': id }, id, byAddress.has(id) ? el('span', { class: 'marker by-address' }, 'by its pods\u2019 addresses') : null)),
      ...[...blocks, ...networks].map((text) => el('li', {}, text)),
    ];
    const verb = admin ? { allow: 'allows', deny: 'denies', pass: 'passes' }[item.action] : 'admits';
    return el('li', { 'data-rule': `${direction}-${item.index}` },
      `${direction} rule ${item.index}${item.name ? ` ${item.name}` : ''} `, location(item.location),
      ` ${verb} ${direction === 'ingress' ? 'from' : 'to'}: `,
      item.all ? el('strong', {}, every) : peers.length ? el('ul', { class: 'peers' }, peers) : 'nothing (no peer matches)');
  };
  const rules = [...resolved.ingress.map((item) => rule('ingress', item)), ...resolved.egress.map((item) => rule('egress', item))];
  const types = resolved.policy_types;
  const tier = resolved.tier === 'admin'
    ? `admin tier, priority ${resolved.priority}: evaluated before NetworkPolicy; it never isolates a pod`
    : resolved.tier === 'baseline' ? 'baseline tier: evaluated after NetworkPolicy, for what no NetworkPolicy isolates; it never isolates a pod' : null;
  return el('section', { class: 'policy-selection' },
    el('h4', {}, `${policyName(resolved)} selects`),
    el('ul', { class: 'selects' }, resolved.selects.map((id) => el('li', {}, id))),
    resolved.enforced ? null : el('p', { class: 'error' }, `the network plugin does not enforce ${resolved.kind}`),
    tier ? el('p', { class: 'tier' }, tier) : el('p', {}, `isolates the selected pods for ${types.join(' and ') || 'nothing'}`,
      types.length && rules.length === 0 ? ': no rule admits anything' : ''),
    rules.length ? el('ol', { class: 'policy-rules' }, rules) : null);
}

/** The policies and rules that decide one pair, with file:line. */
export function explanation(from, to, result) {
  const direction = (part, title) => el('section', { class: 'explanation' },
    el('h4', {}, title),
    part.policies_apply ? null : el('p', { class: 'hint' }, 'no policy applies to this end'),
    el('ol', { class: 'rules' }, part.steps.map((step) => el('li', { class: step.verdict },
      `${step.verdict} `, ports(step.connections), ' — ',
      step.policy ? policyName(step.policy) : step.tier === 'default' ? 'nothing selects it: allowed by default' : 'isolated, and no rule allows it',
      step.rule_name ? ` rule ${step.rule_name}` : step.rule !== null && step.rule !== undefined ? ` rule ${step.rule}` : '',
      step.policy ? ` (${step.tier} tier)` : '',
      ' ', location(step.location || (step.policy && step.policy.location))))));
  return el('div', { class: 'explanation-result' },
    el('p', {}, el('strong', {}, `${from} → ${to}: `), result.allowed.length ? `allowed ${ports(result.allowed)}` : 'denied'),
    direction(result.egress, `egress of ${from}`),
    direction(result.ingress, `ingress of ${to}`));
}

/** Details of a drawn edge; `explain` fills in each workload pair. */
export function edgeDetails(target, data, actions) {
  const title = data.namespaces ? `${data.namespaces.from} → ${data.namespaces.to}` : `${data.source.replace(/^(w|ns):/, '')} → ${data.target.replace(/^(w|ns):/, '')}`;
  const pairs = el('div', { class: 'pairs' });
  replace(target,
    el('h3', {}, title),
    data.change ? el('p', { class: `marker ${data.change}` }, `diff: ${data.change}`) : null,
    el('dl', {}, el('dt', {}, 'allowed workload pairs'), el('dd', {}, String(data.count)), el('dt', {}, 'ports'), el('dd', {}, ports(data.ports))),
    data.namespaces ? el('p', { class: 'hint' }, 'Expand a namespace to see which rules allow each workload pair.') : null,
    pairs);
  for (const [from, to] of data.pairs.slice(0, 20)) actions.explainInto(pairs, from, to);
}

/** The trace checklist, blocking layer highlighted. */
export function traceResult(target, trace) {
  replace(target,
    el('p', { class: `verdict ${trace.verdict}` }, trace.verdict === 'blocked' ? `blocked at ${trace.blocked_at}` : 'allowed'),
    el('ol', { class: 'steps' }, trace.steps.map((step) => el('li', { class: step.status, 'data-layer': step.layer },
      el('strong', {}, `${{ pass: '✔', fail: '✘', skip: '–', warn: '!' }[step.status] || ''} ${step.layer}`), ' ', step.summary,
      step.evidence.length ? el('ul', {}, step.evidence.map((line) => el('li', {}, line))) : null,
      step.fix ? el('p', { class: 'fix' }, `fix: ${step.fix}`) : null))));
}

/** The findings of `check`. */
export function renderFindings(list, report, actions) {
  if (report.findings.length === 0) {
    replace(list, el('li', { class: 'hint' }, 'no findings'));
    return;
  }
  replace(list, report.findings.map((finding, index) => el('li', { tabindex: '0', 'data-code': finding.code, onclick: () => actions.openFinding(index), onkeydown: (event) => { if (event.key === 'Enter') actions.openFinding(index); } },
    el('span', { class: `severity-${finding.severity}` }, `${finding.severity} ${finding.code}`), ' ',
    `${finding.object.kind} ${finding.object.namespace ? finding.object.namespace + '/' : ''}${finding.object.name}: `, finding.message)));
}

/** One finding in the details panel. */
export function findingDetails(target, finding) {
  replace(target,
    el('h3', {}, `${finding.severity} ${finding.code} ${finding.rule}`),
    el('p', {}, `${finding.object.kind} ${finding.object.namespace ? finding.object.namespace + '/' : ''}${finding.object.name}`),
    el('p', {}, location({ file: finding.file, line: finding.line })),
    el('p', {}, finding.message),
    finding.fix ? el('p', { class: 'fix' }, `fix: ${finding.fix}`) : null);
}

/** The namespace × namespace adjacency matrix: connection counts, ports on hover. */
export function renderAdjacency(target, state, actions) {
  const names = state.graph.namespaces.map((n) => n.name);
  const cells = new Map(state.graph.namespace_edges.map((e) => [`${e.from}\u0000${e.to}`, e]));
  const label = (name) => (name === OUTSIDE ? 'outside' : name);
  replace(target, el('table', { class: 'adjacency' },
    el('caption', {}, 'allowed workload pairs, from row to column'),
    el('thead', {}, el('tr', {}, el('th', {}, ''), names.map((name) => el('th', { scope: 'col' }, label(name))))),
    el('tbody', {}, names.map((from) => el('tr', {},
      el('th', { scope: 'row' }, label(from)),
      names.map((to) => {
        const edge = cells.get(`${from}\u0000${to}`);
        const count = edge ? edge.connections : 0;
        return el('td', {
          class: from === to ? 'self' : count ? 'some' : null,
          title: edge ? `${label(from)} → ${label(to)}: ${ports(edge.ports)}` : `${label(from)} → ${label(to)}: none`,
          onclick: edge ? () => actions.selectNamespaceEdge(edge) : null,
        }, count ? String(count) : '');
      }))))));
}

/** What a DNS answer says, in a line. */
function answerText(answer) {
  if (!answer) return 'no answer';
  if (answer.kind !== 'records') return answer.kind;
  return answer.records.map((record) => {
    const target = record.service ? `Service ${record.service.namespace}/${record.service.name}` : record.pod ? `pod ${record.pod}` : '';
    const data = Object.entries(record.data || {}).filter(([key]) => key !== 'type').map(([key, value]) => `${key} ${value === null ? 'assigned at creation' : value}`).join(', ');
    return `${record.data ? record.data.type : ''} ${record.name}${data ? ` (${data})` : ''}${target ? ` → ${target}` : ''}`;
  }).join('; ');
}

/** The queries a pod's resolver sends, in order, and the answer. */
export function dnsResult(target, report) {
  replace(target,
    el('p', {}, `search: ${report.resolver.searches.join(' ') || '(none)'}; ndots ${report.resolver.ndots}`),
    el('ol', { class: 'queries' }, report.queries.map((query) => el('li', {}, `${query.name} ${query.type} → `, answerText(query.answer)))),
    el('p', { class: 'dns-answer' }, el('strong', {}, 'answer: '), answerText(report.answer)),
    report.server ? el('p', { class: report.server.status === 'fail' ? 'error' : null }, `DNS server: ${report.server.summary}`) : null);
}

// `1 class`, `3 classes`: the noun agrees with the count.
function counted(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
