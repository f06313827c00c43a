// beacon-collector entry point; everything lives in libbeacon_collector (collector/cli.cpp).
#include "collector/cli.h"

int main(int argc, char** argv) { return beacon::collector::RunCli(argc, argv); }
