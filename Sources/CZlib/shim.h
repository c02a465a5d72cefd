// swift-ctrader: zlib shim.
//
// zlib's `deflateInit2` and `inflateInit2` are function-like macros that pass the library
// version and the size of `z_stream` to `deflateInit2_` / `inflateInit2_`. Swift cannot import
// function-like macros, so these `static inline` wrappers expand them in C.
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H

#include <zlib.h>

/// Expands the `deflateInit2` macro (Swift cannot import function-like macros).
static inline int CZlib_deflateInit2(z_streamp stream, int level, int method, int windowBits,
                                     int memLevel, int strategy) {
    return deflateInit2(stream, level, method, windowBits, memLevel, strategy);
}

/// Expands the `inflateInit2` macro (Swift cannot import function-like macros).
static inline int CZlib_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

#endif
