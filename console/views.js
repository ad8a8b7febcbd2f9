// Views of the console, part 1: shared page parts, sign-in, and user pools (list, create,
// settings, delete). A view is an async function (ctx) -> Node; ctx has params (decoded route
// parts), query (URLSearchParams of the hash), go(hash) and reload().
'use strict';
(function () {
  const WX = (window.WX = window.WX || {});
  const { h, api } = WX;
  const V = (WX.views = WX.views || {});
  const P = (id, ...rest) => api.path('pools', id, ...rest);

  // Route hashes built from raw ids (each part percent-encoded).
  function route(...segs) {
    return '#/' + segs.map((s) => encodeURIComponent(String(s))).join('/');
  }

  function page(title, opts, ...children) {
    return h('section', { class: 'page' },
      opts.crumbs ? h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
        h('ol', null, opts.crumbs.map(([label, href]) =>
          h('li', null, href ? h('a', { href, text: label }) : h('span', { 'aria-current': 'page', text: label }))))) : null,
      h('div', { class: 'page-head' }, h('h1', { text: title }), opts.actions ? h('div', { class: 'head-actions' }, opts.actions) : null),
      opts.tabs || null,
      children);
  }

  const POOL_TABS = [['overview', 'Overview', 'overview'], ['settings', 'Settings', ''], ['apps', 'Applications', 'apps'], ['connections', 'Connections', 'connections'], ['users', 'Users', 'users']];

  function poolTabs(poolId, active) {
    return h('nav', { class: 'tabs', 'aria-label': 'Pool sections' },
      POOL_TABS.map(([key, label, seg]) =>
        h('a', { href: seg ? route('pools', poolId, seg) : route('pools', poolId), 'aria-current': key === active ? 'page' : null, text: label })));
  }

  function poolPage(pool, active, title, opts, ...children) {
    return page(title, {
      crumbs: [['Pools', '#/pools'], [pool.name || pool.id, route('pools', pool.id)], ...(opts.crumbs || [])],
      tabs: poolTabs(pool.id, active),
      actions: opts.actions,
    }, children);
  }

  function errorBox(err, retry) {
    return h('div', { class: 'alert error', role: 'alert' },
      h('p', { text: err && err.message ? err.message : String(err) }),
      retry ? h('button', { type: 'button', class: 'secondary', onclick: retry, text: 'Try again' }) : null);
  }

  function code(text) {
    return h('code', { text: text === undefined || text === null ? '' : String(text) });
  }

  // A definition list from [label, value|node] pairs; empty values as an em dash.
  function dl(pairs) {
    return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) =>
      [h('dt', { text: k }), h('dd', null, v === '' || v === null || v === undefined ? h('span', { class: 'muted', text: '—' }) : v)]));
  }

  // Text with a copy button.
  function copyable(text, label) {
    const c = code(text);
    const b = h('button', { type: 'button', class: 'secondary small', text: 'Copy', 'aria-label': 'Copy ' + (label || 'value') });
    b.addEventListener('click', async () => {
      const ok = await WX.copy(text, c);
      b.textContent = ok ? 'Copied' : 'Press Ctrl+C';
      setTimeout(() => { b.textContent = 'Copy'; }, 2000);
    });
    return h('span', { class: 'copyable' }, c, b);
  }

  // A freshly made secret, shown once.
  function secretOnce(title, secret, what) {
    return h('div', { class: 'alert warn secret-once', role: 'alert' },
      h('h2', { text: title }),
      h('p', null, h('strong', { text: 'Copy it now: it is shown only once. ' }),
        `wxauth keeps only a sealed copy and cannot show it again; if it is lost, reset it. ${what || ''}`),
      copyable(secret, 'secret'));
  }

  // Paging links for {total, offset, limit}.
  function pager(res, hrefFor) {
    const { total, offset, limit } = res;
    if (!total) return null;
    const from = offset + 1;
    const to = Math.min(offset + limit, total);
    return h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('span', { class: 'muted', text: `${from}–${to} of ${total}` }),
      offset > 0 ? h('a', { class: 'button secondary small', href: hrefFor(Math.max(0, offset - limit)), rel: 'prev', text: '← Previous' }) : null,
      to < total ? h('a', { class: 'button secondary small', href: hrefFor(offset + limit), rel: 'next', text: 'Next →' }) : null);
  }

  // ---- sign-in ----

  V.signin = async function (ctx) {
    const f = WX.form({
      id: 'signin',
      label: 'Sign in',
      submit: 'Sign in',
      fields: [{
        name: 'token', label: 'Admin token', type: 'password', required: true, autocomplete: 'current-password',
        hint: 'The admin credential of this wxauthd (its hash is [admin] token_hash in the configuration).',
      }],
      onSubmit: async (v) => {
        if (!v.token) throw new api.ApiError(400, 'Enter the admin token.', { token: 'is required' });
        try {
          await api.signIn(v.token);
        } catch (e) {
          if (e.status === 401) throw new api.ApiError(401, 'That admin token was not accepted.', { token: 'wrong token' });
          if (e.status === 429) throw new api.ApiError(429, 'Too many attempts from this address: wait a few minutes, then try again.');
          throw e;
        }
        WX.flash('Signed in.', 'ok');
        const next = ctx.query.get('next');
        ctx.go(next && next.startsWith('#/') && !next.startsWith('#/signin') ? next : '#/pools');
      },
    });
    const reason = ctx.query.get('reason');
    return h('section', { class: 'signin' },
      h('div', { class: 'card' },
        h('h1', { text: 'Sign in' }),
        h('p', { class: 'muted', text: 'Manage user pools, WeChat connections and users of this wxauth server.' }),
        reason === 'expired' ? h('div', { class: 'alert warn', role: 'alert', text: 'The admin API did not accept the stored token: sign in again.' }) : null,
        reason === 'signedout' ? h('div', { class: 'alert', role: 'status', text: 'Signed out.' }) : null,
        f.el,
        h('p', { class: 'fineprint', text: 'The token is kept in this tab only (sessionStorage) and sent as an Authorization header; closing the tab or signing out forgets it.' })));
  };

  // ---- pools ----

  function poolFields(p, creating) {
    return [
      { name: 'id', label: 'Pool ID', value: p.id, required: creating, readOnly: !creating, hint: creating ? '1 to 63 letters, digits, _ or -. Used in login URLs; cannot be changed later.' : 'Cannot be changed.' },
      { name: 'name', label: 'Name', value: p.name, omitEmpty: creating },
      { name: 'token_ttl', label: 'Token lifetime (seconds)', type: 'number', value: p.token_ttl, placeholder: '1296000', hint: p.token_ttl ? `Currently ${WX.duration(p.token_ttl)}.` : 'Default 1296000 (15 days).' },
      { name: 'alg', label: 'Signing algorithm', type: 'select', value: p.alg || 'RS256', options: [['RS256', 'RS256'], ['ES256', 'ES256'], ['EdDSA', 'EdDSA']] },
      { name: 'redirect_urls', label: 'Allowed redirect URLs', type: 'lines', value: p.redirect_urls || [], wide: true, hint: 'One per line. * wildcards allowed (never across / ? # @; one DNS label in a host).' },
      { name: 'desktop_method', label: 'Desktop login', type: 'select', value: p.desktop_method || 'auto', options: [['auto', 'auto — the website app\u2019s QR code when the pool has one'], ['qrconnect', 'qrconnect — the Open Platform website app'], ['none', 'none — as on a phone (asks to open in WeChat)']], hint: 'How a login started on a computer goes (docs/desktop-login.md).' },
    ];
  }

  V.pools = async function (ctx) {
    const res = await api.get('/pools');
    const list = res.pools || [];
    const create = WX.form({
      id: 'pool-new',
      label: 'New pool',
      submit: 'Create pool',
      fields: poolFields({}, true),
      onSubmit: async (v) => {
        const p = await api.post('/pools', v);
        WX.flash(`Pool ${p.id} created.`, 'ok');
        ctx.go(route('pools', p.id, 'overview')); // the getting-started checklist
      },
    });
    const details = h('details', { class: 'create', open: list.length === 0 }, h('summary', { text: 'New pool' }), create.el);
    return page('User pools', {}, list.length
      ? WX.table([
        { label: 'Name', cell: (p) => h('a', { href: route('pools', p.id), text: p.name || p.id }) },
        { label: 'ID', cell: (p) => code(p.id) },
        { label: 'Token lifetime', cell: (p) => WX.duration(p.token_ttl) },
        { label: 'Algorithm', cell: (p) => p.alg },
        { label: 'Redirect URLs', cell: (p) => String((p.redirect_urls || []).length) },
        { label: 'Created', cell: (p) => WX.timeEl(p.created_at) },
      ], list, { caption: 'User pools', class: 'pools' })
      : WX.empty('No pools yet. A pool holds users, applications and WeChat connections; create the first one below.'),
    details);
  };

  V.pool = async function (ctx) {
    const id = ctx.params[0];
    const p = await api.get(P(id));
    const f = WX.form({
      id: 'pool-edit',
      label: 'Pool settings',
      submit: 'Save changes',
      fields: poolFields(p, false),
      onSubmit: async (v) => {
        await api.put(P(id), v);
        WX.flash('Pool saved.', 'ok');
        ctx.reload();
      },
    });
    const del = h('button', { type: 'button', class: 'danger', text: 'Delete pool…' });
    del.addEventListener('click', async () => {
      const yes = await WX.confirm({
        title: `Delete pool ${p.id}?`,
        text: 'Its applications, connections, users and their identities are deleted too. Logins through it stop at once. This cannot be undone.',
        ok: 'Delete pool', type: p.id,
      });
      if (!yes) return;
      try {
        await api.del(P(id));
        WX.flash(`Pool ${p.id} deleted.`, 'ok');
        ctx.go('#/pools');
      } catch (e) {
        WX.flash(e.message, 'error');
      }
    });
    const origin = WX.api.publicUrl();
    return poolPage(p, 'settings', p.name || p.id, {},
      h('div', { class: 'card' },
        h('h2', { text: 'Login URLs' }),
        dl([
          ['@authing/wxmp 1.0 (userPoolId)', copyable(`${origin}/oauth/wechatmp/url/${encodeURIComponent(p.id)}`, 'login URL')],
          ['Created', WX.timeEl(p.created_at)],
          ['Updated', WX.timeEl(p.updated_at)],
        ]),
        h('p', { class: 'hint', text: 'Newer SDKs start at /connections/social/<identifier>?app_id=<application ID> instead (see Applications and Connections).' })),
      h('div', { class: 'card' }, h('h2', { text: 'Settings' }), f.el),
      h('div', { class: 'card danger-zone' }, h('h2', { text: 'Danger zone' }), h('p', { text: 'Deleting a pool removes everything in it.' }), del));
  };

  Object.assign(WX, { route, ui: { page, poolPage, poolTabs, errorBox, code, dl, copyable, secretOnce, pager } });
})();
