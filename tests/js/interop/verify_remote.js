// Verify a wxauthd token the way a Node.js backend does with npm `jose`: createRemoteJWKSet on
// the server's JWKS URL, then jwtVerify with the issuer and audience. Run by
// tests/integration/test_interop.c.
//
//   node verify_remote.js TOKEN JWKS_URL ISSUER AUDIENCE
//
// Exit 0 with {"header":…,"payload":…} on stdout when the token verifies, 1 with jose's reason
// on stderr when it does not, 2 on a usage error.
'use strict';
const jose = require('jose');

async function main(argv) {
  if (argv.length !== 4) {
    console.error('usage: node verify_remote.js TOKEN JWKS_URL ISSUER AUDIENCE');
    return 2;
  }
  const [token, jwksUrl, issuer, audience] = argv;
  const jwks = jose.createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5000 });
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
      issuer,
      audience,
      algorithms: ['RS256', 'ES256', 'EdDSA'],
    });
    process.stdout.write(JSON.stringify({ header: protectedHeader, payload }) + '\n');
    return 0;
  } catch (e) {
    console.error(`jose refused the token: ${e.code || e.name}: ${e.message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { console.error(e); process.exitCode = 3; },
);
