// Calls to the admin API with the signed-in key (kept in sessionStorage for this tab only).
const keyName = 'retention.apiKey';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
  }

  /** The route itself is missing on this server (not a missing resource, which has a detail): the feature is not available yet. */
  get notAvailable() {
    return this.status === 405 || (this.status === 404 && !this.problem.detail);
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(keyName),
  set: key => sessionStorage.setItem(keyName, key),
  clear: () => sessionStorage.removeItem(keyName),
};

export function api(method, path, body, { raw = false } = {}) {
  const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  return send(method, path, payload, body === undefined ? undefined : 'application/json', raw);
}

/** Sends a file as the body, as it is (no JSON), with its content type. */
export const upload = (path, file, contentType) => send('POST', path, file, contentType);

async function send(method, path, payload, contentType, raw = false) {
  const headers = { 'X-Api-Key': apiKey.get() ?? '', Accept: 'application/json, application/problem+json' };
  if (contentType) headers['Content-Type'] = contentType;
  const response = await fetch(path, { method, headers, body: payload });
  const text = await response.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = raw ? text : { detail: text }; }
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export const get = path => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = path => api('DELETE', path);
export const enc = encodeURIComponent;
