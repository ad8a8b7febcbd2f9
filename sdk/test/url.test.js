'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { FILES, load } = require('./helpers');

for (const file of FILES) {
  describe(`getAuthorizationUrl: ${path.basename(file)}`, () => {
    const { AuthingWxmp } = load(file);

    it('pool flow with the default host keeps Authing 1.0\'s double slash', () => {
      const w = new AuthingWxmp({ userPoolId: '5f0c1a2b3c4d5e6f7a8b9c0d' });
      assert.equal(w.getAuthorizationUrl(), 'https://oauth.authing.cn//oauth/wechatmp/url/5f0c1a2b3c4d5e6f7a8b9c0d');
    });

    it('pool flow: ${host.oauth}/oauth/wechatmp/url/${userPoolId}, only the host changes', () => {
      assert.equal(new AuthingWxmp({ userPoolId: 'demo', host: { oauth: 'http://127.0.0.1:8080/' } }).getAuthorizationUrl(),
        'http://127.0.0.1:8080//oauth/wechatmp/url/demo');
      assert.equal(new AuthingWxmp({ userPoolId: 'demo', host: { oauth: 'https://id.example.com' } }).getAuthorizationUrl(),
        'https://id.example.com/oauth/wechatmp/url/demo');
      assert.equal(new AuthingWxmp({ userPoolId: 'demo', host: 'https://id.example.com' }).getAuthorizationUrl(),
        'https://id.example.com/oauth/wechatmp/url/demo');
    });

    it('app flow without redirectUrl (1.1): default identifier, ":" unencoded', () => {
      const w = new AuthingWxmp({ appId: '62e7f0c91073aaba0db4d65b', host: 'https://id.example.com' });
      assert.equal(w.getAuthorizationUrl(),
        'https://id.example.com/connections/social/wechat:webpage-authorization?app_id=62e7f0c91073aaba0db4d65b');
    });

    it('getQrCodeUrl: /qrcode.svg on the API host with the page address, encoded', () => {
      const w = new AuthingWxmp({ appId: 'app1', host: 'https://id.example.com/' });
      assert.equal(w.getQrCodeUrl('https://shop.example.com/p?a=1&b=中'),
        'https://id.example.com/qrcode.svg?url=https%3A%2F%2Fshop.example.com%2Fp%3Fa%3D1%26b%3D%E4%B8%AD');
      const p = new AuthingWxmp({ userPoolId: 'demo', host: { oauth: 'http://127.0.0.1:8080/' } });
      assert.equal(p.getQrCodeUrl('http://a/'), 'http://127.0.0.1:8080/qrcode.svg?url=http%3A%2F%2Fa%2F');
      // without an argument: this page (the test context's location)
      assert.equal(w.getQrCodeUrl(), 'https://id.example.com/qrcode.svg?url=https%3A%2F%2Fbiz.example.com%2Fpage');
    });

    it('app flow with redirectUrl (1.2)', () => {
      const w = new AuthingWxmp({ appId: 'app1', host: 'https://id.example.com', redirectUrl: 'http://localhost:8080' });
      assert.equal(w.getAuthorizationUrl(),
        'https://id.example.com/connections/social/wechat:webpage-authorization?app_id=app1&redirect_url=http%3A%2F%2Flocalhost%3A8080');
    });

    it('app flow with identifier (1.3 / 5.x)', () => {
      const w = new AuthingWxmp({ appId: 'app1', host: 'https://id.example.com', identifier: 'wechat-mp-service', redirectUrl: 'https://b.example.com/cb' });
      assert.equal(w.getAuthorizationUrl(),
        'https://id.example.com/connections/social/wechat-mp-service?app_id=app1&redirect_url=https%3A%2F%2Fb.example.com%2Fcb');
    });

    it('redirectUrl with a query and a hash is encoded whole', () => {
      const redirectUrl = 'https://b.example.com/cb?x=1&y=a b+c&z=%E4%B8%AD#/route?q=1';
      const w = new AuthingWxmp({ appId: 'app1', host: 'https://h', redirectUrl });
      const url = w.getAuthorizationUrl();
      assert.equal(url, 'https://h/connections/social/wechat:webpage-authorization?app_id=app1&redirect_url=' +
        'https%3A%2F%2Fb.example.com%2Fcb%3Fx%3D1%26y%3Da+b%2Bc%26z%3D%25E4%25B8%25AD%23%2Froute%3Fq%3D1');
      assert.equal(url.indexOf('#'), -1);
      assert.equal(new URL(url).searchParams.get('redirect_url'), redirectUrl);
    });

    it('query encoding is byte-for-byte what URLSearchParams (Authing\'s SDKs) writes', () => {
      const samples = [
        "https://b.example.com/a!b'c(d)e*f~g_h-i.j",
        'https://b.example.com/\u4e2d\u6587?\u540d=\u503c',
        'https://b.example.com/emoji/\ud83d\ude00 space',
        'https://b.example.com/broken\ud800surrogate',
        'https://b.example.com/?a=1;b=2,c=3&d=$@:/',
      ];
      for (const redirectUrl of samples) {
        const url = new AuthingWxmp({ appId: 'a p&p', host: 'https://h', identifier: 'id', redirectUrl }).getAuthorizationUrl();
        const expected = new URLSearchParams({ app_id: 'a p&p', redirect_url: redirectUrl }).toString();
        assert.equal(url, 'https://h/connections/social/id?' + expected, redirectUrl);
      }
    });

    it('identifier and userPoolId cannot break out of their path segment', () => {
      const w = new AuthingWxmp({ appId: 'a', host: 'https://h', identifier: '../x/y?z#w' });
      assert.equal(w.getAuthorizationUrl(), 'https://h/connections/social/..%2Fx%2Fy%3Fz%23w?app_id=a');
      const p = new AuthingWxmp({ userPoolId: 'p/../q?', host: 'https://h' });
      assert.equal(p.getAuthorizationUrl(), 'https://h/oauth/wechatmp/url/p%2F..%2Fq%3F');
    });

    it('host is used as given (a trailing "/" gives "//connections", which wxauthd folds)', () => {
      const w = new AuthingWxmp({ appId: 'a', host: 'https://h/' });
      assert.equal(w.getAuthorizationUrl(), 'https://h//connections/social/wechat:webpage-authorization?app_id=a');
    });

    it('withIdentities adds with_identities=1 in both flows', () => {
      assert.equal(new AuthingWxmp({ appId: 'a', host: 'https://h', redirectUrl: 'https://b/', withIdentities: true }).getAuthorizationUrl(),
        'https://h/connections/social/wechat:webpage-authorization?app_id=a&redirect_url=https%3A%2F%2Fb%2F&with_identities=1');
      assert.equal(new AuthingWxmp({ userPoolId: 'p', host: 'https://h', withIdentities: true }).getAuthorizationUrl(),
        'https://h/oauth/wechatmp/url/p?with_identities=1');
    });
  });
}
