// Follow the service account to log in (issue #15 item 3, docs/desktop-login.md): headless
// Chromium is the desktop (the sample app, wxauthd's QR page of the account's parametric code,
// its long-poll), a scripted HTTP client with WeChat's User-Agent is the phone, which scans the
// code read back from the screenshot (zbarimg) and follows the account in the WeChat emulator.
// The emulator pushes the event (safe mode, AES) to wxauthd, which marks the login scanned
// and answers with the account's reply message (encrypted; the emulator opens it as WeChat
// would): its 确认登录 link opens wxauthd's confirmation page on the phone, and only 确认登录
// there logs the desktop in. Success by subscribe and by SCAN; refusal; expiry.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { launch, WECHAT_UA } = require('../lib/browser');
const { startServers, startSampleApp } = require('../lib/servers');
const { WAIT, TEST_TIMEOUT, shot, newContext, readQr, Phone } = require('./helpers');

const POOL = 'demo';
const APP = 'demo-app';
const IDENT = 'wechat:webpage-authorization';
const TOKEN = 'BrowserPushT0ken';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

// The account's message server is wxauthd: on the connection and in the emulator's account.
async function followSetup(env) {
  await env.api('PATCH', `/pools/${POOL}/connections/${IDENT}`, { push_token: TOKEN, encoding_aes_key: AES_KEY });
  const conn = await env.api('GET', `/pools/${POOL}/connections/${IDENT}`);
  assert.equal(conn.push_token, 'set');
  assert.equal(conn.follow_login, true);
  const r = await fetch(`${env.emu}/emu/admin/accounts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ appid: env.appid, push_url: conn.push_url, push_token: TOKEN, push_aes_key: AES_KEY, push_mode: 'safe' }),
  });
  assert.equal(r.status, 200, await r.text());
}

// The phone scans the code's URL (the emulator's page after a scan), as person; action
// 'subscribe' taps Follow. The emulator's page, once the account's server answered its push.
async function phoneScan(url, person, action) {
  const q = `emu_person=${person}${action ? `&emu_action=${action}` : ''}`;
  const res = await fetch(`${url}?${q}`, { headers: { 'User-Agent': WECHAT_UA }, redirect: 'manual' });
  return { status: res.status, body: await res.text() };
}

// The account's reply in the chat (the emulator's page): its 确认登录 link.
function replyLink(body) {
  assert.match(body, /id="reply"/, body.slice(-600));
  const m = /id="reply-link" href="([^"]+)">确认登录</.exec(body);
  assert.ok(m, body.slice(-600));
  return m[1].replace(/&amp;/g, '&');
}

// The follower taps the link: webpage authorization (silent, snsapi_base) as the same person,
// then wxauthd's confirmation page.
async function openLink(phone, link, person) {
  const page = await phone.scan(link, { person });
  assert.equal(page.status, 200, page.body.slice(0, 400));
  assert.match(page.body, /确认在电脑上登录/);
  return page;
}


// The sample app's desktop login button: the follow page with the account's code.
async function openQrPage(browser, sample, env) {
  const ctx = await newContext(browser, { desktop: true });
  const page = await ctx.newPage();
  await page.goto(`${sample.base}/`);
  await page.locator('#login').waitFor({ timeout: WAIT });
  await page.locator('#login').click();
  await page.locator('#wx-desktop[data-state="pending"]').waitFor({ timeout: WAIT });
  assert.match(await page.locator('#msg-zh').innerText(), /关注公众号/);
  const url = await readQr(page);
  // The account's code (WeChat's url, here the emulator's), not a wxauthd ticket URL.
  assert.ok(url.startsWith(`${env.emu}/q/`), url);
  return { ctx, page, url };
}

describe('follow the service account to log in (browser + scripted phone)', () => {
  let env;
  let sample;
  let browser;

  before(async () => {
    env = await startServers({ uaCheck: true });
    sample = await startSampleApp(env, { app: APP });
    await env.seed({ pool: POOL, app: APP, redirect: `${sample.base}/callback` });
    await followSetup(env);
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (sample) await sample.stop();
    if (env) await env.stop();
  });

  it('a new follower: scan, follow, and the desktop ends on the callback with the token', { timeout: TEST_TIMEOUT }, async () => {
    const { ctx, page, url } = await openQrPage(browser, sample, env);
    await shot(page, 'follow-1-qr');
    const seen = await phoneScan(url, 'alice');
    assert.equal(seen.status, 200);
    assert.match(seen.body, /id="follow"/); // the account's page with its Follow button
    const followed = await phoneScan(url, 'alice', 'subscribe');
    assert.match(followed.body, /subscribe → reply/, followed.body.slice(-400));
    const link = replyLink(followed.body);
    assert.ok(link.startsWith(`${env.auth}/desktop/scan?t=`), link);
    // Scanned, not logged in: the desktop asks to confirm on the phone.
    await page.locator('#wx-desktop[data-state="scanned"]').waitFor({ timeout: WAIT });
    assert.match(await page.locator('#msg-zh').innerText(), /请在手机上确认/);
    assert.ok(page.url().startsWith(env.auth), 'the desktop stays on the QR page');
    const phone = new Phone(env);
    const confirm = await openLink(phone, link, 'alice');
    assert.equal((await phone.decide(confirm, 'confirm')).status, 200);
    await page.waitForURL(`${sample.base}/callback`, { timeout: WAIT });
    await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#claim-aud').innerText(), APP);
    await shot(page, 'follow-2-callback');
    await ctx.close();
  });

  it('a follower: the scan (SCAN), then 确认登录 on the phone, logs the desktop in', { timeout: TEST_TIMEOUT }, async () => {
    const { ctx, page, url } = await openQrPage(browser, sample, env);
    const scanned = await phoneScan(url, 'bob');
    assert.match(scanned.body, /SCAN → reply/, scanned.body.slice(-400));
    const phone = new Phone(env);
    const confirm = await openLink(phone, replyLink(scanned.body), 'bob');
    assert.equal((await phone.decide(confirm, 'confirm')).status, 200);
    await page.waitForURL(`${sample.base}/callback`, { timeout: WAIT });
    await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
    await ctx.close();
  });

  it('the link in another user\'s WeChat is refused; 拒绝 refuses on both screens', { timeout: TEST_TIMEOUT }, async () => {
    const { ctx, page, url } = await openQrPage(browser, sample, env);
    const scanned = await phoneScan(url, 'bob');
    const link = replyLink(scanned.body);
    // Nothing of alice is kept: her login ends on the phone page (code 1008), no user made.
    const otherPhone = new Phone(env);
    const other = await otherPhone.scan(link, { person: 'alice' });
    assert.equal(other.status, 302);
    assert.match(other.location, /\/desktop\/phone\?t=.*code=1008/);
    const otherPage = await otherPhone.request(other.location);
    assert.equal(otherPage.status, 200);
    assert.match(otherPage.body, /转发/);
    const phone = new Phone(env);
    const confirm = await openLink(phone, link, 'bob');
    const refused = await phone.decide(confirm, 'refuse');
    assert.equal(refused.status, 200);
    assert.match(refused.body, /已拒绝/);
    await page.locator('#wx-desktop[data-state="refused"]').waitFor({ timeout: WAIT });
    assert.ok(page.url().startsWith(env.auth), 'the desktop stays on the QR page');
    await ctx.close();
  });
});

describe('follow to log in: expiry ([desktop] ticket_ttl = 5)', () => {
  let env;
  let sample;
  let browser;

  before(async () => {
    env = await startServers({ uaCheck: true, extraConfig: '[desktop]\nticket_ttl = 5\n' });
    sample = await startSampleApp(env, { app: APP });
    await env.seed({ pool: POOL, app: APP, redirect: `${sample.base}/callback` });
    await followSetup(env);
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (sample) await sample.stop();
    if (env) await env.stop();
  });

  it('the desktop says expired; a late scan logs nobody in', { timeout: TEST_TIMEOUT }, async () => {
    const { ctx, page, url } = await openQrPage(browser, sample, env);
    await page.locator('#wx-desktop[data-state="expired"]').waitFor({ timeout: WAIT });
    await shot(page, 'follow-expired');
    const late = await phoneScan(url, 'bob');
    assert.match(late.body, /二维码已过期/);
    assert.ok(page.url().startsWith(env.auth), 'the desktop stays on the QR page');
    await ctx.close();
  });
});
