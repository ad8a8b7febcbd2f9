// `make demo` itself (scripts/demo.sh, on free ports and a fresh directory): a desktop browser
// logs in with each of the three desktop QR-code methods through the emulator alone, playing
// the phone in a second tab from the QR page's demo link ([desktop] scan_outside_wechat):
// the website app (qrconnect) on the sample app of pool demo, the scan-and-confirm ticket on
// pool demo-scan's, follow-to-login on pool demo-follow's (docs/desktop-login.md). The sample
// app's entry page offers a pool's other methods ("其他方式", from wxauthd's /desktop/methods):
// the scan on demo's and demo-follow's, none on demo-scan's; its link logs in with that method.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { launch, tmpDir } = require('../lib/browser');
const { freePort } = require('../lib/servers');
const { WAIT, TEST_TIMEOUT, shot, newContext, answerConsent } = require('./helpers');

const ROOT = path.join(__dirname, '..', '..', '..');

async function ports(n) {
  const seen = new Set();
  while (seen.size < n) seen.add(await freePort());
  return [...seen];
}

// Runs scripts/demo.sh in its own process group until its instructions are printed.
async function startDemo() {
  const wxauthd = process.env.WXAUTHD;
  if (!wxauthd) throw new Error('WXAUTHD is not set (run through ctest, which sets it)');
  const [auth, admin, emu, app, scan, follow] = await ports(6);
  const dir = tmpDir('demo-');
  const proc = spawn('bash', [path.join(ROOT, 'scripts', 'demo.sh')], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, BUILD: path.dirname(wxauthd), WXDEMO_DIR: dir, WXAUTH_PORT: String(auth),
      WXADMIN_PORT: String(admin), WXEMU_PORT: String(emu), WXDEMO_PORT: String(app),
      WXDEMO_SCAN_PORT: String(scan), WXDEMO_FOLLOW_PORT: String(follow),
    },
  });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const deadline = Date.now() + 2 * WAIT;
  while (!out.includes('wxauth demo is running') && Date.now() < deadline && proc.exitCode === null)
    await new Promise((r) => setTimeout(r, 100));
  // The instructions are printed last: wait for their end.
  while (!out.includes('From a shell') && Date.now() < deadline && proc.exitCode === null)
    await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('From a shell')) {
    try { process.kill(-proc.pid, 'SIGTERM'); } catch (e) { /* gone */ }
    let logs = '';
    for (const f of ['wxauthd.log', 'emulator.log', 'demo-app.log']) {
      try { logs += `--- ${f}\n` + fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(-20).join('\n'); } catch (e) { /* none */ }
    }
    throw new Error(`demo did not come up:\n${out}\n${logs}`);
  }
  const base = (p) => `http://127.0.0.1:${p}`;
  return {
    proc, out, dir, auth: base(auth), emu: base(emu), app: base(app), scan: base(scan), follow: base(follow),
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      try { process.kill(-proc.pid, 'SIGTERM'); } catch (e) { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch (e) { /* gone */ } }, 30000);
      await exited;
      clearTimeout(t);
    },
  };
}

// The sample app's desktop button, then the QR page of wxauthd with its demo link.
async function qrPage(ctx, sampleBase, demo) {
  const page = await ctx.newPage();
  await page.goto(`${sampleBase}/`);
  // The sample app's own desktop button (not the demo's straight-through mode).
  assert.match(await page.locator('#login').innerText(), /微信扫码登录/);
  await page.locator('#login').click();
  await page.locator('#wx-desktop[data-state="pending"]').waitFor({ timeout: WAIT });
  assert.ok(page.url().startsWith(demo.auth), page.url());
  const link = page.locator('#demo-phone-link');
  assert.match(await page.locator('#demo-phone').innerText(), /演示模式：模拟手机扫码/);
  return { page, href: await link.getAttribute('href') };
}

async function loggedIn(page, sampleBase, aud) {
  await page.waitForURL(`${sampleBase}/callback`, { timeout: WAIT });
  await page.locator('#api-status[data-state="ok"]').waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#claim-aud').innerText(), aud);
}

describe('make demo: a desktop browser logs in with each desktop method (scripts/demo.sh)', () => {
  let demo;
  let browser;

  before(async () => {
    demo = await startDemo();
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (demo) await demo.stop();
  });

  it('prints how to try each method', () => {
    for (const u of [demo.app, demo.scan, demo.follow]) assert.ok(demo.out.includes(`${u}/`), u);
    assert.match(demo.out, /website app \(qrconnect\)/);
    assert.match(demo.out, /scan and confirm/);
    assert.match(demo.out, /follow the account/);
  });

  it('website app (qrconnect): the emulator\'s QR page, pick alice, 确认登录', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, { desktop: true });
    const page = await ctx.newPage();
    await page.goto(`${demo.app}/`);
    await page.locator('#login').click();
    await page.waitForURL((u) => u.href.startsWith(`${demo.emu}/connect/qrconnect?`), { timeout: WAIT });
    await page.locator('a.person', { hasText: 'alice' }).click();
    await page.locator('a.btn.allow').click();
    await loggedIn(page, demo.app, 'demo-app');
    assert.equal(await page.locator('#nickname').innerText(), 'Alice 爱丽丝');
    await ctx.close();
  });

  it('scan and confirm (service account ticket): the demo link in a second tab plays the phone', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, { desktop: true });
    const { page, href } = await qrPage(ctx, demo.scan, demo);
    assert.ok(href.startsWith(`${demo.auth}/desktop/scan?t=`), href);
    await shot(page, 'demo-desktop-scan-qr');
    const phone = await ctx.newPage(); // the same desktop browser, another tab
    await phone.goto(href);
    await answerConsent(phone, demo, { action: 'allow' });
    await phone.locator('#confirm').waitFor({ timeout: WAIT });
    assert.match(await phone.locator('body').innerText(), /确认在电脑上登录/);
    await page.locator('#wx-desktop[data-state="scanned"]').waitFor({ timeout: WAIT });
    await phone.locator('#confirm').click();
    await loggedIn(page, demo.scan, 'demo-scan-app');
    assert.equal(await page.locator('#nickname').innerText(), 'Alice 爱丽丝');
    await ctx.close();
  });

  it('其他方式: each sample app offers its pool\'s other methods; scan through the website-app pool', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, { desktop: true });
    const page = await ctx.newPage();
    const others = async (base) => {
      await page.goto(`${base}/`);
      await page.waitForLoadState('networkidle');
      if (await page.locator('#other-ways').isHidden()) return [];
      return page.locator('#other-ways a').evaluateAll((as) => as.map((a) => a.dataset.method));
    };
    assert.deepEqual(await others(demo.scan), [], 'demo-scan has one method');
    assert.deepEqual(await others(demo.follow), ['scan']);
    assert.deepEqual(await others(demo.app), ['scan']);
    assert.match(await page.locator('#other-ways').innerText(), /其他方式[\s\S]*微信扫码登录/);
    await shot(page, 'demo-desktop-other-ways');
    // The link: the same start URL with desktop_method=scan — the ticket's page, not WeChat's
    // website-app page the button goes to.
    const link = page.locator('#other-ways a[data-method="scan"]');
    assert.match(await link.getAttribute('href'), /^http:\/\/127\.0\.0\.1:\d+\/connections\/social\/[^?]+\?app_id=demo-app&.*desktop_method=scan$/);
    await link.click();
    await page.locator('#wx-desktop[data-state="pending"]').waitFor({ timeout: WAIT });
    assert.match(await page.locator('#msg-zh').innerText(), /然后在手机上确认登录/);
    const href = await page.locator('#demo-phone-link').getAttribute('href');
    assert.ok(href.startsWith(`${demo.auth}/desktop/scan?t=`), href);
    const phone = await ctx.newPage();
    await phone.goto(href);
    await answerConsent(phone, demo, { action: 'allow' });
    await phone.locator('#confirm').click();
    await loggedIn(page, demo.app, 'demo-app');
    await ctx.close();
  });

  it('follow the account: the demo link opens the emulator\'s /q/ page, 关注, the account\'s reply, 确认登录, and the desktop logs in', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, { desktop: true });
    const { page, href } = await qrPage(ctx, demo.follow, demo);
    assert.ok(href.startsWith(`${demo.emu}/q/`), href);
    assert.match(await page.locator('#msg-zh').innerText(), /关注公众号/);
    const phone = await ctx.newPage();
    await phone.goto(href);
    await phone.locator('a.person', { hasText: 'alice' }).click();
    await phone.locator('#follow').click();
    // The account's reply in the chat; its link opens the confirmation page.
    await phone.locator('#reply-link').waitFor({ timeout: WAIT });
    await page.locator('#wx-desktop[data-state="scanned"]').waitFor({ timeout: WAIT });
    await phone.locator('#reply-link').click();
    // snsapi_base: silent, the emulator's phone already is alice (else it asks who).
    await phone.locator('#confirm, a.person').first().waitFor({ timeout: WAIT });
    const pick = phone.locator('a.person', { hasText: 'alice' });
    if (await pick.count()) await pick.first().click();
    await phone.locator('#confirm').waitFor({ timeout: WAIT });
    await phone.locator('#confirm').click();
    await loggedIn(page, demo.follow, 'demo-follow-app');
    await shot(page, 'demo-desktop-follow-callback');
    await ctx.close();
  });
});
