// Start a real WeChat emulator and a real wxauthd on free loopback ports with a fresh SQLite
// file, for the browser tests. Seeds through the admin API (the same one the console uses).
// Binaries come from ctest's environment (WXAUTHD, WXAUTH_CLI), like the C integration tests.
'use strict';
const { spawn, execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { tmpDir } = require('./browser');

const APPID = 'wx5d1e4a0b9c3f7e21';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through ctest, which sets it)`);
  return v;
}

function tryListen(port) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// A free loopback port for a server, below the kernel's ephemeral range: a port listen(0)
// picks comes from that range, where the outgoing connections of the tests running side by
// side take theirs too (one took a server's port between the pick and its bind, seen in CI).
// Random in [20000, the range's start), checked free; listen(0) else.
async function freePort() {
  let low = 32768;
  try { low = parseInt(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), 10) || low; } catch (e) { /* not Linux */ }
  for (let i = 0; low > 20100 && i < 200; i++) {
    const port = 20000 + crypto.randomInt(low - 20000);
    try { return await tryListen(port); } catch (e) { /* taken: another */ }
  }
  return tryListen(0);
}

async function waitHealthy(base, proc, log) {
  for (let i = 0; i < 200; i++) { // up to 20 s: ASan builds start slowly
    if (proc.exitCode !== null) break;
    try { const r = await fetch(base + '/healthz'); if (r.status === 200) return; } catch (e) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  let tail = '';
  try { tail = fs.readFileSync(log, 'utf8').split('\n').slice(-30).join('\n'); } catch (e) { /* none */ }
  throw new Error(`${base} did not become healthy; tail of ${log}:\n${tail}`);
}

function start(bin, args, log, env) {
  const fd = fs.openSync(log, 'a');
  const p = spawn(bin, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  fs.closeSync(fd);
  return p;
}

function stop(proc) {
  return new Promise((resolve) => {
    if (!proc || proc.exitCode !== null || proc.signalCode) return resolve(proc ? proc.exitCode : 0);
    const t = setTimeout(() => proc.kill('SIGKILL'), 30000);
    proc.once('exit', (code, sig) => { clearTimeout(t); resolve(sig ? 128 : code); });
    proc.kill('SIGTERM');
  });
}

// opts: {uaCheck: bool (default true), people: extra ini text, extraConfig: ini text appended
// to wxauthd.ini, storeUrl: a fresh PostgreSQL database (default: a new SQLite file)}.
// Returns an env with auth/admin/emu base URLs, the admin token, api() for the admin
// API, seed() helpers and stop().
async function startServers(opts = {}) {
  const bin = need('WXAUTHD');
  const cli = need('WXAUTH_CLI');
  const dir = tmpDir('browser-');
  const authPort = await freePort();
  let emuPort = await freePort();
  while (emuPort === authPort) emuPort = await freePort();
  let adminPort = await freePort();
  while (adminPort === authPort || adminPort === emuPort) adminPort = await freePort();
  const auth = `http://127.0.0.1:${authPort}`;
  const admin = `http://127.0.0.1:${adminPort}`; // [admin] listen: the admin API and the console
  const emu = `http://127.0.0.1:${emuPort}`;
  const secret = crypto.randomBytes(16).toString('hex');
  const adminToken = crypto.randomBytes(24).toString('hex');

  fs.writeFileSync(path.join(dir, 'emulator.ini'),
    `[emulator]\nlisten = 127.0.0.1:${emuPort}\nua_check = ${opts.uaCheck === false ? 'off' : 'on'}\n\n` +
    `[account ${APPID}]\nname = Test Service Account\nsecret = ${secret}\n` +
    `domain = 127.0.0.1:${authPort}\nscopes = snsapi_base,snsapi_userinfo\nopen_platform = op-test\n\n` +
    // No avatar lines: the emulator draws its people's avatars itself (nothing from the internet).
    '[person alice]\nnickname = Alice 爱丽丝\n\n' +
    '[person bob]\nnickname = Bob\nfollower = yes\n\n' +
    (opts.people || '').replaceAll('{{emu}}', emu));
  const config = path.join(dir, 'wxauthd.ini');
  fs.writeFileSync(config,
    `[server]\nlisten = 127.0.0.1:${authPort}\npublic_url = ${auth}\nworkers = 2\nshutdown_grace_ms = 3000\n\n` +
    `[admin]\nlisten = 127.0.0.1:${adminPort}\n\n` +
    `[store]\nurl = ${opts.storeUrl || `sqlite:${dir}/wxauth.db`}\n\n` +
    `[wechat]\nauthorize_url = ${emu}/connect/oauth2/authorize\napi_base = ${emu}\ntimeout_ms = 3000\n\n` +
    '[keys]\nmaster_key_file = master.key\n\n[log]\nlevel = debug\n\n' + (opts.extraConfig || ''));
  execFileSync(cli, ['--config', config, 'init'], { stdio: ['ignore', 'ignore', 'inherit'] });

  const emuLog = path.join(dir, 'emulator.log');
  const authLog = path.join(dir, 'wxauthd.log');
  const emuProc = start(bin, ['--emulator', '--config', path.join(dir, 'emulator.ini')], emuLog, {});
  const authProc = start(bin, ['--config', config], authLog, { WXAUTH_ADMIN_TOKEN: adminToken });
  await waitHealthy(emu, emuProc, emuLog);
  await waitHealthy(auth, authProc, authLog);
  await waitHealthy(admin, authProc, authLog);

  // The admin API; throws on an unexpected status so a broken seed fails loudly.
  async function api(method, p, body, want) {
    const r = await fetch(admin + '/api/admin/v1' + p, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    const json = text ? JSON.parse(text) : null;
    const ok = want ? [].concat(want).includes(r.status) : r.status < 300;
    if (!ok) throw new Error(`${method} ${p} -> ${r.status} ${text}`);
    return json;
  }

  return {
    dir, auth, admin, emu, appid: APPID, secret, adminToken, api, authLog, emuLog,
    // A pool with one app and the WeChat webpage connection, ready for logins.
    async seed({ pool = 'demo', app = 'demo-app', redirect, callback, identifier = 'wechat:webpage-authorization',
      scope = 'snsapi_userinfo', tokenAlg } = {}) {
      await api('POST', '/pools', { id: pool, name: `Pool ${pool}`, redirect_urls: redirect ? [].concat(redirect) : [] });
      const a = await api('POST', `/pools/${pool}/apps`,
        { id: app, name: `App ${app}`, redirect_urls: redirect ? [].concat(redirect) : [], ...(tokenAlg ? { token_alg: tokenAlg } : {}) });
      await api('POST', `/pools/${pool}/connections`, {
        identifier, appid: APPID, app_secret: secret, callback_url: callback || redirect, scope,
        txt_filename: 'MP_verify_Br0wserT3st.txt', txt_content: 'Br0wserT3st',
      });
      return a;
    },
    async stop() {
      const a = await stop(authProc);
      const m = await stop(emuProc);
      if (a !== 0 || m !== 0) {
        throw new Error(`wxauthd exited ${a}, emulator ${m} (want 0: clean shutdown, no leaks); logs in ${dir}`);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The sample business app (examples/sample-app, binary from $WXSAMPLE) on a free port, pointed
// at the wxauthd of env (from startServers). opts: {app, pool, identifier, audience,
// desktopLogin}. Seed the pool/app afterwards with redirect = `${sample.base}/callback`.
// stop() wants a clean exit (0), like env.stop(); call it before env.stop() (logs are in env.dir).
async function startSampleApp(env, opts = {}) {
  const bin = need('WXSAMPLE');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = ['--listen', `127.0.0.1:${port}`, '--wxauth', env.auth];
  if (opts.app) args.push('--app', opts.app);
  if (opts.pool) args.push('--pool', opts.pool);
  if (opts.identifier) args.push('--identifier', opts.identifier);
  if (opts.audience) args.push('--audience', opts.audience);
  if (opts.desktopLogin) args.push('--desktop-login');
  const log = path.join(env.dir, `sample-app-${port}.log`);
  const proc = start(bin, args, log, {});
  await waitHealthy(base, proc, log);
  return {
    base, port, log, proc,
    async stop() {
      const code = await stop(proc);
      if (code !== 0) throw new Error(`wxsample exited ${code} (want 0); log ${log}`);
    },
  };
}

module.exports = { startServers, startSampleApp, freePort, start, stop, waitHealthy, APPID };
