// Top-k selection of (score, id) pairs, fused with dot products.
// Static inline bodies, instantiated per instruction set by dispatch.c.
#ifndef GK_TOPK_H
#define GK_TOPK_H

#include <stdbool.h>

#include "GantryKernels.h"
#include "simd.h"
#include "vector.h"

// A binary min-heap whose root is the worst kept pair; "better" means a higher score, then a
// lower id. New scores are first compared 16 at a time against the root's score, so a full
// selection rejects most blocks with one vector compare.

GK_INLINE bool better(float score, int64_t id, float other_score, int64_t other_id) {
    return score > other_score || (score == other_score && id < other_id);
}

// sift_down and offer are scalar: not forced inline, left to the compiler to share or inline.
static void sift_down(gk_topk *t, size_t at, size_t count) {
    float *s = t->scores;
    int64_t *ids = t->ids;
    for (;;) {
        size_t worst = at, left = 2 * at + 1, right = left + 1;
        if (left < count && better(s[worst], ids[worst], s[left], ids[left])) worst = left;
        if (right < count && better(s[worst], ids[worst], s[right], ids[right])) worst = right;
        if (worst == at) return;
        float ts = s[at]; s[at] = s[worst]; s[worst] = ts;
        int64_t ti = ids[at]; ids[at] = ids[worst]; ids[worst] = ti;
        at = worst;
    }
}

static void offer(gk_topk *t, float score, int64_t id) {
    if (!(score >= t->floor)) return;  // also NaN
    float *s = t->scores;
    int64_t *ids = t->ids;
    if (t->count < t->capacity) {
        size_t at = t->count++;
        s[at] = score;
        ids[at] = id;
        while (at > 0) {
            size_t parent = (at - 1) / 2;
            if (!better(s[parent], ids[parent], s[at], ids[at])) break;
            float ts = s[at]; s[at] = s[parent]; s[parent] = ts;
            int64_t ti = ids[at]; ids[at] = ids[parent]; ids[parent] = ti;
            at = parent;
        }
    } else if (better(score, id, s[0], ids[0])) {
        s[0] = score;
        ids[0] = id;
        sift_down(t, 0, t->count);
    }
}

GK_INLINE void topk_push_scores_impl(gk_topk *t, const float *scores, size_t count, int64_t first_id) {
    if (t->capacity == 0) return;
    // While the selection fills, a block is screened against the floor; once it is full, against
    // the worst kept score (`>=`: an equal score can still win on a lower id).
    size_t i = 0;
    float threshold = t->count == t->capacity ? t->scores[0] : t->floor;
    for (; i + 16 <= count; i += 16) {
        v16i hit = load16(scores + i) >= threshold;
        if (!__builtin_reduce_or(hit)) continue;
        for (size_t j = 0; j < 16; j++) {
            if (!(scores[i + j] >= threshold)) continue;
            offer(t, scores[i + j], first_id + (int64_t)(i + j));
            threshold = t->count == t->capacity ? t->scores[0] : t->floor;
        }
    }
    for (; i < count; i++) offer(t, scores[i], first_id + (int64_t)i);
}

/// Catalogues up to this many bytes are scored four rows at a time (see topk_push_dots_impl).
#define GK_INTERLEAVED_SCAN_BYTES ((size_t)512 << 10)

GK_INLINE void topk_push_dots_impl(gk_topk *t, const float *rows, size_t count, size_t dim,
                                   const float *query, int64_t first_id) {
    // Rows that fit in L2 are scored four at a time, sharing the query's loads (fewer loads per
    // FMA). Larger catalogues come from the L3 or DRAM, where four rows read side by side are four
    // streams 4·dim bytes apart, which the hardware prefetchers follow badly: there each row is
    // read front to back after the one before, one ascending stream — twice the read rate from
    // DRAM and the L3 on the host measured, a quarter slower from L2 (199 rows: 4.4 µs against
    // 3.5; Benchmarks/compare/run-flat-scan.sh and run-baselines.sh).
    bool interleaved = count * dim * sizeof(float) <= GK_INTERLEAVED_SCAN_BYTES;
    float block[16];
    size_t r = 0;
    for (; r + 16 <= count; r += 16) {
        const float *base = rows + r * dim;
        if (interleaved) {
            for (size_t j = 0; j < 16; j += 4) {
                dot4_impl(base + j * dim, base + (j + 1) * dim, base + (j + 2) * dim,
                          base + (j + 3) * dim, query, dim, block + j);
            }
        } else {
            for (size_t j = 0; j < 16; j++) block[j] = dot_impl(base + j * dim, query, dim);
        }
        topk_push_scores_impl(t, block, 16, first_id + (int64_t)r);
    }
    for (; r < count; r++) {
        block[0] = dot_impl(rows + r * dim, query, dim);
        topk_push_scores_impl(t, block, 1, first_id + (int64_t)r);
    }
}

// A float's bits as an integer of the same order (for every float but NaN; −0 just below +0):
// negative floats' magnitude bits flipped. One expression for an int32_t and for a v16i of them.
#define GK_ORDERED_BITS(bits) ((bits) ^ (((bits) >> 31) & 0x7FFFFFFF))
GK_INLINE int32_t ordered_bits(int32_t bits) { return GK_ORDERED_BITS(bits); }

GK_INLINE float kth_highest_impl(const float *values, size_t count, size_t k) {
    // The last count % 16 values' ordered patterns, padded to 16 with INT32_MIN (below every
    // probe, so never counted): every pass then counts whole vectors.
    size_t full = count & ~(size_t)15;
    int32_t tail[16];
    for (size_t j = 0; j < 16; j++) {
        int32_t bits = INT32_MIN;
        if (full + j < count) {
            memcpy(&bits, values + full + j, sizeof bits);
            bits = ordered_bits(bits);
        }
        tail[j] = bits;
    }
    v16i tail_keys = load16i(tail);
    // The largest pattern p with at least k values at or above it is the k-th highest value's
    // own: search p over every int32, counting the values ≥ p 16 at a time.
    int64_t low = INT32_MIN, high = INT32_MAX;  // invariant: #{v ≥ low} ≥ k
    while (low < high) {
        int32_t mid = (int32_t)(low + (high - low + 1) / 2);
        v16i below = tail_keys < mid;  // −1 per lane below
        for (size_t i = 0; i < full; i += 16) {
            v16i bits = load16i(values + i);
            below += GK_ORDERED_BITS(bits) < mid;
        }
        size_t at_least = full + 16 + (size_t)(int64_t)__builtin_reduce_add(below);
        if (at_least >= k) low = mid; else high = (int64_t)mid - 1;
    }
    int32_t bits = ordered_bits((int32_t)low);  // the map is its own inverse
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/// Sorting is branchy scalar work, so it has a single variant.
static inline void topk_finish_impl(gk_topk *t) {
    // Heap sort: moving the worst pair to the end each time leaves the best first.
    for (size_t end = t->count; end > 1; end--) {
        float ts = t->scores[0]; t->scores[0] = t->scores[end - 1]; t->scores[end - 1] = ts;
        int64_t ti = t->ids[0]; t->ids[0] = t->ids[end - 1]; t->ids[end - 1] = ti;
        sift_down(t, 0, end - 1);
    }
}

#endif
