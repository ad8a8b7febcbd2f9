#!/usr/bin/python3
"""Verify a wxauthd token the way a Python backend does with PyJWT: fetch the server's JWKS
(PyJWKClient), pick the key by kid, then jwt.decode with the issuer and audience. Run by
tests/integration/test_interop.c with /usr/bin/python3 (Debian's python3-jwt).

    verify_jwks.py TOKEN JWKS_URL ISSUER AUDIENCE

Exit 0 with the payload as JSON on stdout when the token verifies, 1 with PyJWT's reason on
stderr when it does not, 2 on a usage error.
"""
import json
import sys

import jwt


def main(argv):
    if len(argv) != 4:
        print("usage: verify_jwks.py TOKEN JWKS_URL ISSUER AUDIENCE", file=sys.stderr)
        return 2
    token, jwks_url, issuer, audience = argv
    try:
        key = jwt.PyJWKClient(jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
        payload = jwt.decode(
            token,
            key.key,
            algorithms=["RS256", "ES256", "EdDSA"],
            issuer=issuer,
            audience=audience,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
    except jwt.PyJWTError as e:
        print(f"PyJWT refused the token: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
