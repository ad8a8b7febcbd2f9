// Console in headless Chromium: sign-in (wrong token, right token, expired token, sign-out,
// too many attempts), the CSP header, a pool and a WeChat connection made through the forms
// (the API's per-field messages next to the fields; the verification file then served), and
// editing the connection without re-entering the App Secret.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { openConsole } = require('./lib');

test('console: sign-in, pool and connection forms, verification file', async (t) => {
  const c = await openConsole();
  const { page, env } = c;
  try {
    await t.test('the console is served with a strict CSP and no inline code', async () => {
      const res = await fetch(c.url);
      assert.equal(res.status, 200);
      const csp = res.headers.get('content-security-policy') || '';
      for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"])
        assert.ok(csp.includes(d), `CSP has ${d}: ${csp}`);
      assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), 'no unsafe-* in the CSP');
      const html = await res.text();
      assert.ok(!/<script>|<script [^>]*>[^<]/.test(html), 'no inline script');
      assert.ok(!/ on[a-z]+=|style=/.test(html), 'no inline handlers or styles');
      for (const f of ['console.css', 'app.js', 'dom.js', 'favicon.svg']) {
        const r = await fetch(c.url + f);
        assert.equal(r.status, 200, f);
        assert.ok(r.headers.get('content-security-policy'), `${f} has the CSP`);
      }
    });

    await t.test('a wrong token is refused with a message', async () => {
      const res = await page.goto(c.url);
      assert.ok((res.headers()['content-security-policy'] || '').includes("script-src 'self'"));
      await page.locator('#signin-token').waitFor();
      assert.match(page.url(), /#\/signin$/);
      await c.shot('01-sign-in');
      await page.locator('#signin-token').fill('not-the-admin-token-at-all');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#signin .form-error').getByText('That admin token was not accepted.').waitFor();
      assert.equal(await page.locator('#signin-token-error').textContent(), 'wrong token');
      assert.equal(await page.locator('#signin-token').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'nothing kept after a failure');
    });

    await t.test('the right token opens the pools list; the token is in sessionStorage, no cookie', async () => {
      await page.locator('#signin-token').fill(env.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'User pools' }).waitFor();
      assert.match(page.url(), /#\/pools$/);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('wxauth.console.admin-token')), env.adminToken);
      assert.equal(await page.evaluate(() => document.cookie), '');
      assert.deepEqual(await c.context.cookies(), []);
      await page.getByText('No pools yet.').waitFor();
    });

    await t.test('a pool is created through the form', async () => {
      const form = page.locator('#pool-new');
      await form.locator('#pool-new-id').fill('bad id!');
      await form.getByRole('button', { name: 'Create pool' }).click();
      const apiErr = await env.api('POST', '/pools', { id: 'bad id!' }, 400);
      await page.locator('#pool-new-id-error').waitFor();
      assert.equal(await page.locator('#pool-new-id-error').textContent(), apiErr.errors.id);

      await form.locator('#pool-new-id').fill('shop');
      await form.locator('#pool-new-name').fill('Shop 商城');
      await form.locator('#pool-new-token_ttl').fill('7200');
      await form.locator('#pool-new-alg').selectOption('ES256');
      await form.locator('#pool-new-redirect_urls').fill('https://shop.example.com/*\nhttps://m.example.com/cb');
      await form.getByRole('button', { name: 'Create pool' }).click();
      await page.getByRole('heading', { level: 1, name: 'Shop 商城' }).waitFor();
      const p = await env.api('GET', '/pools/shop');
      assert.equal(p.name, 'Shop 商城');
      assert.equal(p.token_ttl, 7200);
      assert.equal(p.alg, 'ES256');
      assert.deepEqual(p.redirect_urls, ['https://shop.example.com/*', 'https://m.example.com/cb']);
      await page.goto(c.url + '#/pools');
      await page.getByRole('link', { name: 'Shop 商城' }).waitFor();
      await c.shot('02-pools');
      // Creating it again: the 409 names the field, shown next to it.
      const dup = await env.api('POST', '/pools', { id: 'shop' }, 409);
      assert.equal(dup.errors.id, 'a pool with this id exists');
      await page.getByText('New pool').click();
      await page.locator('#pool-new-id').fill('shop');
      await page.getByRole('button', { name: 'Create pool' }).click();
      await page.locator('#pool-new-id-error').getByText(dup.errors.id).waitFor();
    });

    await t.test('connection form shows the API messages next to the fields', async () => {
      await page.goto(c.url + '#/pools/shop');
      await page.getByRole('link', { name: 'Connections' }).click();
      await page.getByRole('link', { name: 'New connection' }).click();
      await page.locator('#conn-appid').waitFor();
      assert.equal(await page.locator('#conn-identifier').inputValue(), 'wechat:webpage-authorization');
      assert.equal(await page.locator('#conn-app_secret').getAttribute('type'), 'password');
      const bad = {
        appid: env.appid, app_secret: env.secret, callback_url: 'ftp://shop.example.com/cb',
        txt_filename: 'verify.txt', txt_content: 'abc',
      };
      await page.locator('#conn-appid').fill(bad.appid);
      await page.locator('#conn-app_secret').fill(bad.app_secret);
      await page.locator('#conn-callback_url').fill(bad.callback_url);
      await page.locator('#conn-txt_filename').fill(bad.txt_filename);
      await page.locator('#conn-txt_content').fill(bad.txt_content);
      await page.getByRole('button', { name: 'Create connection' }).click();
      await page.locator('#conn-txt_filename-error').waitFor();
      // Exactly what the API says about the same input.
      const apiErr = await env.api('POST', '/pools/shop/connections', bad, 400);
      assert.ok(apiErr.errors.txt_filename && apiErr.errors.callback_url, JSON.stringify(apiErr));
      assert.equal(await page.locator('#conn-txt_filename-error').textContent(), apiErr.errors.txt_filename);
      assert.equal(await page.locator('#conn-callback_url-error').textContent(), apiErr.errors.callback_url);
      assert.equal(await page.locator('#conn-callback_url').getAttribute('aria-invalid'), 'true');
      assert.ok((await page.locator('#conn-txt_filename').getAttribute('aria-describedby')).includes('conn-txt_filename-error'));
      assert.equal(await page.locator('#conn-appid-error').isVisible(), false, 'a good field has no message');
      await page.locator('#conn .form-error').getByText(apiErr.message).waitFor();
      await c.shot('03-connection-form-errors');
      const none = await env.api('GET', '/pools/shop/connections');
      assert.deepEqual(none.connections, [], 'nothing stored after a refused form');
    });

    await t.test('a valid connection is created; its verification file is served', async () => {
      await page.locator('#conn-display_name').fill('Shop WeChat');
      await page.locator('#conn-callback_url').fill('https://shop.example.com/callback');
      await page.locator('#conn-txt_filename').fill('MP_verify_Sh0pC0ns0le.txt');
      await page.locator('#conn-txt_content').fill('Sh0pC0ns0le');
      await page.locator('#conn-scope').selectOption('snsapi_base');
      await page.getByRole('button', { name: 'Create connection' }).click();
      await page.getByRole('heading', { level: 1, name: 'Shop WeChat' }).waitFor();
      assert.match(page.url(), /#\/pools\/shop\/connections\/wechat%3Awebpage-authorization$/);
      const link = page.locator('a.txt-url');
      const href = await link.getAttribute('href');
      assert.equal(href, `${env.auth}/MP_verify_Sh0pC0ns0le.txt`);
      assert.equal(await link.textContent(), href);
      const file = await fetch(href, { redirect: 'manual' });
      assert.equal(file.status, 200);
      assert.match(file.headers.get('content-type'), /^text\/plain/);
      assert.equal(await file.text(), 'Sh0pC0ns0le');
      // The console is on the admin listener; the login URL it shows is the public one.
      assert.notEqual(env.admin, env.auth);
      await page.locator('code', { hasText: `${env.auth}/connections/social/wechat:webpage-authorization?app_id=` }).first().waitFor({ timeout: 5000 });
      const conn = await env.api('GET', '/pools/shop/connections/wechat:webpage-authorization');
      assert.equal(conn.app_secret, 'set');
      assert.equal(conn.scope, 'snsapi_base');
      assert.equal(conn.appid, env.appid);
      assert.equal(conn.display_name, 'Shop WeChat');
      assert.equal(await page.locator('#conn-identifier').getAttribute('readonly'), '', 'identifier fixed');
      assert.equal(await page.locator('#conn-app_secret').inputValue(), '', 'the secret is never sent back');
      await page.locator('[data-field="app_secret"] .indicator').getByText('set').waitFor();
      await c.shot('04-connection');
    });

    await t.test('editing with an empty App Secret keeps the stored one (WeChat still accepts it)', async () => {
      await page.locator('#conn-display_name').fill('Shop WeChat (renamed)');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('heading', { level: 1, name: 'Shop WeChat (renamed)' }).waitFor();
      await page.getByRole('button', { name: '检查设置 · Check set-up' }).click();
      await page.locator('li.check-item[data-check="wechat"].ok').waitFor();
      // A wrong secret typed in is stored, and the check says so.
      await page.locator('#conn-app_secret').fill('0123456789abcdef0123456789abcdef');
      const [put] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/connections/')),
        page.getByRole('button', { name: 'Save changes' }).click(),
      ]);
      assert.equal(put.status(), 200);
      await page.getByRole('button', { name: '检查设置 · Check set-up' }).click();
      await page.locator('li.check-item[data-check="wechat"].fail').getByText('微信不接受 AppSecret').waitFor();
      await env.api('PUT', '/pools/shop/connections/wechat:webpage-authorization', { app_secret: env.secret });
      const list = await env.api('GET', '/pools/shop/connections');
      assert.equal(list.connections.length, 1);
      assert.equal(list.connections[0].display_name, 'Shop WeChat (renamed)');
    });

    await t.test('an Open Platform website app is a connection of its own type (issue #15)', async () => {
      await page.goto(c.url + '#/pools/shop/new-connection');
      await page.locator('#conn-type').waitFor();
      await page.locator('#conn-type').selectOption('wechat_open');
      await page.locator('#conn-display_name').fill('Shop desktop QR');
      await page.locator('#conn-appid').fill('wxa1b2c3d4e5f60718');
      await page.locator('#conn-app_secret').fill('web-app-secret-1');
      await page.locator('#conn-callback_url').fill('https://shop.example.com/callback');
      await page.getByRole('button', { name: 'Create connection' }).click();
      await page.getByRole('heading', { level: 1, name: 'Shop desktop QR' }).waitFor();
      assert.match(page.url(), /#\/pools\/shop\/connections\/wechat%3Aqrconnect$/);
      assert.equal(await page.locator('#conn-type').inputValue(), 'wechat_open');
      assert.equal(await page.locator('#conn-scope').inputValue(), 'snsapi_login');
      const web = await env.api('GET', '/pools/shop/connections/wechat:qrconnect');
      assert.equal(web.type, 'wechat_open');
      assert.equal(web.scope, 'snsapi_login');
      assert.equal(web.app_secret, 'set');
      await page.getByRole('link', { name: 'Connections' }).first().click();
      const row = page.locator('tr', { hasText: 'wechat:qrconnect' });
      await row.getByText('Website app (QR code)').waitFor();
      await page.locator('tr', { hasText: 'wechat:webpage-authorization' }).getByText('Service account').waitFor();
      assert.equal((await page.content()).includes('web-app-secret-1'), false, 'the secret is never shown');
      await c.shot('04b-connections-types');
      await env.api('DELETE', '/pools/shop/connections/wechat:qrconnect');
    });

    await t.test('keys: rotate to an ES256 key', async () => {
      await page.getByRole('link', { name: 'Signing keys' }).click();
      await page.getByRole('heading', { level: 1, name: 'Signing keys' }).waitFor();
      await page.locator('#keys-rotate-alg').selectOption('ES256');
      await page.getByRole('button', { name: 'Rotate…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
      const flash = page.locator('#flash').getByText(/New ES256 key .* is now signing\./);
      await flash.waitFor();
      const kid = /key (\S+) is now/.exec(await flash.textContent())[1];
      const keys = await env.api('GET', '/keys');
      const current = keys.keys.filter((k) => k.state === 'current' && k.alg === 'ES256');
      assert.deepEqual(current.map((k) => k.kid), [kid]);
      const row = page.locator('table.grid tr', { hasText: kid });
      await row.getByText('current').waitFor();
    });

    await t.test('a pool is deleted only after typing its id', async () => {
      await env.api('POST', '/pools', { id: 'scratch' });
      await page.goto(c.url + '#/pools/scratch');
      await page.getByRole('button', { name: 'Delete pool…' }).click();
      const dlg = page.getByRole('dialog');
      const ok = dlg.getByRole('button', { name: 'Delete pool' });
      assert.equal(await ok.isDisabled(), true);
      await dlg.getByLabel('Type scratch to confirm').fill('scratc');
      assert.equal(await ok.isDisabled(), true);
      await dlg.getByLabel('Type scratch to confirm').fill('scratch');
      await ok.click();
      await page.locator('#flash').getByText('Pool scratch deleted.').waitFor();
      await page.getByRole('heading', { level: 1, name: 'User pools' }).waitFor();
      await env.api('GET', '/pools/scratch', undefined, 404);
    });

    await t.test('a token the API no longer accepts sends the person back to sign-in', async () => {
      await page.evaluate(() => sessionStorage.setItem('wxauth.console.admin-token', 'stale-token-0123456789'));
      await page.goto(c.url + '#/pools/shop/users');
      await page.getByText('The admin API did not accept the stored token: sign in again.').waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.length), 0);
      await page.locator('#signin-token').fill(env.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor(); // back where they were
    });

    await t.test('sign out forgets the token', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('#signin-token').waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.length), 0);
      await page.goto(c.url + '#/keys');
      await page.locator('#signin-token').waitFor();
    });

    await t.test('no console errors, CSP violations or dialogs', async () => {
      // 400: the refused forms; 401: the wrong and the stale token; 409: the pool made twice.
      await c.assertClean([400, 401, 409]);
    });

    // Last: it locks this address out of the admin API for a while.
    await t.test('too many wrong tokens: "too many attempts"', async () => {
      let limited = false;
      for (let i = 0; i < 30 && !limited; i++) { // 2 workers x 10 failures: 21 attempts suffice
        await page.locator('#signin-token').fill(`wrong-token-number-${i}`);
        const [res] = await Promise.all([
          page.waitForResponse((r) => r.url().endsWith('/api/admin/v1/session')),
          page.getByRole('button', { name: 'Sign in' }).click(),
        ]);
        limited = res.status() === 429;
        await page.locator('#signin .form-error').waitFor();
      }
      assert.ok(limited, 'the API answered 429');
      await page.locator('#signin .form-error').getByText('Too many attempts from this address').waitFor();
      await c.assertClean([400, 401, 409, 429]);
    });
  } finally {
    await c.close();
  }
});
