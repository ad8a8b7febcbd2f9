/* The WeChat emulator (spec/wechat-oauth.md): `wxauthd --emulator`. */
#ifndef EMU_EMU_H
#define EMU_EMU_H

/* Run the emulator until SIGTERM/SIGINT. argv is the whole command line (its "--emulator"
 * is skipped): [--config FILE] [--listen ADDR] [--ua-check on|off]. Returns the exit code:
 * 0 after a clean stop, 2 on a usage or config error, 1 when it cannot start. */
int emu_main(int argc, char **argv);

#endif
