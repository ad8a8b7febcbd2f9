/* `wxauth token …`: tokens checked offline with libwxauth (include/wxauth.h). Needs no config
 * file and no admin credential, so main hands it the command line before reading either. */
#ifndef WX_CLI_TOKEN_H
#define WX_CLI_TOKEN_H

/* argv[0] is "token"; returns the process exit code: 0 valid, 1 invalid token or JWKS
 * unreachable, 2 usage. */
int cli_token_main(int argc, char **argv);

#endif
