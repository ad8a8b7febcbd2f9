// Console in headless Chromium: users made by real WeChat logins through the emulator, one of
// them with the nickname <img src=x onerror=alert(1)>; the list shows it as text (no element,
// no dialog), search finds users by nickname and openid, and blocking from the detail page
// blocks the user in the API and at the next login. Also: applications (secret shown once)
// and the audit log.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { openConsole, signIn, settled, wechatLogin, XSS_NICKNAME } = require('./lib');

test('console: users, XSS nickname, search, block; apps; audit', async (t) => {
  const c = await openConsole({
    // xss has no avatar; carol's fails to load (404): the console shows her initial instead.
    servers: {
      people: `[person xss]\nnickname = ${XSS_NICKNAME}\navatar =\n\n` +
        '[person carol]\nnickname = Carol\navatar = {{emu}}/mmopen/vi_32/nobody/132\n\n',
    },
  });
  const { page, env } = c;
  try {
    await env.seed({ pool: 'demo', redirect: 'https://app.example.com/callback' });
    const logins = {};
    for (const who of ['alice', 'bob', 'carol', 'xss']) {
      const r = await wechatLogin(env, 'demo', who);
      assert.equal(r.code, 200, `${who} logs in: ${r.message}`);
      logins[who] = r.data;
    }
    assert.equal(logins.xss.nickname, XSS_NICKNAME, 'the emulator sent the nickname as is');
    await signIn(page, c.url, env.adminToken);

    await t.test('the user list shows the XSS nickname as text', async () => {
      await page.goto(c.url + '#/pools/demo/users');
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
      const rows = page.locator('table.users tbody tr');
      await rows.nth(3).waitFor();
      assert.equal(await rows.count(), 4);
      const nick = page.locator(`table.users tr[data-user-id="${logins.xss.id}"] .nickname`);
      assert.equal(await nick.textContent(), XSS_NICKNAME);
      assert.equal(await nick.evaluate((el) => el.childElementCount), 0);
      const found = await page.evaluate(() => ({
        injected: document.querySelectorAll('img[src="x"], img[onerror], [onerror]').length,
        imgs: [...document.querySelectorAll('table.users img')].map((i) => ({ cls: i.className, src: i.getAttribute('src') })),
      }));
      assert.equal(found.injected, 0, 'no element was made from the nickname');
      // The only pictures are alice's and bob's avatars, drawn by the emulator (xss has none;
      // carol's failed and became her initial).
      await page.waitForFunction(() => document.querySelectorAll('table.users img').length === 2);
      const imgs = await page.evaluate(() => [...document.querySelectorAll('table.users img')]
        .map((i) => ({ cls: i.className, src: i.getAttribute('src'), w: i.naturalWidth })));
      assert.equal(imgs.length, 2, JSON.stringify(imgs));
      for (const i of imgs) {
        assert.equal(i.cls, 'avatar');
        assert.ok(i.src.startsWith(env.emu + '/mmopen/vi_32/'), i.src);
        assert.ok(i.w > 0, `avatar ${i.src} is a picture, not a broken image`);
      }
      const carol = page.locator(`table.users tr[data-user-id="${logins.carol.id}"] .avatar`);
      assert.equal(await carol.evaluate((el) => el.tagName + ' ' + el.textContent), 'SPAN C');
      await page.waitForTimeout(300); // an onerror would have fired by now
      assert.deepEqual(c.dialogs, []);
      await c.shot('05-users-xss-nickname');
    });

    await t.test('search finds users by nickname and by openid', async () => {
      await page.locator('#user-search').fill('onerror');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/search=onerror/);
      const rows = page.locator('table.users tbody tr');
      await page.getByText('1–1 of 1').waitFor();
      assert.equal(await rows.count(), 1);
      assert.equal(await rows.locator('.nickname').textContent(), XSS_NICKNAME);

      await page.locator('#user-search').fill(logins.alice.openid);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator(`table.users tr[data-user-id="${logins.alice.id}"]`).waitFor();
      await page.getByText('1–1 of 1').waitFor();
      assert.equal(await rows.locator('.nickname').textContent(), 'Alice 爱丽丝');

      await page.locator('#user-search').fill('nobody-has-this-name');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText('No user matches').waitFor();
    });

    await t.test('the users list pages', async () => {
      await page.goto(c.url + '#/pools/demo/users');
      await page.getByText('1–4 of 4').waitFor();
      assert.equal(await page.getByRole('link', { name: 'Next →' }).count(), 0);
      await page.goto(c.url + '#/pools/demo/users?limit=3');
      await page.getByText('1–3 of 4').waitFor();
      const nicks = () => page.locator('table.users .nickname').allTextContents();
      const first = await nicks();
      assert.equal(first.length, 3);
      assert.equal(await page.getByRole('link', { name: '← Previous' }).count(), 0);
      await page.getByRole('link', { name: 'Next →' }).click();
      await page.getByText('4–4 of 4').waitFor();
      const second = await nicks();
      assert.deepEqual([...first, ...second].sort(), ['Alice 爱丽丝', 'Bob', 'Carol', XSS_NICKNAME].sort());
      assert.match(page.url(), /offset=3&limit=3$/);
      await page.getByRole('link', { name: '← Previous' }).click();
      await page.getByText('1–3 of 4').waitFor();
    });

    await t.test('block the XSS user from the detail page', async () => {
      await page.goto(c.url + '#/pools/demo/users?search=onerror');
      await page.locator(`table.users tr[data-user-id="${logins.xss.id}"] a.user-link`).click();
      await page.locator('.user-name').waitFor();
      assert.equal(await page.locator('.user-name').textContent(), XSS_NICKNAME);
      await page.getByRole('heading', { level: 2, name: 'WeChat identities' }).waitFor();
      await page.locator('.card table.grid').getByText(logins.xss.openid).first().waitFor();
      // The user's login history, from the audit trail: the one login so far, their first.
      const hist = page.locator('table.logins tbody tr');
      assert.equal(await hist.count(), 1);
      assert.match(await hist.first().innerText(), /first login/);
      await page.getByRole('button', { name: 'Block…' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.waitFor();
      // The dialog names the user, as text too.
      assert.ok((await dlg.locator('#confirm-text').textContent()).startsWith(XSS_NICKNAME));
      await dlg.getByRole('button', { name: 'Block user' }).click();
      await page.locator('#flash').getByText('User blocked.').waitFor();
      await page.getByRole('button', { name: 'Unblock' }).waitFor();
      await page.locator('.user-card .badge').getByText('Blocked').waitFor();
      const u = await env.api('GET', `/pools/demo/users/${encodeURIComponent(logins.xss.id)}`);
      assert.equal(u.blocked, true);
      await c.shot('06-user-blocked');
      await page.getByRole('button', { name: 'Revoke tokens…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke tokens' }).click();
      await page.locator('#flash').getByText('Tokens revoked.').waitFor();
      const again = await wechatLogin(env, 'demo', 'xss');
      assert.notEqual(again.code, 200, 'a blocked user cannot log in');
      // The list marks them too.
      await page.goto(c.url + '#/pools/demo/users');
      await page.locator(`table.users tr.blocked[data-user-id="${logins.xss.id}"]`).getByText('Blocked').waitFor();
      // Cancelling a confirmation changes nothing.
      await page.locator(`table.users tr[data-user-id="${logins.bob.id}"] a.user-link`).click();
      await page.getByRole('button', { name: 'Delete user…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      await env.api('GET', `/pools/demo/users/${encodeURIComponent(logins.bob.id)}`);
    });

    await t.test('an application is created and its secret shown once', async () => {
      await page.goto(c.url + '#/pools/demo/apps');
      await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
      await page.getByText('New application').click();
      await page.locator('#app-new-id').fill('mobile');
      await page.locator('#app-new-name').fill('Mobile site');
      await page.locator('#app-new-redirect_urls').fill('https://m.example.com/cb');
      await page.getByRole('button', { name: 'Create application' }).click();
      const once = page.locator('.secret-once');
      await once.getByText('shown only once').waitFor();
      const secret = await once.locator('code').textContent();
      assert.match(secret, /^[0-9a-f]{32,}$/);
      await page.getByRole('link', { name: 'Mobile site' }).waitFor();
      const app = await env.api('GET', '/apps/mobile');
      assert.equal(app.secret, 'set', 'the API never shows it again');
      assert.deepEqual(app.redirect_urls, ['https://m.example.com/cb']);
      await page.reload();
      await page.getByRole('link', { name: 'Mobile site' }).waitFor();
      assert.equal(await page.locator('.secret-once').count(), 0, 'gone after a reload');
      // Reset: a new secret, shown once again.
      await page.getByRole('link', { name: 'Mobile site' }).click();
      await page.getByRole('button', { name: 'Reset secret…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Reset secret' }).click();
      await once.getByText('shown only once').waitFor();
      const second = await once.locator('code').textContent();
      assert.match(second, /^[0-9a-f]{32,}$/);
      assert.notEqual(second, secret);
      // Edit the callback URLs.
      await page.locator('#app-edit-redirect_urls').fill('https://m.example.com/cb\nhttps://m.example.com/cb2');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.locator('#flash').getByText('Application saved.').waitFor();
      assert.deepEqual((await env.api('GET', '/apps/mobile')).redirect_urls, ['https://m.example.com/cb', 'https://m.example.com/cb2']);
      // Its OpenID Connect settings: public client, after-logout URL, web origin, lifetimes.
      await page.locator('#app-edit-public_client').selectOption('true');
      await page.locator('#app-edit-post_logout_redirect_uris').fill('https://m.example.com/bye');
      await page.locator('#app-edit-web_origins').fill('https://m.example.com');
      await page.locator('#app-edit-access_token_ttl').fill('3600');
      await page.locator('#app-edit-refresh_token_ttl').fill('86400');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.locator('#flash').getByText('Application saved.').waitFor();
      let oidc = await env.api('GET', '/apps/mobile');
      assert.equal(oidc.public_client, true);
      assert.deepEqual(oidc.post_logout_redirect_uris, ['https://m.example.com/bye']);
      assert.deepEqual(oidc.web_origins, ['https://m.example.com']);
      assert.equal(oidc.access_token_ttl, 3600);
      assert.equal(oidc.refresh_token_ttl, 86400);
      // The form shows them back; emptying a lifetime goes back to the default (0).
      await page.locator('#app-edit-access_token_ttl').waitFor();
      assert.equal(await page.locator('#app-edit-access_token_ttl').inputValue(), '3600');
      await page.locator('#app-edit-access_token_ttl').fill('');
      await page.locator('#app-edit-web_origins').fill('https://m.example.com/path');
      await page.getByRole('button', { name: 'Save changes' }).click();
      // an origin has no path: refused, next to the field
      await page.locator('#app-edit-web_origins[aria-invalid="true"]').waitFor();
      await page.locator('#app-edit-web_origins').fill('https://m.example.com');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.locator('#flash').getByText('Application saved.').waitFor();
      oidc = await env.api('GET', '/apps/mobile');
      assert.equal(oidc.access_token_ttl, 0);
      assert.equal(oidc.public_client, true);
    });

    await t.test('the audit log shows the block, filtered by action', async () => {
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      await page.locator('#audit-filter-action').fill('user.');
      await page.locator('#audit-filter-pool').selectOption('demo');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/action=user\./);
      await settled(page);
      const rows = page.locator('table.audit tbody tr');
      assert.deepEqual(await rows.locator('td[data-label="Action"]').allTextContents(), ['user.revoke_tokens', 'user.block']);
      assert.deepEqual(await rows.locator('td[data-label="Subject"]').allTextContents(), [logins.xss.id, logins.xss.id]);
      // The subject leads to the user.
      await rows.nth(1).locator('td[data-label="Subject"] a').click();
      await page.locator('.user-name').getByText(XSS_NICKNAME).waitFor();
      await page.goBack();
      await settled(page);
      await c.shot('07-audit');
      // Logins are audited with the openid; the subject leads to that user.
      await page.goto(c.url + '#/audit?pool=demo&action=login');
      await settled(page);
      assert.equal(await rows.count(), 5, '4 logins and the refused one');
      await rows.locator('td[data-label="Outcome"]').getByText(/blocked/).waitFor();
      // An empty time window.
      const future = Math.floor(Date.now() / 1000) + 86400;
      await page.goto(c.url + `#/audit?since=${future}`);
      await page.getByText('No events match.').waitFor();
      assert.notEqual(await page.locator('#audit-filter-since').inputValue(), '');
    });

    await t.test('on a phone-sized screen the user list is still readable', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(c.url + '#/pools/demo/users');
      await settled(page);
      const nick = page.locator(`table.users tr[data-user-id="${logins.xss.id}"] .nickname`);
      assert.equal(await nick.textContent(), XSS_NICKNAME);
      const box = await nick.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'no sideways scrolling needed');
      await c.shot('08-users-phone');
    });

    await t.test('no console errors, CSP violations or dialogs', async () => {
      await c.assertClean([404, 400]); // carol's avatar, the web origin with a path: on purpose
    });
  } finally {
    await c.close();
  }
});
