'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const vm = require('node:vm');
const { FILES, load } = require('./helpers');

/* Errors are plain Error (of the page's realm) with Authing's message. */
function throwsError(fn, message, ctx) {
  assert.throws(fn, (e) => {
    assert.equal(e.name, 'Error');
    assert.equal(e.message, message);
    assert.ok(e instanceof ctx.Error, 'an Error of the page');
    return true;
  });
}

for (const file of FILES) {
  describe(`constructor: ${path.basename(file)}`, () => {
    const { AuthingWxmp, ctx: context } = load(file);
    const ctx = { Error: vm.runInContext('Error', context) };

    it('pool form {userPoolId, host: {oauth}} (1.0)', () => {
      const w = new AuthingWxmp({ userPoolId: 'pool1', host: { oauth: 'https://id.example.com/' } });
      assert.equal(w.flow, 'pool');
      assert.equal(w.opts.host.oauth, 'https://id.example.com/');
      assert.equal(w.opts.userPoolId, 'pool1');
      assert.equal(w.options, w.opts);
      assert.equal(w.storageKey, 'wxauth:pool1');
    });

    it('pool form defaults host.oauth to https://oauth.authing.cn/', () => {
      const w = new AuthingWxmp({ userPoolId: 'pool1' });
      assert.equal(w.opts.host.oauth, 'https://oauth.authing.cn/');
      assert.equal(new AuthingWxmp({ userPoolId: 'p', host: null }).opts.host.oauth, 'https://oauth.authing.cn/');
    });

    it('pool form accepts host as a string', () => {
      const w = new AuthingWxmp({ userPoolId: 'pool1', host: 'https://id.example.com' });
      assert.equal(w.flow, 'pool');
      assert.equal(w.opts.host.oauth, 'https://id.example.com');
    });

    it('pool form errors: userPoolId / oauth server not provided', () => {
      throwsError(() => new AuthingWxmp({ host: { oauth: 'https://x/' } }), 'userPoolId not provided', ctx);
      throwsError(() => new AuthingWxmp({ userPoolId: '', host: { oauth: 'https://x/' } }), 'userPoolId not provided', ctx);
      throwsError(() => new AuthingWxmp({ userPoolId: 'p', host: {} }), 'oauth server not provided', ctx);
      throwsError(() => new AuthingWxmp({ userPoolId: 'p', host: { oauth: '' } }), 'oauth server not provided', ctx);
      throwsError(() => new AuthingWxmp({ userPoolId: 'p', host: '' }), 'oauth server not provided', ctx);
    });

    it('app form {appId, host, redirectUrl?} (1.1-1.2) defaults identifier', () => {
      const w = new AuthingWxmp({ appId: 'app1', host: 'https://id.example.com' });
      assert.equal(w.flow, 'app');
      assert.equal(w.opts.identifier, 'wechat:webpage-authorization');
      assert.equal(w.opts.redirectUrl, undefined);
      assert.equal(w.storageKey, 'wxauth:app1');
      const w2 = new AuthingWxmp({ appId: 'app1', host: 'https://id.example.com', identifier: '' });
      assert.equal(w2.opts.identifier, 'wechat:webpage-authorization');
    });

    it('app form {appId, host, identifier, redirectUrl} (1.3, 5.x)', () => {
      const w = new AuthingWxmp({ appId: 'app1', host: 'https://h', identifier: 'wx-mp', redirectUrl: 'https://b/cb' });
      assert.equal(w.flow, 'app');
      assert.equal(w.opts.identifier, 'wx-mp');
      assert.equal(w.opts.redirectUrl, 'https://b/cb');
    });

    it('app form wins when both appId and userPoolId are given', () => {
      const w = new AuthingWxmp({ appId: 'app1', userPoolId: 'pool1', host: 'https://h' });
      assert.equal(w.flow, 'app');
      assert.equal(w.storageKey, 'wxauth:app1');
    });

    it('app form accepts host {oauth} too', () => {
      const w = new AuthingWxmp({ appId: 'app1', host: { oauth: 'https://h' } });
      assert.equal(w.opts.host, 'https://h');
    });

    it('app form errors: appId / host is not provided', () => {
      throwsError(() => new AuthingWxmp({ host: 'https://h' }), 'appId is not provided', ctx);
      throwsError(() => new AuthingWxmp({ appId: '', host: 'https://h' }), 'appId is not provided', ctx);
      throwsError(() => new AuthingWxmp({ appId: 'a' }), 'host is not provided', ctx);
      throwsError(() => new AuthingWxmp({ appId: 'a', host: '' }), 'host is not provided', ctx);
      throwsError(() => new AuthingWxmp({ appId: 'a', host: {} }), 'host is not provided', ctx);
      throwsError(() => new AuthingWxmp({ appId: 'a', host: 42 }), 'host is not provided', ctx);
    });

    it('no options at all: appId is not provided', () => {
      throwsError(() => new AuthingWxmp(), 'appId is not provided', ctx);
      throwsError(() => new AuthingWxmp(null), 'appId is not provided', ctx);
      throwsError(() => new AuthingWxmp({}), 'appId is not provided', ctx);
    });

    it('works without new and does not change the caller\'s options object', () => {
      const o = { userPoolId: 'p' };
      const w = AuthingWxmp(o);
      assert.ok(w instanceof AuthingWxmp);
      assert.deepEqual(Object.keys(o), ['userPoolId']);
      const a = { appId: 'a', host: 'https://h' };
      new AuthingWxmp(a);
      assert.equal(a.identifier, undefined);
    });

    it('wxauth options: requireWechat defaults to true, notInWechatMessage can be set', () => {
      const w = new AuthingWxmp({ appId: 'a', host: 'https://h' });
      assert.equal(w.requireWechat, true);
      assert.equal(w.notInWechatMessage, AuthingWxmp.NOT_IN_WECHAT_MESSAGE);
      const w2 = new AuthingWxmp({ appId: 'a', host: 'https://h', requireWechat: false, notInWechatMessage: 'Open in WeChat' });
      assert.equal(w2.requireWechat, false);
      assert.equal(w2.notInWechatMessage, 'Open in WeChat');
    });

    it('numeric ids are used as strings', () => {
      const w = new AuthingWxmp({ appId: 12345, host: 'https://h' });
      assert.equal(w.getAuthorizationUrl(), 'https://h/connections/social/wechat:webpage-authorization?app_id=12345');
    });
  });
}
