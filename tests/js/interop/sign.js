// Sign a token with npm `jose` using one of wxauthd's own private keys (the test opens it from
// the store and writes it as PKCS#8 PEM), so the test can check that wxauthd and libwxauth
// accept what another JOSE implementation produces. Run by tests/integration/test_interop.c.
//
//   node sign.js KEY_PEM_FILE ALG KID PAYLOAD_JSON
//
// Prints the compact JWS on stdout; exit 2 on a usage error.
'use strict';
const fs = require('fs');
const jose = require('jose');

async function main(argv) {
  if (argv.length !== 4) {
    console.error('usage: node sign.js KEY_PEM_FILE ALG KID PAYLOAD_JSON');
    return 2;
  }
  const [keyFile, alg, kid, payloadJson] = argv;
  const key = await jose.importPKCS8(fs.readFileSync(keyFile, 'utf8'), alg);
  const token = await new jose.SignJWT(JSON.parse(payloadJson))
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .sign(key);
  process.stdout.write(token + '\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { console.error(e); process.exitCode = 3; },
);
