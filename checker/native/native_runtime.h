/* The native backend's runtime: what generated code calls (emit, failures, integer
 * helpers). checker/native/codegen.py writes one C file per spec and configuration
 * that includes this header, then its own definitions, then native_search.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define MC_MAX_LABELS 32

typedef struct Ctx Ctx;

/* Thread-locals cost a __tls_get_addr call per access in a library loaded with dlopen
 * (gcc does not share them: 244 calls in the group spec's successor function, 24 in
 * mc_emit). Tried and measured: the initial-exec model removes the calls but its static
 * TLS runs out after a few libraries are loaded into one process (the tests load
 * dozens); TLS descriptors (-mtls-dialect=gnu2) were slower. So the thread-locals are
 * one struct reached through a `const` function (as glibc's errno): one call per
 * function that uses them, the address kept in a register. */
#define MC_TLS(type, name) static __thread type name##_tls; \
    __attribute__((const, noinline)) static type *name##_at(void) { return &name##_tls; }

typedef struct {
    char err[512];
    int failed;
    const char *where;
    int labelling;
    int64_t label[MC_MAX_LABELS];
    uint32_t stepmark;
} McTls;
MC_TLS(McTls, mc_rt)

/* One failure per run: the first message wins; code keeps going with a dummy value
 * and the engine stops before using what it computed. */
#define mc_err (mc_rt_at()->err)
#define mc_failed (mc_rt_at()->failed)
#define mc_where (mc_rt_at()->where)          /* NULL: "" */

static void mc_fail(const char *what) {
    if (!mc_failed) {
        mc_failed = 1;
        snprintf(mc_err, sizeof mc_err, "%s (in %s)", what, mc_where ? mc_where : "");
    }
}

static void mc_fail_range(const char *what, int64_t v, int64_t lo, int64_t hi) {
    if (!mc_failed) {
        mc_failed = 1;
        snprintf(mc_err, sizeof mc_err, "%s would become %lld, outside its type %lld..%lld (in %s)",
                 what, (long long)v, (long long)lo, (long long)hi, mc_where ? mc_where : "");
    }
}

static inline int64_t mc_check(int64_t v, int64_t lo, int64_t hi, const char *what) {
    if (__builtin_expect(v < lo || v > hi, 0)) { mc_fail_range(what, v, lo, hi); return lo; }
    return v;
}

/* Python's floor division and modulo (gdsl's `/` and `%`). */
static inline int64_t mc_div(int64_t a, int64_t b) {
    if (b == 0) { mc_fail("division by zero"); return 0; }
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

static inline int64_t mc_mod(int64_t a, int64_t b) {
    if (b == 0) { mc_fail("integer modulo by zero"); return 0; }
    int64_t m = a % b;
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    return m;
}

static inline int64_t mc_min(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t mc_max(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t mc_abs(int64_t a) { return a < 0 ? -a : a; }

/* The bit of a set element's ordinal, which must be one of the set's element type. */
static inline uint64_t mc_bit(int64_t ord, int64_t card) {
    if (__builtin_expect(ord < 0 || ord >= card, 0)) { mc_fail("a set would hold a value outside its element type"); return 0; }
    return 1ULL << ord;
}

/* The sum of the ints of a bitset whose bit i stands for lo + i. */
static inline int64_t mc_bits_sum(uint64_t b, int64_t lo) {
    int64_t s = 0;
    while (b) { int i = __builtin_ctzll(b); s += lo + i; b &= b - 1; }
    return s;
}

static inline int64_t mc_bits_min(uint64_t b, int64_t lo) {
    if (!b) { mc_fail("min of an empty set"); return 0; }
    return lo + __builtin_ctzll(b);
}

static inline int64_t mc_bits_max(uint64_t b, int64_t lo) {
    if (!b) { mc_fail("max of an empty set"); return 0; }
    return lo + 63 - __builtin_clzll(b);
}

static inline int64_t mc_get(int64_t opt) {
    if (opt == 0) { mc_fail("get(none): the option is empty"); return 1; }
    return opt;
}

/* Labels of the successor being emitted (only while a trace is rebuilt). */
#define mc_labelling (mc_rt_at()->labelling)
#define mc_label (mc_rt_at()->label)

/* While the state graph is recorded (for the liveness check): the fairness `when`
 * bits of the successor being emitted. */
static int mc_record;
#define mc_stepmark (mc_rt_at()->stepmark)

/* Defined by native_search.c: hand one successor (a generated `S`) to the search. */
static void mc_emit(const void *t, int site);
