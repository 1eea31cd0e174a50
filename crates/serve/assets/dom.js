// Building the page's text. Everything from the cluster goes in as text
// nodes: no innerHTML anywhere, so a label value such as
// `<img src=x onerror=alert(1)>` shows as those characters.

/** An element with attributes (strings) and children (nodes, strings, arrays, null). */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces the children of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** `file:line`, or nothing when the place is unknown. */
export function location(place) {
  if (!place || !place.file) return null;
  return el('span', { class: 'location' }, place.line ? `${place.file}:${place.line}` : place.file);
}

/** A connection set (`kubereach.matrix/v1` ports) as text: `TCP 80, 8080-8090`. */
export function ports(entries) {
  if (!entries || entries.length === 0) return 'no connections';
  const all = ['TCP', 'UDP', 'SCTP'].every((p) => entries.some((e) => e.protocol === p && e.from === 1 && e.to === 65535));
  if (all) return 'all ports';
  const byProtocol = new Map();
  for (const e of entries) {
    const text = e.name !== undefined ? e.name : e.from === 1 && e.to === 65535 ? 'all' : e.from === e.to ? `${e.from}` : `${e.from}-${e.to}`;
    if (!byProtocol.has(e.protocol)) byProtocol.set(e.protocol, []);
    byProtocol.get(e.protocol).push(text);
  }
  return [...byProtocol].map(([p, list]) => `${p} ${list.join(',')}`).join(' ');
}

/** The policy `kind namespace/name`. */
export function policyName(policy) {
  return `${policy.kind} ${policy.namespace ? policy.namespace + '/' : ''}${policy.name}`;
}
