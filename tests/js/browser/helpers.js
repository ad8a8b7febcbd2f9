// Shared steps of the browser tests (no tests in here): browser contexts that look like WeChat on
// a phone or like a desktop browser, the emulated WeChat authorize pages, screenshots.
'use strict';
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
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

// A fresh browser profile: WeChat on an Android phone (400 px wide) or a desktop browser. Only
// loopback is reachable (the emulator draws its people's avatars itself).
async function newContext(browser, { desktop = false } = {}) {
  const ctx = await browser.newContext(desktop
    ? { userAgent: DESKTOP_UA, viewport: { width: 1024, height: 720 }, locale: 'zh-CN' }
    : { userAgent: WECHAT_UA, viewport: { width: 400, height: 760 }, deviceScaleFactor: 1,
      isMobile: true, hasTouch: true, locale: 'zh-CN' });
  // Anything but loopback is refused.
  await ctx.route((url) => !['127.0.0.1', 'localhost'].includes(url.hostname), (route) => route.abort());
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

// The URL in the QR code of a desktop login page (#qr svg), read from its picture by zbarimg.
async function readQr(page) {
  const png = path.join(os.tmpdir(), `wxauth-qr-${process.pid}-${Date.now()}.png`);
  await page.locator('#qr svg').screenshot({ path: png });
  try {
    return execFileSync('zbarimg', ['--quiet', '--raw', png], { encoding: 'utf8' }).trim();
  } finally {
    fs.rmSync(png, { force: true });
  }
}

// The phone: WeChat's User-Agent, a cookie jar, no automatic redirects.
class Phone {
  constructor(env) {
    this.env = env;
    this.jar = new Map();
  }

  cookies() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  keep(res) {
    for (const c of res.headers.getSetCookie()) {
      const kv = c.split(';')[0];
      const i = kv.indexOf('=');
      this.jar.set(kv.slice(0, i).trim(), kv.slice(i + 1));
    }
  }

  async request(url, init = {}) {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { 'User-Agent': WECHAT_UA, Cookie: this.cookies(), ...(init.headers || {}) },
    });
    this.keep(res);
    return { status: res.status, location: res.headers.get('location'), body: await res.text() };
  }

  // Open the ticket URL inside WeChat: wxauthd sends the phone to WeChat's authorize page (the
  // emulator, told who the user is and what they tap), then to wxauthd's callback, which ends
  // on the confirmation page.
  async scan(url, { person = 'alice', action = 'allow' } = {}) {
    const r1 = await this.request(url);
    if (r1.status !== 302) return r1;
    const authorize = `${r1.location.split('#')[0]}&emu_person=${person}&emu_action=${action}`;
    const r2 = await this.request(authorize);
    assert.equal(r2.status, 302, `emulator: ${r2.status} ${r2.body.slice(0, 200)}`);
    return this.request(r2.location);
  }

  async decide(page, action) {
    // Every hidden field of the form, as a browser posts it (a follow ticket's has the
    // follower's sealed login record too).
    const form = new URLSearchParams();
    for (const m of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      form.set(m[1], m[2].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
    }
    form.set('action', action);
    return this.request(`${this.env.auth}/desktop/confirm`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: this.env.auth },
      body: form.toString(),
    });
  }
}

module.exports = { WAIT, TEST_TIMEOUT, OUT, shot, newContext, answerConsent, readQr, Phone };
