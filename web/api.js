// api.js: the one place that talks to /api/v1 (docs/API.md).
//
// Same-origin credentials (the wp_session cookie is HttpOnly; we never see it), JSON in and
// out, and the CSRF token from login or /me sent on every POST. A 401 on any call but the
// login itself means the session is gone: the app is told, and shows the login view.

let csrf = null;
let onUnauthorized = () => {};

export function setCsrf(token) { csrf = token || null; }
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

// Query object -> "?a=1&b=2", leaving out empty values.
export function qs(query) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {}))
    if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export async function api(path, { method = 'GET', body, query, authRedirect = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let resp;
  try {
    resp = await fetch(`/api/v1${path}${qs(query)}`, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, `network error: ${e.message}`);
  }
  if (resp.status === 204) return null;
  let data = null;
  const type = resp.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { data = await resp.json(); } catch { data = null; }
  }
  if (!resp.ok) {
    const msg = (data && typeof data.error === 'string') ? data.error : `HTTP ${resp.status}`;
    const err = new ApiError(resp.status, msg, resp.headers.get('Retry-After'));
    if (resp.status === 401 && authRedirect) onUnauthorized(err);
    throw err;
  }
  return data;
}

export const get = (path, query) => api(path, { query });
export const post = (path, body) => api(path, { method: 'POST', body: body ?? {} });
