// openid-client (npm, the certified OpenID Connect relying party library) against wxauthd, as
// a Node application would use it: discovery, the code flow with PKCE through the WeChat
// emulator (a WeChat WebView's redirects, one cookie jar), the ID token checked by the library
// (iss, aud, nonce, signature from the JWKS, the iss of the answer per RFC 9207), userinfo,
// refresh, a public client signed in silently from the login session, RP-initiated logout,
// and prompt=none refused after it. Run by tests/integration/test_oidc_clients.c:
//   node openid_client.mjs AUTH CLIENT_ID CLIENT_SECRET PUBLIC_ID REDIRECT LOGOUT_URL PERSON
// Prints {id_token, access_token, nonce} of the first login as JSON for the Python check.
import assert from 'node:assert/strict';
import * as client from 'openid-client';

const [auth, clientId, secret, publicId, redirect, logoutUrl, person] = process.argv.slice(2);
const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 ' +
  '(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN';
const jar = new Map();

async function get(url) {
  const res = await fetch(url, {
    redirect: 'manual',
    headers: { 'User-Agent': WECHAT_UA, Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    signal: AbortSignal.timeout(20000),
  });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  await res.arrayBuffer();
  return res;
}

// The browser from the authorization URL to the client's redirect_uri: through WeChat (the
// emulator, where the person allows) unless wxauthd answers at once.
async function browse(url) {
  let res = await get(url);
  assert.equal(res.status, 302, `authorize answers with a redirect (${res.status})`);
  let loc = res.headers.get('location');
  if (!loc.startsWith(redirect)) {
    loc = loc.replace(/#.*$/, '') + `&emu_person=${encodeURIComponent(person)}&emu_action=allow`;
    res = await get(loc); // the emulator: back to wxauthd's callback with a code
    assert.equal(res.status, 302);
    res = await get(res.headers.get('location')); // wxauthd: to the client with its code
    assert.equal(res.status, 302);
    loc = res.headers.get('location');
  }
  assert.ok(loc.startsWith(redirect), `ends at the redirect_uri: ${loc}`);
  return new URL(loc);
}

const insecure = { execute: [client.allowInsecureRequests] }; // loopback http in the test
const issuer = new URL(`${auth}/oidc`);
const config = await client.discovery(issuer, clientId, undefined,
  client.ClientSecretBasic(secret), insecure);
assert.equal(config.serverMetadata().issuer, `${auth}/oidc`);

// 1. Code flow with PKCE and nonce.
const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirect,
  scope: 'openid profile',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  nonce,
  state,
});
const back = await browse(url);
const tokens = await client.authorizationCodeGrant(config, back, {
  pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true,
});
const claims = tokens.claims();
assert.equal(claims.aud, clientId);
assert.equal(claims.nonce, nonce);
assert.ok(claims.sid && claims.auth_time > 0, 'sid and auth_time');
assert.ok(tokens.refresh_token, 'a refresh token');

// 2. Userinfo for the same subject.
const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
assert.equal(info.sub, claims.sub);

// 3. Refresh: new tokens, same subject; the old refresh token is spent.
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
assert.equal(refreshed.claims().sub, claims.sub);
assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token),
  (e) => e.error === 'invalid_grant');

// 4. A public client of the same pool: none + PKCE, signed in from the session (no WeChat).
const pub = await client.discovery(issuer, publicId, undefined, client.None(), insecure);
const v2 = client.randomPKCECodeVerifier();
const st2 = client.randomState();
const back2 = await browse(client.buildAuthorizationUrl(pub, {
  redirect_uri: redirect, scope: 'openid', prompt: 'none', state: st2,
  code_challenge: await client.calculatePKCECodeChallenge(v2), code_challenge_method: 'S256',
}));
const t2 = await client.authorizationCodeGrant(pub, back2, { pkceCodeVerifier: v2, expectedState: st2 });
assert.equal(t2.claims().sub, claims.sub);
assert.equal(t2.claims().sid, claims.sid);

// 5. RP-initiated logout back to the registered address; then prompt=none needs a login.
const st3 = client.randomState();
const out = await get(client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token, post_logout_redirect_uri: logoutUrl, state: st3,
}));
assert.equal(out.status, 302);
assert.equal(out.headers.get('location'), `${logoutUrl}?state=${st3}`);
const st4 = client.randomState();
const back4 = await browse(client.buildAuthorizationUrl(pub, {
  redirect_uri: redirect, scope: 'openid', prompt: 'none', state: st4,
  code_challenge: await client.calculatePKCECodeChallenge(v2), code_challenge_method: 'S256',
}));
await assert.rejects(client.authorizationCodeGrant(pub, back4, { pkceCodeVerifier: v2, expectedState: st4 }),
  (e) => e.error === 'login_required');

process.stdout.write(JSON.stringify({
  id_token: tokens.id_token, access_token: tokens.access_token, nonce, client_id: clientId,
}));
