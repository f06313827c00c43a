// beacon-agent entry point; everything lives in libbeacon_agent (agent/cli.cpp).
#include "agent/cli.h"

int main(int argc, char** argv) { return beacon::agent::RunCli(argc, argv); }
