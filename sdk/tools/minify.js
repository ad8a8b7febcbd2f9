#!/usr/bin/env node
'use strict';
/*
 * Minify sdk/wxmp.js into sdk/wxmp.min.js with node built-ins only.
 *
 * Conservative on purpose: comments go (except the leading "/*!" banner), indentation and
 * blank lines go, spaces inside a line go only where no two tokens can merge. Line breaks
 * stay, so automatic semicolon insertion and restricted productions ("return\n", "a\n++b")
 * read exactly as in the source. Names are never renamed.
 *
 * The output is checked before it is written: it must tokenize to the same tokens with the
 * same "line break before" flags as the source, and compile (vm.Script). Any difference
 * aborts the build.
 *
 *   node tools/minify.js [in [out]]      (defaults: wxmp.js -> wxmp.min.js next to tools/)
 */
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { tokenize, significant, isNamePart } = require('./tokenize');

/* A space next to one of these can always go. */
const SAFE = new Set(['{', '}', '(', ')', '[', ']', ';', ',']);

function needsSpace(a, b) {
  if (a.type === 'regex' || b.type === 'regex') return true;
  const last = a.value[a.value.length - 1];
  const first = b.value[0];
  if (isNamePart(last) && isNamePart(first)) return true;
  if (a.type === 'number' && first === '.') return true;
  if (a.type === 'punct' && b.type === 'punct') {
    return !(SAFE.has(a.value) || SAFE.has(b.value));
  }
  return false;
}

function minify(src) {
  const tokens = tokenize(src);
  const out = [];
  let prev = null; // last significant token written
  let pendingNl = false;
  let banner = null;

  for (const t of tokens) {
    if (t.type === 'comment') {
      if (banner === null && prev === null && t.value.startsWith('/*!')) {
        banner = t.value;
        out.push(t.value);
        pendingNl = true;
        continue;
      }
      if (/[\n\r\u2028\u2029]/.test(t.value)) pendingNl = true;
      continue;
    }
    if (t.type === 'nl') {
      pendingNl = true;
      continue;
    }
    if (t.type === 'ws') continue;
    if (t.type === 'template') {
      throw new Error('template literals are not ES5; refusing to minify');
    }
    if (pendingNl && out.length) {
      out.push('\n');
    } else if (prev && needsSpace(prev, t)) {
      // Tokens written side by side must not merge, whether or not the source had a space.
      out.push(' ');
    }
    out.push(t.value);
    prev = t;
    pendingNl = false;
  }
  return out.join('') + '\n';
}

/* Same tokens, same line-break flags: the minified file reads exactly like the source. */
function verify(src, min) {
  const a = significant(tokenize(src));
  const b = significant(tokenize(min));
  if (a.length !== b.length) {
    throw new Error(`minify changed the token count: ${a.length} -> ${b.length}`);
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i].type !== b[i].type || a[i].value !== b[i].value || a[i].nl !== b[i].nl) {
      throw new Error(`minify changed token ${i}: ${JSON.stringify(a[i])} -> ${JSON.stringify(b[i])}`);
    }
  }
  new vm.Script(min, { filename: 'wxmp.min.js' }); // throws on a syntax error
}

function main() {
  const dir = path.join(__dirname, '..');
  const input = path.resolve(process.argv[2] || path.join(dir, 'wxmp.js'));
  const output = path.resolve(process.argv[3] || path.join(dir, 'wxmp.min.js'));
  const src = fs.readFileSync(input, 'utf8');
  const min = minify(src);
  verify(src, min);
  fs.writeFileSync(output, min);
  console.log(`${path.relative(process.cwd(), output) || output}: ${src.length} -> ${min.length} bytes`);
}

module.exports = { minify, verify, needsSpace };

if (require.main === module) {
  main();
}
