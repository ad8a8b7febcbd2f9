// Shared steps of the browser tests (no tests in here): browser contexts that look like WeChat on
// a phone or like a desktop browser, the emulated WeChat authorize pages, screenshots.
'use strict';
const assert = require('node:assert/strict');
const path = require('path');
const { outDir, WECHAT_UA, DESKTOP_UA } = require('../lib/browser');

// Bounded waits, generous for the ASan build (WX_BROWSER_WAIT_MS overrides).
const WAIT = Number(process.env.WX_BROWSER_WAIT_MS) || 30000;
const TEST_TIMEOUT = 4 * WAIT;

// Screenshots: $WX_TEST_OUT/browser/<name>.png, for a person to look at what the user sees.
const OUT = outDir('browser');

async function shot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// WeChat's avatar CDN cannot be reached from a closed network: answer its URLs with a drawn
// avatar (the person's initial), so the pages show a picture as they would in WeChat.
function avatarSvg(who) {
  const colors = ['#5b8ff9', '#f6903d', '#e8684a', '#9270ca', '#5ad8a6'];
  let h = 0;
  for (const c of who) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const letter = (who[0] || '?').toUpperCase().replace(/[^A-Z0-9]/, '?');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132" viewBox="0 0 132 132">` +
    `<rect width="132" height="132" fill="${colors[h % colors.length]}"/>` +
    `<text x="66" y="88" font-family="sans-serif" font-size="64" fill="#fff" text-anchor="middle">${letter}</text></svg>`;
}

// A fresh browser profile: WeChat on an Android phone (400 px wide) or a desktop browser. Only
// loopback is reachable; avatar URLs get avatarSvg().
async function newContext(browser, { desktop = false } = {}) {
  const ctx = await browser.newContext(desktop
    ? { userAgent: DESKTOP_UA, viewport: { width: 1024, height: 720 }, locale: 'zh-CN' }
    : { userAgent: WECHAT_UA, viewport: { width: 400, height: 760 }, deviceScaleFactor: 1,
      isMobile: true, hasTouch: true, locale: 'zh-CN' });
  // Routes run last-registered first: the catch-all refusal is registered first.
  await ctx.route((url) => !['127.0.0.1', 'localhost'].includes(url.hostname), (route) => route.abort());
  await ctx.route('https://thirdwx.qlogo.cn/**', (route) => {
    const m = /\/vi_32\/([^/]+)\//.exec(route.request().url());
    route.fulfill({ status: 200, contentType: 'image/svg+xml', body: avatarSvg(m ? m[1] : '?') });
  });
  return ctx;
}

// On the emulated WeChat authorize page: choose the WeChat user on the picker (a fresh browser
// has none yet), check the consent screen names the account and the user, screenshot it, and
// tap Allow or Deny.
async function answerConsent(page, env, { person = 'alice', nickname = 'Alice 爱丽丝', action, shotName }) {
  await page.waitForURL((u) => u.href.startsWith(`${env.emu}/connect/oauth2/authorize`), { timeout: WAIT });
  const pick = page.locator('a.person', { hasText: person });
  if (await pick.count()) await pick.first().click();
  const allow = page.locator('a.btn.allow');
  await allow.waitFor({ timeout: WAIT });
  assert.match(await page.locator('.who').innerText(), new RegExp(nickname));
  assert.match(await page.locator('.acct').innerText(), /\S/);
  if (shotName) await shot(page, shotName);
  await (action === 'deny' ? page.locator('a.btn.deny') : allow).click();
}

module.exports = { WAIT, TEST_TIMEOUT, OUT, shot, newContext, answerConsent, avatarSvg };
