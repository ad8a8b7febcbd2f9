// Views of the console, part 4: signing keys (list, rotate) and the audit log (filters, paging).
'use strict';
(function () {
  const WX = window.WX;
  const { h, api } = WX;
  const { page, code, pager } = WX.ui;
  const V = WX.views;
  const PAGE = 50;

  // ---- keys ----

  V.keys = async function (ctx) {
    const res = await api.get('/keys');
    const keys = res.keys || [];
    const rotate = WX.form({
      id: 'keys-rotate',
      label: 'Rotate the signing key',
      submit: 'Rotate…',
      fields: [{ name: 'alg', label: 'Algorithm of the new key', type: 'select', value: 'RS256', options: [['RS256', 'RS256'], ['ES256', 'ES256'], ['EdDSA', 'EdDSA']] }],
      onSubmit: async (v) => {
        const yes = await WX.confirm({
          title: `Rotate to a new ${v.alg} key?`,
          text: `Tokens of ${v.alg} pools are then signed with the new key. The current ${v.alg} key is retired but stays in the JWKS until the tokens it signed have expired, so nobody is logged out.`,
          ok: 'Rotate key', danger: false,
        });
        if (!yes) return;
        const r = await api.post('/keys/rotate', v);
        WX.flash(`New ${r.alg} key ${r.kid} is now signing.`, 'ok');
        ctx.reload();
      },
    });
    const stateKind = (s) => (s === 'current' ? 'ok' : s === 'retired' ? 'muted' : 'warn');
    return page('Signing keys', {},
      keys.length ? WX.table([
        { label: 'Key ID (kid)', cell: (k) => code(k.kid) },
        { label: 'Algorithm', cell: (k) => k.alg },
        { label: 'State', cell: (k) => WX.badge(k.state, stateKind(k.state)) },
        { label: 'Created', cell: (k) => WX.timeEl(k.created_at) },
        { label: 'Retired', cell: (k) => WX.timeEl(k.retired_at) },
        { label: 'Published until', cell: (k) => WX.timeEl(k.publish_until) },
      ], keys, { caption: 'Signing keys' }) : WX.empty('No signing keys yet: wxauthd makes one with the first token, or rotate now.'),
      h('div', { class: 'card' }, h('h2', { text: 'Rotate' }),
        h('p', { class: 'hint', text: 'Private keys are sealed under the master key and never leave the server; verifiers get the public keys from /oidc/.well-known/jwks.json (the issuer + /.well-known/jwks.json).' }),
        rotate.el));
  };

  // ---- audit log ----

  const ACTIONS = ['login', 'admin.sign_in', 'pool.', 'pool.create', 'pool.update', 'pool.delete',
    'app.', 'app.create', 'app.update', 'app.delete', 'app.secret_reset',
    'connection.', 'connection.create', 'connection.update', 'connection.delete', 'connection.check',
    'user.', 'user.block', 'user.unblock', 'user.revoke_tokens', 'user.delete', 'keys.rotate'];

  // datetime-local value <-> epoch seconds (local time).
  function toEpoch(v) {
    if (!v) return '';
    const t = new Date(v).getTime();
    return Number.isFinite(t) ? String(Math.floor(t / 1000)) : '';
  }
  function toLocal(sec) {
    const n = parseInt(sec, 10);
    if (!n) return '';
    const d = new Date(n * 1000);
    const p = (x) => String(x).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }

  // The subject of an event as a link to it, where the console has a page for it.
  function subject(e) {
    if (!e.subject) return '';
    const kind = e.action.split('.')[0];
    let href = null;
    if (kind === 'pool' && e.action !== 'pool.delete') href = WX.route('pools', e.subject);
    else if (e.pool_id && kind === 'app' && e.action !== 'app.delete') href = WX.route('pools', e.pool_id, 'apps', e.subject);
    else if (e.pool_id && kind === 'connection' && e.action !== 'connection.delete') href = WX.route('pools', e.pool_id, 'connections', e.subject);
    else if (e.pool_id && kind === 'user' && e.action !== 'user.delete') href = WX.route('pools', e.pool_id, 'users', e.subject);
    else if (e.pool_id && kind === 'login') href = WX.route('pools', e.pool_id, 'users') + '?search=' + encodeURIComponent(e.subject); // an openid
    return href ? h('a', { href }, code(e.subject)) : code(e.subject);
  }

  function auditHash(q) {
    const s = new URLSearchParams();
    for (const k of ['pool', 'action', 'actor', 'since', 'until', 'offset']) if (q[k]) s.set(k, q[k]);
    const t = s.toString();
    return '#/audit' + (t ? '?' + t : '');
  }

  V.audit = async function (ctx) {
    const q = {};
    for (const k of ['pool', 'action', 'actor', 'since', 'until', 'offset']) q[k] = ctx.query.get(k) || '';
    const [pools, res] = await Promise.all([
      api.get('/pools').catch(() => ({ pools: [] })),
      api.get('/audit', { ...q, limit: PAGE }),
    ]);
    const poolOpts = [['', 'All pools'], ...(pools.pools || []).map((p) => [p.id, p.name && p.name !== p.id ? `${p.name} (${p.id})` : p.id])];
    if (q.pool && !poolOpts.some(([v]) => v === q.pool)) poolOpts.push([q.pool, q.pool]);
    const list = h('datalist', { id: 'audit-actions' }, ACTIONS.map((a) => h('option', { value: a })));
    const filters = WX.form({
      id: 'audit-filter',
      label: 'Filter the audit log',
      class: 'filters',
      submit: 'Apply filters',
      fields: [
        { name: 'pool', label: 'Pool', type: 'select', value: q.pool, options: poolOpts },
        { name: 'action', label: 'Action', value: q.action, placeholder: 'e.g. user. or login', hint: 'Exact, or a prefix ending in a dot.' },
        { name: 'actor', label: 'Actor', value: q.actor, placeholder: 'admin@127.0.0.1' },
        { name: 'since', label: 'Since', type: 'datetime-local', value: toLocal(q.since) },
        { name: 'until', label: 'Until', type: 'datetime-local', value: toLocal(q.until) },
      ],
      extraButtons: h('a', { class: 'button secondary', href: '#/audit', text: 'Reset' }),
      onSubmit: async (v) => {
        ctx.go(auditHash({ pool: v.pool, action: v.action, actor: v.actor, since: toEpoch(v.since), until: toEpoch(v.until) }));
      },
    });
    filters.input('action').setAttribute('list', 'audit-actions');
    const events = res.events || [];
    return page('Audit log', {},
      h('div', { class: 'card' }, filters.el, list),
      events.length ? WX.table([
        { label: 'Time', cell: (e) => WX.timeEl(e.at) },
        { label: 'Pool', cell: (e) => e.pool_id ? code(e.pool_id) : h('span', { class: 'muted', text: '—' }) },
        { label: 'Actor', cell: (e) => e.actor },
        { label: 'Action', cell: (e) => code(e.action) },
        { label: 'Subject', cell: subject },
        { label: 'Outcome', cell: (e) => WX.badge(e.outcome, /^ok/.test(e.outcome) ? 'ok' : /denied|fail|error|blocked|refused/.test(e.outcome) ? 'danger' : 'muted') },
      ], events, { caption: 'Audit events', class: 'audit' }) : WX.empty('No events match.'),
      pager(res, (o) => auditHash({ ...q, offset: String(o) })));
  };
})();
