'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { FILES, load, plain, user, callbackSearch } = require('./helpers');

const OK_MSG = '\u767b\u5f55\u6210\u529f'; // "login succeeded", as wxauthd sends it

for (const file of FILES) {
  describe(`getUserInfo: ${path.basename(file)}`, () => {
    const app = (env) => new env.AuthingWxmp({ appId: 'app1', host: 'https://h' });

    it('code 200 with data: ok, message, the user with its token; userinfo === userInfo', () => {
      const env = load(file);
      const u = user();
      const r = app(env).getUserInfo(callbackSearch(200, OK_MSG, u));
      assert.equal(r.ok, true);
      assert.equal(r.code, 200);
      assert.equal(r.message, OK_MSG);
      assert.deepEqual(plain(r.userinfo), u);
      assert.equal(r.userInfo, r.userinfo);
      assert.equal(r.userinfo.token, u.token);
      assert.equal(r.reason, undefined);
    });

    it('reads window.location.search by default (also for an empty string)', () => {
      const u = user();
      const env = load(file, { search: callbackSearch(200, OK_MSG, u) });
      assert.equal(app(env).getUserInfo().ok, true);
      assert.equal(app(env).getUserInfo('').userinfo.id, 'u_1');
      assert.equal(app(env).getUserInfo(null).userinfo.id, 'u_1');
    });

    it('the pool flow reads the same way', () => {
      const env = load(file);
      const w = new env.AuthingWxmp({ userPoolId: 'pool1' });
      const r = w.getUserInfo(callbackSearch(200, OK_MSG, user()));
      assert.equal(r.ok, true);
      assert.equal(r.userinfo.userPoolId, 'pool1');
    });

    it('error codes: ok false with the message, no user', () => {
      const env = load(file);
      const cases = [
        [1001, '\u7528\u6237\u62d2\u7edd\u6388\u6743'],
        [1002, 'login link expired, please start again'],
        [1004, 'WeChat did not answer'],
        [1006, 'user is blocked'],
        [1007, 'open the page in full to log in'],
        [500, 'server error'],
        [40029, 'invalid code'],
        [-1, 'system error'],
      ];
      for (const [code, message] of cases) {
        const r = app(env).getUserInfo(callbackSearch(code, message));
        assert.equal(r.ok, false, String(code));
        assert.equal(r.code, code);
        assert.equal(r.message, message);
        assert.equal(r.userinfo, null);
        assert.equal(r.userInfo, null);
      }
    });

    it('malformed data with code 200: ok false and a clear message, never a throw', () => {
      const env = load(file);
      for (const bad of ['{"id":', 'not json', '[1,2]', '"a string"', '42', 'null', 'true']) {
        const r = app(env).getUserInfo(callbackSearch(200, OK_MSG, bad));
        assert.equal(r.ok, false, bad);
        assert.equal(r.code, 200);
        assert.equal(r.reason, 'bad_data');
        assert.equal(r.message, env.AuthingWxmp.messages.badData);
        assert.ok(/JSON/.test(r.message));
        assert.equal(r.userinfo, null);
        assert.equal(r.userInfo, null);
      }
      // a broken percent sequence in data does not throw either
      const r = app(env).getUserInfo('?code=200&message=ok&data=%7B%22a%22%3A%E4%B8');
      assert.equal(r.ok, false);
      assert.equal(r.reason, 'bad_data');
    });

    it('code 200 without data: ok false (there is no user to use)', () => {
      const env = load(file);
      const r = app(env).getUserInfo('?code=200&message=' + encodeURIComponent(OK_MSG));
      assert.equal(r.ok, false);
      assert.equal(r.reason, 'no_data');
      assert.equal(r.message, env.AuthingWxmp.messages.noData);
      assert.equal(app(env).getUserInfo('?code=200&data=').reason, 'no_data');
    });

    it('missing params: ok false, message null (a page that is not a callback shows nothing)', () => {
      const env = load(file);
      for (const s of ['?', '?foo=bar', '?message=', 'https://b.example.com/cb', undefined]) {
        const r = app(env).getUserInfo(s);
        assert.equal(r.ok, false, String(s));
        assert.equal(r.code, null);
        assert.ok(r.message === null || r.message === '', String(s));
        assert.equal(r.userinfo, null);
      }
    });

    it('"+" is a space and %2B a plus; UTF-8 percent-escapes decode', () => {
      const env = load(file);
      const r = app(env).getUserInfo('?code=200&message=%E7%99%BB%E5%BD%95+%E6%88%90%E5%8A%9F%2B1&data=' +
        '%7B%22id%22%3A%22u1%22%2C%22nickname%22%3A%22a+b%2Bc+%E5%BC%A0%E4%B8%89%22%2C%22token%22%3A%22t%22%7D');
      assert.equal(r.ok, true);
      assert.equal(r.message, '\u767b\u5f55 \u6210\u529f+1');
      assert.equal(r.userinfo.nickname, 'a b+c \u5f20\u4e09');
    });

    it('decodes exactly like URLSearchParams, including invalid escapes', () => {
      const env = load(file);
      const raws = ['100%', '%zz%4', '%E4%B8', '%E4%B8%AD%', '%C0%AF', '%ED%A0%80', '%F0%9F%98%80+x',
        '%FF%FE', 'a%2', '%%41', '%F4%90%80%80', '\u4e2d\u6587', 'a=b=c'];
      for (const raw of raws) {
        const r = app(env).getUserInfo('?code=1001&message=' + raw);
        assert.equal(r.message, new URLSearchParams('message=' + raw).get('message'), raw);
      }
    });

    it('accepts the search without "?", takes the first of repeated keys, ignores unknown ones', () => {
      const env = load(file);
      const r = app(env).getUserInfo('code=1001&message=first&message=second&from=wx&code=200');
      assert.equal(r.code, 1001);
      assert.equal(r.message, 'first');
      assert.equal(r.ok, false);
    });

    it('accepts a whole URL (its fragment is ignored)', () => {
      const env = load(file);
      const u = user();
      const r = app(env).getUserInfo('https://b.example.com/cb' + callbackSearch(200, OK_MSG, u) + '#/home');
      assert.equal(r.ok, true);
      assert.equal(r.userinfo.id, 'u_1');
    });

    it('Authing\'s loose "code == 200": " 200" style values are 200, other text is not', () => {
      const env = load(file);
      assert.equal(app(env).getUserInfo('?code=200.0&data=%7B%7D').ok, true);
      const r = app(env).getUserInfo('?code=abc&message=x');
      assert.equal(r.ok, false);
      assert.equal(r.code, 'abc');
    });

    it('an error code that carries data still is not ok', () => {
      const env = load(file);
      const r = app(env).getUserInfo(callbackSearch(1006, 'blocked', { id: 'u' }));
      assert.equal(r.ok, false);
      assert.equal(r.message, 'blocked');
      assert.equal(r.userinfo.id, 'u');
      assert.equal(app(env).getToken(), null);
    });
  });
}
