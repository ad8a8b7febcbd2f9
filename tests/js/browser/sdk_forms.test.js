// Every client generation of authing-compat.md §1, in headless chromium as WeChat: a page written
// the way that generation's pages are (tests/js/browser/pages/, only the host pointing at wxauthd)
// logs in through the emulator, lands back on its callback with the user, and the token verifies
// against wxauthd's JWKS with the right audience.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { createRemoteJWKSet, jwtVerify } = require('jose');
const { launch } = require('../lib/browser');
const { startServers, freePort } = require('../lib/servers');
const { WAIT, TEST_TIMEOUT, shot, newContext, answerConsent } = require('./helpers');

const PAGES = path.join(__dirname, 'pages');
const POOL = 'legacy';
const APP = 'legacy-app';
const IDENTIFIER = 'wechat-mp-legacy'; // a named connection (1.3, 5.x)
const DEFAULT_ID = 'wechat:webpage-authorization';

// The business site of the old pages: serves pages/ with the settings filled in.
async function startSite(settings) {
  const port = await freePort();
  const self = `http://127.0.0.1:${port}`;
  const values = { ...settings, self };
  const server = http.createServer((req, res) => {
    const name = new URL(req.url, self).pathname.slice(1);
    const file = /^[\w.-]+\.(html|css|js)$/.test(name) ? path.join(PAGES, name) : null;
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    const body = fs.readFileSync(file, 'utf8').replace(/\{\{(\w+)\}\}/g, (m, k) => {
      if (!(k in values)) throw new Error(`${name}: unknown {{${k}}}`);
      return values[k];
    });
    const type = { css: 'text/css', js: 'text/javascript; charset=utf-8' }[path.extname(name).slice(1)];
    res.writeHead(200, { 'Content-Type': type || 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { self, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('client generations of authing-compat.md §1 in a browser', () => {
  let env;
  let site;
  let browser;
  let jwks;

  before(async () => {
    env = await startServers({ uaCheck: true });
    site = await startSite({ wxauth: env.auth, app_id: APP, pool_id: POOL, identifier: IDENTIFIER });
    // Callbacks: the pages of this site. The default connection's Callback URL is set per test,
    // as a site without redirectUrl (1.0, 1.1) has it configured.
    await env.seed({ pool: POOL, app: APP, redirect: `${site.self}/*.html`, callback: `${site.self}/v1.0.html` });
    await env.api('POST', `/pools/${POOL}/connections`, {
      identifier: IDENTIFIER, appid: env.appid, app_secret: env.secret,
      callback_url: `${site.self}/v1.3.html`, scope: 'snsapi_userinfo',
    });
    jwks = createRemoteJWKSet(new URL(`${env.auth}/oidc/.well-known/jwks.json`));
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (env) await env.stop();
  });

  const cb = (page) => encodeURIComponent(`${site.self}/${page}`);
  const forms = [
    { name: 'v1.0', title: '@authing/wxmp 1.0 {userPoolId, host:{oauth}}', callback: 'v1.0.html', aud: POOL,
      start: () => `${env.auth}//oauth/wechatmp/url/${POOL}` },
    { name: 'v1.1', title: '@authing/wxmp 1.1 {appId, host}', callback: 'v1.1.html', aud: APP,
      start: () => `${env.auth}/connections/social/${DEFAULT_ID}?app_id=${APP}` },
    { name: 'v1.2', title: '@authing/wxmp 1.2 {appId, host, redirectUrl}', aud: APP,
      start: () => `${env.auth}/connections/social/${DEFAULT_ID}?app_id=${APP}&redirect_url=${cb('v1.2.html')}` },
    { name: 'v1.3', title: '@authing/wxmp 1.3 {appId, host, identifier, redirectUrl}', aud: APP,
      start: () => `${env.auth}/connections/social/${IDENTIFIER}?app_id=${APP}&redirect_url=${cb('v1.3.html')}` },
    { name: 'v5', title: '@authing/weixin-official-account 5.x AuthingFactory.AuthingWxmp', aud: APP,
      start: () => `${env.auth}/connections/social/${IDENTIFIER}?app_id=${APP}&redirect_url=${cb('v5.html')}` },
  ];

  for (const form of forms) {
    it(`${form.title}: logs in and gets a verifiable token`, { timeout: TEST_TIMEOUT }, async () => {
      if (form.callback) {
        await env.api('PATCH', `/pools/${POOL}/connections/${encodeURIComponent(DEFAULT_ID)}`,
          { callback_url: `${site.self}/${form.callback}` });
      }
      const ctx = await newContext(browser);
      const page = await ctx.newPage();
      const starts = [];
      page.on('request', (req) => {
        const u = req.url();
        if (u.startsWith(env.auth) && !u.startsWith(`${env.auth}/sdk/`)) starts.push(u);
      });
      await page.goto(`${site.self}/${form.name}.html`);
      await page.locator('#login').click();
      await answerConsent(page, env, { action: 'allow', shotName: `forms-${form.name}-1-consent` });
      await page.waitForURL((u) => u.href.startsWith(`${site.self}/${form.name}.html?`), { timeout: WAIT });
      await page.waitForFunction(() => window.__login, null, { timeout: WAIT });
      const login = await page.evaluate(() => window.__login);
      assert.equal(starts[0], form.start(), 'the URL the page sends the browser to');
      assert.equal(login.ok, true, JSON.stringify(login));
      assert.equal(login.same, true, 'userinfo and userInfo are one object');
      assert.equal(login.user.nickname, 'Alice 爱丽丝');
      assert.equal(login.user.userPoolId, POOL);
      assert.match(await page.locator('#result').innerText(), /登录成功 Alice 爱丽丝/);
      await shot(page, `forms-${form.name}-2-callback`);

      const { payload } = await jwtVerify(login.user.token, jwks, { issuer: `${env.auth}/oidc`, audience: form.aud });
      assert.equal(payload.sub, login.user.id);
      assert.equal(payload.nickname, 'Alice 爱丽丝');
      await ctx.close();
    });
  }

  it('an old page outside WeChat refuses before any redirect, as its checkWechatUA() says', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, { desktop: true });
    const page = await ctx.newPage();
    await page.goto(`${site.self}/v1.3.html`);
    await page.locator('#login').click();
    await page.waitForFunction(() => /请在微信客户端打开链接/.test(document.getElementById('result').textContent),
      null, { timeout: WAIT });
    assert.equal(page.url(), `${site.self}/v1.3.html`);
    await ctx.close();
  });
});
