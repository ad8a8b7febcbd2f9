// A screenshot of every page a WeChat user can see — phone-sized (400 px), zh-CN, WeChat's user
// agent — and of every console page at desktop size, reached the way people reach them (the
// sample app, the emulated WeChat, wxauthd's real error paths), plus every page of wxauthd's
// message catalogue as wxauthd renders it (tests/tools/render_pages.c). A page fails the test
// when it shows a broken image, when a user page has no Chinese (or does not say it is
// zh-CN), or when its CSP blocks something (the back button's script included).
//
// Written to $WX_SCREENSHOTS_DIR, else $WX_TEST_OUT/screenshots/ (ctest: build/test-out/
// screenshots/); `make screenshots` refreshes the copies in docs/screenshots/.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { launch, outDir, tmpDir, DESKTOP_UA } = require('../lib/browser');
const { startServers, startSampleApp, freePort } = require('../lib/servers');
const { WAIT, TEST_TIMEOUT, newContext } = require('./helpers');

const POOL = 'demo';
const APP = 'demo-app';
const OUT = process.env.WX_SCREENSHOTS_DIR ? path.resolve(process.env.WX_SCREENSHOTS_DIR) : outDir('screenshots');
const PHONE_UA = // a phone browser that is not WeChat (the OIDC "open in WeChat" page)
  'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/124.0.0.0 Mobile Safari/537.36';
const CJK = /[\u4e00-\u9fff]/;

const taken = [];

// Record CSP violations inside every page (an init script runs before the page's own).
async function watch(ctx) {
  await ctx.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  return ctx;
}

// Check the page on screen, then photograph it as OUT/<name>.png.
async function capture(page, name, { user = true } = {}) {
  await page.waitForLoadState('load');
  // Images finish loading (or fail) before they are judged.
  await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete), null, { timeout: WAIT });
  const seen = await page.evaluate(() => ({
    lang: document.documentElement.lang || '',
    text: document.body ? document.body.innerText : '',
    csp: window.__csp || [],
    // A broken image is one the user sees: rendered, with an address, and nothing drawn.
    broken: Array.from(document.images)
      .filter((i) => i.getAttribute('src') && (i.offsetWidth > 0 || i.offsetHeight > 0) && i.naturalWidth === 0)
      .map((i) => i.src),
  }));
  assert.deepEqual(seen.broken, [], `${name}: broken images`);
  assert.deepEqual(seen.csp, [], `${name}: blocked by the page's CSP`);
  if (user) {
    assert.match(seen.text, CJK, `${name}: a user page with no Chinese (English only)`);
    assert.match(seen.lang, /^zh/i, `${name}: <html lang> is "${seen.lang}", not zh-CN`);
  }
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(fs.statSync(file).size > 1000, `${name}: an empty screenshot`);
  taken.push(name);
  return seen;
}

// The catalogue's pages, served over loopback with the CSP wxauthd sends with them.
async function serveCatalogue() {
  const dir = tmpDir('catalogue-');
  execFileSync(process.env.WX_RENDER_PAGES || 'render_pages', [dir]);
  const csp = fs.readFileSync(path.join(dir, 'csp.txt'), 'utf8');
  const pages = fs.readdirSync(dir).filter((f) => f.endsWith('.html')).sort();
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(req.url.split('?')[0].slice(1));
    if (name === '' || name === 'start') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html lang="zh-CN"><title>起点</title><p>起点 · start</p>');
      return;
    }
    // Two pages the checks must refuse (the test of the test): a broken image, English only.
    if (name === 'probe-broken') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html lang="zh-CN"><title>图</title><p>头像</p><img src="/no-such.png" width="40" height="40">');
      return;
    }
    if (name === 'probe-english') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html lang="en"><title>Login failed</title><h1>Login failed</h1><p>Please try again.</p>');
      return;
    }
    if (!pages.includes(name)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp });
    res.end(fs.readFileSync(path.join(dir, name)));
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${port}`, pages,
    close: () => new Promise((r) => server.close(() => { fs.rmSync(dir, { recursive: true, force: true }); r(); })),
  };
}

describe('screenshots (phone zh-CN user pages, desktop console)', () => {
  let env;
  let sample;
  let browser;
  let catalogue;

  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    for (const f of fs.readdirSync(OUT)) if (f.endsWith('.png')) fs.rmSync(path.join(OUT, f));
    // replay_window = 0: a reload of a finished login a second later shows "already used".
    env = await startServers({ uaCheck: true, extraConfig: '[login]\nreplay_window = 0\n' });
    sample = await startSampleApp(env, { app: APP });
    await env.seed({ pool: POOL, app: APP, redirect: `${sample.base}/callback` });
    // A pool whose pool-flow pages have nowhere to return to ('#', no pool callback).
    await env.api('POST', '/pools', { id: 'nocb', name: 'No callback' });
    await env.api('POST', '/pools/nocb/connections', {
      identifier: 'wechat:webpage-authorization', appid: 'wx00112233445566ff', app_secret: env.secret, callback_url: '#',
    });
    catalogue = await serveCatalogue();
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (catalogue) await catalogue.close();
    if (sample) await sample.stop();
    if (env) await env.stop();
  });

  it('the sample app and the emulated WeChat: entry, picker, consent, callback (allowed, denied, WeChat error)', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await watch(await newContext(browser));
    const page = await ctx.newPage();
    await page.goto(`${sample.base}/`);
    await page.locator('#login').waitFor({ timeout: WAIT });
    await capture(page, 'phone-sample-entry');
    let callback = null; // the WeChat callback of wxauthd this login goes through
    page.on('request', (q) => {
      if (q.url().startsWith(`${env.auth}/connections/social/`) && q.url().includes('/callback?')) callback = q.url();
    });
    await page.locator('#login').click();
    await page.waitForURL((u) => u.href.startsWith(`${env.emu}/connect/oauth2/authorize`), { timeout: WAIT });
    await page.locator('a.person').first().waitFor({ timeout: WAIT });
    await capture(page, 'phone-emulator-picker');
    await page.locator('a.person', { hasText: 'alice' }).first().click();
    await page.locator('a.btn.allow').waitFor({ timeout: WAIT });
    await capture(page, 'phone-emulator-consent');
    await page.locator('a.btn.allow').click();
    await page.waitForURL(`${sample.base}/callback`, { timeout: WAIT });
    await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
    await capture(page, 'phone-sample-callback-ok');

    // That callback, in another browser, then again in this one past the replay window.
    assert.ok(callback, 'the login went through wxauthd\'s callback');
    const other = await watch(await newContext(browser));
    const op = await other.newPage();
    const r = await op.goto(callback);
    assert.equal(r.status(), 403);
    await capture(op, 'phone-error-other-browser');
    await other.close();
    await new Promise((res) => setTimeout(res, 1200));
    const again = await page.goto(callback);
    assert.equal(again.status(), 400);
    assert.match(await page.locator('.wx-btn').innerText(), /重新登录/);
    await capture(page, 'phone-error-link-used');
    // Its 重新登录 starts the same login afresh: back at WeChat's consent.
    await page.locator('.wx-btn').click();
    await page.waitForURL((u) => u.href.startsWith(`${env.emu}/connect/oauth2/authorize`), { timeout: WAIT });
    await ctx.close();

    const deny = await watch(await newContext(browser));
    const dp = await deny.newPage();
    await dp.goto(`${sample.base}/`);
    await dp.locator('#login').click();
    await dp.locator('a.person', { hasText: 'alice' }).first().click();
    await dp.locator('a.btn.deny').click();
    await dp.locator('#error').waitFor({ timeout: WAIT });
    assert.match(await dp.locator('#error-message').innerText(), /用户取消了授权/);
    await capture(dp, 'phone-sample-callback-denied');
    // WeChat refuses the code (40029): a plain Chinese sentence, the code small.
    await fetch(`${env.emu}/emu/admin/faults`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ endpoint: 'access_token', errcode: 40029, errcode_rate: 1.0 }),
    });
    try {
      await dp.goto(`${sample.base}/`);
      await dp.locator('#login').click();
      await dp.locator('a.btn.allow').click();
      await dp.locator('#error').waitFor({ timeout: WAIT });
      assert.match(await dp.locator('#error-message').innerText(), /微信登录凭证无效/);
      assert.equal(await dp.locator('#error-code').innerText(), '40029');
      await capture(dp, 'phone-sample-callback-wechat-40029');
    } finally {
      await fetch(`${env.emu}/emu/admin/faults`, { method: 'DELETE' });
    }
    await deny.close();
  });

  it('wxauthd\'s error pages on their real paths', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await watch(await newContext(browser));
    const page = await ctx.newPage();
    const social = `${env.auth}/connections/social/wechat:webpage-authorization`;
    const cases = [
      ['unknown-pool', `${env.auth}/oauth/wechatmp/url/nosuchpool`, 404],
      ['unknown-app', `${social}?app_id=nosuchapp`, 404],
      ['unknown-connection', `${env.auth}/connections/social/no-such-conn?app_id=${APP}`, 404],
      ['app-id-required', social, 400],
      ['invalid-pool-id', `${env.auth}/oauth/wechatmp/url/bad%20pool`, 400],
      ['not-found', `${env.auth}/connections/social/a/b/c`, 404],
      ['redirect-not-allowed', `${social}?app_id=${APP}&redirect_url=${encodeURIComponent('https://evil.example.net/wx/cb')}`, 400],
      ['no-callback', `${env.auth}/oauth/wechatmp/url/nocb`, 400],
      ['unknown-state', `${social}/callback?code=abc&state=NoSuchState1`, 400],
    ];
    for (const [name, url, status] of cases) {
      const r = await page.goto(url);
      assert.equal(r.status(), status, name);
      assert.equal(await page.locator('.wx-btn').count(), 1, `${name}: one button`);
      await capture(page, `phone-error-${name}`);
    }
    // The OpenID Connect pages: signed out, and "open in WeChat" for a phone browser.
    await page.goto(`${env.auth}/oidc/session/end`);
    await capture(page, 'phone-oidc-signed-out');
    await ctx.close();
    const phone = await watch(await browser.newContext({
      userAgent: PHONE_UA, viewport: { width: 400, height: 760 }, isMobile: true, hasTouch: true, locale: 'zh-CN',
    }));
    const pp = await phone.newPage();
    await pp.goto(`${env.auth}/oidc/auth?client_id=${APP}&redirect_uri=${encodeURIComponent(`${sample.base}/callback`)}` +
      '&response_type=code&scope=openid');
    await capture(pp, 'phone-oidc-open-in-wechat');
    await phone.close();
  });

  it('every page of the message catalogue, and its back button under its CSP', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(catalogue.pages.length >= 25, `${catalogue.pages.length} catalogue pages`);
    const ctx = await watch(await newContext(browser));
    const page = await ctx.newPage();
    for (const f of catalogue.pages) {
      await page.goto(`${catalogue.base}/${f}`);
      const seen = await capture(page, `phone-catalogue-${f.replace(/\.html$/, '').replace(/^page\./, '')}`);
      // Chinese before English on the page.
      assert.ok(seen.text.search(CJK) < seen.text.search(/[A-Za-z]{4,}/), `${f}: Chinese first`);
    }
    // 返回 goes back to the page before (the script runs: the CSP allows it by its hash).
    await page.goto(`${catalogue.base}/start`);
    await page.goto(`${catalogue.base}/page.unknown_state.html`);
    await page.locator('#wx-back').click();
    await page.waitForURL(`${catalogue.base}/start`, { timeout: WAIT });
    await ctx.close();
  });

  it('desktop: the sample app, and the QR-code login page of a start URL', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await watch(await newContext(browser, { desktop: true }));
    const page = await ctx.newPage();
    await page.goto(`${sample.base}/`);
    await page.locator('#notice').waitFor({ timeout: WAIT });
    await page.waitForFunction(() => { const q = document.getElementById('qr'); return !q || q.naturalWidth > 0; }, null, { timeout: WAIT });
    await capture(page, 'desktop-sample-entry');
    // A computer at a start URL: wxauthd's desktop login page (a ticket's QR code).
    await page.goto(`${env.auth}/connections/social/wechat:webpage-authorization?app_id=${APP}`);
    await page.locator('#wx-desktop[data-state="pending"] #qr svg').waitFor({ timeout: WAIT });
    await capture(page, 'desktop-login-qr');
    await ctx.close();
  });

  it('desktop: every console page', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await watch(await browser.newContext({ viewport: { width: 1280, height: 860 }, userAgent: DESKTOP_UA, locale: 'zh-CN' }));
    await ctx.route((url) => !['127.0.0.1', 'localhost'].includes(url.hostname), (route) => route.abort());
    const page = await ctx.newPage();
    const url = `${env.admin}/console/`;
    await page.goto(url);
    await page.locator('#signin-token').waitFor({ timeout: WAIT });
    await capture(page, 'desktop-console-signin', { user: false });
    await page.locator('#signin-token').fill(env.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'User pools' }).waitFor({ timeout: WAIT });
    const users = await env.api('GET', `/pools/${POOL}/users`);
    const list = users.users || users.data || users;
    const userId = Array.isArray(list) && list.length ? list[0].id : null;
    assert.ok(userId, 'a user from the logins above');
    const views = [
      ['pools', '#/pools'],
      ['pool', `#/pools/${POOL}`],
      ['pool-overview', `#/pools/${POOL}/overview`],
      ['apps', `#/pools/${POOL}/apps`],
      ['app', `#/pools/${POOL}/apps/${APP}`],
      ['connections', `#/pools/${POOL}/connections`],
      ['connection-new', `#/pools/${POOL}/new-connection`],
      ['connection', `#/pools/${POOL}/connections/${encodeURIComponent('wechat:webpage-authorization')}`],
      ['users', `#/pools/${POOL}/users`],
      ['user', `#/pools/${POOL}/users/${encodeURIComponent(userId)}`],
      ['keys', '#/keys'],
      ['audit', '#/audit'],
    ];
    for (const [name, hash] of views) {
      await page.goto(url + hash);
      await page.waitForFunction((h) => document.getElementById('view').dataset.route === h, hash, { timeout: WAIT });
      await page.waitForLoadState('networkidle');
      await capture(page, `desktop-console-${name}`, { user: false });
    }
    await ctx.close();
  });

  it('the checks refuse a broken image and an English-only page', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await watch(await newContext(browser));
    const page = await ctx.newPage();
    await page.goto(`${catalogue.base}/probe-broken`);
    await assert.rejects(capture(page, 'probe-broken'), /broken images/);
    await page.goto(`${catalogue.base}/probe-english`);
    await assert.rejects(capture(page, 'probe-english'), /English only/);
    assert.ok(!fs.existsSync(path.join(OUT, 'probe-broken.png')) && !fs.existsSync(path.join(OUT, 'probe-english.png')));
    await ctx.close();
  });

  it('lists what it took', () => {
    fs.writeFileSync(path.join(OUT, 'index.txt'), taken.sort().map((n) => `${n}.png`).join('\n') + '\n');
    assert.ok(taken.length >= 50, `${taken.length} screenshots`);
  });
});
