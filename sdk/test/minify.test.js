'use strict';
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { SDK_DIR } = require('./helpers');
const { minify, verify } = require('../tools/minify');

describe('tools/minify.js', () => {
  const src = fs.readFileSync(path.join(SDK_DIR, 'wxmp.js'), 'utf8');
  const committed = fs.readFileSync(path.join(SDK_DIR, 'wxmp.min.js'), 'utf8');

  it('wxmp.min.js is up to date with wxmp.js (run `npm run build`)', () => {
    assert.equal(committed, minify(src));
  });

  it('wxmp.min.js reads token for token like wxmp.js, line breaks included, and is smaller', () => {
    verify(src, committed);
    assert.ok(committed.length < src.length * 0.75, `${committed.length} vs ${src.length}`);
    assert.ok(committed.startsWith('/*!'), 'keeps the banner');
    assert.equal(committed.indexOf('/* '), -1, 'no other comments');
  });

  it('keeps what automatic semicolon insertion and tokens depend on', () => {
    const tricky = [
      '/*! banner */',
      'var out = [];',
      'var a = 1',
      'var b = 2',
      '// a comment with a / slash and a \'quote',
      'a',
      '++b',
      'function r() {',
      '  return /* multi',
      '  line */ 7',
      '}',
      'out.push(r());',
      "out.push(/[/]'\"/.test(\"x/'\") ? 'y' : 'n');",
      'out.push(4 / 2 / 1);',
      'out.push(a - -b, a + +b, a - - -b);',
      'out.push(1 .toString(), 1.5.toFixed(1));',
      'out.push(typeof /x/, "a" in { a: 1 });',
      "out.push('it\\'s \\\\ // not a comment', \"/* nor this */\");",
      'var re = /ab+c/gi',
      'out.push(re.source, re.flags)',
      'out.push(void 0 === undefined, a < !--b, a-- > b);',
      '<!-- an HTML-like comment',
      '--> and its closing form',
      'out',
    ].join('\n');
    const min = minify(tricky);
    verify(tricky, min);
    assert.ok(min.length < tricky.length);
    const run = (code) => JSON.stringify(vm.runInNewContext(code));
    assert.equal(run(min), run(tricky));
    assert.ok(min.startsWith('/*! banner */\n'));
  });

  it('verify() catches a minification that changes the code', () => {
    assert.throws(() => verify('a\n++b', 'a++b'), /changed token/);
    assert.throws(() => verify('a - -b', 'a--b'), /changed/);
    assert.throws(() => verify('var x = 1;', 'var x = 1;;'), /token count/);
  });

  it('refuses template literals', () => {
    assert.throws(() => minify('var s = `x`;'), /template/);
  });
});
