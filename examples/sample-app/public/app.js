/*
 * wxauth sample app: the entry page (body[data-page=entry]) and the callback page
 * (body[data-page=callback]). Plain ES5 like the SDK, so it runs in old WeChat WebViews.
 * Every value from the login or the API is written with textContent, never as HTML.
 */
(function () {
  'use strict';

  function $(id) {
    return document.getElementById(id);
  }

  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute('content') || '' : '';
  }

  function show(el, on) {
    if (on) {
      el.removeAttribute('hidden');
    } else {
      el.setAttribute('hidden', '');
    }
  }

  function setText(el, value) {
    el.textContent = value === null || value === undefined || value === '' ? '-' : String(value);
  }

  var settings = {
    host: meta('wxauth-host'),
    appId: meta('wxauth-app-id'),
    poolId: meta('wxauth-pool-id'),
    identifier: meta('wxauth-identifier'),
    desktopLogin: meta('sample-desktop-login') === 'on'
  };

  function origin() {
    return window.location.protocol + '//' + window.location.host;
  }

  /* The SDK client, as an Authing page would make it: the application form
   * (@authing/wxmp 1.3 / 5.x) with our /callback, or the pool form (1.0) when the app was
   * started with --pool only (then the connection's Callback URL is used). */
  function client() {
    if (typeof window.AuthingWxmp !== 'function') {
      return null;
    }
    if (settings.appId) {
      return new window.AuthingWxmp({
        appId: settings.appId,
        host: settings.host,
        identifier: settings.identifier,
        redirectUrl: origin() + '/callback'
      });
    }
    return new window.AuthingWxmp({ userPoolId: settings.poolId, host: { oauth: settings.host + '/' } });
  }

  function notice(title, text) {
    setText($('notice-title'), title);
    setText($('notice-text'), text);
    show($('notice'), true);
  }

  function sdkMissing(where) {
    var msg = '\u65e0\u6cd5\u4ece ' + settings.host + ' \u52a0\u8f7d\u767b\u5f55 SDK\u3002' +
      ' Could not load the login SDK from ' + settings.host + '/sdk/wxmp.js: is wxauthd running?';
    if (where === 'entry') {
      $('login').disabled = true;
      notice('\u767b\u5f55\u6682\u4e0d\u53ef\u7528 \u00b7 Login unavailable', msg);
    } else {
      showError(null, msg);
    }
  }

  /* ---- entry page ---------------------------------------------------------------------- */

  function entryPage() {
    var authingWx = client();
    var user, inWechat, button;
    if (!authingWx) {
      sdkMissing('entry');
      return;
    }
    user = authingWx.getCurrentUser();
    if (user) {
      setText($('signed-in-name'), user.nickname || user.username || user.id);
      show($('signed-in'), true);
    }
    inWechat = authingWx.checkWechatUA();
    button = $('login');
    if (!inWechat && !settings.desktopLogin) {
      /* A computer: wxauthd's desktop login shows a QR code; the phone scans it with WeChat,
       * confirms, and this browser is logged in (docs/desktop-login.md). */
      setText(button, '\u5fae\u4fe1\u626b\u7801\u767b\u5f55 \u00b7 Log in with WeChat (QR code)');
      notice('\u5728\u7535\u8111\u4e0a\u767b\u5f55 \u00b7 On a computer',
        '\u70b9\u51fb\u6309\u94ae\u540e\uff0c\u7528\u624b\u673a\u5fae\u4fe1\u626b\u63cf' +
        '\u4e8c\u7ef4\u7801\u5e76\u5728\u624b\u673a\u4e0a\u786e\u8ba4\u3002Click the button, ' +
        'then scan the QR code with WeChat on your phone and confirm there. ' +
        '\uff08' + authingWx.notInWechatMessage + '\uff1a\u6216\u626b\u63cf\u4e0b\u65b9' +
        '\u4e8c\u7ef4\u7801\u5728\u5fae\u4fe1\u4e2d\u6253\u5f00\u672c\u9875 \u00b7 or open this page ' +
        'in WeChat with the code below.\uff09');
      /* Or open this very page in WeChat: a QR code of it, drawn by wxauthd. */
      $('qr').src = authingWx.getQrCodeUrl();
      show($('open-in-wechat'), true);
    } else if (!inWechat) {
      show($('demo-banner'), true);
    }
    if (!inWechat && !settings.desktopLogin) {
      otherWays(authingWx);
    }
    button.onclick = function () {
      var r = settings.desktopLogin ? authingWx.login({ requireWechat: false })
        : authingWx.login({ desktop: true });
      if (!r.ok) {
        notice('\u65e0\u6cd5\u767b\u5f55 \u00b7 Cannot log in', r.message);
        return;
      }
      button.disabled = true;
      setText(button, '\u6b63\u5728\u8df3\u8f6c\u2026 Redirecting\u2026');
    };
  }

  /* On a computer: the pool's other desktop login methods, as small links under the button
   * (which starts the pool's default one). wxauthd's public GET /desktop/methods lists them,
   * the default first; each link is the SDK's start URL with &desktop_method=. */
  function otherWays(authingWx) {
    var xhr = new XMLHttpRequest();
    var q = settings.appId ? 'app_id=' + encodeURIComponent(settings.appId)
      : 'pool=' + encodeURIComponent(settings.poolId);
    xhr.open('GET', settings.host + '/desktop/methods?' + q, true);
    xhr.timeout = 10000;
    xhr.onreadystatechange = function () {
      var body = null;
      var list, links, start, i, m, a;
      if (xhr.readyState !== 4 || xhr.status !== 200) {
        return; /* nothing to add: the button still logs in */
      }
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        return;
      }
      list = body && body.methods;
      if (!list || list.length < 2) {
        return;
      }
      links = $('other-ways-links');
      start = authingWx.getAuthorizationUrl();
      for (i = 0; i < list.length; i++) {
        m = list[i];
        if (m.auto || !/^[a-z]+$/.test(m.method)) {
          continue;
        }
        a = document.createElement('a');
        a.href = start + (start.indexOf('?') >= 0 ? '&' : '?') + 'desktop_method=' + m.method;
        a.setAttribute('data-method', m.method);
        a.textContent = m.name + ' \u00b7 ' + m.name_en;
        links.appendChild(a);
      }
      show($('other-ways'), links.childNodes.length > 0);
    };
    xhr.send(null);
  }

  /* ---- callback page ------------------------------------------------------------------- */

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  function formatTime(value) {
    var d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
    if (!value || isNaN(d.getTime())) {
      return '';
    }
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  var GENDERS = { M: '\u7537 Male', F: '\u5973 Female', U: '\u672a\u77e5 Unknown' };

  function showError(code, message) {
    show($('loading'), false);
    show($('profile'), false);
    show($('api'), false);
    setText($('error-message'), message || '\u672a\u77e5\u9519\u8bef Unknown error');
    setText($('error-code'), code === null || code === undefined ? '-' : code);
    show($('error'), true);
  }

  function showAvatar(user) {
    var img = $('avatar');
    var fallback = $('avatar-fallback');
    var name = String(user.nickname || user.username || '?');
    setText(fallback, name.charAt(0).toUpperCase());
    img.onerror = function () {
      show(img, false);
      show(fallback, true);
    };
    if (user.photo) {
      img.src = user.photo;
      show(img, true);
    } else {
      show(fallback, true);
    }
  }

  function showProfile(user, fresh) {
    show($('loading'), false);
    setText($('login-state'), fresh ? '\u5fae\u4fe1\u767b\u5f55\u6210\u529f \u00b7 Logged in with WeChat'
      : '\u672c\u673a\u5df2\u4fdd\u5b58\u7684\u767b\u5f55 \u00b7 Saved login on this device');
    showAvatar(user);
    setText($('nickname'), user.nickname || user.username);
    setText($('user-id'), user.id || user._id);
    setText($('openid'), user.openid);
    setText($('unionid'), user.unionid);
    setText($('gender'), GENDERS[user.gender] || user.gender);
    setText($('logins'), user.loginsCount);
    setText($('token-expires'), formatTime(user.tokenExpiredAt));
    show($('profile'), true);
  }

  function apiResult(state, text, body) {
    var status = $('api-status');
    status.setAttribute('data-state', state);
    setText(status, text);
    if (body) {
      setText($('api-raw'), JSON.stringify(body, null, 2));
      show($('api-details'), true);
    }
  }

  /* GET /api/profile with the token: the backend accepts it only after verifying it. */
  function callApi(token) {
    var xhr = new XMLHttpRequest();
    show($('api'), true);
    xhr.open('GET', '/api/profile', true);
    xhr.setRequestHeader('Authorization', 'Bearer ' + token);
    xhr.timeout = 15000;
    xhr.onreadystatechange = function () {
      var body = null;
      var c;
      if (xhr.readyState !== 4) {
        return;
      }
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = null;
      }
      if (xhr.status === 200 && body && body.claims) {
        c = body.claims;
        apiResult('ok', '\u2713 \u540e\u7aef\u5df2\u7528 libwxauth \u9a8c\u8bc1\u4ee4\u724c \u00b7 ' +
          'The backend verified the token with libwxauth', body);
        setText($('claim-sub'), c.sub);
        setText($('claim-aud'), c.aud);
        setText($('claim-iss'), c.iss);
        setText($('claim-exp'), formatTime(c.exp));
        show($('api-claims'), true);
      } else if (xhr.status === 0) {
        apiResult('error', '\u2717 \u7f51\u7edc\u9519\u8bef \u00b7 The backend could not be reached', null);
      } else {
        apiResult('error', '\u2717 HTTP ' + xhr.status + ': ' +
          ((body && body.message) || xhr.statusText || 'error') +
          (body && body.reason ? ' (' + body.reason + ')' : ''), body);
        if (xhr.status === 401) {
          /* The saved login is no good (forged, expired, revoked): say so plainly. */
          setText($('login-state'), '\u4ee4\u724c\u65e0\u6548\uff0c\u8bf7\u91cd\u65b0\u767b\u5f55 \u00b7 ' +
            'The token was refused: please log in again');
        }
      }
    };
    xhr.send(null);
  }

  function callbackPage() {
    var authingWx = client();
    var r, user, token;
    if (!authingWx) {
      sdkMissing('callback');
      return;
    }
    r = authingWx.getUserInfo();
    if (r.ok) {
      user = r.userinfo;
      token = user.token;
      /* The token is in the address bar: take it out of the history (the SDK stored it). */
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, '', window.location.pathname);
      }
    } else if (r.code !== null || r.message) {
      showError(r.code, r.message);
      return;
    } else {
      /* Not a return from the login (a reload, a bookmark): use the stored session. */
      user = authingWx.getCurrentUser();
      token = authingWx.getToken();
      if (!user || !token) {
        showError(null, '\u5c1a\u672a\u767b\u5f55 \u00b7 You are not logged in.');
        return;
      }
    }
    showProfile(user, r.ok);
    if (token) {
      callApi(token);
    } else {
      show($('api'), true);
      apiResult('error', '\u2717 \u767b\u5f55\u7ed3\u679c\u4e2d\u6ca1\u6709\u4ee4\u724c \u00b7 The login result has no token', null);
    }
    show($('logout'), true);
    $('logout').onclick = function () {
      authingWx.logout(function () {
        window.location.href = '/';
      });
    };
  }

  var page = document.body.getAttribute('data-page');
  if (page === 'entry') {
    entryPage();
  } else if (page === 'callback') {
    callbackPage();
  }
}());
