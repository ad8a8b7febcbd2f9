// The real authing-js-sdk (npm, 4.23.x, AuthenticationClient) in Node against wxauthd and the
// WeChat emulator on loopback: every call a WeChat-logged-in page makes next
// (docs/spec/authing-compat.md §7), with the answers the SDK's own dist parses.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { AuthenticationClient } = require('authing-js-sdk');
const { WECHAT_UA } = require('../lib/browser');
const { APP, PUB, POOL, setup, wechatLogin, cookieJar } = require('./lib');

const SITE = 'http://127.0.0.1:9'; // the pages' origin (never contacted in this test)

describe('authing-js-sdk AuthenticationClient in Node', () => {
  let env;
  let secret;
  let login; // { user, jar }
  const client = (opts = {}) => new AuthenticationClient({ appId: APP, appHost: env.auth, ...opts });

  before(async () => {
    const s = await setup(SITE);
    env = s.env;
    secret = s.created.secret;
    login = await wechatLogin(env, APP);
  });
  after(async () => { if (env) await env.stop(); });

  it('checkLoginStatus: POST /graphql/v2 query checkLoginStatus', async () => {
    const c = client();
    const st = await c.checkLoginStatus(login.user.token);
    assert.equal(st.status, true);
    assert.equal(st.code, 200);
    assert.equal(st.data.id, login.user.id);
    assert.equal(st.data.userPoolId, POOL);
    assert.equal(st.data.arn, `arn:cn:authing:${POOL}:user:${login.user.id}`);
    assert.ok(st.exp > st.iat);
    const bad = await c.checkLoginStatus(`${login.user.token.slice(0, -4)}AAAA`);
    assert.equal(bad.status, false);
    assert.equal(bad.code, 2207);
    // No token variable: the stored token goes as the Bearer header.
    c.setToken(login.user.token);
    assert.equal((await c.checkLoginStatus()).status, true);
  });

  it('getCurrentUser: POST /graphql/v2 query user, the user stored with its token', async () => {
    const c = client();
    assert.equal(await c.getCurrentUser(), null, 'no token: null, as the SDK swallows the error');
    c.setToken(login.user.token);
    const u = await c.getCurrentUser();
    assert.ok(u, 'a logged-in user is not null');
    assert.equal(u.id, login.user.id);
    assert.equal(u.userPoolId, POOL);
    assert.equal(u.nickname, 'Alice 爱丽丝');
    assert.equal(u.openid, login.user.openid);
    assert.equal(u.token, login.user.token);
    assert.equal(c.tokenProvider.getToken(), login.user.token, 'setCurrentUser kept the token');
    assert.equal(c.tokenProvider.getUser().id, login.user.id);
  });

  it('refreshToken: POST /graphql/v2 mutation refreshToken, a new valid token', async () => {
    const c = client();
    c.setToken(login.user.token);
    const r = await c.refreshToken();
    assert.equal(typeof r.token, 'string');
    assert.notEqual(r.token, login.user.token);
    assert.ok(r.exp > r.iat);
    assert.equal(c.tokenProvider.getToken(), r.token, 'the SDK stored the new token');
    const st = await c.checkLoginStatus(r.token);
    assert.equal(st.status, true);
    assert.equal(st.data.id, login.user.id);
    const me = await c.getUserInfoByAccessToken(r.token);
    assert.equal(me.sub, login.user.id);
  });

  it('an operation wxauth does not answer gets a GraphQL error saying so', async () => {
    const c = client();
    c.setToken(login.user.token);
    await assert.rejects(c.updateProfile({ nickname: 'x' }), (e) => {
      assert.equal(e.code, 400);
      assert.match(e.message, /wxauth does not support the GraphQL mutation "updateUser"/);
      return true;
    });
    const res = await fetch(`${env.auth}/graphql/v2`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ userpool { id } }' }),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.data, null);
    assert.match(body.errors[0].message.message, /does not support the GraphQL query "userpool"/);
  });

  it('getUserInfoByAccessToken in every form of its dist', async () => {
    const c = client();
    const t = login.user.token;
    const forms = [undefined, { method: 'GET', tokenPlace: 'query' }, { method: 'GET', tokenPlace: 'header' },
      { method: 'POST', tokenPlace: 'header' }, { method: 'POST', tokenPlace: 'query' },
      { method: 'POST', tokenPlace: 'body' }];
    for (const f of forms) {
      const me = await c.getUserInfoByAccessToken(t, f && { ...f });
      assert.equal(me.sub, login.user.id, JSON.stringify(f));
      assert.equal(me.nickname, 'Alice 爱丽丝');
    }
  });

  it('introspectToken: client_secret_post, client_secret_basic, and none for a public client', async () => {
    const t = login.user.token;
    for (const m of ['client_secret_post', 'client_secret_basic']) {
      const r = await client({ secret, introspectionEndPointAuthMethod: m }).introspectToken(t);
      assert.equal(r.active, true, m);
      assert.equal(r.sub, login.user.id);
      assert.equal(r.client_id, APP);
    }
    const pub = new AuthenticationClient({ appId: PUB, appHost: env.auth, introspectionEndPointAuthMethod: 'none' });
    // A public client learns only about its own tokens; the confidential app's reads inactive.
    assert.deepEqual(await pub.introspectToken(t), { active: false });
    const own = await wechatLogin(env, PUB);
    const r = await pub.introspectToken(own.user.token);
    assert.equal(r.active, true);
    assert.equal(r.client_id, PUB);
    // The confidential app's id alone is not enough.
    const none = new AuthenticationClient({ appId: APP, appHost: env.auth, introspectionEndPointAuthMethod: 'none' });
    await assert.rejects(none.introspectToken(t), (e) => e.response && e.response.status === 401);
  });

  it('getAccessTokenByIdToken: refused with a reason (unsupported)', async () => {
    const pub = new AuthenticationClient({ appId: PUB, appHost: env.auth });
    await assert.rejects(pub.getAccessTokenByIdToken({ idToken: login.user.token, redirectUri: `${SITE}/callback` }),
      (e) => {
        assert.equal(e.response.status, 400);
        assert.equal(e.response.data.error, 'unsupported_grant_type');
        assert.match(e.response.data.error_description, /token-exchange grant/);
        return true;
      });
  });

  it('logout(): GET /api/v2/logout?app_id= revokes the token and the SDK drops it', async () => {
    const own = await wechatLogin(env, APP);
    const c = client();
    c.setToken(own.user.token);
    await c.logout();
    assert.equal(c.tokenProvider.getToken(), null);
    assert.equal((await client().checkLoginStatus(own.user.token)).status, false, 'revoked');
    // Logging out again (the token already revoked, or none) still succeeds.
    const again = client();
    again.setToken(own.user.token);
    await again.logout();
    await client().logout();
  });

  it('logoutCurrent(): GET /logout?appId=&deviceId=current revokes and ends the session', async () => {
    const own = await wechatLogin(env, APP);
    const c = client();
    c.setToken(own.user.token);
    await c.logoutCurrent();
    assert.equal(c.tokenProvider.getToken(), null);
    assert.equal((await client().checkLoginStatus(own.user.token)).status, false);
  });

  it("logoutCurrent() ends the browser's login session at wxauthd (an /oidc/auth session)", async () => {
    const jar = cookieJar();
    const h = (extra = {}) => ({ 'User-Agent': WECHAT_UA, Cookie: jar.header(), ...extra });
    const auth = (prompt) => fetch(`${env.auth}/oidc/auth?client_id=${APP}&response_type=code&scope=openid` +
      `&redirect_uri=${encodeURIComponent(`${SITE}/callback`)}&state=s1${prompt ? `&prompt=${prompt}` : ''}`,
    { redirect: 'manual', headers: h() });
    const signIn = async () => {
      let r = await auth();
      assert.equal(r.status, 302);
      jar.take(r);
      r = await fetch(`${r.headers.get('location').split('#')[0]}&emu_person=alice&emu_action=allow`,
        { redirect: 'manual', headers: h() });
      r = await fetch(r.headers.get('location'), { redirect: 'manual', headers: h() });
      jar.take(r);
      assert.match(r.headers.get('location'), /[?&]code=/);
      r = await auth('none');
      assert.match(r.headers.get('location'), /[?&]code=/, 'the session answers prompt=none');
    };
    const logout = async (extra) => {
      const r = await fetch(`${env.auth}/logout?appId=${APP}&deviceId=current`, { headers: h(extra) });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { code: 200, message: '已退出登录', data: null });
      jar.take(r);
    };
    await signIn();
    // Logout CSRF: a bare link (no token, no Origin) or another site's page ends nothing.
    await logout();
    await logout({ Origin: 'http://127.0.0.1:8' });
    let r = await auth('none');
    assert.match(r.headers.get('location'), /[?&]code=/, 'the session lives on');
    // The SDK's request (a valid token) ends it.
    const own = await wechatLogin(env, APP);
    await logout({ Authorization: `Bearer ${own.user.token}` });
    r = await auth('none');
    assert.match(r.headers.get('location'), /error=login_required/, 'the session ended');
    // So does one from a page of an origin registered for the application, without a token.
    await signIn();
    await logout({ Origin: SITE });
    r = await auth('none');
    assert.match(r.headers.get('location'), /error=login_required/, 'the session ended');
  });

  it('CORS: preflights and credentialed answers only for a registered origin', async () => {
    const pre = (origin, p = '/graphql/v2') => fetch(`${env.auth}${p}`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-authing-app-id,authorization' },
    });
    for (const p of ['/graphql/v2', '/api/v2/logout', '/logout', '/oidc/me', '/oidc/token/introspection', '/oidc/token']) {
      const ok = await pre(SITE, p);
      assert.equal(ok.status, 204, p);
      assert.equal(ok.headers.get('access-control-allow-origin'), SITE);
      assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
      assert.match(ok.headers.get('access-control-allow-headers'), /x-authing-app-id/);
      assert.match(ok.headers.get('vary'), /Origin/);
    }
    // Preflights are answered from each worker's set of registered origins: an origin added or
    // removed through the admin API counts at once.
    const NEW = 'http://127.0.0.1:7';
    assert.equal((await pre(NEW)).status, 403, 'not registered yet');
    await env.api('PATCH', `/apps/${PUB}`, { web_origins: [SITE, NEW] });
    assert.equal((await pre(NEW)).status, 204, 'registered: allowed at once');
    await env.api('PATCH', `/apps/${PUB}`, { web_origins: [SITE] });
    assert.equal((await pre(NEW)).status, 403, 'removed: refused at once');
    const no = await pre('http://127.0.0.1:8');
    assert.equal(no.status, 403);
    assert.equal(no.headers.get('access-control-allow-origin'), null);
    assert.equal(no.headers.get('access-control-allow-credentials'), null);
    assert.match((await no.json()).message, /--web-origin/);
    const post = (origin, app) => fetch(`${env.auth}/graphql/v2`, {
      method: 'POST',
      headers: { Origin: origin, 'Content-Type': 'application/json', 'x-authing-app-id': app },
      body: JSON.stringify({ query: 'query checkLoginStatus($token: String) { checkLoginStatus(token: $token) { status } }',
        variables: { token: login.user.token } }),
    });
    let r = await post(SITE, APP);
    assert.equal(r.headers.get('access-control-allow-origin'), SITE);
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
    assert.match(r.headers.get('vary'), /Origin/);
    r = await post('http://127.0.0.1:8', APP);
    assert.equal(r.headers.get('access-control-allow-origin'), null, 'unregistered origin');
    r = await post(SITE, 'no-such-app');
    assert.equal(r.headers.get('access-control-allow-origin'), null, 'origin of no such app');
    // A real request naming no application is not answered for "some application's" origin.
    r = await fetch(`${env.auth}/graphql/v2`, {
      method: 'POST',
      headers: { Origin: SITE, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: 'query checkLoginStatus($token: String) { checkLoginStatus(token: $token) { status } }',
        variables: { token: login.user.token } }),
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), null, 'no app hint: no CORS');
    assert.equal(r.headers.get('access-control-allow-credentials'), null);
    for (const h of ['access-control-allow-origin']) assert.notEqual(r.headers.get(h), '*');
  });

  it("the hosted-guard redirect_url: only /interaction/oidc/<uuid>/login on wxauthd's own host", async () => {
    const start = (q) => fetch(`${env.auth}/connections/social/wechat:webpage-authorization?app_id=${APP}` +
      `&from_guard=1&redirected=1&from_hosted_guard=1&${q}`, { redirect: 'manual' });
    let r = await start(`uuid=abcDEF123&redirect_url=${env.auth}/interaction/oidc/abcDEF123/login`);
    assert.equal(r.status, 302, 'the default callback is the target');
    for (const bad of [`uuid=abc&redirect_url=http://evil.example/interaction/oidc/abc/login`,
      `uuid=abc&redirect_url=${env.auth}/interaction/oidc/abc/login/../../x`,
      `uuid=abc&redirect_url=${env.auth}/interaction/oidc/other/login`,
      `uuid=abc&redirect_url=${env.auth}.evil.example/interaction/oidc/abc/login`]) {
      r = await start(bad);
      assert.equal(r.status, 400, bad);
      assert.match(await r.text(), /redirect_url/);
    }
  });
});
