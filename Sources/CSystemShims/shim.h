// swift-ctrader: the Linux system calls that Swift's Glibc module does not import.
//
// Glibc's module map leaves out <sys/epoll.h>, <sys/eventfd.h> and <sys/random.h>, and declares
// accept4 only under _GNU_SOURCE, which the module is not built with. This header includes the
// first three and redeclares accept4 with glibc's own prototype, so that CTraderTransport and
// CTraderFraming (getrandom) can call them; with glibc it also wraps mallopt for the simulator
// command (`--malloc-arenas`). On other systems it is empty.
#ifndef CSYSTEMSHIMS_SHIM_H
#define CSYSTEMSHIMS_SHIM_H

#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>

/// accept(2) that sets flags (SOCK_CLOEXEC, SOCK_NONBLOCK) atomically: no window in which a
/// process started by another thread inherits the descriptor.
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// The value of SOCK_CLOEXEC | SOCK_NONBLOCK for accept4 (enum members in glibc's headers).
static inline int CSystemShims_acceptFlags(void) { return SOCK_CLOEXEC | SOCK_NONBLOCK; }
#endif

#ifdef __GLIBC__
#include <malloc.h>
/// Limits glibc's malloc to `count` arenas (mallopt M_ARENA_MAX, which <malloc.h> declares and
/// the Glibc module does not import). Returns 1 on success, 0 when glibc refused the value.
static inline int CSystemShims_limitMallocArenas(int count) { return mallopt(M_ARENA_MAX, count); }
#endif

#endif
