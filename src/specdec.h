/* specdec.h - the umbrella header of libspecdec. */
#ifndef SPECDEC_H
#define SPECDEC_H

#include "error.h"
#include "alloc.h"
#include "npy.h"
#include "model.h"
#include "rng.h"
#include "step.h"
#include "rule.h"
#include "exact.h"
#include "mc.h"
#include "sim_sd.h"
#include "check.h"
#include "biased.h"
#include "tradeoff.h"
#include "sim_biased.h"
#include "kseq.h"
#include "ersd.h"
#include "otbound.h"
#include "roundstart.h"
#include "tree.h"
#include "rrs.h"
#include "batch.h"
#include "rrswor.h"
#include "calls.h"
#include "block.h"

#endif
