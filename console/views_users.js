// Views of the console, part 3: a pool's users (search, paging, detail, block/unblock, revoke
// tokens, delete). Nicknames and profiles come from WeChat, i.e. from anyone: shown as text only.
'use strict';
(function () {
  const WX = window.WX;
  const { h, api, route } = WX;
  const { poolPage, code, dl, pager } = WX.ui;
  const V = WX.views;
  const P = (id, ...rest) => api.path('pools', id, ...rest);
  const PAGE = 20;
  const GENDER = { M: 'male', F: 'female', U: 'unknown' };

  function statusBadge(u) {
    return u.blocked ? WX.badge('Blocked', 'danger') : WX.badge('Active', 'ok');
  }

  function usersHash(poolId, search, offset, limit) {
    const q = new URLSearchParams();
    if (search) q.set('search', search);
    if (offset) q.set('offset', String(offset));
    if (limit && limit !== PAGE) q.set('limit', String(limit));
    const s = q.toString();
    return route('pools', poolId, 'users') + (s ? '?' + s : '');
  }

  V.users = async function (ctx) {
    const id = ctx.params[0];
    const search = ctx.query.get('search') || '';
    const offset = Math.max(0, parseInt(ctx.query.get('offset') || '0', 10) || 0);
    const limit = Math.min(200, Math.max(1, parseInt(ctx.query.get('limit') || '0', 10) || PAGE));
    const [pool, res] = await Promise.all([
      api.get(P(id)),
      api.get(P(id, 'users'), { search, offset, limit }),
    ]);
    const input = h('input', { type: 'search', id: 'user-search', name: 'search', value: search, placeholder: 'Nickname, openid or unionid', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'user-search-hint' });
    const form = h('form', { class: 'search', role: 'search', novalidate: true },
      h('label', { for: 'user-search', class: 'sr-only', text: 'Search users' }),
      input,
      h('button', { type: 'submit', class: 'primary', text: 'Search' }),
      search ? h('a', { class: 'button secondary', href: usersHash(id, '', 0, limit), text: 'Clear' }) : null);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      ctx.go(usersHash(id, input.value.trim(), 0, limit));
    });
    const users = res.users || [];
    const body = users.length
      ? WX.table([
        {
          label: 'User',
          cell: (u) => h('a', { class: 'user-link', href: route('pools', id, 'users', u.id) },
            WX.avatar(u.photo, u.nickname), h('span', { class: 'nickname', text: u.nickname || u.username || u.id })),
        },
        { label: 'openid', cell: (u) => code(u.openid) },
        { label: 'unionid', cell: (u) => code(u.unionid) },
        { label: 'Logins', class: 'num', cell: (u) => String(u.logins_count) },
        { label: 'Last login', cell: (u) => WX.timeEl(u.last_login) },
        { label: 'Status', cell: statusBadge },
      ], users, { caption: 'Users', class: 'users', rowProps: (u) => ({ dataset: { userId: u.id }, class: u.blocked ? 'blocked' : null }) })
      : WX.empty(search ? `No user matches “${search}”.` : 'No users yet: they appear here after their first WeChat login.');
    return poolPage(pool, 'users', 'Users', {},
      form,
      h('p', { id: 'user-search-hint', class: 'hint', text: 'Nickname matches any part; openid and unionid match exactly.' }),
      body,
      pager(res, (o) => usersHash(id, search, o, limit)));
  };

  V.user = async function (ctx) {
    const [id, uid] = ctx.params;
    const history = `/audit?pool=${encodeURIComponent(id)}&actor=${encodeURIComponent(uid)}&action=login&limit=20`;
    const [pool, u, logins] = await Promise.all([api.get(P(id)), api.get(P(id, 'users', uid)), api.get(history)]);
    const act = async (what, done) => {
      try {
        await api.post(P(id, 'users', uid, what));
        WX.flash(done, 'ok');
        ctx.reload();
      } catch (e) {
        WX.flash(e.message, 'error');
      }
    };
    const name = u.nickname || u.username || u.id;
    const block = h('button', { type: 'button', class: u.blocked ? 'primary' : 'danger', id: 'user-block', text: u.blocked ? 'Unblock' : 'Block…' });
    block.addEventListener('click', async () => {
      if (u.blocked) return act('unblock', 'User unblocked: they can log in again.');
      if (!await WX.confirm({ title: 'Block this user?', text: `${name} cannot log in while blocked, and online token checks refuse their tokens.`, ok: 'Block user' })) return;
      return act('block', 'User blocked.');
    });
    const revoke = h('button', { type: 'button', class: 'secondary', text: 'Revoke tokens…' });
    revoke.addEventListener('click', async () => {
      if (!await WX.confirm({ title: 'Revoke all tokens of this user?', text: 'Every token issued to them so far is refused by online checks (offline JWKS checks still accept them until they expire). They can log in again.', ok: 'Revoke tokens' })) return;
      return act('revoke-tokens', 'Tokens revoked.');
    });
    const del = h('button', { type: 'button', class: 'danger', text: 'Delete user…' });
    del.addEventListener('click', async () => {
      if (!await WX.confirm({ title: 'Delete this user?', text: `${name} and their WeChat identities are removed. Logging in again makes a new user.`, ok: 'Delete user' })) return;
      try {
        await api.del(P(id, 'users', uid));
        WX.flash('User deleted.', 'ok');
        ctx.go(route('pools', id, 'users'));
      } catch (e) {
        WX.flash(e.message, 'error');
      }
    });
    const place = [u.city, u.province, u.country].filter(Boolean).join(', ');
    const ids = u.identities || [];
    return poolPage(pool, 'users', name, { crumbs: [['Users', route('pools', id, 'users')], [name]] },
      h('div', { class: 'card user-card' + (u.blocked ? ' blocked' : '') },
        h('div', { class: 'user-head' },
          WX.avatar(u.photo, u.nickname, 'large'),
          h('div', null,
            h('p', { class: 'user-name', text: name }),
            h('p', null, statusBadge(u), ' ', h('span', { class: 'muted', text: `${u.logins_count} login${u.logins_count === 1 ? '' : 's'}` })))),
        dl([
          ['User ID', code(u.id)],
          ['Username', u.username],
          ['Nickname', u.nickname],
          ['openid', code(u.openid)],
          ['unionid', code(u.unionid)],
          ['Gender', GENDER[u.gender] || u.gender],
          ['Place', place],
          ['Last login', WX.timeEl(u.last_login)],
          ['Signed up', WX.timeEl(u.created_at)],
          ['Updated', WX.timeEl(u.updated_at)],
        ]),
        h('div', { class: 'actions' }, block, revoke, del)),
      h('div', { class: 'card' }, h('h2', { text: 'WeChat identities' }),
        ids.length ? WX.table([
          { label: 'Provider', cell: (i) => i.provider },
          { label: 'App ID', cell: (i) => code(i.appid) },
          { label: 'openid', cell: (i) => code(i.openid) },
          { label: 'unionid', cell: (i) => code(i.unionid) },
          { label: 'First seen', cell: (i) => WX.timeEl(i.created_at) },
          { label: 'Last used', cell: (i) => WX.timeEl(i.updated_at) },
        ], ids, { caption: 'WeChat identities' }) : WX.empty('No identities.')),
      h('div', { class: 'card' }, h('h2', { text: 'Recent logins' }),
        (logins.events || []).length ? WX.table([
          { label: 'When', cell: (e) => WX.timeEl(e.at) },
          { label: 'Outcome', cell: (e) => WX.badge(e.outcome === 'ok:new_user' ? 'first login' : e.outcome, e.outcome.startsWith('ok') ? 'ok' : 'muted') },
          { label: 'openid', cell: (e) => code(e.subject) },
        ], logins.events, { caption: 'Recent logins', class: 'logins' }) : WX.empty('No logins recorded.'),
        logins.total > (logins.events || []).length
          ? h('p', null, h('a', { href: `#/audit?pool=${encodeURIComponent(id)}&actor=${encodeURIComponent(uid)}&action=login`, text: `All ${logins.total} logins in the audit log →` }))
          : null));
  };
})();
