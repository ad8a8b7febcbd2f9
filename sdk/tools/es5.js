'use strict';
/*
 * The ES5 gate. `node --check` is no help (node parses ES2022), so this scans tokens
 * (tokenize.js skips strings, comments and regular expressions) and reports syntax and
 * built-ins that old WeChat WebViews (Android X5, iOS 9) do not have. Used by
 * test/es5-syntax.test.js on the SDK and on the sample app's page script.
 *
 *   es5Problems(src) -> [] when src is plain ES5, else one line per problem
 */
const { tokenize, significant } = require('./tokenize');

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

module.exports = { es5Problems };
