// The sample business app (examples/sample-app) in headless chromium, against a real wxauthd and
// the WeChat emulator: the login a user does, with Allow and with Deny, in WeChat and outside it,
// and the backend's token check (libwxauth) as the page and as a client see it.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { launch } = require('../lib/browser');
const { startServers, startSampleApp } = require('../lib/servers');
const { WAIT, TEST_TIMEOUT, shot, newContext, answerConsent } = require('./helpers');

const POOL = 'demo';
const APP = 'demo-app';
const STORE_KEY = `wxauth:${APP}`; // where the SDK keeps the login (sdk/README.md)

// A compact JWS that looks right but was never signed by wxauthd.
function forgedToken(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256', typ: 'JWT', kid: 'forged' })}.${b64(claims)}.${Buffer.from('not a signature').toString('base64url')}`;
}

async function profile(sample, token) {
  const r = await fetch(`${sample.base}/api/profile`, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json(), auth: r.headers.get('www-authenticate') };
}

describe('sample app, emulator UA check on (as real WeChat)', () => {
  let env;
  let sample;
  let browser;
  let token; // from the Allow login, for the API checks

  before(async () => {
    env = await startServers({ uaCheck: true });
    sample = await startSampleApp(env, { app: APP });
    await env.seed({ pool: POOL, app: APP, redirect: `${sample.base}/callback` });
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (sample) await sample.stop();
    if (env) await env.stop();
  });

  it('WeChat: Allow on the consent page; the callback shows the profile and the backend accepts the token', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(`${sample.base}/`);
    await page.locator('#login').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#notice').isVisible(), false, 'no "open in WeChat" notice inside WeChat');
    await shot(page, 'sample-allow-1-entry');

    const starts = [];
    page.on('request', (req) => { if (req.url().startsWith(`${env.auth}/connections/`)) starts.push(req.url()); });
    await page.locator('#login').click();
    await answerConsent(page, env, { action: 'allow', shotName: 'sample-allow-2-consent' });

    await page.waitForURL(`${sample.base}/callback`, { timeout: WAIT });
    const status = page.locator('#api-status[data-state="ok"]');
    await status.waitFor({ timeout: WAIT });
    // The SDK's application form, back to this app's /callback.
    assert.equal(starts[0], `${env.auth}/connections/social/wechat:webpage-authorization?app_id=${APP}` +
      `&redirect_url=${encodeURIComponent(`${sample.base}/callback`)}`);
    assert.equal(await page.locator('#nickname').innerText(), 'Alice 爱丽丝');
    assert.match(await status.innerText(), /verified/);
    assert.equal(await page.locator('#claim-aud').innerText(), APP);
    assert.equal(await page.locator('#claim-iss').innerText(), `${env.auth}/oidc`);
    const userId = await page.locator('#user-id').innerText();
    assert.equal(await page.locator('#claim-sub').innerText(), userId);
    assert.match(await page.locator('#openid').innerText(), /^o[\w-]{27}$/);
    assert.equal(page.url(), `${sample.base}/callback`, 'the token was taken out of the address bar');
    // The avatar loaded (the CDN stand-in), so the page shows a picture, not the initial.
    assert.equal(await page.locator('#avatar').evaluate((img) => img.complete && img.naturalWidth > 0), true);
    await shot(page, 'sample-allow-3-callback');

    // The SDK stored the login; the backend accepts that token, and a reload shows the profile.
    const stored = JSON.parse(await page.evaluate((k) => localStorage.getItem(k), STORE_KEY));
    token = stored.token;
    assert.equal(stored.userinfo.id, userId);
    const r = await profile(sample, token);
    assert.equal(r.status, 200);
    assert.equal(r.body.code, 200);
    assert.equal(r.body.user.id, userId);
    assert.equal(r.body.user.nickname, 'Alice 爱丽丝');
    assert.equal(r.body.claims.aud, APP);
    assert.ok(r.body.expires_in > 0);
    await page.reload();
    await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#nickname').innerText(), 'Alice 爱丽丝');

    // Log out: the stored login is gone and the entry page is back.
    await page.locator('#logout').click();
    await page.waitForURL(`${sample.base}/`, { timeout: WAIT });
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), STORE_KEY), null);
    await ctx.close();
  });

  it('the backend answers 401 with libwxauth\'s reason for a missing, malformed, forged or altered token', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(token, 'needs the token of the Allow test');
    const none = await profile(sample);
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 401);
    assert.match(none.body.message, /Bearer/);
    assert.equal(none.auth, 'Bearer realm="wxsample"');

    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const altered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url')}.${s}`;
    const cases = {
      malformed: 'not-a-token',
      forged: forgedToken({ ...payload, exp: Math.floor(Date.now() / 1000) + 3600 }),
      altered,
      truncated: `${h}.${p}.${s.slice(0, -8)}`,
    };
    for (const [name, t] of Object.entries(cases)) {
      const r = await profile(sample, t);
      assert.equal(r.status, 401, name);
      assert.equal(r.body.code, 401, name);
      assert.ok(typeof r.body.message === 'string' && r.body.message.length > 3, `${name}: a reason`);
      assert.ok(typeof r.body.reason === 'string' && r.body.reason.length > 0, name);
      assert.match(r.auth, /error="invalid_token"/, name);
      assert.equal(r.body.user, undefined, name);
    }
    // The real one still works.
    assert.equal((await profile(sample, token)).status, 200);
  });

  it('a forged token in the browser: the callback page shows the backend\'s refusal', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(`${sample.base}/`);
    const forged = forgedToken({ sub: 'u_forged', aud: APP, iss: `${env.auth}/oidc`, exp: Math.floor(Date.now() / 1000) + 3600 });
    await page.evaluate(([k, t]) => localStorage.setItem(k, JSON.stringify({
      token: t, userinfo: { id: 'u_forged', nickname: 'Mallory', token: t }, savedAt: Date.now(),
    })), [STORE_KEY, forged]);
    await page.goto(`${sample.base}/callback`);
    const status = page.locator('#api-status[data-state="error"]');
    await status.waitFor({ timeout: WAIT });
    assert.match(await status.innerText(), /HTTP 401/);
    assert.equal(await page.locator('#api-claims').isVisible(), false);
    await shot(page, 'sample-forged-token');
    await ctx.close();
  });

  it('WeChat: Deny on the consent page; the callback page shows the error message', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(`${sample.base}/`);
    await page.locator('#login').click();
    await answerConsent(page, env, { action: 'deny', shotName: 'sample-deny-1-consent' });
    await page.waitForURL((u) => u.href.startsWith(`${sample.base}/callback?`), { timeout: WAIT });
    const error = page.locator('#error');
    await error.waitFor({ timeout: WAIT });
    assert.match(await page.locator('#error-message').innerText(), /用户取消了授权/);
    assert.equal(await page.locator('#error-code').innerText(), '1001');
    assert.equal(await page.locator('#profile').isVisible(), false);
    assert.equal(await page.locator('#api').isVisible(), false);
    await shot(page, 'sample-deny-2-callback');
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), STORE_KEY), null, 'nothing stored');
    await ctx.close();
  });

  it('a desktop browser: the page offers the desktop QR login (and a QR code of itself for WeChat)', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, { desktop: true });
    const page = await ctx.newPage();
    await page.goto(`${sample.base}/`);
    const notice = page.locator('#notice');
    await notice.waitFor({ timeout: WAIT });
    const text = await notice.innerText();
    assert.match(text, /On a computer/);
    assert.match(text, /用手机微信扫描二维码/);
    assert.match(text, /请在微信客户端打开链接/);
    assert.equal(await page.locator('#login').isDisabled(), false);
    assert.match(await page.locator('#login').innerText(), /微信扫码登录/);
    assert.equal(await page.locator('#demo-banner').isVisible(), false);
    // A QR code of this page, drawn by wxauthd, that a phone's camera reads back (zbarimg).
    const qr = page.locator('#qr');
    await qr.waitFor({ timeout: WAIT });
    await page.waitForFunction(() => document.getElementById('qr').naturalWidth > 0, null, { timeout: WAIT });
    assert.ok((await qr.getAttribute('src')).startsWith(`${env.auth}/qrcode.svg?url=`));
    const png = path.join(os.tmpdir(), `wxauth-qr-${process.pid}.png`);
    await qr.screenshot({ path: png });
    const decoded = execFileSync('zbarimg', ['--quiet', '--raw', png], { encoding: 'utf8' }).trim();
    fs.rmSync(png, { force: true });
    assert.equal(decoded, page.url());
    await shot(page, 'sample-desktop-entry');

    // The login button goes to wxauthd's desktop login page (the whole flow with a phone is
    // desktop_login.test.js), never to WeChat's authorize page.
    await page.locator('#login').click();
    await page.locator('#wx-desktop[data-state="pending"]').waitFor({ timeout: WAIT });
    assert.ok(page.url().startsWith(`${env.auth}/connections/social/`));
    await shot(page, 'sample-desktop-qr-login');
    await ctx.close();
  });
});

// The emulator with its UA check off and the app with --desktop-login (the straight-through demo
// mode `make demo` had before its desktop QR logins, browser/demo_desktop), so a new user can log
// in from a desktop browser.
describe('sample app, demo mode (emulator UA check off, --desktop-login)', () => {
  let env;
  let sample;
  let browser;

  before(async () => {
    // The desktop QR login off ([desktop] login = off): desktop browsers go straight to the
    // emulator.
    env = await startServers({ uaCheck: false, extraConfig: '[desktop]\nlogin = off\n' });
    sample = await startSampleApp(env, { app: APP, desktopLogin: true });
    await env.seed({ pool: POOL, app: APP, redirect: `${sample.base}/callback` });
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (sample) await sample.stop();
    if (env) await env.stop();
  });

  it('a desktop browser logs in end to end', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, { desktop: true });
    const page = await ctx.newPage();
    await page.goto(`${sample.base}/`);
    await page.locator('#demo-banner').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#notice').isVisible(), false);
    await page.locator('#login').click();
    await page.waitForURL((u) => u.href.startsWith(env.emu), { timeout: WAIT });
    assert.match(await page.locator('.banner').innerText(), /UA check off/);
    await answerConsent(page, env, { action: 'allow', shotName: 'demo-desktop-consent' });
    await page.waitForURL(`${sample.base}/callback`, { timeout: WAIT });
    await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#nickname').innerText(), 'Alice 爱丽丝');
    await shot(page, 'demo-desktop-callback');
    await ctx.close();
  });

  it('--pool: the pool form (@authing/wxmp 1.0) back to the connection\'s Callback URL, pool-audience token', { timeout: TEST_TIMEOUT }, async () => {
    const poolApp = await startSampleApp(env, { pool: POOL, desktopLogin: true });
    try {
      await env.api('PATCH', `/pools/${POOL}/connections/${encodeURIComponent('wechat:webpage-authorization')}`,
        { callback_url: `${poolApp.base}/callback` });
      const ctx = await newContext(browser, { desktop: true });
      const page = await ctx.newPage();
      const starts = [];
      page.on('request', (req) => { if (req.url().startsWith(env.auth) && !req.url().includes('/sdk/')) starts.push(req.url()); });
      await page.goto(`${poolApp.base}/`);
      await page.locator('#login').click();
      await answerConsent(page, env, { action: 'allow' });
      await page.waitForURL(`${poolApp.base}/callback`, { timeout: WAIT });
      await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
      assert.equal(starts[0], `${env.auth}//oauth/wechatmp/url/${POOL}`);
      assert.equal(await page.locator('#claim-aud').innerText(), POOL);
      assert.equal(await page.locator('#nickname').innerText(), 'Alice 爱丽丝');
      await ctx.close();
    } finally {
      await poolApp.stop();
    }
  });
});
