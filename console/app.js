// The console's hash router: #/pools, #/pools/<id>[/overview|/apps|/connections|/users][/<id>],
// #/pools/<id>/new-connection, #/keys, #/audit, #/signin. Without a stored admin token every
// route goes to #/signin. Only the newest navigation renders (a slow answer for a page the
// person already left is dropped).
'use strict';
(function () {
  const WX = window.WX;
  const { h, api } = WX;
  const V = WX.views;
  const view = document.getElementById('view');
  const nav = document.getElementById('nav');

  const routes = [
    [/^\/signin$/, V.signin, null],
    [/^\/pools$/, V.pools, 'pools'],
    [/^\/pools\/([^/]+)$/, V.pool, 'pools'],
    [/^\/pools\/([^/]+)\/overview$/, V.overview, 'pools'],
    [/^\/pools\/([^/]+)\/apps$/, V.apps, 'pools'],
    [/^\/pools\/([^/]+)\/apps\/([^/]+)$/, V.app, 'pools'],
    [/^\/pools\/([^/]+)\/connections$/, V.connections, 'pools'],
    [/^\/pools\/([^/]+)\/new-connection$/, V.connectionNew, 'pools'],
    [/^\/pools\/([^/]+)\/connections\/([^/]+)$/, V.connection, 'pools'],
    [/^\/pools\/([^/]+)\/users$/, V.users, 'pools'],
    [/^\/pools\/([^/]+)\/users\/([^/]+)$/, V.user, 'pools'],
    [/^\/keys$/, V.keys, 'keys'],
    [/^\/audit$/, V.audit, 'audit'],
  ];

  let generation = 0;

  function go(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  }

  function decode(s) {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      return null;
    }
  }

  async function render() {
    const gen = ++generation;
    const raw = location.hash.replace(/^#/, '') || '/pools';
    const qi = raw.indexOf('?');
    const p = qi >= 0 ? raw.slice(0, qi) : raw;
    const query = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
    const signedIn = !!api.token();
    nav.hidden = !signedIn;
    if (!signedIn && p !== '/signin') {
      const next = p === '/' || p === '/pools' ? '' : '?next=' + encodeURIComponent('#' + raw);
      location.replace('#/signin' + next);
      return;
    }
    if (signedIn && p === '/signin') {
      location.replace('#/pools');
      return;
    }
    let match = null;
    for (const [re, fn, section] of routes) {
      const m = re.exec(p);
      if (m) {
        match = { fn, section, params: m.slice(1).map(decode) };
        break;
      }
    }
    for (const a of nav.querySelectorAll('a[data-section]')) {
      if (match && a.dataset.section === match.section) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (!match || match.params.some((x) => x === null)) {
      show(gen, WX.ui.page('Not found', {}, WX.empty('There is no such page in the console.', h('a', { href: '#/pools', text: 'Go to the pools' }))), 'Not found');
      return;
    }
    view.setAttribute('aria-busy', 'true');
    const ctx = { params: match.params, query, go, reload: render };
    try {
      const node = await match.fn(ctx);
      show(gen, node);
    } catch (err) {
      if (err && err.signedOut) return; // onUnauthorized moved us to the sign-in page
      show(gen, WX.ui.page(err && err.status === 404 ? 'Not found' : 'Something went wrong', {},
        WX.ui.errorBox(err, () => render())));
    }
  }

  function show(gen, node) {
    if (gen !== generation) return;
    view.removeAttribute('aria-busy');
    view.replaceChildren(node);
    view.dataset.route = location.hash; // which route is on screen (tests wait for it)
    WX.flashSettled();
    const h1 = view.querySelector('h1');
    document.title = (h1 ? h1.textContent + ' · ' : '') + 'wxauth console';
  }

  // The stored token stopped working (changed on the server): sign in again, then come back.
  // Parallel calls of one page may all get 401; the first one decides where to return.
  WX.onUnauthorized = () => {
    if (location.hash.startsWith('#/signin')) return;
    location.replace('#/signin?reason=expired&next=' + encodeURIComponent(location.hash));
  };

  document.getElementById('signout').addEventListener('click', () => {
    api.signOut();
    WX.flash('', null);
    location.hash = '#/signin?reason=signedout';
  });

  window.addEventListener('hashchange', () => {
    WX.flashNavigated();
    render();
  });
  render();
})();
