'use strict';
/*
 * The ES5 gate (tools/es5.js) on wxmp.js, wxmp.min.js, the sample app's page script and
 * wxauthd's desktop login page script, which run in the same old browsers; and tests of the
 * gate itself.
 */
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { FILES } = require('./helpers');
const { es5Problems } = require('../tools/es5');

const SAMPLE_APP_JS = path.join(__dirname, '..', '..', 'examples', 'sample-app', 'public', 'app.js');
// wxauthd's desktop login page script (docs/desktop-login.md): the same old browsers.
const DESKTOP_LOGIN_JS = path.join(__dirname, '..', 'desktop-login.js');

for (const file of [...FILES, SAMPLE_APP_JS, DESKTOP_LOGIN_JS]) {
  describe(`ES5 only: ${path.basename(file)}`, () => {
    it('has no ES2015+ syntax or banned built-ins', () => {
      const problems = es5Problems(fs.readFileSync(file, 'utf8'));
      assert.deepEqual(problems, []);
    });
  });
}

describe('the ES5 gate itself', () => {
  it('accepts plain ES5', () => {
    const src = [
      "var a = { b: 1, 'c': [2, 3], 4: function (x, y) { return x / y; }, get d() { return 1; } };",
      'function f(p, q) { var r = /[/]{1,2}\\u0041/gi; if (p) { return { ok: true }; } else { return r.test(q) / 2; } }',
      'try { f(1); } catch (e) { a.b = e; } finally { a = null; }',
      "var s = 'let const class => ... `'; // let x = `y` => z",
      '/* const q = () => 1; */ var o = Object.keys(a); var n = 0x1F + 1.5e3 + .5;',
      'var t = typeof a === "object" ? { k: 1 } : {};',
      'obj.assignee = 1;',
    ].join('\n');
    assert.deepEqual(es5Problems(src), []);
  });

  it('rejects each ES2015+ construct', () => {
    const cases = {
      'let x = 1;': 'keyword',
      'const x = 1;': 'keyword',
      'class A {}': 'keyword',
      'var f = x => x;': 'operator',
      'var f = (a, b) => a;': 'operator',
      'var s = `a${b}`;': 'template',
      'f(...args);': 'operator',
      'var a = [...b];': 'operator',
      'var o = { a, b: 1 };': 'shorthand',
      'var o = { b: 1, a };': 'shorthand',
      'var o = { m() { return 1; } };': 'shorthand',
      'var o = { [k]: 1 };': 'shorthand',
      'function f(a = 1) {}': 'parameter',
      'function f(...a) {}': 'parameter',
      'function f({ a }) {}': 'parameter',
      'function* g() {}': 'generator',
      'var { a } = o;': 'destructuring',
      'var [a] = o;': 'destructuring',
      'for (var x of y) {}': 'keyword',
      'new Promise(function () {});': 'built-in',
      'fetch("/x");': 'built-in',
      'var p = new URLSearchParams(s);': 'built-in',
      'Object.assign({}, a);': 'built-in',
      'Array.from(a);': 'Array member',
      'Number.isNaN(a);': 'Number member',
      's.startsWith("a");': 'built-in',
      'var n = 0b101;': 'number',
      'var n = 1_000;': 'number',
      'var n = 10n;': 'number',
      'var r = /a/u;': 'flag',
      'var r = /a/y;': 'flag',
      'var s = "\\u{1F600}";': 'escape',
      'a ?? b;': 'operator',
      'a?.b;': 'operator',
      'a ** 2;': 'operator',
      'try {} catch {}': 'catch',
      'f(a, b,);': 'trailing comma',
      'async function f() {}': 'keyword',
      'function f() { return new.target; }': 'new.target',
    };
    for (const [src, why] of Object.entries(cases)) {
      const problems = es5Problems(src);
      assert.ok(problems.length > 0, `not caught: ${src}`);
      assert.ok(problems.some((p) => p.includes(why)), `${src}: ${problems.join('; ')}`);
    }
  });
});

