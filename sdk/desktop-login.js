/*
 * wxauthd's desktop login page script (docs/desktop-login.md), served at /sdk/desktop-login.js;
 * not part of the SDK package. Plain ES5 like the SDK (old browsers, no build step). It waits
 * with long-polls (the server holds each up to [desktop] wait_s), backs off on errors, shows
 * the countdown, and goes to /desktop/finish once the phone confirmed.
 */
(function () {
  'use strict';
  var el = document.getElementById('wx-desktop');
  if (!el) { return; }
  var ticket = el.getAttribute('data-ticket');
  var left = parseInt(el.getAttribute('data-expires-in'), 10) || 0;
  var seen = 0, done = false, failures = 0, timer = null;
  function $(id) { return document.getElementById(id); }
  function setText(id, s) {
    var n = $(id);
    if (!n) { return; }
    if (n.textContent !== undefined) { n.textContent = s; } else { n.innerText = s; }
  }
  function show(id, on) { var n = $(id); if (n) { n.style.display = on ? '' : 'none'; } }
  // The texts of each state come with the page (wxauthd's message catalogue, #wx-texts).
  function text(state, lang) {
    var box = $('wx-texts'), spans = box ? box.getElementsByTagName('span') : [], i;
    for (i = 0; i < spans.length; i++) {
      if (spans[i].getAttribute('data-state') === state) {
        return spans[i].getAttribute('data-' + lang) || '';
      }
    }
    return '';
  }
  function say(state, zh, en) {
    el.setAttribute('data-state', state);
    setText('msg-zh', zh === undefined ? text(state, 'zh') : zh);
    setText('msg-en', en === undefined ? text(state, 'en') : en);
  }
  function stop(state, zh, en) {
    done = true;
    if (timer) { clearInterval(timer); timer = null; }
    say(state, zh, en);
    show('countdown', false);
    var q = $('qr');
    if (q) { q.className = 'faded'; }
  }
  function expired() { stop('expired'); }
  function tick() {
    if (done) { return; }
    left = left > 0 ? left - 1 : 0;
    setText('left', String(left));
    setText('left-en', String(left));
    if (left <= 0 && seen === 0) { expired(); }
  }
  function handle(res) {
    if (typeof res.expires_in === 'number') { left = res.expires_in; }
    if (res.status === 'pending') {
      seen = 0;
    } else if (res.status === 'scanned') {
      seen = 1;
      say('scanned');
    } else if (res.status === 'confirmed') {
      done = true;
      say('confirmed');
      window.location.href = '/desktop/finish?t=' + encodeURIComponent(ticket);
      return;
    } else if (res.status === 'refused') {
      stop('refused');
      return;
    } else if (res.status === 'used') {
      stop('used');
      return;
    } else {
      expired();
      return;
    }
    poll();
  }
  function poll() {
    if (done) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open('GET', '/desktop/wait?t=' + encodeURIComponent(ticket) + '&seen=' + seen, true);
    xhr.timeout = 60000;
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) { return; }
      var res = null;
      try { res = JSON.parse(xhr.responseText); } catch (e) { res = null; }
      if (xhr.status === 200 && res) { failures = 0; handle(res); return; }
      if (res && res.message && xhr.status >= 400 && xhr.status < 500 && xhr.status !== 429) {
        stop('error', res.message, '');
        return;
      }
      failures += 1;
      if (failures > 6) {
        stop('error');
        return;
      }
      setTimeout(poll, 1000 * failures * failures);
    };
    xhr.send(null);
  }
  var refresh = $('refresh');
  if (refresh) { refresh.onclick = function () { window.location.reload(); return false; }; }
  timer = setInterval(tick, 1000);
  poll();
}());
