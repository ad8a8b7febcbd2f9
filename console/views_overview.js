// Views of the console, part 4: a pool's overview — the getting-started checklist that ticks
// itself from the pool's own data, a test login (QR code for a phone, link for the emulator),
// and the dashboard of the last 24 hours (GET /pools/{id}/stats). Also the copyable snippets of
// an application (page, backends, nginx gate), filled with its values.
'use strict';
(function () {
  const WX = window.WX;
  const { h, api, route } = WX;
  const { poolPage, code, copyable } = WX.ui;
  const V = WX.views;
  const P = (id, ...rest) => api.path('pools', id, ...rest);
  const DEFAULT_IDENTIFIER = 'wechat:webpage-authorization';

  function plainUrl(u) {
    return typeof u === 'string' && /^https?:\/\//.test(u) && !u.includes('*');
  }

  // Where a test login starts: the first application with a callback, else the pool flow.
  function startUrl(server, pool, conns, apps) {
    const base = server.public_url;
    const app = apps.find((a) => (a.redirect_urls || []).some(plainUrl));
    const conn = conns[0];
    if (app && conn) {
      return { url: `${base}/connections/social/${encodeURIComponent(conn.identifier)}?app_id=${encodeURIComponent(app.id)}`, via: `application ${app.id}` };
    }
    return { url: `${base}/oauth/wechatmp/url/${encodeURIComponent(pool.id)}`, via: 'the pool flow (@authing/wxmp 1.0)' };
  }

  function checklist(pool, conns, apps, stats) {
    const conn = conns[0];
    const id = pool.id;
    const items = [
      {
        done: conns.length > 0,
        title: 'Add the WeChat connection',
        text: 'App ID and App Secret of the service account (设置与开发 → 基本配置), and the Callback URL.',
        href: conns.length ? route('pools', id, 'connections', conn.identifier) : route('pools', id, 'new-connection'),
        link: conns.length ? 'Open the connection' : 'New connection',
      },
      {
        done: conns.some((c) => c.app_secret === 'set'),
        title: 'Store the App Secret and check it with WeChat',
        text: 'The connection page has “检查设置 · Check set-up”: WeChat is asked about the App ID and Secret, the verification file and the domain.',
        href: conn ? route('pools', id, 'connections', conn.identifier) : null,
        link: 'Check with WeChat',
      },
      {
        done: conns.some((c) => c.txt_filename),
        title: 'Serve the domain-verification file',
        text: 'Upload the MP_verify_….txt that 网页授权域名 offers; wxauthd serves it at the domain root. Then save the domain in WeChat.',
        href: conn ? route('pools', id, 'connections', conn.identifier) : null,
        link: 'Set Txt Filename and Content',
      },
      {
        done: apps.some((a) => (a.redirect_urls || []).some(plainUrl)) || conns.some((c) => plainUrl(c.callback_url)) || (pool.redirect_urls || []).some(plainUrl),
        title: 'Register the page users come back to',
        text: 'An application (its app_id goes into your page) with its callback URL.',
        href: route('pools', id, 'apps'),
        link: apps.length ? 'Applications' : 'New application',
      },
      {
        done: stats.users_total > 0,
        title: 'Log in once',
        text: 'Scan the code below with WeChat, or open the link in a browser when the emulator lets desktops in.',
        href: null,
      },
    ];
    const n = items.filter((i) => i.done).length;
    return h('div', { class: 'card checklist-card' },
      h('h2', { text: n === items.length ? 'Set up: all done' : `Getting started: ${n} of ${items.length} done` }),
      h('ol', { class: 'checklist' }, items.map((i) =>
        h('li', { class: i.done ? 'done' : 'todo' },
          h('span', { class: 'tick', 'aria-label': i.done ? 'done' : 'to do', text: i.done ? '✓' : '' }),
          h('div', null,
            h('strong', { text: i.title }),
            h('p', { class: 'hint', text: i.text }),
            !i.done && i.href ? h('a', { href: i.href, text: i.link }) : null)))));
  }

  function tryLogin(server, pool, conns, apps) {
    const s = startUrl(server, pool, conns, apps);
    return h('div', { class: 'card try-login' },
      h('h2', { text: 'Try a login' }),
      h('div', { class: 'try-row' },
        h('img', { class: 'qr', src: `${server.public_url}/qrcode.svg?url=${encodeURIComponent(s.url)}`, alt: 'QR code of the login URL: scan it with WeChat', width: 180, height: 180 }),
        h('div', null,
          h('p', { text: `Scan with WeChat on a phone to log in through ${s.via}; the login ends on its callback page.` }),
          copyable(s.url, 'login URL'),
          h('p', null, h('a', { href: s.url, target: '_blank', rel: 'noopener', text: 'Open the login in a new tab' })),
          h('p', { class: 'hint', text: 'Outside WeChat real WeChat only says “请在微信客户端打开链接”; the emulator lets a desktop browser in when its UA check is off (make demo).' }))));
  }

  function dashboard(pool, stats) {
    const max = Math.max(1, ...stats.hours.map((x) => x.ok + x.failed));
    const bars = h('div', { class: 'bars', role: 'img', 'aria-label': `Logins per hour over the last ${stats.window_hours} hours` },
      stats.hours.map((x) => {
        const ok = h('span', { class: 'ok' });
        const bad = h('span', { class: 'failed' });
        // CSSOM, not a style attribute: the CSP allows the former only.
        ok.style.height = `${(100 * x.ok) / max}%`;
        bad.style.height = `${(100 * x.failed) / max}%`;
        const hour = new Date(x.hour * 1000);
        return h('div', { class: 'bar', title: `${hour.toLocaleString()}: ${x.ok} ok, ${x.failed} failed` }, bad, ok);
      }));
    const n = (v, label, cls) => h('div', { class: 'stat ' + (cls || '') }, h('span', { class: 'num', text: String(v) }), h('span', { class: 'label', text: label }));
    return h('div', { class: 'card dashboard' },
      h('h2', { text: `Last ${stats.window_hours} hours` }),
      h('div', { class: 'stats' },
        n(stats.logins, 'logins'), n(stats.new_users, 'new users'), n(stats.failed, 'failed', stats.failed ? 'bad' : ''), n(stats.users_total, 'users in total')),
      bars,
      stats.top_failures.length
        ? WX.table([
          { label: 'Why logins failed', cell: (f) => code(f.outcome) },
          { label: 'Count', cell: (f) => String(f.count) },
        ], stats.top_failures, { caption: 'Top failure reasons', class: 'failures' })
        : h('p', { class: 'muted', text: 'No failed logins in this period.' }),
      h('p', null, h('a', { href: `#/audit?pool=${encodeURIComponent(pool.id)}&action=login`, text: 'Every login in the audit log →' })));
  }

  V.overview = async function (ctx) {
    const id = ctx.params[0];
    const [pool, server, c, a, stats] = await Promise.all([
      api.get(P(id)), api.get('/server'), api.get(P(id, 'connections')), api.get(P(id, 'apps')), api.get(P(id, 'stats')),
    ]);
    const conns = c.connections || [];
    const apps = a.apps || [];
    return poolPage(pool, 'overview', pool.name || pool.id, {},
      checklist(pool, conns, apps, stats),
      conns.length ? tryLogin(server, pool, conns, apps) : null,
      dashboard(pool, stats));
  };

  // ---- an application's snippets ----

  function snippet(title, lang, text) {
    return h('details', { class: 'snippet' },
      h('summary', { text: title }),
      h('div', { class: 'snippet-body' }, h('pre', null, h('code', { class: 'lang-' + lang, text })), copyable(text, title)));
  }

  // Page, backends and gate for application a, with this server's values.
  WX.ui.appSnippets = function (server, a, conns) {
    const host = server.public_url;
    const ident = (conns && conns[0] && conns[0].identifier) || DEFAULT_IDENTIFIER;
    const cb = (a.redirect_urls || []).find(plainUrl) || 'https://your.site/wechat/callback';
    const identOpt = ident === DEFAULT_IDENTIFIER ? '' : `,\n  identifier: '${ident}'`;
    return h('div', { class: 'card snippets' },
      h('h2', { text: 'Use it' }),
      h('p', { class: 'hint', text: `Filled in for ${a.id}. Tokens are signed by ${server.issuer}; verify them offline with the JWKS or online.` }),
      snippet('The page (browser SDK)', 'html',
        `<script src="${host}/sdk/wxmp.min.js"></script>\n<script>\n` +
        `var authingWx = new AuthingWxmp({\n  appId: '${a.id}',\n  host: '${host}'${identOpt},\n  redirectUrl: '${cb}'\n});\n` +
        `// login page:    authingWx.login();   (outside WeChat: show authingWx.getQrCodeUrl())\n` +
        `// callback page: var r = authingWx.getUserInfo();  // {ok, userinfo: {..., token}, message}\n</script>`),
      snippet('Node backend (jose)', 'js',
        `import { createRemoteJWKSet, jwtVerify } from 'jose';\n` +
        `const jwks = createRemoteJWKSet(new URL('${server.jwks_uri}'));\n` +
        `const { payload } = await jwtVerify(token, jwks, {\n  issuer: '${server.issuer}',\n  audience: '${a.id}',\n});\n// payload.sub is the user id, payload.openid the WeChat openid`),
      snippet('Python backend (PyJWT)', 'python',
        `import jwt\njwks = jwt.PyJWKClient("${server.jwks_uri}")\n` +
        `key = jwks.get_signing_key_from_jwt(token)\n` +
        `claims = jwt.decode(token, key.key, algorithms=["RS256", "ES256", "EdDSA"],\n                    audience="${a.id}", issuer="${server.issuer}")`),
      snippet('Go backend (github.com/golang-jwt/jwt/v5 + keyfunc)', 'go',
        `jwks, err := keyfunc.NewDefault([]string{"${server.jwks_uri}"})\n` +
        `tok, err := jwt.Parse(token, jwks.Keyfunc,\n\tjwt.WithIssuer("${server.issuer}"), jwt.WithAudience("${a.id}"),\n\tjwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}))`),
      snippet('C backend (libwxauth)', 'c',
        `#include <wxauth.h>\n/* once */\nwxauth_options o = {.jwks_url = "${server.jwks_uri}",\n` +
        `                     .issuer = "${server.issuer}", .audience = "${a.id}", .leeway = -1};\n` +
        `wxauth_verifier *v = NULL;\nchar err[256];\n` +
        `if (wxauth_verifier_new(&o, &v, err, sizeof err) != WXAUTH_OK) { /* log err */ }\n` +
        `/* per request */\nwxauth_claims *c = NULL;\n` +
        `if (wxauth_verify(v, token, &c, err, sizeof err) == WXAUTH_OK) {\n` +
        `    const char *sub = wxauth_claims_string(c, "sub");\n    wxauth_claims_free(c);\n} /* else 401 with err */`),
      snippet('nginx gate (auth_request)', 'nginx',
        `location = /_wxauth_check {\n    internal;\n    proxy_pass ${host}/auth/check;\n` +
        `    proxy_pass_request_body off;\n    proxy_set_header Content-Length "";\n    proxy_set_header Authorization $http_authorization;\n}\n` +
        `location /api/ {\n    auth_request /_wxauth_check;\n    auth_request_set $wx_user $upstream_http_x_wxauth_user_id;\n` +
        `    proxy_set_header X-User-Id $wx_user;\n    proxy_pass http://your_backend;\n}`));
  };
})();
