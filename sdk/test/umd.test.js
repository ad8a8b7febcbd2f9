'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { FILES, SDK_DIR, load } = require('./helpers');

const pkg = JSON.parse(fs.readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8'));

for (const file of FILES) {
  describe(`UMD and exports: ${path.basename(file)}`, () => {
    it('sets the global AuthingWxmp and AuthingFactory.AuthingWxmp in a browser', () => {
      const { g } = load(file);
      assert.equal(typeof g.AuthingWxmp, 'function');
      assert.equal(typeof g.AuthingFactory, 'object');
      assert.equal(g.AuthingFactory.AuthingWxmp, g.AuthingWxmp);
    });

    it('keeps the members of an existing AuthingFactory', () => {
      const other = function Guard() {};
      const factory = { Guard: other };
      const { g } = load(file, { factory });
      assert.equal(g.AuthingFactory, factory);
      assert.equal(g.AuthingFactory.Guard, other);
      assert.equal(g.AuthingFactory.AuthingWxmp, g.AuthingWxmp);
    });

    it('exports through CommonJS: module.exports, .AuthingWxmp and .default are the class', () => {
      const { g } = load(file, { browser: false, commonjs: true });
      const exp = g.module.exports;
      assert.equal(typeof exp, 'function');
      assert.equal(exp.AuthingWxmp, exp);
      assert.equal(exp.default, exp);
      assert.equal(new exp({ appId: 'a', host: 'https://h' }).getAuthorizationUrl(),
        'https://h/connections/social/wechat:webpage-authorization?app_id=a');
    });

    it('adds no globals when there is no window (plain CommonJS)', () => {
      const { g } = load(file, { browser: false, commonjs: true });
      assert.equal(g.AuthingWxmp, undefined);
      assert.equal(g.AuthingFactory, undefined);
    });

    it('sets both the globals and module.exports under a bundler (window and module)', () => {
      const { g } = load(file, { commonjs: true });
      assert.equal(g.module.exports, g.AuthingWxmp);
      assert.equal(g.AuthingFactory.AuthingWxmp, g.AuthingWxmp);
    });

    it('works in real node through require()', () => {
      delete require.cache[file];
      const exp = require(file);
      assert.equal(exp.AuthingWxmp, exp);
      assert.equal(exp.default, exp);
      assert.equal(globalThis.AuthingWxmp, undefined);
      // no window: getUserInfo() without a search reads nothing and does not throw
      const r = new exp({ appId: 'a', host: 'https://h' }).getUserInfo();
      assert.equal(r.ok, false);
      assert.equal(r.message, null);
      assert.equal(new exp({ appId: 'a', host: 'https://h' }).checkWechatUA(), false);
    });

    it('has version equal to package.json and the documented constants', () => {
      const { AuthingWxmp } = load(file);
      assert.equal(AuthingWxmp.version, pkg.version);
      assert.equal(AuthingWxmp.DEFAULT_IDENTIFIER, 'wechat:webpage-authorization');
      assert.equal(AuthingWxmp.DEFAULT_POOL_HOST, 'https://oauth.authing.cn/');
      assert.equal(AuthingWxmp.NOT_IN_WECHAT_MESSAGE, '\u8bf7\u5728\u5fae\u4fe1\u5ba2\u6237\u7aef\u6253\u5f00\u94fe\u63a5');
      assert.equal(AuthingWxmp.notInWechatMessage, AuthingWxmp.NOT_IN_WECHAT_MESSAGE);
      assert.equal(AuthingWxmp.prototype.notInWechatMessage, AuthingWxmp.NOT_IN_WECHAT_MESSAGE);
    });

    it('is plain ASCII (a GBK page cannot garble it) and states its version in the banner', () => {
      const src = fs.readFileSync(file, 'utf8');
      assert.match(src, /^[\x00-\x7f]*$/);
      assert.ok(src.startsWith(`/*!\n * @wxauth/wxmp ${pkg.version} `));
    });
  });
}

describe('package.json', () => {
  it('has no dependencies and the documented fields', () => {
    assert.equal(pkg.name, '@wxauth/wxmp');
    assert.equal(pkg.main, 'wxmp.js');
    assert.equal(typeof pkg.browser, 'string');
    assert.equal(pkg.scripts.test, 'node --test test/');
    assert.match(pkg.scripts.build, /tools\/minify\.js/);
    for (const k of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      assert.equal(pkg[k], undefined, k);
    }
    for (const f of ['wxmp.js', 'wxmp.min.js']) assert.ok(pkg.files.includes(f), f);
  });
});
