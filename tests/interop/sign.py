#!/usr/bin/python3
"""Sign a token with PyJWT using one of wxauthd's own private keys (the test opens it from the
store and writes it as PKCS#8 PEM), so the test can check that wxauthd and libwxauth accept what
another JOSE implementation produces. Run by tests/integration/test_interop.c with
/usr/bin/python3.

    sign.py KEY_PEM_FILE ALG KID PAYLOAD_JSON

Prints the compact JWS on stdout; exit 2 on a usage error.
"""
import json
import sys

import jwt


def main(argv):
    if len(argv) != 4:
        print("usage: sign.py KEY_PEM_FILE ALG KID PAYLOAD_JSON", file=sys.stderr)
        return 2
    key_file, alg, kid, payload_json = argv
    with open(key_file, encoding="ascii") as f:
        key = f.read()
    token = jwt.encode(json.loads(payload_json), key, algorithm=alg, headers={"kid": kid})
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
