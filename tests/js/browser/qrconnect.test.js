// Desktop login through an Open Platform website app (issue #15 item 2), in headless chromium:
// the sample business app on a desktop browser is sent to the emulated WeChat QR-code page
// (connect/qrconnect), the "phone" scans and confirms (or cancels), and the login ends on the
// app's callback with the profile and a token its backend accepts; the same person on a phone,
// through the service account, is the same user with the same sub.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { launch } = require('../lib/browser');
const { startServers, startSampleApp } = require('../lib/servers');
const { WAIT, TEST_TIMEOUT, shot, newContext, answerConsent } = require('./helpers');

const POOL = 'demo';
const APP = 'demo-app';
const WEB_APPID = 'wxa1b2c3d4e5f60718';
const WEB_NAME = '示例网站 Example Web';

describe('desktop login with an Open Platform website app (qrconnect)', () => {
  let env;
  let sample;
  let browser;
  let desktopUser; // id and sub of the desktop login

  before(async () => {
    env = await startServers({ uaCheck: true }); // as real WeChat: the service account's page only inside WeChat
    const port = new URL(env.auth).port;
    const r = await fetch(`${env.emu}/emu/admin/accounts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ appid: WEB_APPID, type: 'website', name: WEB_NAME, secret: env.secret,
        domain: `127.0.0.1:${port}`, open_platform: 'op-test' }),
    });
    assert.equal(r.status, 200, await r.text());
    sample = await startSampleApp(env, { app: APP, desktopLogin: true });
    await env.seed({ pool: POOL, app: APP, redirect: `${sample.base}/callback` });
    const conn = await env.api('POST', `/pools/${POOL}/connections`,
      { type: 'wechat_open', appid: WEB_APPID, app_secret: env.secret, callback_url: '#', display_name: 'Desktop QR' });
    assert.equal(conn.identifier, 'wechat:qrconnect');
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (sample) await sample.stop();
    if (env) await env.stop();
  });

  async function toQrPage(page) {
    await page.goto(`${sample.base}/`);
    await page.locator('#login').click();
    await page.waitForURL((u) => u.href.startsWith(`${env.emu}/connect/qrconnect?appid=${WEB_APPID}&`), { timeout: WAIT });
    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('scope'), 'snsapi_login');
    assert.equal(q.get('redirect_uri'), `${env.auth}/connections/social/wechat:qrconnect/callback`);
  }

  it('the QR page, a scan, Confirm: the app gets the profile and a token its backend accepts', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, { desktop: true });
    const page = await ctx.newPage();
    await toQrPage(page);
    assert.match(await page.locator('h1').first().innerText(), /微信登录/);
    assert.equal(await page.locator('.acct').innerText(), WEB_NAME);
    const qr = page.locator('.qr img');
    assert.equal(await qr.evaluate((img) => img.complete && img.naturalWidth > 100), true, 'the QR image is drawn');
    await page.getByText('请使用微信扫描二维码登录').waitFor({ timeout: WAIT });
    await shot(page, 'qrconnect-1-qr');

    await page.locator('a.person', { hasText: 'alice' }).click(); // the phone scans
    await page.getByText('扫描成功').waitFor({ timeout: WAIT });
    assert.match(await page.locator('.who').innerText(), /Alice 爱丽丝/);
    await shot(page, 'qrconnect-2-scanned');
    await page.locator('a.btn.allow').click(); // 确认登录 on the phone

    await page.waitForURL(`${sample.base}/callback`, { timeout: WAIT });
    await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#nickname').innerText(), 'Alice 爱丽丝');
    const id = await page.locator('#user-id').innerText();
    assert.equal(await page.locator('#claim-sub').innerText(), id);
    assert.equal(await page.locator('#claim-aud').innerText(), APP);
    desktopUser = id;
    await shot(page, 'qrconnect-3-callback');
    await ctx.close();
  });

  it('Cancel on the phone: the desktop stays on WeChat\'s page and says so', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, { desktop: true });
    const page = await ctx.newPage();
    await toQrPage(page);
    await page.locator('a.person', { hasText: 'bob' }).click();
    await page.locator('a.btn.deny').click();
    await page.getByText('你已取消此次登录').waitFor({ timeout: WAIT });
    assert.ok(page.url().startsWith(`${env.emu}/connect/qrconnect?`), 'no redirect after a refusal');
    await page.getByRole('link', { name: /重新扫描/ }).waitFor({ timeout: WAIT });
    await shot(page, 'qrconnect-4-cancelled');
    await ctx.close();
  });

  it('the same person on a phone (service account): the same user and sub', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(desktopUser, 'needs the desktop login');
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(`${sample.base}/`);
    await page.locator('#login').click();
    await answerConsent(page, env, { action: 'allow' });
    await page.waitForURL(`${sample.base}/callback`, { timeout: WAIT });
    await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#user-id').innerText(), desktopUser);
    assert.equal(await page.locator('#claim-sub').innerText(), desktopUser);
    await shot(page, 'qrconnect-5-phone-same-user');
    await ctx.close();
  });
});
