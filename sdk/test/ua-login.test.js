'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { FILES, UA, load, plain } = require('./helpers');

for (const file of FILES) {
  describe(`checkWechatUA: ${path.basename(file)}`, () => {
    const inWechat = (ua) => {
      const env = load(file, { ua });
      return new env.AuthingWxmp({ appId: 'a', host: 'https://h' }).checkWechatUA();
    };

    it('true in WeChat on iOS, Android (X5/XWEB), old iOS 9 and Windows', () => {
      assert.equal(inWechat(UA.wechatIOS), true);
      assert.equal(inWechat(UA.wechatAndroid), true);
      assert.equal(inWechat(UA.wechatIOS9), true);
      assert.equal(inWechat(UA.wechatWindows), true);
    });

    it('case-insensitive, as Authing\'s /MicroMessenger/i', () => {
      assert.equal(inWechat('mozilla/5.0 micromessenger/8.0'), true);
    });

    it('false in desktop Chrome, Mobile Safari, QQ Browser, and with no user agent', () => {
      assert.equal(inWechat(UA.chrome), false);
      assert.equal(inWechat(UA.mobileSafari), false);
      assert.equal(inWechat(UA.qqBrowser), false);
      assert.equal(inWechat(''), false);
      const env = load(file);
      delete env.g.navigator;
      assert.equal(new env.AuthingWxmp({ appId: 'a', host: 'https://h' }).checkWechatUA(), false);
    });

    it('takes an explicit user agent and is also static', () => {
      const { AuthingWxmp } = load(file, { ua: UA.chrome });
      assert.equal(AuthingWxmp.checkWechatUA(UA.wechatIOS), true);
      assert.equal(AuthingWxmp.checkWechatUA(), false);
      assert.equal(new AuthingWxmp({ userPoolId: 'p' }).checkWechatUA(UA.wechatAndroid), true);
    });
  });

  describe(`login: ${path.basename(file)}`, () => {
    it('inside WeChat it sets window.location to getAuthorizationUrl()', () => {
      const env = load(file, { ua: UA.wechatIOS, href: 'https://b.example.com/login' });
      const w = new env.AuthingWxmp({ appId: 'app1', host: 'https://id.example.com', redirectUrl: 'https://b.example.com/cb?x=1' });
      const r = w.login();
      assert.deepEqual(plain(r), { ok: true, url: w.getAuthorizationUrl(), message: null });
      assert.equal(env.location.href, w.getAuthorizationUrl());
      assert.equal(env.location.replacedWith, undefined);
    });

    it('the pool flow redirects to the double-slash URL', () => {
      const env = load(file, { ua: UA.wechatAndroid });
      new env.AuthingWxmp({ userPoolId: 'demo', host: { oauth: 'http://127.0.0.1:8080/' } }).login();
      assert.equal(env.location.href, 'http://127.0.0.1:8080//oauth/wechatmp/url/demo');
    });

    it('{replace: true} uses location.replace (no back-button loop)', () => {
      const env = load(file, { ua: UA.wechatIOS });
      const w = new env.AuthingWxmp({ appId: 'app1', host: 'https://h' });
      assert.equal(w.login({ replace: true }).ok, true);
      assert.equal(env.location.replacedWith, w.getAuthorizationUrl());
    });

    it('outside WeChat it refuses by default: no redirect, a clear message', () => {
      const env = load(file, { ua: UA.chrome, href: 'https://b.example.com/login' });
      const w = new env.AuthingWxmp({ appId: 'app1', host: 'https://h' });
      const r = w.login();
      assert.equal(r.ok, false);
      assert.equal(r.reason, 'not_in_wechat');
      assert.equal(r.message, env.AuthingWxmp.NOT_IN_WECHAT_MESSAGE);
      assert.equal(r.message, w.notInWechatMessage);
      assert.equal(r.url, w.getAuthorizationUrl());
      assert.equal(env.location.href, 'https://b.example.com/login');
    });

    it('the refusal uses the page\'s own notInWechatMessage', () => {
      const env = load(file, { ua: UA.mobileSafari });
      const w = new env.AuthingWxmp({ appId: 'a', host: 'https://h', notInWechatMessage: 'Please open this page in WeChat' });
      assert.equal(w.login().message, 'Please open this page in WeChat');
    });

    it('requireWechat: false (option or per call) redirects anyway', () => {
      const env = load(file, { ua: UA.chrome });
      const w = new env.AuthingWxmp({ appId: 'a', host: 'https://h', requireWechat: false });
      assert.equal(w.login().ok, true);
      assert.equal(env.location.href, w.getAuthorizationUrl());

      const env2 = load(file, { ua: UA.chrome });
      const w2 = new env2.AuthingWxmp({ appId: 'a', host: 'https://h' });
      assert.equal(w2.login({ requireWechat: false }).ok, true);
      assert.equal(env2.location.href, w2.getAuthorizationUrl());

      const env3 = load(file, { ua: UA.chrome });
      const w3 = new env3.AuthingWxmp({ appId: 'a', host: 'https://h', requireWechat: false });
      assert.equal(w3.login({ requireWechat: true }).reason, 'not_in_wechat');
    });

    it('desktopLogin (option or per call): outside WeChat it goes to the start URL, where wxauthd shows the QR page', () => {
      const env = load(file, { ua: UA.chrome, href: 'https://b.example.com/login' });
      const w = new env.AuthingWxmp({ appId: 'a', host: 'https://h', desktopLogin: true });
      const r = w.login();
      assert.equal(r.ok, true);
      assert.equal(r.desktop, true);
      assert.equal(r.url, w.getAuthorizationUrl());
      assert.equal(env.location.href, w.getAuthorizationUrl());

      const env2 = load(file, { ua: UA.chrome });
      const w2 = new env2.AuthingWxmp({ appId: 'a', host: 'https://h' });
      assert.equal(w2.login({ desktop: true }).desktop, true);
      assert.equal(env2.location.href, w2.getAuthorizationUrl());

      const env3 = load(file, { ua: UA.chrome });
      const w3 = new env3.AuthingWxmp({ appId: 'a', host: 'https://h', desktopLogin: true });
      assert.equal(w3.login({ desktop: false }).reason, 'not_in_wechat');

      // Inside WeChat nothing changes: the plain login, no desktop flag.
      const env4 = load(file, { ua: UA.wechatIOS });
      const w4 = new env4.AuthingWxmp({ appId: 'a', host: 'https://h', desktopLogin: true });
      const r4 = w4.login();
      assert.equal(r4.ok, true);
      assert.equal(r4.desktop, undefined);
    });

    it('without window.location it reports instead of throwing', () => {
      const env = load(file, { ua: UA.wechatIOS });
      delete env.g.location;
      const r = new env.AuthingWxmp({ appId: 'a', host: 'https://h' }).login();
      assert.equal(r.ok, false);
      assert.equal(r.reason, 'no_location');
    });
  });
}
