'use strict';
/*
 * sdk/ is installable from the repository with npm: `npm pack` holds the two builds and the
 * README only, and a project that installs the tarball (offline: there are no dependencies)
 * gets the class from require() and from import.
 */
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SDK_DIR } = require('./helpers');

const pkg = JSON.parse(fs.readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8'));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args, cwd) => execFileSync(cmd, args, {
  cwd, encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
});

describe('npm package', () => {
  let dir;
  let tarball;
  let packed; // npm pack's report

  before(() => {
    const base = process.env.WX_TEST_TMP || os.tmpdir();
    fs.mkdirSync(base, { recursive: true });
    dir = fs.mkdtempSync(path.join(base, 'sdk-pack-'));
    const out = JSON.parse(run(NPM, ['pack', SDK_DIR, '--json', '--pack-destination', dir], dir));
    tarball = path.join(dir, out[0].filename);
    packed = out[0];
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('packs wxmp.js, wxmp.min.js, README.md and package.json, nothing else', () => {
    const files = packed.files.map((f) => f.path).sort();
    assert.deepEqual(files, ['README.md', 'package.json', 'wxmp.js', 'wxmp.min.js']);
    assert.equal(packed.name, '@wxauth/wxmp');
    assert.equal(packed.version, pkg.version);
  });

  it('installs offline into a project; require() and import give the class', () => {
    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    run(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], app);
    fs.writeFileSync(path.join(app, 'use.cjs'),
      "const A = require('@wxauth/wxmp');\n" +
      "const { AuthingWxmp } = require('@wxauth/wxmp');\n" +
      "if (A !== AuthingWxmp) throw new Error('named export differs');\n" +
      "console.log(new A({ appId: 'a', host: 'https://h' }).getAuthorizationUrl());\n");
    fs.writeFileSync(path.join(app, 'use.mjs'),
      "import A from '@wxauth/wxmp';\n" +
      "console.log(A.version, new A({ userPoolId: 'p' }).getAuthorizationUrl());\n");
    assert.equal(run(process.execPath, ['use.cjs'], app).trim(),
      'https://h/connections/social/wechat:webpage-authorization?app_id=a');
    assert.equal(run(process.execPath, ['use.mjs'], app).trim(),
      `${pkg.version} https://oauth.authing.cn//oauth/wechatmp/url/p`);
  });
});
