// Console in headless Chromium: a pool overview's 电脑端扫码登录 · Desktop login section
// (GET /pools/{id}/desktop). As the pool gains follow-to-login and a website app, the section
// lists the right methods, the one a computer gets by default, what each lacks with its fix,
// and each available method's 测试 · Test button opens a real desktop login with that method in a
// new tab: the ticket page (scan), the account's code to follow (follow), WeChat's website-app
// QR page (qrconnect). With desktop login off for the pool, nothing is testable.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { openConsole, signIn, settled } = require('./lib');

const WEB_APPID = 'wxa1b2c3d4e5f60718';
const WEB_SECRET = 'console-web-secret-0123456789ab';

test('console: a pool\u2019s desktop login methods, each with its test', async (t) => {
  const c = await openConsole();
  const { page, env } = c;
  const section = page.locator('#desktop-login');
  const item = (m) => section.locator(`li.method[data-method="${m}"]`);

  // The overview, fresh; the method items' availability as {method: 'true'|'false'}.
  async function open() {
    await page.goto(c.url + '#/pools/demo/overview');
    await page.reload(); // the same route again: read the pool anew
    await settled(page);
    await section.waitFor();
    const out = {};
    for (const m of ['scan', 'qrconnect', 'follow']) out[m] = await item(m).getAttribute('data-available');
    return out;
  }

  // Click a method's test button: the new tab's page once loaded, and the URL it opened.
  async function runTest(m) {
    const button = item(m).locator('a.test-method');
    const href = await button.getAttribute('href');
    assert.match(href, new RegExp(`[?&]desktop_method=${m}(&|$)`));
    assert.equal(await button.getAttribute('target'), '_blank');
    const [tab] = await Promise.all([page.context().waitForEvent('page'), button.click()]);
    await tab.waitForLoadState('domcontentloaded');
    const text = await tab.locator('body').innerText();
    return { tab, href, text };
  }

  try {
    await env.seed({ pool: 'demo', redirect: 'https://app.example.com/callback' });
    await signIn(page, c.url, env.adminToken);

    await t.test('a service account only: scan, the others say what to set up', async () => {
      const avail = await open();
      assert.deepEqual(avail, { scan: 'true', qrconnect: 'false', follow: 'false' });
      assert.match(await section.locator('h2').textContent(), /^电脑端扫码登录 · Desktop login$/);
      assert.match(await section.locator('.desktop-auto').textContent(), /使用 服务号扫码确认/);
      assert.match(await item('scan').locator('.method-head').textContent(), /电脑默认 · auto/);
      assert.equal(await item('qrconnect').locator('a.test-method').count(), 0);
      assert.equal(await item('follow').locator('a.test-method').count(), 0);
      const web = await item('qrconnect').locator('.method-missing').innerText();
      assert.match(web, /未配置网站应用/);
      assert.match(web, /怎么配置：在微信开放平台/);
      assert.match(web, /--type wechat_open/);
      const follow = await item('follow').locator('.method-missing').innerText();
      assert.match(follow, /Token/);
      assert.match(follow, /--push-token-env/);
      // Chinese first in the section's own words.
      const all = await section.innerText();
      assert.ok(all.indexOf('服务号扫码确认') < all.indexOf('Service account: scan'), all);
      await c.shot('20-desktop-methods-scan-only');

      const { tab, href, text } = await runTest('scan');
      assert.ok(href.startsWith(`${env.auth}/connections/social/wechat:webpage-authorization?app_id=demo-app&`), href);
      assert.match(text, /微信扫码登录/);
      assert.match(text, /然后在手机上确认登录/);
      assert.ok(await tab.locator('#wx-desktop svg').count() > 0, 'the ticket\u2019s QR code');
      await tab.close();
    });

    await t.test('follow to log in on the connection: the default pick, its set-up listed', async () => {
      await env.api('PUT', '/pools/demo/connections/wechat:webpage-authorization', { push_token: 'consoleToken42' });
      const avail = await open();
      assert.deepEqual(avail, { scan: 'true', qrconnect: 'false', follow: 'true' });
      assert.match(await item('follow').locator('.method-head').textContent(), /电脑默认 · auto/);
      const f = await item('follow').innerText();
      assert.ok(f.includes(`${env.auth}/wechat/push/demo/wechat:webpage-authorization`), f);
      // No EncodingAESKey: a warning with the fix (the server's check, as POST …/check words it).
      const aes = item('follow').locator('li.check-item[data-check="aes-key"]');
      assert.equal(await aes.getAttribute('class'), 'check-item warn');
      assert.match(await aes.innerText(), /怎么改：/);
      await c.shot('21-desktop-methods-follow');

      const { tab, text } = await runTest('follow');
      assert.match(text, /扫描二维码并关注公众号/);
      await tab.close();
      // scan stays testable on the same connection.
      const s = await runTest('scan');
      assert.match(s.text, /然后在手机上确认登录/);
      assert.doesNotMatch(s.text, /关注公众号/);
      await s.tab.close();
    });

    await t.test('a website app: the default pick; its test opens WeChat\u2019s QR page', async () => {
      const r = await fetch(`${env.emu}/emu/admin/accounts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ appid: WEB_APPID, type: 'website', name: '控制台网站 Console Web', secret: WEB_SECRET, domain: new URL(env.auth).host, open_platform: 'op-test' }),
      });
      assert.equal(r.status < 300, true, await r.text());
      await env.api('POST', '/pools/demo/connections', { type: 'wechat_open', identifier: 'wechat:qrconnect', appid: WEB_APPID, app_secret: WEB_SECRET, callback_url: '#' });
      const avail = await open();
      assert.deepEqual(avail, { scan: 'true', qrconnect: 'true', follow: 'true' });
      assert.match(await section.locator('.desktop-auto').textContent(), /网站应用扫码/);
      assert.match(await item('qrconnect').locator('.method-head').textContent(), /电脑默认 · auto/);
      assert.match(await item('qrconnect').innerText(), /授权回调域/);
      await c.shot('22-desktop-methods-all');

      const { tab, text } = await runTest('qrconnect');
      assert.ok(tab.url().startsWith(`${env.emu}/connect/qrconnect?appid=${WEB_APPID}&`), tab.url());
      assert.match(text, /控制台网站 Console Web/);
      await tab.close();
      const s = await runTest('scan');
      assert.match(s.text, /然后在手机上确认登录/);
      await s.tab.close();
    });

    await t.test('the check button runs the connection\u2019s checks with WeChat', async () => {
      await item('qrconnect').locator('button.check-method').click();
      const result = item('qrconnect').locator('.check-result');
      await result.waitFor();
      assert.match(await result.innerText(), /AppID 与 AppSecret/);
      assert.match(await result.locator('li[data-check="wechat"]').getAttribute('class'), /ok/);
    });

    await t.test('desktop login off for the pool: nothing to test, the setting to change', async () => {
      await env.api('PUT', '/pools/demo', { desktop_method: 'none' });
      const avail = await open();
      assert.deepEqual(avail, { scan: 'false', qrconnect: 'false', follow: 'false' });
      assert.match(await section.locator('.desktop-auto').textContent(), /电脑端登录未启用/);
      assert.equal(await section.locator('a.test-method').count(), 0);
      assert.match(await item('scan').locator('.method-missing').innerText(), /wxauth pool update demo --desktop auto/);
      await c.shot('23-desktop-methods-off');
    });

    await t.test('no console errors, CSP violations or dialogs', async () => {
      await c.assertClean([]);
    });
  } finally {
    await c.close();
  }
});
