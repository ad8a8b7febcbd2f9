'use strict';
/*
 * A small JavaScript tokenizer for two jobs: the minifier (tools/minify.js) and the ES5
 * syntax gate (test/es5-syntax.test.js). It is deliberately conservative, not a full parser:
 * it knows strings, comments, regular-expression literals (by the usual "what came before
 * the slash" rule), template literals (only to flag them), numbers, names and punctuators.
 *
 * tokenize(src) -> [{type, value, nl}] where type is one of
 *   ws, nl, comment, string, template, regex, number, name, punct
 * and nl (on significant tokens) says a line terminator came before it, which is what
 * automatic semicolon insertion depends on.
 */

const PUNCTUATORS = [
  '>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=',
  '/=', '%=', '&=', '|=', '^=', '<<', '>>', '**',
  '{', '}', '(', ')', '[', ']', ';', ',', '<', '>', '+', '-', '*', '/', '%', '&', '|',
  '^', '!', '~', '?', ':', '=', '.', '@', '#',
];

/* After these names a "/" starts a regular expression, not a division. */
const REGEX_AFTER_NAMES = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case',
  'do', 'else', 'yield', 'await',
]);

const isLineTerminator = (c) => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';
const isSpace = (c) => c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\u00a0' ||
  c === '\ufeff' || /[\u1680\u2000-\u200a\u202f\u205f\u3000]/.test(c);
const isNameStart = (c) => /[A-Za-z_$\\]/.test(c) || c.charCodeAt(0) > 0x7f;
const isNamePart = (c) => /[A-Za-z0-9_$\\]/.test(c) || c.charCodeAt(0) > 0x7f;

class TokenizeError extends Error {}

function tokenize(src) {
  const tokens = [];
  let i = 0;
  let lastSig = null; // last significant token
  let sawNewline = false;

  const push = (type, value) => {
    const t = { type, value };
    if (type === 'ws' || type === 'nl' || type === 'comment') {
      if (type === 'nl' || (type === 'comment' && /[\n\r\u2028\u2029]/.test(value))) {
        sawNewline = true;
      }
    } else {
      t.nl = sawNewline;
      sawNewline = false;
      lastSig = t;
    }
    tokens.push(t);
  };

  const regexAllowed = () => {
    if (!lastSig) return true;
    if (lastSig.type === 'name') return REGEX_AFTER_NAMES.has(lastSig.value);
    if (lastSig.type === 'punct') return !(lastSig.value === ')' || lastSig.value === ']');
    return false; // after a number, string, regex or template
  };

  while (i < src.length) {
    const c = src[i];
    const start = i;
    if (isLineTerminator(c)) {
      i++;
      if (c === '\r' && src[i] === '\n') i++;
      push('nl', src.slice(start, i));
    } else if (isSpace(c)) {
      while (i < src.length && isSpace(src[i])) i++;
      push('ws', src.slice(start, i));
    } else if ((c === '/' && src[i + 1] === '/') || src.startsWith('<!--', i) ||
      ((sawNewline || !lastSig) && src.startsWith('-->', i))) {
      // "//", and the HTML-like comments scripts also have: "<!--" anywhere, "-->" first on a line
      while (i < src.length && !isLineTerminator(src[i])) i++;
      push('comment', src.slice(start, i));
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new TokenizeError(`unterminated comment at ${start}`);
      i = end + 2;
      push('comment', src.slice(start, i));
    } else if (c === '"' || c === "'") {
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') {
          i += 2;
          if (src[i - 1] === '\r' && src[i] === '\n') i++;
        } else if (isLineTerminator(src[i])) {
          throw new TokenizeError(`unterminated string at ${start}`);
        } else {
          i++;
        }
      }
      if (i >= src.length) throw new TokenizeError(`unterminated string at ${start}`);
      i++;
      push('string', src.slice(start, i));
    } else if (c === '`') {
      // Flag only: scan to the next unescaped backtick (nested templates are not followed).
      i++;
      while (i < src.length && src[i] !== '`') i += src[i] === '\\' ? 2 : 1;
      if (i >= src.length) throw new TokenizeError(`unterminated template at ${start}`);
      i++;
      push('template', src.slice(start, i));
    } else if (c === '/' && regexAllowed()) {
      let inClass = false;
      i++;
      for (;;) {
        if (i >= src.length || isLineTerminator(src[i])) {
          throw new TokenizeError(`unterminated regular expression at ${start}`);
        }
        const r = src[i];
        if (r === '\\') {
          i += 2;
          continue;
        }
        if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < src.length && isNamePart(src[i])) i++; // flags
      push('regex', src.slice(start, i));
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] || ''))) {
      const m = /^(?:0[xXbBoO][0-9a-fA-F_]+|(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9_]+)?)/.exec(src.slice(i));
      i += m[0].length;
      while (i < src.length && isNamePart(src[i])) i++; // suffixes such as 10n: kept to be flagged
      push('number', src.slice(start, i));
    } else if (isNameStart(c)) {
      while (i < src.length && isNamePart(src[i])) {
        i += src[i] === '\\' ? 2 : 1;
      }
      push('name', src.slice(start, i));
    } else {
      let p = PUNCTUATORS.find((q) => src.startsWith(q, i));
      if (!p) throw new TokenizeError(`unexpected character ${JSON.stringify(c)} at ${start}`);
      if (p === '?.' && /[0-9]/.test(src[i + 2] || '')) p = '?'; // a ? .5 : b
      i += p.length;
      push('punct', p);
    }
  }
  return tokens;
}

const significant = (tokens) => tokens.filter((t) => t.type !== 'ws' && t.type !== 'nl' && t.type !== 'comment');

module.exports = { tokenize, significant, TokenizeError, isNamePart };
