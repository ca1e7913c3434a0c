// The optimizer step: AdamW over a flat parameter vector.
// Static inline bodies, instantiated per instruction set by dispatch.c.
#ifndef GK_OPTIMIZER_H
#define GK_OPTIMIZER_H

#include <math.h>

#include "simd.h"

/// One AdamW step over n parameters: moments m, v updated in place, then
/// x -= lr · (m̂ / (√v̂ + eps) + wd · x), with m̂ = m / c1 and v̂ = v / c2 (bias corrections).
GK_INLINE void adamw_impl(float *x, const float *g, float *m, float *v, size_t n, const float *s) {
    float lr = s[0], wd = s[1], b1 = s[2], b2 = s[3], eps = s[4], c1 = s[5], c2 = s[6];
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f gi = load16(g + i);
        v16f mi = load16(m + i) * b1 + gi * (1 - b1);
        v16f vi = load16(v + i) * b2 + gi * gi * (1 - b2);
        store16(m + i, mi);
        store16(v + i, vi);
        v16f xi = load16(x + i);
        store16(x + i, xi - lr * ((mi / c1) / (__builtin_elementwise_sqrt(vi / c2) + eps) + wd * xi));
    }
    for (; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        x[i] -= lr * ((m[i] / c1) / (sqrtf(v[i] / c2) + eps) + wd * x[i]);
    }
}

#endif
