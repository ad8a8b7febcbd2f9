// Launch Debian's chromium headless through playwright-core, with the flags this closed network
// needs (no background networking, no component updates), a fresh profile each time.
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const WECHAT_UA =
  'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 ' +
  '(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 ' +
  'MMWEBSDK/20231202 MMWEBID/2307 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 ' +
  'Weixin NetType/WIFI Language/zh_CN ABI/arm64';
const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/124.0.0.0 Safari/537.36';

async function launch() {
  const exe = process.env.CHROMIUM || '/usr/bin/chromium';
  return chromium.launch({
    executablePath: exe,
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

// Where screenshots go: $WX_TEST_OUT/<suite>/ (default tests/out/<suite>/ in the source tree).
function outDir(suite) {
  const base = process.env.WX_TEST_OUT || path.join(__dirname, '..', '..', 'out');
  const d = path.join(base, suite);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

function tmpDir(prefix) {
  const base = process.env.WX_TEST_TMP || os.tmpdir();
  fs.mkdirSync(base, { recursive: true }); // a fresh build dir has none yet
  return fs.mkdtempSync(path.join(base, prefix));
}

module.exports = { launch, outDir, tmpDir, WECHAT_UA, DESKTOP_UA };
