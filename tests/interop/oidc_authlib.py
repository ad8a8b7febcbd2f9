#!/usr/bin/python3
"""Authlib (Debian's python3-authlib) checks wxauthd as an OpenID Connect provider: the
discovery document passes OpenIDProviderMetadata.validate() at both discovery URLs, and an
ID token of a real login (from tests/js/oidc/openid_client.mjs) passes CodeIDToken validation
with the JWKS: signature, iss, aud, exp, iat, nonce, auth_time and at_hash against the access
token. A tampered at_hash or a wrong nonce must fail.

    oidc_authlib.py AUTH TOKENS_JSON
"""
import json
import sys
import urllib.request

from authlib.jose import JsonWebKey, jwt
from authlib.jose.errors import JoseError
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def main():
    auth, tokens = sys.argv[1], json.loads(sys.argv[2])
    issuer = auth + "/oidc"
    for path in ("/oidc/.well-known/openid-configuration", "/.well-known/openid-configuration"):
        doc = get_json(auth + path)
        assert doc["issuer"] == issuer, doc["issuer"]
        # Authlib requires https URLs; the test server is plain http on loopback, so only the
        # scheme of our own base URL is changed before the (otherwise strict) validation.
        https = {k: v.replace(auth, "https" + auth[4:]) if isinstance(v, str) else v
                 for k, v in doc.items()}
        assert auth.startswith("http://")
        OpenIDProviderMetadata(https).validate()  # raises on a missing or malformed field
    keys = JsonWebKey.import_key_set(get_json(doc["jwks_uri"]))

    def check(nonce, access_token):
        claims = jwt.decode(
            tokens["id_token"], keys, claims_cls=CodeIDToken,
            claims_options={"iss": {"essential": True, "value": issuer}},
            claims_params={"nonce": nonce, "client_id": tokens["client_id"],
                           "access_token": access_token})
        claims.validate(leeway=30)
        return claims

    claims = check(tokens["nonce"], tokens["access_token"])
    assert claims["aud"] == tokens["client_id"]
    for bad_nonce, bad_at in ((tokens["nonce"] + "x", tokens["access_token"]),
                              (tokens["nonce"], tokens["access_token"] + "x")):
        try:
            check(bad_nonce, bad_at)
        except JoseError:
            continue
        raise AssertionError("a wrong nonce or access token passed")
    print("ok", claims["sub"])


if __name__ == "__main__":
    main()
