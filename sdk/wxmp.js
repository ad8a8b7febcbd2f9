/*!
 * @wxauth/wxmp 1.0.0 - browser SDK for WeChat webpage authorization through wxauthd.
 * Drop-in for Authing's @authing/wxmp 1.x and @authing/weixin-official-account 5.x:
 * existing pages keep their code and change only `host`.
 * ES5, no dependencies, ASCII only (safe in GBK pages and old WeChat WebViews).
 */
(function (root, factory) {
  'use strict';
  var AuthingWxmp = factory(root);
  var factoryNs;
  if (typeof module === 'object' && module && typeof module.exports === 'object') {
    module.exports = AuthingWxmp;
  }
  if (root) {
    root.AuthingWxmp = AuthingWxmp;
    factoryNs = root.AuthingFactory;
    if (!factoryNs || (typeof factoryNs !== 'object' && typeof factoryNs !== 'function')) {
      factoryNs = {};
      root.AuthingFactory = factoryNs;
    }
    factoryNs.AuthingWxmp = AuthingWxmp;
  }
}(typeof window !== 'undefined' ? window : (typeof self !== 'undefined' ? self : null), function (root) {
  'use strict';

  var VERSION = '1.0.0';
  var DEFAULT_IDENTIFIER = 'wechat:webpage-authorization';
  /* Authing 1.0's default; its trailing "/" gives the "//oauth/..." path wxauthd accepts. */
  var DEFAULT_POOL_HOST = 'https://oauth.authing.cn/';
  var STORAGE_PREFIX = 'wxauth:';
  var LOGOUT_PATH = '/api/v2/logout';
  var LOGOUT_TIMEOUT_MS = 10000;
  var B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  /* User-facing texts. Non-ASCII is escaped so the file survives any page charset.
   * Pages may replace them (AuthingWxmp.messages.notInWechat = '...'). */
  var messages = {
    /* the text WeChat's own authorize page shows outside WeChat */
    notInWechat: '\u8bf7\u5728\u5fae\u4fe1\u5ba2\u6237\u7aef\u6253\u5f00\u94fe\u63a5',
    badData: '\u767b\u5f55\u6570\u636e\u65e0\u6cd5\u89e3\u6790\uff1adata \u4e0d\u662f\u5408\u6cd5\u7684 JSON \u5bf9\u8c61',
    noData: '\u767b\u5f55\u6210\u529f\u4f46\u7f3a\u5c11\u7528\u6237\u6570\u636e\uff08data\uff09',
    loggedOut: '\u5df2\u9000\u51fa\u767b\u5f55',
    network: '\u7f51\u7edc\u9519\u8bef\uff0c\u9000\u51fa\u767b\u5f55\u8bf7\u6c42\u672a\u5b8c\u6210',
    timeout: '\u9000\u51fa\u767b\u5f55\u8bf7\u6c42\u8d85\u65f6',
    noLocation: 'window.location is not available',
    noXhr: 'XMLHttpRequest is not available'
  };

  /* Tokens kept here when localStorage is missing or throws (Safari private mode, disabled
   * storage). Shared by every instance loaded from this copy of the file. */
  var memory = {};

  function hasOwn(o, k) {
    return Object.prototype.hasOwnProperty.call(o, k);
  }

  function isObject(v) {
    return v !== null && typeof v === 'object' && Object.prototype.toString.call(v) !== '[object Array]';
  }

  function now() {
    return new Date().getTime();
  }

  function later(fn, arg) {
    if (typeof fn !== 'function') {
      return;
    }
    if (root && typeof root.setTimeout === 'function') {
      root.setTimeout(function () { fn(arg); }, 0);
    } else {
      fn(arg);
    }
  }

  function parseJSON(text) {
    if (typeof text !== 'string' || text === '') {
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      return undefined;
    }
  }

  /* ---- encoding ------------------------------------------------------------------------ */

  /* UTF-8 bytes -> string, replacing invalid sequences with U+FFFD the way browsers (the
   * WHATWG Encoding Standard) do, so odd input decodes like URLSearchParams would. */
  function utf8Decode(bytes) {
    var out = '';
    var cp = 0;
    var needed = 0;
    var seen = 0;
    var lower = 0x80;
    var upper = 0xBF;
    var i, b;
    for (i = 0; i < bytes.length; i++) {
      b = bytes[i];
      if (needed === 0) {
        if (b <= 0x7F) {
          out += String.fromCharCode(b);
        } else if (b >= 0xC2 && b <= 0xDF) {
          needed = 1;
          cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
          if (b === 0xE0) { lower = 0xA0; }
          if (b === 0xED) { upper = 0x9F; }
          needed = 2;
          cp = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF4) {
          if (b === 0xF0) { lower = 0x90; }
          if (b === 0xF4) { upper = 0x8F; }
          needed = 3;
          cp = b & 0x07;
        } else {
          out += '\uFFFD';
        }
        continue;
      }
      if (b < lower || b > upper) {
        cp = 0;
        needed = 0;
        seen = 0;
        lower = 0x80;
        upper = 0xBF;
        out += '\uFFFD';
        i--;
        continue;
      }
      lower = 0x80;
      upper = 0xBF;
      cp = (cp << 6) | (b & 0x3F);
      seen++;
      if (seen === needed) {
        if (cp > 0xFFFF) {
          cp -= 0x10000;
          out += String.fromCharCode(0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
        } else {
          out += String.fromCharCode(cp);
        }
        cp = 0;
        needed = 0;
        seen = 0;
      }
    }
    if (needed !== 0) {
      out += '\uFFFD';
    }
    return out;
  }

  function isHex(c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /* Percent-decoding that never throws: a "%" not followed by two hex digits stays as is,
   * bad UTF-8 becomes U+FFFD. */
  function percentDecode(s) {
    var out, i, bytes, c;
    if (s.indexOf('%') < 0) {
      return s;
    }
    try {
      return decodeURIComponent(s);
    } catch (e) {
      /* fall through to the careful path */
    }
    out = '';
    i = 0;
    while (i < s.length) {
      c = s.charAt(i);
      if (c === '%' && isHex(s.charAt(i + 1)) && isHex(s.charAt(i + 2))) {
        bytes = [];
        while (s.charAt(i) === '%' && isHex(s.charAt(i + 1)) && isHex(s.charAt(i + 2))) {
          bytes.push(parseInt(s.substr(i + 1, 2), 16));
          i += 3;
        }
        out += utf8Decode(bytes);
      } else {
        out += c;
        i++;
      }
    }
    return out;
  }

  /* Form decoding of one name or value: "+" is a space, then percent-decoding. */
  function formDecode(s) {
    return percentDecode(s.replace(/\+/g, ' '));
  }

  /* Lone UTF-16 surrogates become U+FFFD so encodeURIComponent cannot throw. */
  function wellFormed(s) {
    var out = '';
    var i, c, d;
    for (i = 0; i < s.length; i++) {
      c = s.charCodeAt(i);
      if (c >= 0xD800 && c <= 0xDBFF) {
        d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (d >= 0xDC00 && d <= 0xDFFF) {
          out += s.charAt(i) + s.charAt(i + 1);
          i++;
        } else {
          out += '\uFFFD';
        }
      } else if (c >= 0xDC00 && c <= 0xDFFF) {
        out += '\uFFFD';
      } else {
        out += s.charAt(i);
      }
    }
    return out;
  }

  function uriEncode(s) {
    s = String(s);
    try {
      return encodeURIComponent(s);
    } catch (e) {
      return encodeURIComponent(wellFormed(s));
    }
  }

  /* application/x-www-form-urlencoded exactly as URLSearchParams.toString() writes it (what
   * Authing's SDKs used): only A-Z a-z 0-9 * - . _ stay, a space is "+". */
  function formEncode(s) {
    return uriEncode(s).replace(/[!'()~]/g, function (c) {
      return '%' + c.charCodeAt(0).toString(16).toUpperCase();
    }).replace(/%20/g, '+');
  }

  /* One path segment: like encodeURIComponent but ":" and "@" stay, so the default
   * identifier reads "wechat:webpage-authorization" as Authing sends it. */
  function segmentEncode(s) {
    return uriEncode(s).replace(/%3A/gi, ':').replace(/%40/g, '@');
  }

  function buildQuery(pairs) {
    var parts = [];
    var i;
    for (i = 0; i < pairs.length; i++) {
      parts.push(formEncode(pairs[i][0]) + '=' + formEncode(pairs[i][1]));
    }
    return parts.join('&');
  }

  /* Query string -> {name: first value}, read the way URLSearchParams reads it. A full URL
   * is accepted too (its query is used, its fragment ignored). */
  function parseQuery(search) {
    var result = {};
    var parts, i, part, eq, name, value;
    search = String(search);
    if (/^[a-zA-Z][a-zA-Z0-9+.\-]*:/.test(search)) {
      eq = search.indexOf('#');
      if (eq >= 0) {
        search = search.substring(0, eq);
      }
      eq = search.indexOf('?');
      search = eq >= 0 ? search.substring(eq + 1) : '';
    } else if (search.charAt(0) === '?') {
      search = search.substring(1);
    }
    parts = search.split('&');
    for (i = 0; i < parts.length; i++) {
      part = parts[i];
      if (part === '') {
        continue;
      }
      eq = part.indexOf('=');
      if (eq >= 0) {
        name = formDecode(part.substring(0, eq));
        value = formDecode(part.substring(eq + 1));
      } else {
        name = formDecode(part);
        value = '';
      }
      /* URLSearchParams.get() semantics: the first of repeated names wins */
      if (!hasOwn(result, name)) {
        result[name] = value;
      }
    }
    return result;
  }

  /* base64url (or plain base64) -> byte array, or null when it is not base64. */
  function base64UrlBytes(s) {
    var bytes = [];
    var buf = 0;
    var bits = 0;
    var i, v;
    s = String(s).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    if (s.length % 4 === 1) {
      return null;
    }
    for (i = 0; i < s.length; i++) {
      v = B64URL.indexOf(s.charAt(i));
      if (v < 0) {
        return null;
      }
      buf = (buf << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push((buf >> bits) & 0xFF);
        buf &= (1 << bits) - 1;
      }
    }
    return bytes;
  }

  /* The payload of a compact JWS, or null. NOT a verification: anyone can forge a payload.
   * The browser only uses it to forget an expired token; backends verify the signature. */
  function jwtPayload(token) {
    var parts, bytes, payload;
    if (typeof token !== 'string') {
      return null;
    }
    parts = token.split('.');
    if (parts.length !== 3) {
      return null;
    }
    bytes = base64UrlBytes(parts[1]);
    if (!bytes) {
      return null;
    }
    payload = parseJSON(utf8Decode(bytes));
    return isObject(payload) ? payload : null;
  }

  /* When the token stops working, in ms since the epoch, or null when unknown: the JWT's
   * exp, else the user's tokenExpiredAt. */
  function tokenExpiry(token, userinfo) {
    var payload = jwtPayload(token);
    var t;
    if (payload && typeof payload.exp === 'number' && isFinite(payload.exp)) {
      return payload.exp * 1000;
    }
    if (userinfo && userinfo.tokenExpiredAt) {
      t = new Date(userinfo.tokenExpiredAt).getTime();
      if (isFinite(t)) {
        return t;
      }
    }
    return null;
  }

  /* ---- storage ------------------------------------------------------------------------- */

  function storageBackend(self) {
    var s = self.opts.storage;
    if (s === false || s === null) {
      return null;
    }
    if (s && typeof s.getItem === 'function') {
      return s;
    }
    try {
      /* reading window.localStorage itself throws when storage is disabled */
      return (root && root.localStorage) || null;
    } catch (e) {
      return null;
    }
  }

  function storeRead(self) {
    var key = self.storageKey;
    var backend = storageBackend(self);
    var raw = null;
    var rec;
    if (backend) {
      try {
        raw = backend.getItem(key);
      } catch (e) {
        raw = null;
      }
    }
    if ((raw === null || raw === undefined) && hasOwn(memory, key)) {
      raw = memory[key];
    }
    rec = parseJSON(raw);
    return isObject(rec) ? rec : null;
  }

  function storeWrite(self, rec) {
    var key = self.storageKey;
    var value = JSON.stringify(rec);
    var backend = storageBackend(self);
    if (backend) {
      try {
        backend.setItem(key, value);
        delete memory[key];
        return 'storage';
      } catch (e) {
        /* quota or private mode: keep it in memory for this page */
      }
    }
    memory[key] = value;
    return 'memory';
  }

  function storeClear(self) {
    var backend = storageBackend(self);
    if (backend) {
      try {
        backend.removeItem(self.storageKey);
      } catch (e) {
        /* nothing stored there then */
      }
    }
    delete memory[self.storageKey];
  }

  /* ---- the class ----------------------------------------------------------------------- */

  function copyOptions(options) {
    var o = {};
    var k;
    if (options && typeof options === 'object') {
      for (k in options) {
        if (hasOwn(options, k)) {
          o[k] = options[k];
        }
      }
    }
    return o;
  }

  function stripSlashes(s) {
    return String(s).replace(/\/+$/, '');
  }

  /**
   * new AuthingWxmp(options)
   *   pool flow (@authing/wxmp 1.0): {userPoolId, host: {oauth}} or {userPoolId, host: 'url'};
   *     host defaults to {oauth: 'https://oauth.authing.cn/'}.
   *   app flow (1.1+, 5.x): {appId, host, identifier?, redirectUrl?};
   *     identifier defaults to 'wechat:webpage-authorization'.
   *   wxauth options: requireWechat (true), revokeOnLogout (false), logoutUrl, storage,
   *     withIdentities (false), notInWechatMessage.
   */
  function AuthingWxmp(options) {
    var o, host;
    if (!(this instanceof AuthingWxmp)) {
      return new AuthingWxmp(options);
    }
    o = copyOptions(options);
    host = o.host;
    if (o.appId) {
      this.flow = 'app';
      if (isObject(host) && host.oauth) {
        host = host.oauth;
      }
      if (!host || typeof host !== 'string') {
        throw new Error('host is not provided');
      }
      o.host = host;
      o.appId = String(o.appId);
      if (!o.identifier) {
        o.identifier = DEFAULT_IDENTIFIER;
      }
      this.storageKey = STORAGE_PREFIX + o.appId;
      this.apiHost = stripSlashes(host);
    } else if (o.userPoolId) {
      this.flow = 'pool';
      if (host === undefined || host === null) {
        host = { oauth: DEFAULT_POOL_HOST };
      } else if (typeof host === 'string' && host) {
        host = { oauth: host };
      }
      if (!isObject(host) || !host.oauth || typeof host.oauth !== 'string') {
        throw new Error('oauth server not provided');
      }
      o.host = host;
      o.userPoolId = String(o.userPoolId);
      this.storageKey = STORAGE_PREFIX + o.userPoolId;
      this.apiHost = stripSlashes(host.oauth);
    } else if (isObject(host)) {
      throw new Error('userPoolId not provided');
    } else {
      throw new Error('appId is not provided');
    }
    this.opts = o;
    this.options = o;
    this.requireWechat = o.requireWechat === undefined ? true : !!o.requireWechat;
    /* wxauth extension: outside WeChat, login() goes to the start URL anyway, where wxauthd
     * shows the desktop QR login page (docs/desktop-login.md). Off by default: Authing's
     * hosts and wxauthd with [desktop] login = off only say "open in WeChat" there. */
    this.desktopLogin = !!o.desktopLogin;
    this.notInWechatMessage = o.notInWechatMessage || messages.notInWechat;
  }

  function checkWechatUA(ua) {
    var nav;
    if (ua === undefined || ua === null) {
      nav = root && root.navigator;
      ua = nav && nav.userAgent;
    }
    return /MicroMessenger/i.test(String(ua || ''));
  }

  /** true inside WeChat's browser (the User-Agent contains "MicroMessenger"). */
  AuthingWxmp.prototype.checkWechatUA = function (ua) {
    return checkWechatUA(ua);
  };

  /** The URL that starts the login on the identity server; send the browser there. */
  AuthingWxmp.prototype.getAuthorizationUrl = function () {
    var o = this.opts;
    var pairs = [];
    var query;
    if (this.flow === 'pool') {
      /* Authing 1.0 joins with "/" even when host.oauth ends with one. */
      query = o.withIdentities ? '?' + buildQuery([['with_identities', '1']]) : '';
      return o.host.oauth + '/oauth/wechatmp/url/' + segmentEncode(o.userPoolId) + query;
    }
    pairs.push(['app_id', o.appId]);
    if (o.redirectUrl) {
      pairs.push(['redirect_url', o.redirectUrl]);
    }
    if (o.withIdentities) {
      pairs.push(['with_identities', '1']);
    }
    return o.host + '/connections/social/' + segmentEncode(o.identifier) + '?' + buildQuery(pairs);
  };

  /**
   * The address of a QR code (SVG, drawn by wxauthd at /qrcode.svg) of pageUrl (default: this
   * page): on a desktop browser, show it so the user opens the page in WeChat on the phone.
   * null when there is no page address. A wxauth extension: Authing's hosts do not serve it.
   */
  AuthingWxmp.prototype.getQrCodeUrl = function (pageUrl) {
    var loc = root && root.location;
    var url = pageUrl || (loc && loc.href);
    if (!url || typeof url !== 'string') {
      return null;
    }
    return this.apiHost + '/qrcode.svg?' + buildQuery([['url', url]]);
  };

  /**
   * Read the login result from the business callback's query string (default
   * window.location.search). Returns {ok, code, message, userinfo, userInfo[, reason]};
   * userinfo and userInfo are the same object (1.x and 5.x names). Never throws.
   */
  AuthingWxmp.prototype.getUserInfo = function (search) {
    var q, code, num, message, raw, data, result;
    if (search === undefined || search === null || search === '') {
      search = (root && root.location && root.location.search) || '';
    }
    q = parseQuery(search);
    code = hasOwn(q, 'code') ? q.code : null;
    message = hasOwn(q, 'message') ? q.message : null;
    raw = hasOwn(q, 'data') ? q.data : null;
    num = code === null || code === '' ? NaN : Number(code);
    result = {
      ok: false,
      code: code === null ? null : (isNaN(num) ? code : num),
      message: message,
      userinfo: null,
      userInfo: null
    };
    if (raw !== null && raw !== '') {
      data = parseJSON(raw);
      if (isObject(data)) {
        result.userinfo = data;
        result.userInfo = data;
      } else if (num === 200) {
        result.message = messages.badData;
        result.reason = 'bad_data';
        return result;
      }
    }
    if (num !== 200) {
      return result;
    }
    if (!result.userinfo) {
      result.message = messages.noData;
      result.reason = 'no_data';
      return result;
    }
    result.ok = true;
    if (typeof data.token === 'string' && data.token) {
      storeWrite(this, { token: data.token, userinfo: data, savedAt: now() });
    }
    return result;
  };

  /** The stored token when it has not expired, else null (the expired one is forgotten). */
  AuthingWxmp.prototype.getToken = function () {
    var rec = storeRead(this);
    var exp;
    if (!rec || typeof rec.token !== 'string' || !rec.token) {
      return null;
    }
    exp = tokenExpiry(rec.token, rec.userinfo);
    if (exp !== null && exp <= now()) {
      storeClear(this);
      return null;
    }
    return rec.token;
  };

  /** The stored user object while its token is valid, else null. */
  AuthingWxmp.prototype.getCurrentUser = function () {
    var rec;
    if (!this.getToken()) {
      return null;
    }
    rec = storeRead(this);
    return rec && isObject(rec.userinfo) ? rec.userinfo : null;
  };

  /**
   * Send the browser to getAuthorizationUrl(). Outside WeChat (and requireWechat, the
   * default) nothing happens: WeChat would only show "open in WeChat" there, unless
   * desktopLogin is on: then wxauthd shows the desktop QR login page at that URL (the user
   * scans it with WeChat and confirms on the phone; this browser gets the login).
   * Returns {ok, url, message[, reason][, desktop]}; never throws.
   * opts: {requireWechat: bool (overrides the option), desktop: bool (overrides desktopLogin),
   * replace: bool (location.replace)}.
   */
  AuthingWxmp.prototype.login = function (opts) {
    var url = this.getAuthorizationUrl();
    var requireWechat = this.requireWechat;
    var desktop = this.desktopLogin;
    var loc = root && root.location;
    var outside;
    if (opts && opts.requireWechat !== undefined) {
      requireWechat = !!opts.requireWechat;
    }
    if (opts && opts.desktop !== undefined) {
      desktop = !!opts.desktop;
    }
    outside = !this.checkWechatUA();
    if (requireWechat && outside && !desktop) {
      return { ok: false, url: url, message: this.notInWechatMessage, reason: 'not_in_wechat' };
    }
    if (!loc) {
      return { ok: false, url: url, message: messages.noLocation, reason: 'no_location' };
    }
    if (opts && opts.replace && typeof loc.replace === 'function') {
      loc.replace(url);
    } else {
      loc.href = url;
    }
    if (outside && desktop) {
      return { ok: true, url: url, message: null, desktop: true };
    }
    return { ok: true, url: url, message: null };
  };

  /**
   * Forget the stored token and user (always, at once). With revokeOnLogout, also POST the
   * token as a Bearer to logoutUrl (default host + /api/v2/logout) so it stops working
   * everywhere. callback(result) is always called asynchronously with
   * {ok, revoked, status, message, response}. Returns true when a revoke request was sent.
   */
  AuthingWxmp.prototype.logout = function (callback) {
    var rec = storeRead(this);
    var token = rec && typeof rec.token === 'string' ? rec.token : null;
    var exp = token ? tokenExpiry(token, rec.userinfo) : null;
    var Xhr = root && root.XMLHttpRequest;
    var url = this.opts.logoutUrl || (this.apiHost + LOGOUT_PATH);
    var done = false;
    var xhr;

    storeClear(this);
    function finish(res) {
      if (done) {
        return;
      }
      done = true;
      later(callback, res);
    }
    if (!this.opts.revokeOnLogout || !token || (exp !== null && exp <= now())) {
      finish({ ok: true, revoked: false, status: 0, message: null, response: null });
      return false;
    }
    /* typeof is "object" for XMLHttpRequest in old iOS WebViews */
    if (!Xhr || (typeof Xhr !== 'function' && typeof Xhr !== 'object')) {
      finish({ ok: false, revoked: false, status: 0, message: messages.noXhr, response: null });
      return false;
    }
    try {
      xhr = new Xhr();
      xhr.open('POST', url, true);
      xhr.setRequestHeader('Authorization', 'Bearer ' + token);
      try {
        xhr.timeout = LOGOUT_TIMEOUT_MS;
      } catch (e1) {
        /* very old XHR without timeout */
      }
      xhr.ontimeout = function () {
        finish({ ok: false, revoked: false, status: 0, message: messages.timeout, response: null });
      };
      xhr.onreadystatechange = function () {
        var status, body, ok;
        if (xhr.readyState !== 4) {
          return;
        }
        status = xhr.status || 0;
        body = parseJSON(xhr.responseText);
        ok = status >= 200 && status < 300;
        finish({
          ok: ok,
          revoked: ok,
          status: status,
          message: (isObject(body) && body.message) || (ok ? messages.loggedOut : (status ? 'HTTP ' + status : messages.network)),
          response: body === undefined ? null : body
        });
      };
      xhr.send(null);
    } catch (e) {
      finish({ ok: false, revoked: false, status: 0, message: (e && e.message) || messages.network, response: null });
      return false;
    }
    return true;
  };

  AuthingWxmp.prototype.notInWechatMessage = messages.notInWechat;

  AuthingWxmp.version = VERSION;
  AuthingWxmp.DEFAULT_IDENTIFIER = DEFAULT_IDENTIFIER;
  AuthingWxmp.DEFAULT_POOL_HOST = DEFAULT_POOL_HOST;
  AuthingWxmp.NOT_IN_WECHAT_MESSAGE = messages.notInWechat;
  AuthingWxmp.notInWechatMessage = messages.notInWechat;
  AuthingWxmp.messages = messages;
  AuthingWxmp.checkWechatUA = checkWechatUA;
  AuthingWxmp.AuthingWxmp = AuthingWxmp;
  AuthingWxmp['default'] = AuthingWxmp;
  return AuthingWxmp;
}));
