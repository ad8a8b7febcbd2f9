// What the authing-js-sdk tests share (no tests in here): wxauthd + the WeChat emulator on
// loopback (../lib/servers.js), a pool with a confidential and a public application whose pages
// live on another origin, and a WeChat login done over HTTP the way the WebView does it.
'use strict';
const assert = require('node:assert/strict');
const { startServers } = require('../lib/servers');
const { WECHAT_UA } = require('../lib/browser');

const POOL = 'sdkjs';
const APP = 'sdk-app'; // confidential: has a secret
const PUB = 'sdk-pub'; // public client: no secret (introspection "none")

// site: the origin of the business pages (registered as the apps' web origin), e.g.
// http://127.0.0.1:PORT. Returns { env, secret }.
async function setup(site, opts = {}) {
  // Through tests/pg/with-postgres.sh: on its fresh PostgreSQL (reads on the reader threads).
  const env = await startServers({ uaCheck: opts.uaCheck !== false, storeUrl: process.env.WX_TEST_STORE_URL,
    extraConfig: opts.extraConfig });
  const created = await env.seed({ pool: POOL, app: APP, redirect: `${site}/callback`, callback: '#' });
  assert.ok(created.secret, 'the new application shows its secret once');
  await env.api('PATCH', `/apps/${APP}`, { web_origins: [site] });
  await env.api('POST', `/pools/${POOL}/apps`, {
    id: PUB, name: 'Public SDK app', redirect_urls: [`${site}/callback`], public_client: true,
    web_origins: [site],
  });
  return { env, created };
}

function cookieJar() {
  const jar = new Map();
  return {
    take(res) {
      for (const c of res.headers.getSetCookie()) {
        const [kv] = c.split(';');
        const i = kv.indexOf('=');
        jar.set(kv.slice(0, i), kv.slice(i + 1));
      }
    },
    header() { return [...jar].filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join('; '); },
  };
}

// A WeChat login over HTTP (WeChat's UA, the emulated user taps Allow): returns the user object
// of the business callback's data (its token included) and the final URL.
async function wechatLogin(env, app, { person = 'alice', jar = cookieJar(), extra = '' } = {}) {
  const h = () => ({ 'User-Agent': WECHAT_UA, Cookie: jar.header() });
  let res = await fetch(`${env.auth}/connections/social/wechat:webpage-authorization?app_id=${app}${extra}`,
    { redirect: 'manual', headers: h() });
  assert.equal(res.status, 302, `start: ${res.status} ${await res.text()}`);
  jar.take(res);
  const authorize = res.headers.get('location').split('#')[0];
  res = await fetch(`${authorize}&emu_person=${person}&emu_action=allow`, { redirect: 'manual', headers: h() });
  assert.equal(res.status, 302, 'emulator consent');
  res = await fetch(res.headers.get('location'), { redirect: 'manual', headers: h() });
  assert.equal(res.status, 302, `callback: ${res.status}`);
  jar.take(res);
  const back = new URL(res.headers.get('location'));
  assert.equal(back.searchParams.get('code'), '200', back.href);
  return { user: JSON.parse(back.searchParams.get('data')), url: back, jar };
}

module.exports = { POOL, APP, PUB, setup, wechatLogin, cookieJar };
