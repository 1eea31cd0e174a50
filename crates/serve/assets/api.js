// The JSON API (docs/api.md). Same-origin requests; the access cookie goes
// along by itself.

export async function get(path, parameters) {
  const query = parameters ? '?' + new URLSearchParams(parameters).toString() : '';
  const response = await fetch(path + query, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`${path}: HTTP ${response.status}`);
  }
  if (!response.ok) throw new Error(body && body.error ? body.error : `${path}: HTTP ${response.status}`);
  return body;
}
