/* Verifying wxauth tokens in a C backend with libwxauth (docs/verify.md).
 *
 * Build:  cc verify.c $(pkg-config --cflags --libs wxauth) -o verify
 * Run:    ./verify https://id.example.com/oidc/.well-known/jwks.json \
 *                  https://id.example.com/oidc shop-web < tokens.txt
 *
 * One verifier is made at start-up and shared by everything that checks tokens (it is
 * thread-safe and caches the JWKS); each line of standard input is a token, as a backend would
 * take it from an "Authorization: Bearer" header. Exit status: 0 when every token was valid. */
#include <stdio.h>
#include <string.h>

#include <wxauth.h>

/* What a request handler does with a token: 200 and the user, or 401 and why. */
static int
handle(wxauth_verifier *v, const char *token)
{
    char why[256];
    wxauth_claims *claims = NULL;
    wxauth_status st = wxauth_verify(v, token, &claims, why, sizeof why);
    if (st != WXAUTH_OK) {
        /* JWKS trouble is ours (503), everything else is the caller's token (401). */
        printf("%d %s: %s\n", st == WXAUTH_ERR_JWKS ? 503 : 401, wxauth_status_str(st), why);
        return 1;
    }
    long long exp = 0;
    const char *nick = wxauth_claims_string(claims, "nickname");
    wxauth_claims_int(claims, "exp", &exp);
    printf("200 user=%s nickname=%s exp=%lld\n", wxauth_claims_string(claims, "sub"),
           nick ? nick : "-", exp);
    wxauth_claims_free(claims);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s JWKS_URL|JWKS_FILE ISSUER AUDIENCE < tokens\n", argv[0]);
        return 2;
    }
    /* leeway -1: the default 30 s of clock skew (0 would mean none) */
    wxauth_options opt = {.issuer = argv[2], .audience = argv[3], .leeway = -1};
    if (strncmp(argv[1], "http://", 7) == 0 || strncmp(argv[1], "https://", 8) == 0)
        opt.jwks_url = argv[1];
    else
        opt.jwks_file = argv[1];

    char err[256];
    wxauth_verifier *v = NULL;
    if (wxauth_verifier_new(&opt, &v, err, sizeof err) != WXAUTH_OK) {
        fprintf(stderr, "cannot start: %s\n", err);
        return 1;
    }
    int bad = 0;
    char line[WXAUTH_TOKEN_MAX + 2];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strcspn(line, "\r\n");
        if (line[n] == '\0' && n == sizeof line - 1) { /* longer than any token we accept */
            int c;
            while ((c = getchar()) != EOF && c != '\n')
                ;
            printf("401 token too large\n");
            bad++;
            continue;
        }
        line[n] = '\0';
        if (n > 0)
            bad += handle(v, line);
    }
    wxauth_verifier_free(v);
    return bad ? 1 : 0;
}
