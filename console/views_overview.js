// Views of the console, part 4: a pool's overview — the getting-started checklist that ticks
// itself from the pool's own data, a test login (QR code for a phone, link for the emulator),
// the desktop login methods (GET /pools/{id}/desktop: each one's readiness and a 测试 button
// that opens a real desktop login with it), and the dashboard of the last 24 hours (GET /pools/{id}/stats). Also the copyable snippets of
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

  // ---- desktop login: the methods of GET /pools/{id}/desktop ----

  const UNAVAILABLE_TITLE = {
    server_off: '本服务器关闭了电脑端登录 · Off on this server',
    pool_off: '用户池关闭了电脑端登录 · Off for this pool',
    no_service_account: '缺少服务号连接 · No service-account connection',
    no_website_app: '未配置网站应用 · No website app',
    no_push_token: '未配置关注登录 · Follow-to-login not set up',
  };

  // What is missing for a method the pool cannot use, and how to set it up.
  function missing(u) {
    return h('div', { class: 'check-fix method-missing' },
      h('p', { lang: 'zh-CN' }, h('strong', { text: UNAVAILABLE_TITLE[u.reason] || u.reason }), ' ', u.message_zh || ''),
      h('p', { class: 'hint', lang: 'en', text: u.message || '' }),
      h('p', { lang: 'zh-CN' }, h('strong', { text: '怎么配置：' }), u.fix_zh || ''),
      u.fix ? h('p', { class: 'hint', lang: 'en' }, h('strong', { text: 'Set up: ' }), code(u.fix)) : null);
  }

  function readiness(m) {
    if (!m.available) return WX.badge('未配置 · not set up', 'muted');
    if (m.failed) return WX.badge(`${m.failed} 项未通过 · ${m.failed} failed`, 'danger');
    if (m.warnings) return WX.badge(`可用，${m.warnings} 项需注意 · ready, ${m.warnings} warning${m.warnings === 1 ? '' : 's'}`, 'warn');
    return WX.badge('就绪 · ready', 'ok');
  }

  function methodItem(poolId, m) {
    const out = h('div', { class: 'slot', 'aria-live': 'polite' });
    const actions = h('div', { class: 'actions' });
    if (m.available && m.test_url) {
      actions.append(h('a', {
        class: 'button primary test-method', href: m.test_url, target: '_blank', rel: 'noopener',
        text: '测试 · Test', title: `在新标签页中用此方式登录 · Log in with ${m.method} in a new tab`,
      }));
    }
    if (m.connection) {
      const check = h('button', { type: 'button', class: 'secondary check-method', text: '检查设置 · Check with WeChat' });
      check.addEventListener('click', async () => {
        check.disabled = true;
        out.replaceChildren(h('p', { class: 'muted', text: '正在检查… · Asking WeChat…' }));
        try {
          out.replaceChildren(WX.ui.checkResult(await api.post(P(poolId, 'connections', m.connection, 'check'))));
        } catch (e) {
          out.replaceChildren(WX.ui.errorBox(e));
        } finally {
          check.disabled = false;
        }
      });
      actions.append(check);
    }
    // Only what needs attention, plus the domain to enter in WeChat (the push URL is above).
    const checks = (m.checks || []).filter((c) => c.status !== 'ok' || c.check === 'domain');
    return h('li', { class: 'method ' + (m.available ? 'available' : 'unavailable'), 'data-method': m.method, 'data-available': m.available ? 'true' : 'false' },
      h('div', { class: 'method-head' },
        h('h3', null, h('span', { lang: 'zh-CN', text: m.name }), h('span', { class: 'muted', text: ` · ${m.name_en}` })),
        m.auto ? WX.badge('电脑默认 · auto', 'ok') : null, ' ', readiness(m)),
      h('p', { class: 'hint' }, h('code', { text: `desktop_method=${m.method}` }),
        m.connection ? [' · 连接 Connection ', h('a', { href: route('pools', poolId, 'connections', m.connection), text: m.connection })] : null),
      m.unavailable ? missing(m.unavailable) : null,
      m.push_url ? h('div', { class: 'push-url' },
        h('p', null, h('strong', { text: '服务器地址 · Message server URL ' }), copyable(m.push_url, 'push URL')),
        h('p', { class: 'hint', text: '填入公众号后台 设置与开发 → 基本配置 → 服务器配置，连同相同的 Token 和 EncodingAESKey（安全模式），提交后启用 · Enter it in the MP admin’s 服务器配置 with the same Token and EncodingAESKey (safe mode), then enable it.' })) : null,
      checks.length ? h('ul', { class: 'checks' }, checks.map(WX.ui.checkItem)) : null,
      actions, out);
  }

  function desktopLogin(pool, d) {
    const byName = {};
    for (const m of d.methods || []) byName[m.method] = m;
    const pick = d.auto ? byName[d.auto] : null;
    return h('div', { class: 'card desktop-login', id: 'desktop-login' },
      h('h2', { text: '电脑端扫码登录 · Desktop login' }),
      h('p', { class: 'desktop-auto' }, pick
        ? ['电脑浏览器打开登录链接时使用 ', h('strong', { lang: 'zh-CN', text: pick.name }), ` · A computer at a login URL naming no method gets: ${pick.name_en}`]
        : [h('strong', { text: '电脑端登录未启用 · Desktop login is off' }), ' — 电脑上的登录与手机相同（提示在微信中打开） · a computer gets the phone\u2019s login.']),
      h('p', { class: 'hint' }, `用户池设置 · Pool setting desktop_method = ${d.desktop_method}`, ' · ',
        h('a', { href: route('pools', pool.id), text: '修改 · Change' }),
        d.test_app ? ` · 测试经应用 · Tests log in through application ${d.test_app}` : ' · 测试经用户池模式 · Tests use the pool flow'),
      h('ul', { class: 'methods' }, (d.methods || []).map((m) => methodItem(pool.id, m))),
      h('p', { class: 'hint', text: '“测试”在新标签页打开真实的电脑端登录（登录链接加 desktop_method=…）：用手机微信扫码，或在演示模式下打开页面上的模拟链接。 · “Test” opens a real desktop login with that method in a new tab (the login URL with desktop_method=…): scan it with WeChat, or in the demo open the page\u2019s phone link.' }));
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
    const [pool, server, c, a, stats, desktop] = await Promise.all([
      api.get(P(id)), api.get('/server'), api.get(P(id, 'connections')), api.get(P(id, 'apps')), api.get(P(id, 'stats')),
      api.get(P(id, 'desktop')),
    ]);
    const conns = c.connections || [];
    const apps = a.apps || [];
    return poolPage(pool, 'overview', pool.name || pool.id, {},
      checklist(pool, conns, apps, stats),
      conns.length ? tryLogin(server, pool, conns, apps) : null,
      desktopLogin(pool, desktop),
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
