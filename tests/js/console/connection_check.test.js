// Console in headless Chromium: a connection's "检查设置 · Check set-up" shows the checks of
// POST …/check (those `wxauth doctor` prints): all passing on a good set-up; then the
// verification file missing, the App Secret wrong and the account's 网页授权域名 another host
// (the emulator answers 10003), each failing check with what to fix, Chinese first.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { openConsole, signIn, settled } = require('./lib');

const IDENT = 'wechat:webpage-authorization';
const BUTTON = '检查设置 · Check set-up';

test('console: a connection\'s set-up checks, good and broken', async (t) => {
  const c = await openConsole();
  const { page, env } = c;
  const connUrl = `${c.url}#/pools/demo/connections/${encodeURIComponent(IDENT)}`;
  const item = (name) => page.locator(`li.check-item[data-check="${name}"]`);

  async function runCheck() {
    await page.goto(connUrl);
    await page.reload(); // the same hash again: read the connection anew
    await settled(page);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/check')),
      page.getByRole('button', { name: BUTTON }).click(),
    ]);
    assert.equal(res.status(), 200);
    await page.locator('.check-result').waitFor();
    return res.json();
  }

  try {
    await env.seed({ redirect: 'https://shop.example.com/wechat/callback' });
    await signIn(page, c.url, env.adminToken);

    await t.test('a good set-up: every check passes', async () => {
      const r = await runCheck();
      assert.equal(r.failed, 0, JSON.stringify(r));
      await page.locator('.check-summary').getByText('全部通过').waitFor();
      for (const name of ['callback', 'txt-file', 'wechat', 'domain']) {
        await item(name).locator('.badge.ok').getByText('通过 · ok').waitFor();
      }
      await item('txt-file').getByText('域名根目录下的校验文件内容正确').waitFor();
      await item('domain').getByText('回调域名与网页授权域名一致').waitFor();
      assert.equal(await page.locator('.check-fix').count(), 0, 'nothing to fix');
      await c.shot('20-connection-check-ok');
      await c.assertClean();
    });

    await t.test('broken: no verification file, a wrong App Secret, another 网页授权域名', async () => {
      await env.api('PATCH', `/pools/demo/connections/${IDENT}`,
        { txt_filename: '', app_secret: 'not-the-secret-0123456789' });
      // The official account as WeChat knows it now has another webpage-authorization domain.
      const acc = await fetch(`${env.emu}/emu/admin/accounts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ appid: env.appid, domain: 'id.example.com' }),
      });
      assert.equal(acc.status, 200, await acc.text());
      const r = await runCheck();
      assert.equal(r.failed, 2, JSON.stringify(r));
      await page.locator('.check-summary').getByText('2 项未通过 · 2 checks failed').waitFor();
      // Chinese first, then the English detail, then what to fix (both).
      const txt = item('txt-file');
      await txt.locator('.badge.warn').waitFor();
      await txt.getByText('没有域名校验文件').waitFor();
      await txt.locator('.check-fix').getByText('MP_verify_').first().waitFor();
      const wx = item('wechat');
      await wx.locator('.badge.danger').getByText('未通过 · failed').waitFor();
      await wx.getByText('微信不接受 AppSecret').waitFor();
      await wx.locator('.check-fix').getByText('--secret-env').waitFor();
      const dom = item('domain');
      await dom.locator('.badge.danger').waitFor();
      await dom.getByText('回调域名与公众号的网页授权域名不一致（微信错误 10003）').waitFor();
      const fix = await dom.locator('.check-fix').textContent();
      const host = new URL(env.auth).host;
      assert.ok(fix.includes('怎么改') && fix.includes(`enter ${host} as`), fix);
      // Chinese before English in every item.
      const order = await page.locator('li.check-item').evaluateAll((els) => els.map((li) => {
        const zh = li.querySelector('.check-msg');
        const en = li.querySelector('.check-detail');
        return Boolean(zh && en && (zh.compareDocumentPosition(en) & Node.DOCUMENT_POSITION_FOLLOWING));
      }));
      assert.ok(order.length >= 4 && order.every(Boolean), JSON.stringify(order));
      await c.shot('21-connection-check-broken');
      await c.assertClean();
    });
  } finally {
    await c.close();
  }
});
