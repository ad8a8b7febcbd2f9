// The real authing-js-sdk (its browser bundle, window.Authing) in headless Chromium, from a page
// on another origin than wxauthd (a second loopback port): the popup login of social.authorize
// (desktop) with its postMessage, the in-WeChat hosted-guard flow, and then every
// AuthenticationClient call of docs/spec/authing-compat.md §7 over credentialed CORS. Negative
// cases: a page on an unregistered origin gets no CORS answer and no popup message.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { launch, WECHAT_UA, DESKTOP_UA } = require('../lib/browser');
const { freePort } = require('../lib/servers');
const { WAIT, TEST_TIMEOUT, shot, answerConsent } = require('../browser/helpers');
const { APP, PUB, POOL, setup } = require('./lib');

const BUNDLE = path.join(path.dirname(require.resolve('authing-js-sdk/package.json')),
  'build', 'browser', 'index.min.js');

// A business site: / is a page that loads the SDK's bundle; /callback is the app's callback.
async function startSite() {
  const port = await freePort();
  const self = `http://127.0.0.1:${port}`;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, self);
    if (u.pathname === '/authing.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(fs.readFileSync(BUNDLE));
      return;
    }
    const title = u.pathname === '/callback' ? 'callback' : 'page';
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(`<!doctype html><meta charset="utf-8"><title>${title}</title>` +
      '<script src="/authing.js"></script><p>business page</p>');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { self, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function context(browser, wechat) {
  const ctx = await browser.newContext(wechat
    ? { userAgent: WECHAT_UA, viewport: { width: 400, height: 760 }, isMobile: true, locale: 'zh-CN' }
    : { userAgent: DESKTOP_UA, viewport: { width: 1024, height: 720 }, locale: 'zh-CN' });
  await ctx.route((url) => !['127.0.0.1', 'localhost'].includes(url.hostname), (route) => route.abort());
  return ctx;
}

// In the page: a client for app, the popup login started; resolves with what onSuccess or
// onError got (window.__result).
async function startPopupLogin(page, auth, app) {
  await page.evaluate(({ auth, app }) => {
    window.__client = new window.Authing.AuthenticationClient({ appId: app, appHost: auth });
    window.__client.social.authorize('wechat:webpage-authorization', {
      onSuccess: (user) => { window.__result = { ok: true, user }; },
      onError: (code, message) => { window.__result = { ok: false, code, message }; },
    });
  }, { auth, app });
}

describe('authing-js-sdk in a browser page on another origin', () => {
  let env;
  let site;
  let evil;
  let browser;

  before(async () => {
    site = await startSite();
    evil = await startSite(); // an origin no application registered
    // The emulator's WeChat-UA check and wxauthd's desktop QR login are off: the popup (a
    // desktop browser's window) goes through the emulator's consent page itself, which is what
    // these tests are about (the popup's result message, CORS). A real computer gets the QR
    // login in the popup first: browser/desktop_login, and the popup case below.
    ({ env } = await setup(site.self, { uaCheck: false, extraConfig: '[desktop]\nlogin = off\n' }));
    browser = await launch();
  });
  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (evil) await evil.close();
    if (env) await env.stop();
  });

  it('popup login, then every AuthenticationClient call over CORS', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await context(browser, false);
    const page = await ctx.newPage();
    await page.goto(`${site.self}/`);
    const popupP = ctx.waitForEvent('page', { timeout: WAIT });
    await startPopupLogin(page, env.auth, APP);
    const popup = await popupP;
    const closed = popup.waitForEvent('close', { timeout: WAIT });
    await answerConsent(popup, env, { action: 'allow', shotName: 'authing-popup-consent' });
    await page.waitForFunction(() => window.__result, null, { timeout: WAIT });
    const result = await page.evaluate(() => window.__result);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.user.nickname, 'Alice 爱丽丝');
    const token = result.user.token;
    assert.equal(await page.evaluate(() => localStorage.getItem('_authing_token')), token,
      'the SDK stored the token of the posted user');
    await closed; // the result page closed itself

    const out = await page.evaluate(async ({ auth, pub, token }) => {
      const c = window.__client;
      const r = {};
      r.status = await c.checkLoginStatus(token);
      r.user = await c.getCurrentUser();
      r.me = [];
      for (const f of [undefined, { method: 'POST', tokenPlace: 'header' }, { method: 'POST', tokenPlace: 'body' },
        { method: 'GET', tokenPlace: 'header' }]) {
        r.me.push((await c.getUserInfoByAccessToken(token, f)).sub);
      }
      const p = new window.Authing.AuthenticationClient({ appId: pub, appHost: auth, introspectionEndPointAuthMethod: 'none' });
      r.introspect = await p.introspectToken(token);
      r.refreshed = await c.refreshToken();
      r.stored = localStorage.getItem('_authing_token');
      try { await c.updateProfile({ nickname: 'x' }); } catch (e) { r.unsupported = e; }
      await c.logoutCurrent(); // revokes the stored (refreshed) token
      r.afterLogoutCurrent = localStorage.getItem('_authing_token');
      r.refreshedRevoked = await c.checkLoginStatus(r.refreshed.token);
      c.setToken(token); // the first token is still valid: logout() revokes it
      r.before = await c.checkLoginStatus(token);
      await c.logout();
      r.afterLogout = localStorage.getItem('_authing_token');
      r.revoked = await c.checkLoginStatus(token);
      return r;
    }, { auth: env.auth, pub: PUB, token });
    assert.equal(out.status.status, true);
    assert.equal(out.status.data.userPoolId, POOL);
    assert.equal(out.user.id, result.user.id);
    assert.deepEqual(out.me, Array(4).fill(result.user.id));
    assert.deepEqual(out.introspect, { active: false }, "a public client learns nothing of another app's token");
    assert.ok(out.refreshed.token && out.refreshed.token !== token);
    assert.equal(out.stored, out.refreshed.token);
    assert.equal(out.unsupported.code, 400);
    assert.match(out.unsupported.message, /wxauth does not support/);
    assert.equal(out.afterLogoutCurrent, null);
    assert.equal(out.refreshedRevoked.status, false);
    assert.equal(out.before.status, true);
    assert.equal(out.afterLogout, null);
    assert.equal(out.revoked.status, false);
    await ctx.close();
  });

  it('a page on an unregistered origin: no CORS answer, no popup message', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await context(browser, false);
    const page = await ctx.newPage();
    await page.goto(`${evil.self}/`);
    const err = await page.evaluate(async (auth) => {
      const c = new window.Authing.AuthenticationClient({ appId: 'sdk-app', appHost: auth });
      try { await c.checkLoginStatus('x'); return null; } catch (e) { return String(e.message || e.code); }
    }, env.auth);
    assert.match(err, /Network Error/, 'the browser withheld the answer');
    // The popup login of the registered app, started from the unregistered origin: the result
    // page posts only to the registered origin, so this page never hears of it. The
    // targets of the result page's postMessage calls are recorded on their way (the real
    // opener still gets each call).
    const posted = [];
    await ctx.exposeBinding('wxRecordPost', (source, target) => { posted.push(target); });
    await ctx.addInitScript(() => {
      if (!/\/connections\/social\/.*\/callback$/.test(location.pathname) || !window.opener) return;
      const real = window.opener;
      Object.defineProperty(window, 'opener', {
        configurable: true,
        get: () => ({ postMessage: (m, o) => { window.wxRecordPost(o); real.postMessage(m, o); } }),
      });
    });
    const popupP = ctx.waitForEvent('page', { timeout: WAIT });
    await startPopupLogin(page, env.auth, APP);
    const popup = await popupP;
    const closed = popup.waitForEvent('close', { timeout: WAIT });
    await answerConsent(popup, env, { action: 'allow' });
    await closed;
    assert.deepEqual(posted, [site.self], 'posted to the registered origin only');
    await page.waitForTimeout(500);
    assert.equal(await page.evaluate(() => window.__result || null), null);
    await ctx.close();
  });

  it('inside WeChat: the hosted-guard redirect_url ends on the app callback', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await context(browser, true);
    const page = await ctx.newPage();
    await page.goto(`${site.self}/`);
    const started = page.waitForURL((u) => u.href.startsWith(`${env.emu}/`), { timeout: WAIT });
    await page.evaluate((auth) => {
      const c = new window.Authing.AuthenticationClient({ appId: 'sdk-app', appHost: auth });
      c.social.authorize('wechat:webpage-authorization', {});
    }, env.auth);
    await started;
    await answerConsent(page, env, { action: 'allow', shotName: 'authing-wechat-consent' });
    await page.waitForURL((u) => u.href.startsWith(`${site.self}/callback?`), { timeout: WAIT });
    const back = new URL(page.url());
    assert.equal(back.searchParams.get('code'), '200');
    assert.equal(JSON.parse(back.searchParams.get('data')).nickname, 'Alice 爱丽丝');
    await shot(page, 'authing-wechat-callback');
    await ctx.close();
  });

  // OAuth 2.0 Web Message Response Mode (response_mode=web_message) for any OIDC client page:
  // a popup posts the code to its opener and closes; with the login session, a hidden iframe
  // gets the next one silently (prompt=none). Posted to the redirect_uri's origin only.
  it('response_mode=web_message: popup, then a silent iframe; another origin hears nothing', { timeout: TEST_TIMEOUT }, async () => {
    const crypto = require('crypto');
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    const authUrl = (state, extra = '') => `${env.auth}/oidc/auth?` + new URLSearchParams({
      client_id: PUB, redirect_uri: `${site.self}/callback`, response_type: 'code', scope: 'openid',
      state, code_challenge: challenge, code_challenge_method: 'S256', response_mode: 'web_message',
    }) + extra;
    const listen = (page) => page.evaluate(() => {
      window.__msgs = [];
      window.addEventListener('message', (e) => window.__msgs.push({ origin: e.origin, data: e.data }));
    });
    const redeem = async (code) => {
      const res = await fetch(`${env.auth}/oidc/token`, {
        method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: PUB,
          redirect_uri: `${site.self}/callback`, code_verifier: verifier }),
      });
      return { status: res.status, body: await res.json() };
    };
    const ctx = await context(browser, true);
    const page = await ctx.newPage();
    await page.goto(`${site.self}/`);
    await listen(page);
    const popupP = ctx.waitForEvent('page', { timeout: WAIT });
    await page.evaluate((u) => { window.open(u, 'wxlogin'); }, authUrl('wm-1'));
    const popup = await popupP;
    const closed = popup.waitForEvent('close', { timeout: WAIT });
    await answerConsent(popup, env, { action: 'allow' });
    await page.waitForFunction(() => window.__msgs.length > 0, null, { timeout: WAIT });
    await closed; // the result page closed itself
    let msgs = await page.evaluate(() => window.__msgs);
    assert.equal(msgs.length, 1, JSON.stringify(msgs));
    assert.equal(msgs[0].origin, new URL(env.auth).origin);
    assert.equal(msgs[0].data.type, 'authorization_response');
    assert.equal(msgs[0].data.response.state, 'wm-1');
    assert.equal(msgs[0].data.response.iss, `${env.auth}/oidc`);
    const first = await redeem(msgs[0].data.response.code);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.ok(first.body.id_token);

    // Silent: the login session answers a hidden iframe without WeChat.
    await page.evaluate((u) => {
      const f = document.createElement('iframe');
      f.style.display = 'none';
      f.src = u;
      document.body.appendChild(f);
    }, authUrl('wm-2', '&prompt=none'));
    await page.waitForFunction(() => window.__msgs.length > 1, null, { timeout: WAIT });
    msgs = await page.evaluate(() => window.__msgs);
    assert.equal(msgs[1].data.response.state, 'wm-2');
    const second = await redeem(msgs[1].data.response.code);
    assert.equal(second.status, 200, JSON.stringify(second.body));

    // A page on another origin opens the same request: the answer is addressed to the
    // client's origin, so it hears nothing (the popup still closes).
    const other = await ctx.newPage();
    await other.goto(`${evil.self}/`);
    await listen(other);
    const popup2P = ctx.waitForEvent('page', { timeout: WAIT });
    await other.evaluate((u) => { window.open(u, 'wxlogin2'); }, authUrl('wm-3', '&prompt=none'));
    const popup2 = await popup2P;
    await popup2.waitForEvent('close', { timeout: WAIT });
    await other.waitForTimeout(300);
    assert.deepEqual(await other.evaluate(() => window.__msgs), []);

    // Without a session, prompt=none answers login_required the same way.
    const fresh = await context(browser, true);
    const p3 = await fresh.newPage();
    await p3.goto(`${site.self}/`);
    await listen(p3);
    await p3.evaluate((u) => {
      const f = document.createElement('iframe');
      f.src = u;
      document.body.appendChild(f);
    }, authUrl('wm-4', '&prompt=none'));
    await p3.waitForFunction(() => window.__msgs.length > 0, null, { timeout: WAIT });
    const none = (await p3.evaluate(() => window.__msgs))[0].data.response;
    assert.equal(none.error, 'login_required');
    assert.equal(none.state, 'wm-4');
    await fresh.close();
    await ctx.close();
  });
});
