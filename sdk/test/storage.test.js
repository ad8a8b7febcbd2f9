'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { FILES, load, plain, user, jwt, nowSec, callbackSearch, tick, memoryStorage } = require('./helpers');

const OK = '\u767b\u5f55\u6210\u529f';

/* Log a user in through getUserInfo(); returns the instance and the user. */
function loggedIn(env, options = {}, u = user()) {
  const w = new env.AuthingWxmp(Object.assign({ appId: 'app1', host: 'https://id.example.com' }, options));
  const r = w.getUserInfo(callbackSearch(200, OK, u));
  assert.equal(r.ok, true);
  return { w, u };
}

for (const file of FILES) {
  describe(`token storage: ${path.basename(file)}`, () => {
    it('getUserInfo stores token + user in localStorage under wxauth:<appId>', () => {
      const env = load(file);
      const { w, u } = loggedIn(env);
      const rec = JSON.parse(env.storage.map.get('wxauth:app1'));
      assert.equal(rec.token, u.token);
      assert.deepEqual(rec.userinfo, u);
      assert.equal(typeof rec.savedAt, 'number');
      assert.equal(w.getToken(), u.token);
      assert.deepEqual(plain(w.getCurrentUser()), u);
    });

    it('the pool flow stores under wxauth:<userPoolId>', () => {
      const env = load(file);
      const w = new env.AuthingWxmp({ userPoolId: 'pool1', host: { oauth: 'https://id.example.com/' } });
      const u = user();
      w.getUserInfo(callbackSearch(200, OK, u));
      assert.ok(env.storage.map.has('wxauth:pool1'));
      assert.equal(w.getToken(), u.token);
    });

    it('another instance (a later page load) reads the stored token', () => {
      const env = load(file);
      const { u } = loggedIn(env);
      const again = new env.AuthingWxmp({ appId: 'app1', host: 'https://id.example.com' });
      assert.equal(again.getToken(), u.token);
      const otherApp = new env.AuthingWxmp({ appId: 'app2', host: 'https://id.example.com' });
      assert.equal(otherApp.getToken(), null);
    });

    it('failed logins store nothing, and nothing stored means null', () => {
      const env = load(file);
      const w = new env.AuthingWxmp({ appId: 'app1', host: 'https://h' });
      assert.equal(w.getToken(), null);
      assert.equal(w.getCurrentUser(), null);
      w.getUserInfo(callbackSearch(1001, 'denied'));
      w.getUserInfo(callbackSearch(200, OK, '{bad'));
      assert.equal(env.storage.map.size, 0);
      assert.equal(w.getToken(), null);
    });

    it('a user without a token is ok but stores nothing', () => {
      const env = load(file);
      const { w } = loggedIn(env, {}, user({ token: undefined }));
      assert.equal(env.storage.map.size, 0);
      assert.equal(w.getToken(), null);
    });

    it('getToken: an expired JWT (exp in the past) is null and forgotten', () => {
      const env = load(file);
      const u = user({ token: jwt({ sub: 'u_1', exp: nowSec() - 5 }), tokenExpiredAt: new Date(Date.now() + 3600e3).toISOString() });
      const { w } = loggedIn(env, {}, u);
      assert.ok(env.storage.map.has('wxauth:app1'));
      assert.equal(w.getToken(), null);
      assert.equal(w.getCurrentUser(), null);
      assert.equal(env.storage.map.has('wxauth:app1'), false);
    });

    it('getToken: exp wins over tokenExpiredAt; a future exp is returned', () => {
      const env = load(file);
      const u = user({ token: jwt({ sub: 'u_1', exp: nowSec() + 60 }), tokenExpiredAt: new Date(Date.now() - 3600e3).toISOString() });
      const { w } = loggedIn(env, {}, u);
      assert.equal(w.getToken(), u.token);
    });

    it('getToken: the JWT payload decodes as base64url with UTF-8 claims', () => {
      const env = load(file);
      // "\u00ff\u00fe..." style claims give "-" and "_" in base64url
      const token = jwt({ sub: '\u00ff\u00fe\u00fd?>', nickname: '\u5f20\u4e09\ud83d\ude00', exp: nowSec() - 1 });
      assert.match(token.split('.')[1], /[-_]/);
      const { w } = loggedIn(env, {}, user({ token }));
      assert.equal(w.getToken(), null);
    });

    it('getToken: without a readable exp it falls back to tokenExpiredAt, else keeps the token', () => {
      const env = load(file);
      const past = user({ token: 'opaque-token', tokenExpiredAt: new Date(Date.now() - 1000).toISOString() });
      assert.equal(loggedIn(env, {}, past).w.getToken(), null);
      const future = user({ token: 'a.b.c', tokenExpiredAt: new Date(Date.now() + 60e3).toISOString() });
      assert.equal(loggedIn(env, {}, future).w.getToken(), 'a.b.c');
      const unknown = user({ token: 'opaque-token', tokenExpiredAt: 'not a date' });
      assert.equal(loggedIn(env, {}, unknown).w.getToken(), 'opaque-token');
      const noExp = user({ token: jwt({ sub: 'u' }), tokenExpiredAt: undefined });
      assert.equal(loggedIn(env, {}, noExp).w.getToken(), noExp.token);
    });

    it('a corrupt stored record reads as logged out', () => {
      const env = load(file);
      env.storage.map.set('wxauth:app1', '{not json');
      const w = new env.AuthingWxmp({ appId: 'app1', host: 'https://h' });
      assert.equal(w.getToken(), null);
      env.storage.map.set('wxauth:app1', '"just a string"');
      assert.equal(w.getToken(), null);
    });

    it('localStorage that throws (private mode): falls back to memory, never throws', () => {
      const env = load(file, { storage: 'throws' });
      const { w, u } = loggedIn(env);
      assert.ok(env.storage.calls > 0);
      assert.equal(w.getToken(), u.token);
      const again = new env.AuthingWxmp({ appId: 'app1', host: 'https://id.example.com' });
      assert.equal(again.getToken(), u.token, 'memory is shared within the page');
      w.logout();
      assert.equal(w.getToken(), null);
    });

    it('window.localStorage whose access throws (storage disabled): memory', () => {
      const env = load(file, { storage: 'getter-throws' });
      const { w, u } = loggedIn(env);
      assert.equal(w.getToken(), u.token);
    });

    it('no localStorage at all: memory', () => {
      const env = load(file, { storage: 'none' });
      const { w, u } = loggedIn(env);
      assert.equal(w.getToken(), u.token);
    });

    it('storage: false keeps the token in memory only; a custom storage is used as given', () => {
      const env = load(file);
      const { w, u } = loggedIn(env, { storage: false });
      assert.equal(env.storage.map.size, 0);
      assert.equal(w.getToken(), u.token);

      const env2 = load(file);
      const session = memoryStorage();
      const { w: w2, u: u2 } = loggedIn(env2, { storage: session });
      assert.equal(env2.storage.map.size, 0);
      assert.ok(session.map.has('wxauth:app1'));
      assert.equal(w2.getToken(), u2.token);
    });
  });

  describe(`logout: ${path.basename(file)}`, () => {
    it('clears storage at once; without revokeOnLogout no request, callback async', async () => {
      const env = load(file);
      const { w } = loggedIn(env);
      const results = [];
      const sent = w.logout((r) => results.push(plain(r)));
      assert.equal(sent, false);
      assert.equal(env.storage.map.size, 0);
      assert.equal(w.getToken(), null);
      assert.equal(env.xhrs.length, 0);
      assert.equal(results.length, 0, 'the callback is never synchronous');
      await tick();
      assert.deepEqual(results, [{ ok: true, revoked: false, status: 0, message: null, response: null }]);
    });

    it('logout without a callback, and when not logged in, is harmless', () => {
      const env = load(file);
      const w = new env.AuthingWxmp({ appId: 'app1', host: 'https://h', revokeOnLogout: true });
      assert.equal(w.logout(), false);
      assert.equal(env.xhrs.length, 0);
    });

    it('revokeOnLogout: POSTs ${host}/api/v2/logout with the Bearer token', async () => {
      const env = load(file);
      const { w, u } = loggedIn(env, { revokeOnLogout: true });
      const results = [];
      assert.equal(w.logout((r) => results.push(plain(r))), true);
      assert.equal(env.storage.map.size, 0, 'cleared before the answer');
      assert.equal(env.xhrs.length, 1);
      const x = env.xhrs[0];
      assert.equal(x.method, 'POST');
      assert.equal(x.url, 'https://id.example.com/api/v2/logout');
      assert.equal(x.async, true);
      assert.deepEqual(x.headers, { Authorization: 'Bearer ' + u.token });
      assert.equal(x.sent, true);
      assert.equal(x.body, null);
      x.respond(200, '{"code":200,"message":"\u5df2\u9000\u51fa\u767b\u5f55"}');
      await tick();
      assert.deepEqual(results, [{ ok: true, revoked: true, status: 200, message: '\u5df2\u9000\u51fa\u767b\u5f55',
        response: { code: 200, message: '\u5df2\u9000\u51fa\u767b\u5f55' } }]);
    });

    it('revoke refused (401) or unreachable: reported, local state cleared anyway', async () => {
      for (const [status, text, message] of [
        [401, '{"code":401,"message":"token is invalid, expired or already revoked"}', 'token is invalid, expired or already revoked'],
        [503, 'oops', 'HTTP 503'],
        [0, '', null],
      ]) {
        const env = load(file);
        const { w } = loggedIn(env, { revokeOnLogout: true });
        const results = [];
        w.logout((r) => results.push(plain(r)));
        env.xhrs[0].respond(status, text);
        await tick();
        assert.equal(results.length, 1);
        assert.equal(results[0].ok, false);
        assert.equal(results[0].revoked, false);
        assert.equal(results[0].status, status);
        assert.equal(results[0].message, message === null ? env.AuthingWxmp.messages.network : message);
        assert.equal(w.getToken(), null);
      }
    });

    it('a timeout calls back once', async () => {
      const env = load(file);
      const { w } = loggedIn(env, { revokeOnLogout: true });
      const results = [];
      w.logout((r) => results.push(plain(r)));
      env.xhrs[0].timeout_();
      await tick();
      assert.equal(results.length, 1);
      assert.equal(results[0].ok, false);
    });

    it('the pool flow revokes at host.oauth without the trailing slash; logoutUrl overrides', () => {
      const env = load(file);
      const w = new env.AuthingWxmp({ userPoolId: 'pool1', host: { oauth: 'https://id.example.com/' }, revokeOnLogout: true });
      w.getUserInfo(callbackSearch(200, OK, user()));
      w.logout();
      assert.equal(env.xhrs[0].url, 'https://id.example.com/api/v2/logout');

      const env2 = load(file);
      const { w: w2 } = loggedIn(env2, { revokeOnLogout: true, logoutUrl: '/auth/logout' });
      w2.logout();
      assert.equal(env2.xhrs[0].url, '/auth/logout');
    });

    it('an expired token is not sent for revocation', async () => {
      const env = load(file);
      const { w } = loggedIn(env, { revokeOnLogout: true }, user({ token: jwt({ exp: nowSec() - 10 }) }));
      const results = [];
      assert.equal(w.logout((r) => results.push(plain(r))), false);
      assert.equal(env.xhrs.length, 0);
      await tick();
      assert.equal(results[0].ok, true);
      assert.equal(results[0].revoked, false);
    });

    it('no XMLHttpRequest: reported through the callback', async () => {
      const env = load(file, { xhr: false });
      const { w } = loggedIn(env, { revokeOnLogout: true });
      const results = [];
      assert.equal(w.logout((r) => results.push(plain(r))), false);
      await tick();
      assert.equal(results[0].ok, false);
      assert.equal(results[0].message, env.AuthingWxmp.messages.noXhr);
      assert.equal(w.getToken(), null);
    });

    it('outside a browser (no window) logout reports instead of throwing', async () => {
      const env = load(file, { browser: false, commonjs: true });
      const w = new env.AuthingWxmp({ appId: 'app1', host: 'https://h', revokeOnLogout: true, storage: false });
      w.getUserInfo(callbackSearch(200, OK, user()));
      const results = [];
      assert.equal(w.logout((r) => results.push(plain(r))), false);
      assert.equal(results.length, 1, 'no setTimeout without a window: called at once');
      assert.equal(results[0].ok, false);
      assert.equal(results[0].message, env.AuthingWxmp.messages.noXhr);
    });

    it('an XHR that throws on open/send is reported, not thrown', async () => {
      const env = load(file);
      env.g.XMLHttpRequest = class { open() { throw new Error('blocked by policy'); } };
      const { w } = loggedIn(env, { revokeOnLogout: true });
      const results = [];
      assert.equal(w.logout((r) => results.push(plain(r))), false);
      await tick();
      assert.equal(results[0].ok, false);
      assert.equal(results[0].message, 'blocked by policy');
    });
  });
}
