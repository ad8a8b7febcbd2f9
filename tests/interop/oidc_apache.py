#!/usr/bin/python3
"""Apache httpd with Debian's mod_auth_openidc on loopback, protecting /protected/ with
wxauthd as its OpenID Connect provider: a WeChat WebView (one cookie jar, manual redirects)
asks for the page, goes through /oidc/auth, the emulator's consent and wxauthd's callback,
Apache redeems the code itself, and the page is then served with the user's claims (set as
response headers from mod_auth_openidc's OIDC_CLAIM_* variables). Logout through
mod_auth_openidc's logout URL ends at wxauthd's end_session_endpoint and back.

    WXT_ADMIN_TOKEN=… oidc_apache.py AUTH CLIENT_ID CLIENT_SECRET PERSON DIR
The Apache port is only known here, so the script registers its redirect_uri and logout
address on the application through wxauthd's admin API. Prints "ok <sub>" and exits 0, or fails with the reason (and Apache's error log).
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
      "like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI "
      "Language/zh_CN")
MODS = "/usr/lib/apache2/modules"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Browser:
    """Manual redirects and one cookie jar per host:port, as a WebView keeps them."""

    def __init__(self):
        self.jar = {}

    def get(self, url):
        u = urllib.parse.urlsplit(url)
        host = u.netloc
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
        path = u.path + ("?" + u.query if u.query else "")
        cookies = "; ".join(f"{k}={v}" for k, v in self.jar.get(host, {}).items())
        headers = {"User-Agent": UA, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        if cookies:
            headers["Cookie"] = cookies
        conn.request("GET", path or "/", headers=headers)
        r = conn.getresponse()
        body = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                pair = v.split(";", 1)[0]
                name, _, value = pair.partition("=")
                if value == "" or "max-age=0" in v.lower() or "expires=thu, 01 jan 1970" in v.lower():
                    self.jar.get(host, {}).pop(name.strip(), None)
                else:
                    self.jar.setdefault(host, {})[name.strip()] = value.strip()
        conn.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), body


def register(auth, client_id, base):
    # The admin API listens on its own address ([admin] listen), named by the test.
    u = urllib.parse.urlsplit(os.environ.get("WXT_ADMIN_URL") or auth)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    body = json.dumps({"redirect_urls": [base + "/protected/redirect_uri"],
                       "post_logout_redirect_uris": [base + "/loggedout"]})
    conn.request("PATCH", f"/api/admin/v1/apps/{client_id}", body=body,
                 headers={"Authorization": "Bearer " + os.environ["WXT_ADMIN_TOKEN"],
                          "Content-Type": "application/json"})
    r = conn.getresponse()
    assert r.status == 200, (r.status, r.read())
    conn.close()


def main():
    auth, client_id, secret, person, work = sys.argv[1:6]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    register(auth, client_id, base)
    # Apache's user must be able to search the document root; the test's folder is private.
    docroot = tempfile.mkdtemp(prefix="wxauth-apache-")
    os.chmod(docroot, 0o755)
    conf = os.path.join(work, "apache.conf")
    log = os.path.join(work, "apache-error.log")
    with open(conf, "w") as f:
        f.write(f"""
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {work}/apache.pid
ErrorLog {log}
LogLevel warn auth_openidc:info
User www-data
Group www-data
DocumentRoot {docroot}
<Directory />
  AllowOverride None
</Directory>
LoadModule mpm_event_module {MODS}/mod_mpm_event.so
LoadModule authn_core_module {MODS}/mod_authn_core.so
LoadModule authz_core_module {MODS}/mod_authz_core.so
LoadModule authz_user_module {MODS}/mod_authz_user.so
LoadModule headers_module {MODS}/mod_headers.so
LoadModule auth_openidc_module {MODS}/mod_auth_openidc.so
OIDCProviderMetadataURL {auth}/oidc/.well-known/openid-configuration
OIDCClientID {client_id}
OIDCClientSecret {secret}
OIDCRedirectURI {base}/protected/redirect_uri
OIDCCryptoPassphrase test-only-passphrase-{port}
OIDCScope "openid profile"
OIDCPKCEMethod S256
OIDCPassClaimsAs environment
<Location /protected>
  AuthType openid-connect
  Require valid-user
  Header always set X-Oidc-Sub "%{{OIDC_CLAIM_sub}}e"
  Header always set X-Oidc-Nickname "%{{OIDC_CLAIM_nickname}}e"
  Header always set X-Oidc-Aud "%{{OIDC_CLAIM_aud}}e"
</Location>
""")
    out = open(os.path.join(work, "apache-stdout.log"), "w")
    proc = subprocess.Popen(["apache2", "-X", "-f", conf], stdout=out, stderr=subprocess.STDOUT,
                            env={**os.environ, "APACHE_RUN_DIR": work, "APACHE_LOG_DIR": work})
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            raise AssertionError("apache did not start")
        if proc.poll() is not None:
            raise AssertionError(f"apache exited with {proc.returncode}")
        b = Browser()
        st, h, _ = b.get(base + "/protected/page")
        assert st == 302 and h["location"].startswith(auth + "/oidc/auth?"), (st, h)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(h["location"]).query))
        assert q["client_id"] == client_id and q.get("code_challenge_method") == "S256", q
        st, h, _ = b.get(h["location"])  # wxauthd: to WeChat (the emulator)
        assert st == 302, (st, h)
        emu = h["location"].split("#")[0] + f"&emu_person={person}&emu_action=allow"
        st, h, _ = b.get(emu)  # the emulator: back to wxauthd's callback
        assert st == 302, (st, h)
        st, h, _ = b.get(h["location"])  # wxauthd: to Apache's redirect_uri with the code
        assert st == 302 and h["location"].startswith(base + "/protected/redirect_uri?"), (st, h)
        st, h, _ = b.get(h["location"])  # Apache redeems the code, back to the page
        assert st == 302 and h["location"].endswith("/protected/page"), (st, h)
        st, h, _ = b.get(base + "/protected/page")
        # No file behind the page (404, or 403 where the folder is not Apache's to read), but
        # past the login, with the claims.
        assert st in (403, 404), (st, h)
        sub = h.get("x-oidc-sub", "")
        assert sub and h.get("x-oidc-aud") == client_id, h
        assert h.get("x-oidc-nickname"), h
        # Logout: Apache's session, then wxauthd's end_session_endpoint, back to Apache.
        back = urllib.parse.quote(base + "/loggedout", safe="")
        st, h, _ = b.get(f"{base}/protected/redirect_uri?logout={back}")
        assert st == 302 and h["location"].startswith(auth + "/oidc/session/end?"), (st, h)
        st, h, _ = b.get(h["location"])
        assert st == 302 and h["location"].startswith(base + "/loggedout"), (st, h)
        st, h, _ = b.get(base + "/protected/page")
        assert st == 302 and h["location"].startswith(auth + "/oidc/auth?"), (st, h)
        print("ok", sub)
    except Exception:
        for path in (os.path.join(work, "apache-stdout.log"), log):
            try:
                with open(path) as f:
                    sys.stderr.write(f.read()[-4000:])
            except OSError:
                pass
        raise
    finally:
        os.rmdir(docroot)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
