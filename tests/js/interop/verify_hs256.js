// Verify an HS256 token of an application in Authing compatibility mode the way existing
// backends do: npm `jsonwebtoken`'s jwt.verify(token, appSecret). Run by
// tests/integration/test_interop.c.
//
//   node verify_hs256.js TOKEN APP_SECRET ISSUER AUDIENCE
//
// Exit 0 with the payload on stdout when it verifies, 1 with the reason on stderr when it does
// not, 2 on a usage error.
'use strict';
const jwt = require('jsonwebtoken');

function main(argv) {
  if (argv.length !== 4) {
    console.error('usage: node verify_hs256.js TOKEN APP_SECRET ISSUER AUDIENCE');
    return 2;
  }
  const [token, secret, issuer, audience] = argv;
  try {
    // The plain Authing call first, exactly as backends write it...
    jwt.verify(token, secret);
    // ...then with the claims pinned, as they should.
    const payload = jwt.verify(token, secret, { algorithms: ['HS256'], issuer, audience });
    process.stdout.write(JSON.stringify(payload) + '\n');
    return 0;
  } catch (e) {
    console.error(`jsonwebtoken refused the token: ${e.name}: ${e.message}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
