// The admin API client of the console. The admin token lives in sessionStorage (this tab only,
// gone when the tab closes) and is sent as an Authorization header on each call; there is no
// cookie, so another site cannot make the browser act with it (no CSRF).
'use strict';
(function () {
  const WX = (window.WX = window.WX || {});
  const KEY = 'wxauth.console.admin-token';
  const BASE = '/api/admin/v1';
  // wxauthd's public address ([server] public_url), from POST /session: the console is served on
  // the admin listener ([admin] listen), so its own origin is not where browsers log in.
  const PUBLIC_KEY = 'wxauth.console.public-url';

  class ApiError extends Error {
    constructor(status, message, errors) {
      super(message);
      this.status = status;
      this.errors = errors || {};
    }
  }

  function token() {
    try {
      return sessionStorage.getItem(KEY) || '';
    } catch (e) {
      return '';
    }
  }

  function setToken(t) {
    sessionStorage.setItem(KEY, t);
  }

  function publicUrl() {
    try {
      return sessionStorage.getItem(PUBLIC_KEY) || location.origin;
    } catch (e) {
      return location.origin;
    }
  }

  function signOut() {
    try {
      sessionStorage.removeItem(KEY);
      sessionStorage.removeItem(PUBLIC_KEY);
    } catch (e) {
      /* storage off: nothing kept */
    }
  }

  // "/pools/<id>/connections/<identifier>" from raw segments, each percent-encoded.
  function path(...segs) {
    return '/' + segs.map((s) => encodeURIComponent(String(s))).join('/');
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }

  // Calls the admin API; resolves with the JSON body, rejects with ApiError (status 0 when
  // wxauthd could not be reached). A 401 signs out and calls WX.onUnauthorized.
  async function request(method, p, body, opts = {}) {
    const t = opts.token !== undefined ? opts.token : token();
    const headers = { Accept: 'application/json' };
    if (t) headers.Authorization = 'Bearer ' + t;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let r;
    try {
      r = await fetch(BASE + p, {
        method,
        headers,
        body: body !== undefined ? JSON.stringify(body) : undefined,
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
    } catch (e) {
      throw new ApiError(0, 'Cannot reach wxauthd: ' + e.message);
    }
    let data = null;
    const text = await r.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    if (r.ok) return data;
    let message = data && typeof data.message === 'string' ? data.message : `HTTP ${r.status}`;
    if (r.status === 429) message = 'Too many attempts: ' + message;
    const err = new ApiError(r.status, message, data && data.errors);
    if (r.status === 401 && !opts.signingIn) {
      err.signedOut = true;
      signOut();
      if (WX.onUnauthorized) WX.onUnauthorized(err);
    }
    throw err;
  }

  // Check a token with POST /session; keep it only when it is accepted.
  async function signIn(t) {
    const res = await request('POST', '/session', undefined, { token: t, signingIn: true });
    setToken(t);
    if (res && typeof res.public_url === 'string' && /^https?:\/\//.test(res.public_url)) {
      sessionStorage.setItem(PUBLIC_KEY, res.public_url);
    }
    return res;
  }

  WX.api = {
    ApiError, token, signIn, signOut, path, query, request, publicUrl,
    get: (p, q) => request('GET', p + query(q)),
    post: (p, body) => request('POST', p, body === undefined ? {} : body),
    put: (p, body) => request('PUT', p, body),
    del: (p) => request('DELETE', p),
  };
})();
