#ifndef BAEDAL_CHIREDIS_SHIM_H
#define BAEDAL_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>
#endif
