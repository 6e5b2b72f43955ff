#ifndef RMTL_ZMQ_SHIM_H
#define RMTL_ZMQ_SHIM_H
#include <zmq.h>
#include <errno.h>

// errno is a macro in glibc; Swift sees it through this accessor (EINTR after a signal).
static inline int rmtl_zmq_errno(void) { return zmq_errno(); }
#endif
