'use strict';
/*
 * The ES5 gate. `node --check` is no help (node parses ES2022), so this scans tokens
 * (tools/tokenize.js skips strings, comments and regular expressions) and rejects syntax
 * and built-ins that old WeChat WebViews (Android X5, iOS 9) do not have.
 */
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { FILES } = require('./helpers');
const { tokenize, significant } = require('../tools/tokenize');

const BANNED_PUNCT = new Set(['=>', '...', '**', '**=', '?.', '??', '??=', '&&=', '||=', '#', '@']);
const BANNED_WORDS = new Set(['let', 'const', 'class', 'import', 'export', 'async', 'await', 'yield',
  'extends', 'super', 'of', 'static']);
/* ES2015+ built-ins and methods, and the APIs the brief rules out (fetch, Promise ...). */
const BANNED_NAMES = new Set(['Promise', 'fetch', 'URLSearchParams', 'URL', 'Symbol', 'Map', 'Set',
  'WeakMap', 'WeakSet', 'Reflect', 'Proxy', 'globalThis', 'assign', 'includes', 'startsWith',
  'endsWith', 'padStart', 'padEnd', 'repeat', 'find', 'findIndex', 'fill', 'codePointAt',
  'fromCodePoint', 'trimStart', 'trimEnd', 'flat', 'flatMap', 'atob', 'btoa', 'TextDecoder',
  'TextEncoder', 'requestAnimationFrame', 'queueMicrotask', 'structuredClone']);
/* Name.member pairs that are ES2015+ although Name itself is fine. */
const BANNED_MEMBERS = {
  Object: ['entries', 'values', 'is', 'setPrototypeOf', 'getOwnPropertySymbols', 'fromEntries'],
  Array: ['from', 'of'],
  Number: ['isNaN', 'isFinite', 'isInteger', 'isSafeInteger', 'parseFloat', 'parseInt', 'EPSILON'],
  Math: ['trunc', 'sign', 'cbrt', 'log2', 'log10', 'hypot', 'imul', 'clz32', 'fround'],
  String: ['raw'],
};
/* Before a "{" these make it an object literal (else it is a block). */
const OBJECT_AFTER_PUNCT = new Set(['(', '[', ',', '=', ':', '?', '!', '&&', '||', '+', '-', '*', '/',
  '%', '==', '===', '!=', '!==', '<', '>', '<=', '>=', '&', '|', '^', '~', '+=', '-=']);
const OBJECT_AFTER_NAMES = new Set(['return', 'typeof', 'in', 'instanceof', 'new', 'void', 'delete', 'throw', 'case']);

function isKey(t) {
  return t && (t.type === 'name' || t.type === 'string' || t.type === 'number');
}

function es5Problems(src) {
  const toks = significant(tokenize(src)); // throws on anything it cannot read
  const problems = [];
  const stack = [];
  const bad = (t, why) => problems.push(`${why}: ${JSON.stringify(t.value)} (token ${toks.indexOf(t)})`);

  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const prev = toks[i - 1];
    const next = toks[i + 1];
    const top = stack[stack.length - 1];

    if (top && top.kind === 'object' && top.expectKey) {
      top.expectKey = false;
      if (!(t.type === 'punct' && t.value === '}')) {
        const accessor = t.type === 'name' && (t.value === 'get' || t.value === 'set') && isKey(next) &&
          toks[i + 2] && toks[i + 2].value === '(';
        if (!isKey(t) || !(accessor || (next && next.type === 'punct' && next.value === ':'))) {
          bad(t, 'shorthand, computed or method property in an object literal');
        }
      }
    }

    switch (t.type) {
      case 'template':
        bad(t, 'template literal');
        break;
      case 'number':
        if (/^0[bBoO]|_|n$|^0[0-9]/.test(t.value)) bad(t, 'ES2015+ or octal number literal');
        break;
      case 'string':
        if (/\\u\{/.test(t.value)) bad(t, '\\u{...} escape');
        break;
      case 'regex': {
        const flags = t.value.slice(t.value.lastIndexOf('/') + 1);
        if (/[^gim]/.test(flags)) bad(t, 'regular expression flag beyond g, i, m');
        if (/\\u\{|\(\?<[=!]?[A-Za-z]|\(\?<[=!]/.test(t.value)) bad(t, 'ES2018+ regular expression syntax');
        break;
      }
      case 'name': {
        const member = prev && prev.type === 'punct' && prev.value === '.';
        if (BANNED_WORDS.has(t.value)) bad(t, 'ES2015+ keyword');
        if (BANNED_NAMES.has(t.value)) bad(t, 'ES2015+ or banned built-in');
        if (!member && BANNED_MEMBERS[t.value] && next && next.value === '.' && toks[i + 2] &&
            BANNED_MEMBERS[t.value].includes(toks[i + 2].value)) {
          bad(toks[i + 2], `ES2015+ ${t.value} member`);
        }
        if (t.value === 'function') {
          let j = i + 1;
          if (toks[j] && toks[j].type === 'name') j++;
          if (!toks[j] || toks[j].value !== '(') {
            bad(t, 'function without a parameter list (generator?)');
            break;
          }
          j++;
          let expectName = true;
          for (; toks[j] && toks[j].value !== ')'; j++) {
            const ok = expectName ? toks[j].type === 'name' : toks[j].value === ',';
            if (!ok) {
              bad(toks[j], 'default, rest or destructured parameter');
              break;
            }
            expectName = !expectName;
          }
          if (toks[j] && toks[j].value === ')' && expectName && toks[j - 1].value === ',') {
            bad(toks[j], 'trailing comma in parameters');
          }
        }
        if (t.value === 'var' && next && (next.value === '{' || next.value === '[')) bad(next, 'destructuring');
        if (t.value === 'catch' && next && next.value === '{') bad(next, 'optional catch binding');
        if (t.value === 'new' && next && next.value === '.') bad(next, 'new.target');
        break;
      }
      case 'punct':
        if (BANNED_PUNCT.has(t.value)) bad(t, 'ES2015+ operator');
        if (t.value === '{') {
          const object = !prev || (prev.type === 'punct' ? OBJECT_AFTER_PUNCT.has(prev.value)
            : prev.type === 'name' && OBJECT_AFTER_NAMES.has(prev.value));
          stack.push({ kind: object && prev ? 'object' : 'block', expectKey: true });
        } else if (t.value === '(' || t.value === '[') {
          stack.push({ kind: t.value });
        } else if (t.value === '}' || t.value === ')' || t.value === ']') {
          stack.pop();
        } else if (t.value === ',') {
          if (top && top.kind === 'object') top.expectKey = true;
          if (next && next.value === ')') bad(t, 'trailing comma in a call');
          if (prev && prev.value === '(') bad(t, 'comma after "("');
        }
        break;
      default:
        break;
    }
  }
  if (stack.length) problems.push(`unbalanced brackets: ${stack.length} left open`);
  return problems;
}

for (const file of FILES) {
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

module.exports = { es5Problems };
