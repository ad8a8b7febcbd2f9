// Shared set-up of the console browser tests: servers (emulator + wxauthd), a Chromium page
// that records every console error, page error, CSP violation and JavaScript dialog, WeChat
// logins over plain HTTP (to make users), and screenshots to $WX_TEST_OUT/console/.
'use strict';
const assert = require('node:assert/strict');
const path = require('path');
const { startServers } = require('../lib/servers');
const { launch, outDir, DESKTOP_UA, WECHAT_UA } = require('../lib/browser');

const XSS_NICKNAME = '<img src=x onerror=alert(1)>';
const WAIT = 30000; // generous for ASan builds, still bounded

async function openConsole(opts = {}) {
  const env = await startServers(opts.servers || {});
  let browser;
  try {
    browser = await launch();
  } catch (e) {
    await env.stop();
    throw e;
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, userAgent: DESKTOP_UA });
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  const problems = [];
  const networkErrors = [];
  const dialogs = [];
  // Record CSP violations from inside the page (an init script runs before the page's own).
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const text = m.text();
    const net = /^Failed to load resource: the server responded with a status of (\d+)/.exec(text);
    if (net) networkErrors.push(Number(net[1]));
    else problems.push(`console ${m.type()}: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  const shots = outDir('console');
  return {
    env, browser, context, page, problems, dialogs, networkErrors,
    url: env.admin + '/console/',
    async shot(name) {
      const file = path.join(shots, name + '.png');
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    // No script errors, CSP violations or dialogs; HTTP error answers only with the statuses
    // the test provoked on purpose (the browser logs those as console errors).
    async assertClean(allowedStatuses = []) {
      const csp = await page.evaluate(() => window.__cspViolations);
      assert.deepEqual(csp, [], 'CSP violations');
      assert.deepEqual(problems, [], 'console errors');
      assert.deepEqual(dialogs, [], 'JavaScript dialogs');
      for (const s of networkErrors) assert.ok(allowedStatuses.includes(s), `unexpected HTTP ${s} in the console`);
    },
    async close() {
      try {
        await browser.close();
      } finally {
        await env.stop();
      }
    },
  };
}

async function signIn(page, url, token) {
  await page.goto(url);
  await page.locator('#signin-token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'User pools' }).waitFor();
}

// Wait until the console shows the page of the current location (the router marks it).
async function settled(page) {
  await page.waitForFunction(() => {
    const v = document.getElementById('view');
    return v && !v.hasAttribute('aria-busy') && v.dataset.route === location.hash;
  }, null, { timeout: WAIT });
}

function cookieJar() {
  const jar = new Map();
  return {
    take(res) {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
    },
    header() {
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    },
  };
}

// One WeChat login as an emulator person, over HTTP like a WeChat WebView (manual redirects,
// one cookie jar): start -> emulator authorize (allow) -> wxauthd callback -> business
// callback. Returns {code, message, data} from the business callback URL.
async function wechatLogin(env, pool, person) {
  const jar = cookieJar();
  const get = async (u) => {
    const res = await fetch(u, {
      redirect: 'manual',
      headers: { 'User-Agent': WECHAT_UA, Cookie: jar.header() },
      signal: AbortSignal.timeout(WAIT),
    });
    jar.take(res);
    await res.arrayBuffer();
    return res;
  };
  const r1 = await get(`${env.auth}/oauth/wechatmp/url/${encodeURIComponent(pool)}`);
  assert.equal(r1.status, 302, 'start redirects to WeChat');
  const authorize = r1.headers.get('location').replace(/#.*$/, '') +
    `&emu_person=${encodeURIComponent(person)}&emu_action=allow`;
  const r2 = await get(authorize);
  assert.equal(r2.status, 302, 'the emulator redirects back with a code');
  const r3 = await get(r2.headers.get('location'));
  assert.equal(r3.status, 302, 'wxauthd redirects to the business callback');
  const back = new URL(r3.headers.get('location'));
  const data = back.searchParams.get('data');
  return {
    code: Number(back.searchParams.get('code')),
    message: back.searchParams.get('message'),
    data: data ? JSON.parse(data) : null,
  };
}

module.exports = { openConsole, signIn, settled, wechatLogin, XSS_NICKNAME, WAIT };
