// Views of the console, part 2: a pool's applications and WeChat webpage connections.
// Connection fields are Authing's (authing-compat.md §6); the App Secret is write-only.
'use strict';
(function () {
  const WX = window.WX;
  const { h, api, route } = WX;
  const { poolPage, code, dl, copyable, secretOnce } = WX.ui;
  const V = WX.views;
  const P = (id, ...rest) => api.path('pools', id, ...rest);

  // ---- applications ----

  function appFields(a, creating) {
    return [
      { name: 'id', label: 'Application ID (app_id)', value: a.id, required: creating, readOnly: !creating, hint: creating ? '1 to 63 letters, digits, _ or -. The app_id your pages pass to the SDK.' : 'Cannot be changed.' },
      { name: 'name', label: 'Name', value: a.name, omitEmpty: creating },
      { name: 'redirect_urls', label: 'Callback URLs', type: 'lines', value: a.redirect_urls || [], wide: true, hint: 'One per line: where users may be sent back after login. * wildcards allowed.' },
      { name: 'token_alg', label: 'Token signing', type: 'select', value: a.token_alg || 'pool', options: [['pool', 'The pool\u2019s algorithm (recommended)'], ['HS256', 'HS256 with the app secret (Authing compatibility)']] },
      // OpenID Connect client settings (docs/oidc.md).
      { name: 'public_client', label: 'OpenID Connect client type', type: 'select', boolean: true, value: a.public_client ? 'true' : 'false', options: [['false', 'Confidential: a backend keeps the secret'], ['true', 'Public: a browser or mobile app, no secret, PKCE required']] },
      { name: 'post_logout_redirect_uris', label: 'After-logout URLs', type: 'lines', value: a.post_logout_redirect_uris || [], wide: true, hint: 'One per line, exact: where /oidc/session/end may send users back.' },
      { name: 'web_origins', label: 'Web origins', type: 'lines', value: a.web_origins || [], wide: true, hint: 'One per line, e.g. https://shop.example.com: pages on these origins may call wxauth from the browser (CORS).' },
      { name: 'access_token_ttl', label: 'Access token lifetime (s)', type: 'number', value: a.access_token_ttl || '', omitEmpty: creating, emptyIs: creating ? undefined : 0, hint: 'Empty or 0: the pool\u2019s token lifetime.' },
      { name: 'id_token_ttl', label: 'ID token lifetime (s)', type: 'number', value: a.id_token_ttl || '', omitEmpty: creating, emptyIs: creating ? undefined : 0, hint: 'Empty or 0: the pool\u2019s token lifetime.' },
      { name: 'refresh_token_ttl', label: 'Refresh token lifetime (s)', type: 'number', value: a.refresh_token_ttl || '', omitEmpty: creating, emptyIs: creating ? undefined : 0, hint: 'Empty or 0: 30 days.' },
    ];
  }

  function appTable(poolId, apps) {
    if (!apps.length) return WX.empty('No applications yet. Newer Authing SDKs log in with an application ID (app_id).');
    return WX.table([
      { label: 'Name', cell: (a) => h('a', { href: route('pools', poolId, 'apps', a.id), text: a.name || a.id }) },
      { label: 'App ID', cell: (a) => code(a.id) },
      { label: 'Callback URLs', cell: (a) => (a.redirect_urls || []).length ? h('ul', { class: 'plain' }, a.redirect_urls.map((u) => h('li', null, code(u)))) : h('span', { class: 'muted', text: 'none' }) },
      { label: 'Token signing', cell: (a) => a.token_alg === 'pool' ? 'pool' : a.token_alg },
      { label: 'Secret', cell: (a) => WX.badge(a.secret, a.secret === 'set' ? 'ok' : 'muted') },
      { label: 'Created', cell: (a) => WX.timeEl(a.created_at) },
    ], apps, { caption: 'Applications' });
  }

  V.apps = async function (ctx) {
    const id = ctx.params[0];
    const [pool, res] = await Promise.all([api.get(P(id)), api.get(P(id, 'apps'))]);
    const slot = h('div', { class: 'slot' });
    const list = h('div', null, appTable(id, res.apps || []));
    const create = WX.form({
      id: 'app-new',
      label: 'New application',
      submit: 'Create application',
      fields: appFields({}, true),
      onSubmit: async (v, form) => {
        const a = await api.post(P(id, 'apps'), v);
        slot.replaceChildren(secretOnce(`Application ${a.id} created: its secret`, a.secret,
          'The secret signs HS256 tokens and authenticates the app to the token endpoints.'));
        form.el.reset();
        details.open = false;
        const again = await api.get(P(id, 'apps'));
        list.replaceChildren(appTable(id, again.apps || []));
        slot.scrollIntoView({ block: 'nearest' });
      },
    });
    const details = h('details', { class: 'create', open: !(res.apps || []).length }, h('summary', { text: 'New application' }), create.el);
    return poolPage(pool, 'apps', 'Applications', {}, slot, list, details);
  };

  V.app = async function (ctx) {
    const [poolId, appId] = ctx.params;
    const [pool, a, server, conns] = await Promise.all([api.get(P(poolId)), api.get(api.path('apps', appId)),
      api.get('/server'), api.get(P(poolId, 'connections'))]);
    const slot = h('div', { class: 'slot' });
    const f = WX.form({
      id: 'app-edit',
      label: 'Application settings',
      submit: 'Save changes',
      fields: appFields(a, false),
      onSubmit: async (v) => {
        await api.put(api.path('apps', appId), v);
        WX.flash('Application saved.', 'ok');
        ctx.reload();
      },
    });
    const reset = h('button', { type: 'button', class: 'secondary', text: 'Reset secret…' });
    reset.addEventListener('click', async () => {
      if (!await WX.confirm({ title: 'Reset the application secret?', text: 'The old secret stops working at once: backends and HS256 token checks that use it fail until they get the new one.', ok: 'Reset secret' })) return;
      try {
        const r = await api.post(api.path('apps', appId, 'secret'));
        slot.replaceChildren(secretOnce('New application secret', r.secret));
      } catch (e) {
        WX.flash(e.message, 'error');
      }
    });
    const del = h('button', { type: 'button', class: 'danger', text: 'Delete application…' });
    del.addEventListener('click', async () => {
      if (!await WX.confirm({ title: `Delete application ${a.id}?`, text: 'Pages that log in with this app_id stop working. Users stay in the pool.', ok: 'Delete application' })) return;
      try {
        await api.del(api.path('apps', appId));
        WX.flash(`Application ${a.id} deleted.`, 'ok');
        ctx.go(route('pools', poolId, 'apps'));
      } catch (e) {
        WX.flash(e.message, 'error');
      }
    });
    return poolPage(pool, 'apps', a.name || a.id, { crumbs: [['Applications', route('pools', poolId, 'apps')], [a.id]] },
      slot,
      h('div', { class: 'card' }, dl([
        ['App ID', copyable(a.id, 'app ID')],
        ['Secret', WX.badge(a.secret, a.secret === 'set' ? 'ok' : 'muted')],
        ['Created', WX.timeEl(a.created_at)],
        ['Updated', WX.timeEl(a.updated_at)],
      ])),
      WX.ui.appSnippets(server, a, conns.connections || []),
      h('div', { class: 'card' }, h('h2', { text: 'Settings' }), f.el),
      h('div', { class: 'card danger-zone' }, h('h2', { text: 'Secret and deletion' }), h('div', { class: 'actions' }, reset, del)));
  };

  // ---- connections ----

  const DEFAULT_IDENTIFIER = 'wechat:webpage-authorization';
  const OPEN_IDENTIFIER = 'wechat:qrconnect';
  const TYPES = [
    ['wechat_mp', 'wechat_mp — service account: webpage authorization inside WeChat (phones)'],
    ['wechat_open', 'wechat_open — Open Platform website app: QR-code login (desktops)'],
  ];

  function connType(c) {
    return c.type === 'wechat_open' ? 'Website app (QR code)' : 'Service account';
  }

  function connFields(c, creating) {
    const open = c.type === 'wechat_open';
    return [
      creating
        ? { name: 'type', label: 'Type', type: 'select', value: 'wechat_mp', options: TYPES, hint: 'A website app is a second registration on the Open Platform (open.weixin.qq.com), with its own App ID and App Secret; users are shared with the service account through the unionid. Fixed once created.' }
        : { name: 'type', label: 'Type', value: c.type || 'wechat_mp', readOnly: true, hint: connType(c) + ' — fixed after creation.' },
      { name: 'identifier', label: 'Identifier', value: creating ? DEFAULT_IDENTIFIER : c.identifier, required: creating, readOnly: !creating, hint: creating ? 'Unique in the pool; the SDK\u2019s identifier option. 1 to 64 letters, digits and : _ . - — fixed once created.' : 'Fixed after creation.' },
      { name: 'display_name', label: 'Display name', value: c.display_name, omitEmpty: creating, placeholder: 'WeChat' },
      { name: 'appid', label: 'App ID', value: c.appid, required: true, placeholder: 'wx0123456789abcdef', hint: 'The official account\u2019s AppID (wx + 16 hex digits).' },
      {
        name: 'app_secret', label: 'App Secret', type: 'password', required: creating, autocomplete: 'new-password',
        extra: creating ? null : h('span', { class: 'indicator' }, 'Currently ', WX.badge(c.app_secret === 'set' ? 'set' : 'not set', c.app_secret === 'set' ? 'ok' : 'warn')),
        hint: creating ? 'The official account\u2019s AppSecret. Stored sealed; never shown again.' : 'Leave empty to keep the current secret. Never shown.',
      },
      { name: 'callback_url', label: 'Callback URL', value: c.callback_url, required: true, wide: true, placeholder: 'https://app.example.com/callback', hint: 'Your page users come back to, with code, message and data. May be # (use the application\u2019s callback) and may contain * wildcards.' },
      { name: 'txt_filename', label: 'Txt Filename', value: c.txt_filename, placeholder: 'MP_verify_xxxxxxxxxxxx.txt', hint: 'The domain verification file WeChat asks for (MP_verify_….txt); wxauthd serves it at its root.' },
      { name: 'txt_content', label: 'Txt Content', value: c.txt_content, hint: 'The exact text of that file.' },
      open
        ? { name: 'scope', label: 'Scope', type: 'select', value: 'snsapi_login', options: [['snsapi_login', 'snsapi_login — QR-code login, profile']] }
        : { name: 'scope', label: 'Scope', type: 'select', value: c.scope || 'snsapi_userinfo', options: [['snsapi_userinfo', 'snsapi_userinfo — profile, asks for consent'], ['snsapi_base', 'snsapi_base — openid only, silent']], hint: creating ? 'A website app always uses snsapi_login (this choice is then ignored).' : undefined },
    ];
  }

  function connTable(poolId, conns) {
    if (!conns.length) return WX.empty('No connections yet. A connection holds the WeChat official account (App ID and App Secret) users log in with.');
    return WX.table([
      { label: 'Name', cell: (c) => h('a', { href: route('pools', poolId, 'connections', c.identifier), text: c.display_name || c.identifier }) },
      { label: 'Identifier', cell: (c) => code(c.identifier) },
      { label: 'Type', cell: (c) => WX.badge(connType(c), c.type === 'wechat_open' ? 'ok' : 'muted') },
      { label: 'App ID', cell: (c) => code(c.appid) },
      { label: 'App Secret', cell: (c) => WX.badge(c.app_secret, c.app_secret === 'set' ? 'ok' : 'warn') },
      { label: 'Scope', cell: (c) => c.scope },
      { label: 'Callback URL', cell: (c) => code(c.callback_url) },
      { label: 'Verification file', cell: (c) => c.txt_url ? h('a', { href: c.txt_url, target: '_blank', rel: 'noopener noreferrer', text: c.txt_filename }) : h('span', { class: 'muted', text: 'none' }) },
    ], conns, { caption: 'Connections' });
  }

  V.connections = async function (ctx) {
    const id = ctx.params[0];
    const [pool, res] = await Promise.all([api.get(P(id)), api.get(P(id, 'connections'))]);
    return poolPage(pool, 'connections', 'Connections', {
      actions: h('a', { class: 'button primary', href: route('pools', id, 'new-connection'), text: 'New connection' }),
    }, connTable(id, res.connections || []));
  };

  V.connectionNew = async function (ctx) {
    const id = ctx.params[0];
    const pool = await api.get(P(id));
    const f = WX.form({
      id: 'conn',
      label: 'New connection',
      submit: 'Create connection',
      fields: connFields({}, true),
      onSubmit: async (v) => {
        if (v.type === 'wechat_open') {
          delete v.scope; // always snsapi_login
          if (v.identifier === DEFAULT_IDENTIFIER) v.identifier = OPEN_IDENTIFIER;
        }
        const c = await api.post(P(id, 'connections'), v);
        WX.flash(`Connection ${c.identifier} created.`, 'ok');
        ctx.go(route('pools', id, 'connections', c.identifier));
      },
    });
    return poolPage(pool, 'connections', 'New WeChat webpage connection', { crumbs: [['Connections', route('pools', id, 'connections')], ['New']] },
      h('div', { class: 'card' }, f.el));
  };

  // The set-up checks of POST …/check (the same `wxauth doctor` prints): Chinese first, then
  // the English detail, and for each failing or warned check what to fix.
  const CHECK_NAMES = {
    secret: ['开发者密码', 'App Secret stored'],
    callback: ['回调地址', 'Callback URL'],
    'pool-flow': ['用户池模式回调', 'Pool-flow callback (@authing/wxmp 1.0)'],
    'txt-file': ['域名校验文件', 'Verification file at the domain root'],
    wechat: ['AppID 与 AppSecret', 'WeChat accepts the App ID and Secret'],
    domain: ['网页授权域名', 'Webpage-authorization domain'],
    'push-token': ['消息服务器 Token', 'Message server Token (follow to log in)'],
    'aes-key': ['消息加解密密钥', 'EncodingAESKey (safe mode)'],
    'push-url': ['服务器地址', 'Message server URL for the MP admin'],
  };
  const STATUS = { ok: ['通过', 'ok', 'ok'], warn: ['注意', 'warning', 'warn'], fail: ['未通过', 'failed', 'danger'] };

  function checkItem(c) {
    const [zh, en] = CHECK_NAMES[c.check] || [c.check, c.check];
    const [szh, sen, cls] = STATUS[c.status] || STATUS.fail;
    const li = h('li', { class: `check-item ${c.status}`, 'data-check': c.check },
      h('p', { class: 'check-head' },
        h('span', { class: `badge ${cls}`, text: `${szh} · ${sen}` }), ' ',
        h('strong', { text: zh }), h('span', { class: 'muted', text: ` · ${en}` })),
      h('p', { class: 'check-msg', lang: 'zh-CN', text: c.message_zh || '' }),
      h('p', { class: 'hint check-detail', lang: 'en', text: c.message || '' }));
    if (c.status !== 'ok' && (c.fix_zh || c.fix)) {
      li.append(h('div', { class: 'check-fix' },
        h('p', { lang: 'zh-CN' }, h('strong', { text: '怎么改：' }), c.fix_zh || ''),
        h('p', { class: 'hint', lang: 'en' }, h('strong', { text: 'Fix: ' }), c.fix || '')));
    }
    return li;
  }

  function checkResult(r) {
    const checks = Array.isArray(r.checks) ? r.checks : [];
    const failed = typeof r.failed === 'number' ? r.failed : checks.filter((c) => c.status === 'fail').length;
    const warned = typeof r.warnings === 'number' ? r.warnings : checks.filter((c) => c.status === 'warn').length;
    const summary = failed
      ? `${failed} 项未通过 · ${failed} check${failed === 1 ? '' : 's'} failed`
      : warned ? `全部通过，${warned} 项需注意 · All passed, ${warned} warning${warned === 1 ? '' : 's'}`
        : '全部通过 · All checks passed';
    return h('div', { class: 'alert check-result ' + (failed ? 'error' : warned ? 'warn' : 'ok'), role: 'status' },
      h('p', { class: 'check-summary' }, h('strong', { text: summary })),
      h('ul', { class: 'checks' }, checks.map(checkItem)),
      h('p', { class: 'hint', text: `Asked ${r.api_base || 'WeChat'}${r.errcode ? ` — errcode ${r.errcode}` : ''}${typeof r.elapsed_ms === 'number' ? ` — ${r.elapsed_ms} ms` : ''}` }));
  }

  // Shared with the pool overview's desktop-login section (views_overview.js).
  WX.ui.checkItem = checkItem;
  WX.ui.checkResult = checkResult;

  V.connection = async function (ctx) {
    const [id, ident] = ctx.params;
    const [pool, c] = await Promise.all([api.get(P(id)), api.get(P(id, 'connections', ident))]);
    const f = WX.form({
      id: 'conn',
      label: 'Connection settings',
      submit: 'Save changes',
      fields: connFields(c, false),
      onSubmit: async (v) => {
        await api.put(P(id, 'connections', ident), v);
        WX.flash('Connection saved.', 'ok');
        ctx.reload();
      },
    });
    const checkOut = h('div', { class: 'slot', 'aria-live': 'polite' });
    const check = h('button', { type: 'button', class: 'secondary', text: '检查设置 · Check set-up' });
    check.addEventListener('click', async () => {
      check.disabled = true;
      checkOut.replaceChildren(h('p', { class: 'muted', text: '正在检查… · Asking WeChat and fetching the verification file…' }));
      try {
        checkOut.replaceChildren(checkResult(await api.post(P(id, 'connections', ident, 'check'))));
      } catch (e) {
        checkOut.replaceChildren(WX.ui.errorBox(e));
      } finally {
        check.disabled = false;
      }
    });
    const del = h('button', { type: 'button', class: 'danger', text: 'Delete connection…' });
    del.addEventListener('click', async () => {
      if (!await WX.confirm({ title: `Delete connection ${c.identifier}?`, text: 'Logins through it stop at once and its verification file is no longer served. Users stay in the pool.', ok: 'Delete connection' })) return;
      try {
        await api.del(P(id, 'connections', ident));
        WX.flash(`Connection ${c.identifier} deleted.`, 'ok');
        ctx.go(route('pools', id, 'connections'));
      } catch (e) {
        WX.flash(e.message, 'error');
      }
    });
    let domain = '';
    try {
      domain = c.wechat_redirect_uri ? new URL(c.wechat_redirect_uri).host : '';
    } catch (e) {
      domain = '';
    }
    const origin = WX.api.publicUrl();
    return poolPage(pool, 'connections', c.display_name || c.identifier, { crumbs: [['Connections', route('pools', id, 'connections')], [c.identifier]] },
      h('div', { class: 'card' },
        h('h2', { text: 'Set-up in WeChat' }),
        dl([
          ['Verification file', c.txt_url ? h('a', { class: 'txt-url', href: c.txt_url, target: '_blank', rel: 'noopener noreferrer', text: c.txt_url }) : h('span', { class: 'muted', text: 'not set — fill in Txt Filename and Txt Content' })],
          ['Webpage authorization domain', domain ? copyable(domain, 'domain') : ''],
          ['WeChat redirect URI', c.wechat_redirect_uri ? code(c.wechat_redirect_uri) : ''],
          ['Login start URL', copyable(`${origin}/connections/social/${encodeURIComponent(c.identifier).replace(/%3A/g, ':')}?app_id=<app_id>`, 'login start URL')],
          ['Updated', WX.timeEl(c.updated_at)],
        ]),
        h('p', { class: 'hint', text: 'The check asks WeChat with the App ID and Secret, fetches the verification file from the domain root, and asks WeChat’s authorize page about the domain — as wxauth doctor does.' }),
        h('div', { class: 'actions' }, check), checkOut),
      h('div', { class: 'card' }, h('h2', { text: 'Settings' }), f.el),
      h('div', { class: 'card danger-zone' }, h('h2', { text: 'Danger zone' }), del));
  };
})();
