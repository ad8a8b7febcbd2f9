// Console in headless Chromium: a pool's overview. A new pool's checklist has everything to do
// and links to where to do it; a set-up pool ticks its items from its own data, the last one
// after a first WeChat login; the test login's QR code is a picture; the dashboard counts the
// logins; an application's snippets carry its values.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { openConsole, signIn, settled, wechatLogin } = require('./lib');

test('console: pool overview, checklist, test login, dashboard, snippets', async (t) => {
  const c = await openConsole();
  const { page, env } = c;
  try {
    await env.seed({ pool: 'demo', redirect: 'https://app.example.com/callback' });
    await env.api('POST', '/pools', { id: 'fresh', name: 'Fresh pool' });
    await signIn(page, c.url, env.adminToken);

    await t.test('a new pool: nothing done yet, each item says where to go', async () => {
      await page.goto(c.url + '#/pools/fresh/overview');
      await settled(page);
      const card = page.locator('.checklist-card');
      assert.match(await card.locator('h2').textContent(), /Getting started: 0 of 5 done/);
      assert.equal(await card.locator('li.done').count(), 0);
      assert.equal(await card.locator('a', { hasText: 'New connection' }).getAttribute('href'), '#/pools/fresh/new-connection');
      assert.equal(await page.locator('.try-login').count(), 0, 'no test login without a connection');
      assert.match(await page.locator('.dashboard').textContent(), /No failed logins/);
      await c.shot('09-overview-new-pool');
    });

    await t.test('a set-up pool ticks its items; the first login ticks the last', async () => {
      await page.goto(c.url + '#/pools/demo/overview');
      await settled(page);
      assert.match(await page.locator('.checklist-card h2').textContent(), /4 of 5 done/);
      const qr = page.locator('.try-login img.qr');
      await page.waitForFunction(() => document.querySelector('.try-login img.qr').naturalWidth > 0);
      assert.ok((await qr.getAttribute('src')).startsWith(`${env.auth}/qrcode.svg?url=`));
      const url = await page.locator('.try-login code').first().textContent();
      assert.equal(url, `${env.auth}/connections/social/wechat%3Awebpage-authorization?app_id=demo-app`);

      for (const who of ['alice', 'bob']) assert.equal((await wechatLogin(env, 'demo', who)).code, 200);
      await page.reload();
      await settled(page);
      assert.match(await page.locator('.checklist-card h2').textContent(), /all done/);
      const stats = await page.locator('.dashboard .stats').innerText();
      assert.match(stats, /2\s*logins/);
      assert.match(stats, /2\s*new users/);
      assert.match(stats, /2\s*users in total/);
      assert.equal(await page.locator('.dashboard .bar').count(), 24);
      await c.shot('10-overview-dashboard');
    });

    await t.test('an application page has snippets with its values', async () => {
      await page.goto(c.url + '#/pools/demo/apps/demo-app');
      await settled(page);
      const s = page.locator('.snippets');
      await s.locator('summary', { hasText: 'The page' }).click();
      const html = await s.locator('details', { hasText: 'The page' }).locator('pre').textContent();
      assert.ok(html.includes(`<script src="${env.auth}/sdk/wxmp.min.js"></script>`), html);
      assert.ok(html.includes("appId: 'demo-app'"), html);
      assert.ok(html.includes("redirectUrl: 'https://app.example.com/callback'"), html);
      await s.locator('summary', { hasText: 'Node backend' }).click();
      const node = await s.locator('details', { hasText: 'Node backend' }).locator('pre').textContent();
      assert.ok(node.includes(`${env.auth}/oidc/.well-known/jwks.json`), node);
      assert.ok(node.includes(`issuer: '${env.auth}/oidc'`), node);
      // The JWKS the snippets name is the one wxauthd serves.
      const jwks = await fetch(`${env.auth}/oidc/.well-known/jwks.json`);
      assert.equal(jwks.status, 200);
      await c.shot('11-app-snippets');
    });

    await t.test('no console errors, CSP violations or dialogs', async () => {
      await c.assertClean([]);
    });
  } finally {
    await c.close();
  }
});
