// Preflight cost with many pools: POOLS pools of one application each (a registered web origin
// each), then N preflights (4 at a time) from an unregistered origin, the case that once read
// every pool and application per request. Prints preflights/s. Not a ctest (a figure, not a
// pass/fail): WXAUTHD=build/wxauthd WXAUTH_CLI=build/wxauth node bench/cors_preflight.js
'use strict';
const { startServers } = require('../tests/js/lib/servers');
(async () => {
  const POOLS = Number(process.env.POOLS || 300), N = Number(process.env.N || 2000);
  const env = await startServers({ uaCheck: false });
  try {
    for (let i = 0; i < POOLS; i++) {
      await env.api('POST', '/pools', { id: `p${i}`, name: `P ${i}`, redirect_urls: [] });
      await env.api('POST', `/pools/p${i}/apps`, { id: `a${i}`, name: `A ${i}`, redirect_urls: ['http://127.0.0.1:9/cb'],
        web_origins: [`http://127.0.0.1:${10000 + i}`] });
    }
    const pre = () => fetch(`${env.auth}/graphql/v2`, { method: 'OPTIONS',
      headers: { Origin: 'http://127.0.0.1:8', 'Access-Control-Request-Method': 'POST' } });
    for (let i = 0; i < 50; i++) await (await pre()).text();
    const t0 = process.hrtime.bigint();
    let c = 0;
    const worker = async () => { while (c < N) { c++; const r = await pre(); await r.text(); if (r.status !== 403) throw new Error(String(r.status)); } };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`pools=${POOLS} preflights=${N} ${ms.toFixed(0)} ms  ${(N / ms * 1000).toFixed(0)}/s`);
  } finally { await env.stop(); }
})().catch((e) => { console.error(e); process.exit(1); });
