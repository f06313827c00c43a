// beaconctl: the operator CLI. Everything lives in libbeacon_ctl (ctl/cli.h).
#include "ctl/cli.h"

int main(int argc, char** argv) { return beacon::ctl::Main(argc, argv); }
