'use strict';
/*
 * Shared fixtures for the SDK tests (no tests in here). Every test file runs its cases
 * against both wxmp.js and wxmp.min.js, each loaded fresh into its own vm context with a
 * fake browser: window, navigator, location, localStorage and XMLHttpRequest.
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const SDK_DIR = path.join(__dirname, '..');
const FILES = [path.join(SDK_DIR, 'wxmp.js'), path.join(SDK_DIR, 'wxmp.min.js')];

const UA = {
  wechatIOS: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 ' +
    '(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x1800282a) NetType/WIFI Language/zh_CN',
  wechatAndroid: 'Mozilla/5.0 (Linux; Android 10; V1838A Build/QP1A.190711.020; wv) AppleWebKit/537.36 ' +
    '(KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.99 XWEB/4317 MMWEBSDK/20220903 Mobile ' +
    'Safari/537.36 MMWEBID/4386 MicroMessenger/8.0.28.2240(0x28001C57) WeChat/arm64 Weixin ' +
    'NetType/WIFI Language/zh_CN ABI/arm64',
  wechatIOS9: 'Mozilla/5.0 (iPhone; CPU iPhone OS 9_3_5 like Mac OS X) AppleWebKit/601.1.46 ' +
    '(KHTML, like Gecko) Mobile/13G36 MicroMessenger/6.5.3 NetType/WIFI Language/zh_CN',
  wechatWindows: 'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) ' +
    'WindowsWechat(0x6307001e)',
  chrome: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
    'Chrome/120.0.0.0 Safari/537.36',
  mobileSafari: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 ' +
    '(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  qqBrowser: 'Mozilla/5.0 (Linux; U; Android 10; zh-cn; V1838A) AppleWebKit/537.36 (KHTML, like ' +
    'Gecko) Version/4.0 MQQBrowser/11.9 Mobile Safari/537.36',
};

/* A Storage-like map. */
function memoryStorage() {
  const m = new Map();
  return {
    map: m,
    getItem(k) { return m.has(k) ? m.get(k) : null; },
    setItem(k, v) { m.set(String(k), String(v)); },
    removeItem(k) { m.delete(k); },
  };
}

/* Safari private mode (old): reads work, every write throws QuotaExceededError. */
function throwingStorage() {
  const err = () => Object.assign(new Error('QuotaExceededError: DOM Exception 22'), { name: 'QuotaExceededError' });
  return {
    calls: 0,
    getItem() { this.calls++; throw err(); },
    setItem() { this.calls++; throw err(); },
    removeItem() { this.calls++; throw err(); },
  };
}

/* Records requests; the test answers them with respond() or timeout(). */
function makeXhrClass(log) {
  return class FakeXMLHttpRequest {
    constructor() {
      this.readyState = 0;
      this.status = 0;
      this.responseText = '';
      this.headers = {};
      this.onreadystatechange = null;
      this.ontimeout = null;
      log.push(this);
    }
    open(method, url, async) {
      Object.assign(this, { method, url, async, readyState: 1 });
    }
    setRequestHeader(name, value) { this.headers[name] = value; }
    send(body) { this.body = body; this.sent = true; }
    respond(status, text) {
      this.status = status;
      this.responseText = text;
      this.readyState = 4;
      if (this.onreadystatechange) this.onreadystatechange();
    }
    timeout_() {
      this.readyState = 4;
      this.status = 0;
      if (this.onreadystatechange) this.onreadystatechange();
      if (this.ontimeout) this.ontimeout();
    }
  };
}

/*
 * Load one SDK file into a fresh context.
 *   ua, search, href: the fake browser; storage: 'memory' (default) | 'throws' |
 *   'getter-throws' (window.localStorage itself throws) | 'none';
 *   browser: false for a context without window/self (plain CommonJS);
 *   commonjs: true to provide module/exports; factory: a pre-existing AuthingFactory.
 */
function load(file, opts = {}) {
  const src = fs.readFileSync(file, 'utf8');
  const g = {};
  const xhrs = [];
  let storage = null;
  if (opts.browser !== false) {
    g.window = g;
    g.self = g;
    g.navigator = { userAgent: opts.ua === undefined ? UA.chrome : opts.ua };
    g.location = {
      href: opts.href || 'https://biz.example.com/page',
      search: opts.search === undefined ? '' : opts.search,
      replace(url) { this.replacedWith = url; this.href = url; },
    };
    const kind = opts.storage || 'memory';
    if (kind === 'memory') {
      storage = memoryStorage();
      g.localStorage = storage;
    } else if (kind === 'throws') {
      storage = throwingStorage();
      g.localStorage = storage;
    } else if (kind === 'getter-throws') {
      Object.defineProperty(g, 'localStorage', {
        get() { throw new Error('SecurityError: The operation is insecure.'); },
        enumerable: true,
      });
    }
    if (opts.xhr !== false) g.XMLHttpRequest = makeXhrClass(xhrs);
    g.setTimeout = setTimeout;
  }
  if (opts.factory) g.AuthingFactory = opts.factory;
  if (opts.commonjs) {
    g.module = { exports: {} };
    g.exports = g.module.exports;
  }
  const ctx = vm.createContext(g);
  vm.runInContext(src, ctx, { filename: path.basename(file) });
  const AuthingWxmp = opts.commonjs ? g.module.exports : g.AuthingWxmp;
  return { g, ctx, AuthingWxmp, storage, xhrs, location: g.location };
}

/* Objects made in another realm fail deepStrictEqual on their prototype; compare data. */
const plain = (x) => JSON.parse(JSON.stringify(x));

const b64url = (s) => Buffer.from(s).toString('base64url');

/* An unsigned-looking compact JWS with the given payload (the SDK never verifies). */
function jwt(payload) {
  return [b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'k1' })),
    b64url(JSON.stringify(payload)), 'c2lnbmF0dXJl'].join('.');
}

const nowSec = () => Math.floor(Date.now() / 1000);

/* A user object as wxauthd sends it in `data` (authing-compat.md section 3). */
function user(overrides = {}) {
  return Object.assign({
    _id: 'u_1', id: 'u_1', userPoolId: 'pool1', username: '\u5f20\u4e09', nickname: '\u5f20\u4e09',
    photo: 'https://thirdwx.qlogo.cn/mmopen/vi_32/x/132', openid: 'o_abc', unionid: 'o_abc',
    oauth: '{"openid":"o_abc","nickname":"\u5f20\u4e09"}', gender: 'U', country: '', province: '', city: '',
    registerMethod: 'oauth:wxmp', registerSource: ['social:wechat:webpage-authorization'],
    token: jwt({ sub: 'u_1', exp: nowSec() + 3600, nickname: '\u5f20\u4e09' }),
    tokenExpiredAt: new Date(Date.now() + 3600e3).toISOString(),
    loginsCount: 1, blocked: false, isDeleted: false, email: null, phone: null,
  }, overrides);
}

/* The query string wxauthd puts on the business callback. */
function callbackSearch(code, message, data) {
  const p = new URLSearchParams();
  p.set('code', String(code));
  if (message !== undefined) p.set('message', message);
  if (data !== undefined) p.set('data', typeof data === 'string' ? data : JSON.stringify(data));
  return '?' + p.toString();
}

/* Wait for the SDK's asynchronous callbacks (setTimeout 0). */
const tick = () => new Promise((r) => setTimeout(r, 5));

module.exports = {
  SDK_DIR, FILES, UA, load, plain, jwt, nowSec, user, callbackSearch, tick, memoryStorage,
};
