/* cmds.h - the subcommands of the specdec tool; each takes the argument
 * vector starting at its own name and returns the process exit status. */
#ifndef SD_CMDS_H
#define SD_CMDS_H

int sd_cmd_random(int argc, char **argv);
int sd_cmd_rejections(int argc, char **argv);
int sd_cmd_simulate(int argc, char **argv);
int sd_cmd_tradeoff(int argc, char **argv);
int sd_cmd_token(int argc, char **argv);
int sd_cmd_calls(int argc, char **argv);
int sd_cmd_block(int argc, char **argv);
int sd_cmd_trace(int argc, char **argv);
int sd_cmd_trace_sample(int argc, char **argv);

#endif
