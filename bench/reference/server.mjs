// The Node reference of bench/login.sh: the same WeChat webpage login as wxauthd, written the
// way a competent Node team would write it. One process (Node's usual deployment on one box),
// Fastify, undici keep-alive pool to WeChat (the emulator), better-sqlite3 in WAL mode with
// synchronous=NORMAL (wxauthd's setting), jose RS256.
//
//   GET /oauth/wechatmp/url/:pool   single-use state bound to the browser (cookie), stored, 302 to
//                                   WeChat's authorize page
//   GET /callback?code&state        claim the state once, code -> access_token, userinfo, upsert
//                                   user + identity, sign the token, store the outcome on the
//                                   state, 302 to the business callback with code=200&data=
//
// Config from the environment: PORT, DB, APPID, SECRET, WECHAT_AUTHORIZE, WECHAT_API, CALLBACK
// (the business callback), PUBLIC (this server's URL), ISSUER.
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Pool } from 'undici';
import { SignJWT, importPKCS8, exportSPKI } from 'jose';

const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`reference: ${k} is not set`);
  return v;
};
const PORT = Number(env('PORT'));
const APPID = env('APPID');
const SECRET = env('SECRET');
const AUTHORIZE = env('WECHAT_AUTHORIZE');
const API = new URL(env('WECHAT_API'));
const CALLBACK = env('CALLBACK');
const PUBLIC = env('PUBLIC');
const ISSUER = env('ISSUER', PUBLIC + '/oidc');
const STATE_TTL = 600;
const TOKEN_TTL = 1296000;

const db = new Database(env('DB'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.exec(`
CREATE TABLE IF NOT EXISTS login_states (
  id TEXT PRIMARY KEY, pool TEXT NOT NULL, redirect TEXT NOT NULL, browser TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 0,
  claimed_at INTEGER NOT NULL DEFAULT 0, result TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, pool TEXT NOT NULL, nickname TEXT NOT NULL DEFAULT '',
  photo TEXT NOT NULL DEFAULT '', logins_count INTEGER NOT NULL DEFAULT 0,
  last_login INTEGER NOT NULL DEFAULT 0, last_ip TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS identities (
  appid TEXT NOT NULL, openid TEXT NOT NULL, user_id TEXT NOT NULL REFERENCES users(id),
  unionid TEXT NOT NULL DEFAULT '', raw TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (appid, openid));
`);
const q = {
  stateInsert: db.prepare(`INSERT INTO login_states (id, pool, redirect, browser, created_at, expires_at)
                           VALUES (?, ?, ?, ?, ?, ?)`),
  stateClaim: db.prepare(`UPDATE login_states SET status = 1, claimed_at = ?
                          WHERE id = ? AND browser = ? AND status = 0 AND expires_at > ?`),
  stateGet: db.prepare('SELECT redirect FROM login_states WHERE id = ?'),
  stateFinish: db.prepare('UPDATE login_states SET status = 2, result = ? WHERE id = ?'),
  identityGet: db.prepare('SELECT user_id FROM identities WHERE appid = ? AND openid = ?'),
  identityPut: db.prepare(`INSERT INTO identities (appid, openid, user_id, unionid, raw) VALUES (?, ?, ?, ?, ?)
                           ON CONFLICT (appid, openid) DO UPDATE SET unionid = excluded.unionid, raw = excluded.raw`),
  userInsert: db.prepare(`INSERT INTO users (id, pool, nickname, photo, logins_count, last_login, last_ip, created_at, updated_at)
                          VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)`),
  userUpdate: db.prepare(`UPDATE users SET nickname = ?, photo = ?, logins_count = logins_count + 1,
                          last_login = ?, last_ip = ?, updated_at = ? WHERE id = ?`),
  userGet: db.prepare('SELECT * FROM users WHERE id = ?'),
};
const upsert = db.transaction((pool, ui, ip, now) => {
  const found = q.identityGet.get(APPID, ui.openid);
  let id = found?.user_id;
  if (id) {
    q.userUpdate.run(ui.nickname ?? '', ui.headimgurl ?? '', now, ip, now, id);
  } else {
    id = crypto.randomBytes(12).toString('hex');
    q.userInsert.run(id, pool, ui.nickname ?? '', ui.headimgurl ?? '', now, ip, now, now);
  }
  q.identityPut.run(APPID, ui.openid, id, ui.unionid ?? '', JSON.stringify(ui));
  return q.userGet.get(id);
});

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }), 'RS256');
const kid = crypto.randomBytes(8).toString('hex');
const wechat = new Pool(API.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30000 });

async function wechatGet(path) {
  const { statusCode, body } = await wechat.request({ method: 'GET', path, headersTimeout: 5000, bodyTimeout: 5000 });
  const j = await body.json();
  if (statusCode !== 200 || j.errcode) throw new Error(`WeChat ${statusCode} ${j.errcode} ${j.errmsg}`);
  return j;
}

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
const alnum = (n) => crypto.randomBytes(n).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 32);
const result = (code, message, data) =>
  CALLBACK + '?code=' + code + '&message=' + encodeURIComponent(message) +
  (data ? '&data=' + encodeURIComponent(JSON.stringify(data)) : '');

const app = Fastify({ logger: false, keepAliveTimeout: 30000 });

app.get('/oauth/wechatmp/url/:pool', async (req, reply) => {
  const state = alnum(24);
  const bind = crypto.randomBytes(24).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  q.stateInsert.run(state, req.params.pool, CALLBACK, sha256(bind), now, now + STATE_TTL);
  const url = AUTHORIZE + '?appid=' + APPID + '&redirect_uri=' + encodeURIComponent(PUBLIC + '/callback') +
    '&response_type=code&scope=snsapi_userinfo&state=' + state + '#wechat_redirect';
  reply.header('set-cookie', `ref_bind=${bind}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${STATE_TTL}`);
  return reply.code(302).header('location', url).header('cache-control', 'no-store').send();
});

app.get('/callback', async (req, reply) => {
  const { code, state } = req.query;
  const m = /(?:^|;\s*)ref_bind=([^;]*)/.exec(req.headers.cookie ?? '');
  const now = Math.floor(Date.now() / 1000);
  if (!state || !m || q.stateClaim.run(now, state, sha256(m[1]), now).changes !== 1)
    return reply.code(400).type('text/plain; charset=utf-8').send('登录链接无效或已使用');
  const { redirect } = q.stateGet.get(state);
  let location;
  try {
    const tok = await wechatGet(`/sns/oauth2/access_token?appid=${APPID}&secret=${SECRET}&code=${encodeURIComponent(code)}&grant_type=authorization_code`);
    const ui = await wechatGet(`/sns/userinfo?access_token=${encodeURIComponent(tok.access_token)}&openid=${tok.openid}&lang=zh_CN`);
    const user = upsert(req.params.pool ?? 'demo', ui, req.ip, now);
    const token = await new SignJWT({ nickname: user.nickname, picture: user.photo })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(ISSUER).setSubject(user.id).setAudience(user.pool)
      .setIssuedAt(now).setExpirationTime(now + TOKEN_TTL).setJti(alnum(22))
      .sign(key);
    location = result(200, '登录成功', {
      id: user.id, userPoolId: user.pool, nickname: user.nickname, photo: user.photo,
      openid: ui.openid, unionid: ui.unionid, loginsCount: user.logins_count,
      lastLogin: new Date(user.last_login * 1000).toISOString(), token, tokenExpiredAt: new Date((now + TOKEN_TTL) * 1000).toISOString(),
    });
  } catch (e) {
    location = result(2006, '微信暂时无法访问，请重试');
  }
  q.stateFinish.run(location, state);
  return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
});

app.get('/healthz', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: PORT });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
