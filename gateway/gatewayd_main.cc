// gatewayd: the gateway daemon (gateway/app/daemon.h).
#include "gateway/app/daemon.h"

int main(int argc, char** argv) { return gw::app::run_gatewayd(argc, argv); }
