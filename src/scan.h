/* scan.h - one draw from a law that changes with every draw.
 *
 * The verifiers of RRS without replacement and of block verification
 * draw from laws built on the fly (the draft law without the rejected
 * tokens, a residual that depends on the block): no alias table can be
 * prepared for them, so the token is found by inverse CDF in one O(V)
 * pass, the same cost as building the law.
 */
#ifndef SD_SCAN_H
#define SD_SCAN_H

#include <stddef.h>

/* The index x drawn with probability w[x] / total (w >= 0, total = the
 * sum of w > 0) from a uniform u in [0, 1); when rounding carries the
 * running sum past the end, the last index of positive weight. */
static inline size_t sd_scan_draw(const double *w, size_t V, double total, double u)
{
    double target = u * total, cum = 0.0;
    size_t x, last = 0;
    for (x = 0; x < V; x++) {
        if (w[x] <= 0.0)
            continue;
        cum += w[x];
        last = x;
        if (target < cum)
            return x;
    }
    return last;
}

#endif
