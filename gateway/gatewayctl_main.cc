// gatewayctl: the operator CLI (gateway/cli/gatewayctl.h).
#include "gateway/cli/gatewayctl.h"

int main(int argc, char** argv) { return gw::cli::run_gatewayctl(argc, argv); }
