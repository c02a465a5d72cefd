// swift-ctrader benchmarks: zlib for the raw-zlib baseline.
//
// The root package's `CZlib` is a system-library target, not a product, so another package
// cannot depend on it; this is the same module map under another name (two modules named
// `CZlib` in one build would clash).
#ifndef CBENCHZLIB_SHIM_H
#define CBENCHZLIB_SHIM_H

#include <zlib.h>

/// Expands the `deflateInit2` macro (Swift cannot import function-like macros).
static inline int CBenchZlib_deflateInit2(z_streamp stream, int level, int method, int windowBits,
                                          int memLevel, int strategy) {
    return deflateInit2(stream, level, method, windowBits, memLevel, strategy);
}

/// Expands the `inflateInit2` macro (Swift cannot import function-like macros).
static inline int CBenchZlib_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

#endif
