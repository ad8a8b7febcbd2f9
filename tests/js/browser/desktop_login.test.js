// Desktop login with the service account (issue #15 item 1, docs/desktop-login.md): headless
// Chromium is the desktop (the sample app, wxauthd's QR page and its long-poll), a scripted HTTP
// client with WeChat's User-Agent is the phone (through the WeChat emulator, with
// emu_person/emu_action). The QR code is read back from the screenshot (zbarimg), as a phone's
// camera would. Success, refusal on the phone, expiry, another desktop, single use.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { launch, WECHAT_UA } = require('../lib/browser');
const { startServers, startSampleApp } = require('../lib/servers');
const { WAIT, TEST_TIMEOUT, shot, newContext, readQr, Phone } = require('./helpers');

const POOL = 'demo';
const APP = 'demo-app';

// The sample app's entry page on a desktop: the login button goes to the QR page.
async function openQrPage(browser, sample, env) {
  const ctx = await newContext(browser, { desktop: true });
  const page = await ctx.newPage();
  const waits = [];
  page.on('request', (req) => { if (req.url().startsWith(`${env.auth}/desktop/wait`)) waits.push(Date.now()); });
  await page.goto(`${sample.base}/`);
  await page.locator('#login').waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#login').isDisabled(), false);
  assert.match(await page.locator('#login').innerText(), /微信扫码登录/);
  await page.locator('#login').click();
  await page.locator('#wx-desktop[data-state="pending"]').waitFor({ timeout: WAIT });
  const url = await readQr(page);
  const ticket = await page.locator('#wx-desktop').getAttribute('data-ticket');
  assert.equal(url, `${env.auth}/desktop/scan?t=${ticket}`);
  return { ctx, page, url, ticket, waits };
}

describe('desktop login with the service account (browser + scripted phone)', () => {
  let env;
  let sample;
  let browser;

  before(async () => {
    env = await startServers({ uaCheck: true });
    sample = await startSampleApp(env, { app: APP });
    await env.seed({ pool: POOL, app: APP, redirect: `${sample.base}/callback` });
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (sample) await sample.stop();
    if (env) await env.stop();
  });

  it('success: scanned and confirmed on the phone, the desktop ends on the callback with the token, once', { timeout: TEST_TIMEOUT }, async () => {
    const { ctx, page, url, ticket, waits } = await openQrPage(browser, sample, env);
    assert.match(await page.locator('#countdown').innerText(), /秒后过期/);
    await shot(page, 'desktop-1-qr');
    // Long-poll, not tight polling: one open wait over these seconds, not one per second.
    await page.waitForTimeout(3000);
    assert.ok(waits.length <= 2, `${waits.length} waits in 3 s`);

    const phone = new Phone(env);
    const confirm = await phone.scan(url);
    assert.equal(confirm.status, 200, confirm.body.slice(0, 300));
    assert.match(confirm.body, /确认在电脑上登录/);
    assert.match(confirm.body, /id="desktop-ip">127\.0\.0\.1</);
    assert.match(confirm.body, /Chrome · Linux/);
    assert.match(confirm.body, /id="host">127\.0\.0\.1:\d+</);
    await page.locator('#wx-desktop[data-state="scanned"]').waitFor({ timeout: WAIT });
    assert.match(await page.locator('#msg-zh').innerText(), /已扫码，请在手机上确认/);
    await shot(page, 'desktop-2-scanned');

    // The phone's confirmation page, as the phone shows it.
    const pctx = await newContext(browser);
    const ppage = await pctx.newPage();
    await ppage.setContent(confirm.body.replace(/<form[^>]*>/, '<form>'));
    await shot(ppage, 'desktop-phone-confirm');
    await pctx.close();

    const t0 = Date.now();
    const done = await phone.decide(confirm, 'confirm');
    assert.equal(done.status, 200);
    assert.match(done.body, /已确认，请回到电脑上继续/);
    await page.waitForURL(`${sample.base}/callback`, { timeout: WAIT });
    const learnt = Date.now() - t0;
    await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
    assert.equal(await page.locator('#nickname').innerText(), 'Alice 爱丽丝');
    assert.equal(await page.locator('#claim-aud').innerText(), APP);
    await shot(page, 'desktop-3-callback');
    assert.ok(learnt < WAIT, `the desktop learnt the confirmation after ${learnt} ms`);

    // Single use: the same ticket cannot be taken again, nor scanned by another phone.
    await page.goto(`${env.auth}/desktop/finish?t=${ticket}`);
    assert.equal(await page.locator('h1').getAttribute('data-outcome'), 'ticket_used');
    assert.match(await page.locator('body').innerText(), /不能再次使用/);
    const again = await new Phone(env).scan(url, { person: 'bob' });
    assert.equal(again.status, 409);
    assert.match(again.body, /二维码已被使用/);
    await ctx.close();
  });

  it('refused on the phone: both screens say so, nothing is logged in', { timeout: TEST_TIMEOUT }, async () => {
    const { ctx, page, url } = await openQrPage(browser, sample, env);
    const phone = new Phone(env);
    const confirm = await phone.scan(url, { person: 'bob' });
    assert.equal(confirm.status, 200);
    const refused = await phone.decide(confirm, 'refuse');
    assert.equal(refused.status, 200);
    assert.match(refused.body, /已拒绝，电脑上的登录不会完成/);
    await page.locator('#wx-desktop[data-state="refused"]').waitFor({ timeout: WAIT });
    assert.match(await page.locator('#msg-zh').innerText(), /已在手机上拒绝登录/);
    assert.equal(await page.locator('#countdown').isVisible(), false);
    assert.ok(page.url().startsWith(env.auth), 'the desktop stays on the QR page');
    await shot(page, 'desktop-refused');
    // A change of mind on the phone is refused too.
    assert.equal((await phone.decide(confirm, 'confirm')).status, 409);
    await ctx.close();
  });

  it('a leaked ticket: another desktop can neither scan nor take it; the real desktop still logs in', { timeout: TEST_TIMEOUT }, async () => {
    const { ctx, page, url, ticket } = await openQrPage(browser, sample, env);
    // [desktop] scan_outside_wechat is off by default: no demo link to the phone's side.
    assert.equal(await page.locator('#demo-phone').count(), 0);
    const other = await newContext(browser, { desktop: true });
    const op = await other.newPage();
    await op.goto(url); // the ticket URL itself, in a desktop browser
    assert.equal(await op.locator('h1').getAttribute('data-outcome'), 'not_in_wechat');
    assert.match(await op.locator('body').innerText(), /请用手机微信/);

    const phone = new Phone(env);
    const confirm = await phone.scan(url);
    assert.equal(confirm.status, 200);
    // The other desktop tries to take it before and after the confirmation.
    await op.goto(`${env.auth}/desktop/finish?t=${ticket}`);
    assert.equal(await op.locator('h1').getAttribute('data-outcome'), 'other_browser');
    // With the browser's cookies, not from the page: a catalogue page's CSP allows no fetch.
    const wait = (await other.request.get(`${env.auth}/desktop/wait?t=${ticket}&seen=0`)).status();
    assert.equal(wait, 403);
    assert.equal((await phone.decide(confirm, 'confirm')).status, 200);
    await op.goto(`${env.auth}/desktop/finish?t=${ticket}`);
    const outcome = await op.locator('h1').getAttribute('data-outcome');
    assert.equal(outcome, 'other_browser');
    assert.match(await op.locator('body').innerText(), /另一台电脑或浏览器/);
    await shot(op, 'desktop-other-browser');
    await page.waitForURL(`${sample.base}/callback`, { timeout: WAIT });
    await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
    await other.close();
    await ctx.close();
  });
});

describe('desktop login: expiry ([desktop] ticket_ttl = 5)', () => {
  let env;
  let sample;
  let browser;

  before(async () => {
    env = await startServers({ uaCheck: true, extraConfig: '[desktop]\nticket_ttl = 5\n' });
    sample = await startSampleApp(env, { app: APP });
    await env.seed({ pool: POOL, app: APP, redirect: `${sample.base}/callback` });
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (sample) await sample.stop();
    if (env) await env.stop();
  });

  it('the countdown ends in "expired" on the desktop, the phone is told so, the refresh gives a new code', { timeout: TEST_TIMEOUT }, async () => {
    const { ctx, page, url, ticket } = await openQrPage(browser, sample, env);
    await page.locator('#wx-desktop[data-state="expired"]').waitFor({ timeout: WAIT });
    assert.match(await page.locator('#msg-zh').innerText(), /二维码已过期/);
    await shot(page, 'desktop-expired');
    const phone = new Phone(env);
    const late = await phone.scan(url);
    assert.equal(late.status, 410);
    assert.match(late.body, /二维码已过期/);
    await page.locator('#refresh').click();
    await page.waitForFunction((old) => {
      const el = document.getElementById('wx-desktop');
      return el && el.getAttribute('data-ticket') !== old && el.getAttribute('data-state') === 'pending';
    }, ticket, { timeout: WAIT });
    await ctx.close();
  });
});
