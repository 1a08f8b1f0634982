/* The native breadth-first search, counting as TLC counts (checker/engine/explore.py
 * is the reference: the same order of checks, the same numbers at a stop).
 *
 * Included at the end of a generated file, which defines before it: MC_WORDS, the
 * unpacked state `S`, mc_unpack/mc_pack, mc_init/mc_successors (calling mc_emit), and
 * mc_inv/mc_inv_of/mc_steps/mc_con with MC_N_INV/MC_N_STEP/MC_N_CON, MC_INV_DECIDED,
 * mc_site_inv/mc_site_keep (which invariants a step may break, and what they read),
 * and mc_cover with MC_N_COVER (at most 64) and MC_COVER_STATE (the bits of the state covers).
 *
 * Covers (checker/engine/covers.py): while a cover is open, each step to a state inside
 * the constraints is shown to mc_cover after the step's other checks, as it is emitted
 * (each thread with its own open bits), as explore.py does; phase B, in state order, records per cover the
 * first state whose step reached it (g_cover_parent; an initial state that reaches a
 * state cover: g_cover_init), so the witness is the one the Python search finds,
 * whatever the number of threads.
 *
 * Memory: the visited set is an open-addressing table of 64-bit fingerprints (0 is
 * empty), kept at most 3/4 full; per distinct state, 4 bytes of parent number and 4
 * of the position among its parent's successors (an initial state: its position
 * among the initial states). Full states are kept for the level being expanded and
 * the next one only. A trace is rebuilt by running the spec forward along the
 * positions (mc_trace), and handed to Python as labelled steps. */
#include <time.h>

typedef struct {
    int64_t max_states, max_depth;   /* 0: none */
    double timeout;                  /* seconds, 0: none */
    int check_deadlock;
    int record;                      /* record the state graph (the liveness check reads it) */
    int threads;                     /* threads expanding states (the results do not depend on it) */
    double progress_every;           /* seconds between progress lines on stderr, 0: none */
    int64_t memory_limit;            /* bytes the search's own arrays may take, 0: none */
} McOptions;

typedef struct {
    int64_t distinct, generated, depth, queue_left, constrained;
    int verdict;            /* 0 ok, 1 violation, 2 deadlock, 3 incomplete, 4 error */
    int kind;               /* 0 invariant, 1 action property */
    int prop;               /* index of the violated property */
    int64_t index;          /* state number of the trace's end, -1: an initial state */
    int64_t step_to;        /* position of the violating step's successor, -1: none */
    int64_t init_pos;       /* with index -1: the initial state's position */
    int stopped_by;         /* 0, 1 max-states, 2 max-depth, 3 timeout, 4 memory, 5 interrupted */
    int64_t visited_bytes;
    char message[512];
} McResult;

/* ---- the successors of one state, as generated code emits them
 *
 * Two modes. Outside the search's expansion (initial states, traces, mc_expand) each
 * successor is kept packed (sw), unpacked (ss) and labelled (slab). While a thread
 * expands a state for the search (mc_checking), each successor is checked the moment
 * it is emitted, while its unpacked form is still in hand: constraints, action
 * properties, its fingerprint, whether the visited set already has it (read-only:
 * phase B, the only writer, is not running), the invariants of a state it lacks,
 * and its label's interned id. So the serial phase B admits only the states phase A
 * did not find. A successor inside the constraints is copied unpacked (ss; 2.7 kB each in
 * the group spec) for its invariants: a copy is cheaper than unpacking it again. */

/* While checking: the state being expanded, and the first successor whose checks
 * stopped the expansion (a violation or a failure), as phase B will report it. */
typedef struct {
    int64_t off, moff, woff, loff, count, upto, constrained, step_to;   /* count: successors */
    uint64_t covers;                 /* the covers its steps reached (of those open) */
    int arena, error, event, verdict, kind, prop;
    char message[256];
} Parent;

/* This thread's part of the search: one struct of thread-locals (native_runtime.h's MC_TLS). */
typedef struct {
    uint64_t *sw;
    S *ss;
    int64_t *slab;
    unsigned char *sout;
    uint64_t *sfp;
    uint32_t *smark;
    int32_t *snum;
    int32_t *slid;
    int8_t *sinv;
    const uint64_t **sonly;
    int64_t nsucc;
    int64_t capsucc;
    struct Part *part;
    int32_t *sclaim;
    int mc_checking;
    const S *mc_parent;
    const uint64_t *mc_parent_w;
    Parent *mc_po;
    uint64_t t_cover_open;
} McSearchTls;
MC_TLS(McSearchTls, mc_search)
#define sw (mc_search_at()->sw)      /* packed successors */
#define ss (mc_search_at()->ss)             /* the same, unpacked (while checking: those inside the constraints) */
#define slab (mc_search_at()->slab)     /* with labelling: site and labels of each */
#define sout (mc_search_at()->sout)   /* outside the constraints */
#define sfp (mc_search_at()->sfp)         /* fingerprints */
#define smark (mc_search_at()->smark)       /* with the graph: fairness `when` bits */
#define snum (mc_search_at()->snum)         /* state number found, SUCC_NEW or SUCC_SEEN */
#define slid (mc_search_at()->slid)         /* interned label id, or -1: not interned yet */
#define sinv (mc_search_at()->sinv)          /* a new state's invariants: -1 hold, k broken, -2 failed */
#define sonly (mc_search_at()->sonly)        /* the invariants to check on it (mc_site_inv; NULL: all) */
#define t_cover_open (mc_search_at()->t_cover_open)   /* covers not reached yet, as this thread's part of a chunk knows them */
#define nsucc (mc_search_at()->nsucc)
#define capsucc (mc_search_at()->capsucc)
#define sclaim (mc_search_at()->sclaim)     /* a new successor's slot in this thread's part, or -1 */

/* Symmetry reduction (MC_SYMMETRY, canonical.py's mc_canon): the search keeps each
 * successor's orbit representative (scw), fingerprinted and stored, while sw keeps the
 * successor itself for the checks that read the step (covers); a trace's positions
 * are among the successors of representatives (mc_trace canonicalises as it goes). */
#ifdef MC_SYMMETRY
static __thread uint64_t *scw;
#define MC_KEPT(k) (scw + (k) * MC_WORDS)
#else
#define MC_KEPT(k) (sw + (k) * MC_WORDS)
#endif

/* snum: not in the visited set; in it (no numbers kept); not in it, but another
 * successor in this thread's part of the chunk is the same state (phase B admits the
 * state at its first occurrence in number order, so this one's invariants are not
 * checked and its words not kept: if it comes first, phase B takes them from the
 * other's place, which this thread's part table keeps) */
enum { SUCC_NEW = -1, SUCC_SEEN = -2, SUCC_DUP = -3 };

#define MC_MAX_THREADS 64
static int g_buf;                             /* the pair of buffers phase A writes */

/* The fingerprints found SUCC_NEW in a thread's part of a chunk, with where the first
 * occurrence keeps its record and words (its arena's rec and w index): a small table
 * whose slots are current when their stamp is the part's (no clearing between parts),
 * one per thread and pair of buffers (phase B of a chunk reads it while phase A of the
 * next fills the other). Private to its thread in phase A (a table shared by the
 * threads cost more in cache misses than the invariants it saved), so the threads'
 * parts are contiguous runs of the chunk (expand_part) and few states are in two. */
#define PART_SLOTS (1 << 13)      /* a chunk's new successors are ~2,500 on the group spec */
typedef struct Part { uint64_t *fp; uint32_t *stamp, *rec, *w; uint32_t gen, used; } Part;
static Part g_part[2][MC_MAX_THREADS];
#define part (mc_search_at()->part)

/* The slot of fp in part p, or -1. */
static int64_t part_find(const Part *p, uint64_t fp) {
    if (!p->stamp) return -1;
    for (uint64_t j = fp & (PART_SLOTS - 1); p->stamp[j] == p->gen; j = (j + 1) & (PART_SLOTS - 1))
        if (p->fp[j] == fp) return (int64_t)j;
    return -1;
}

/* SUCC_DUP if fp is among this part's new fingerprints; else records it and returns
 * its slot (>= 0), or SUCC_NEW when the table is full (no more deduplication). */
static int64_t part_claim(uint64_t fp) {
    Part *p = part;
    if (!p->fp) {
        p->fp = malloc(PART_SLOTS * sizeof(uint64_t));
        p->stamp = calloc(PART_SLOTS, sizeof(uint32_t));
        p->rec = malloc(PART_SLOTS * sizeof(uint32_t));
        p->w = malloc(PART_SLOTS * sizeof(uint32_t));
        if (!p->fp || !p->stamp || !p->rec || !p->w) { fprintf(stderr, "native search: out of memory\n"); abort(); }
    }
    uint64_t j = fp & (PART_SLOTS - 1);
    while (p->stamp[j] == p->gen) {
        if (p->fp[j] == fp) return SUCC_DUP;
        j = (j + 1) & (PART_SLOTS - 1);
    }
    if (4 * (p->used + 1) > 3 * PART_SLOTS) return SUCC_NEW;
    p->stamp[j] = p->gen; p->fp[j] = fp; p->used++;
    return (int64_t)j;
}

static void part_free(void) {
    for (int b = 0; b < 2; b++)
        for (int t = 0; t < MC_MAX_THREADS; t++) {
            Part *p = &g_part[b][t];
            free(p->fp); free(p->stamp); free(p->rec); free(p->w);
            memset(p, 0, sizeof *p);
        }
}

enum { V_OK, V_VIOLATION, V_DEADLOCK, V_INCOMPLETE, V_ERROR };

#define mc_checking (mc_search_at()->mc_checking)
#define mc_parent (mc_search_at()->mc_parent)
#define mc_parent_w (mc_search_at()->mc_parent_w)   /* mc_parent packed, while checking: successors repack */
#define mc_po (mc_search_at()->mc_po)

static void succ_grow(void) {
    capsucc = capsucc ? 2 * capsucc : 64;
    sw = realloc(sw, capsucc * MC_WORDS * sizeof(uint64_t));
    ss = realloc(ss, capsucc * sizeof(S));
    slab = realloc(slab, capsucc * (MC_MAX_LABELS + 1) * sizeof(int64_t));
    sout = realloc(sout, capsucc);
    sfp = realloc(sfp, capsucc * sizeof(uint64_t));
    smark = realloc(smark, capsucc * sizeof(uint32_t));
    snum = realloc(snum, capsucc * sizeof(int32_t));
    sclaim = realloc(sclaim, capsucc * sizeof(int32_t));
    slid = realloc(slid, capsucc * sizeof(int32_t));
    sinv = realloc(sinv, capsucc);
    sonly = realloc(sonly, capsucc * sizeof *sonly);
#ifdef MC_SYMMETRY
    scw = realloc(scw, capsucc * MC_WORDS * sizeof(uint64_t));
    if (!scw) { fprintf(stderr, "native search: out of memory\n"); abort(); }
#endif
    if (!sw || !ss || !slab || !sout || !sfp || !smark || !snum || !sclaim || !slid || !sinv || !sonly) {
        fprintf(stderr, "native search: out of memory\n"); abort();
    }
}

static void check_successor(const S *t, int64_t k, int site);
static int32_t label_find(const int64_t *lab);

static void mc_emit(const void *tv, int site) {
    const S *t = (const S *)tv;
    if (mc_failed) return;
    if (nsucc == capsucc) succ_grow();
    uint64_t *w = sw + nsucc * MC_WORDS;
    if (mc_checking && mc_site_repack[site]) {     /* the parent's words, its action's variables packed again */
        memcpy(w, mc_parent_w, MC_WORDS * sizeof(uint64_t));
        mc_site_repack[site](t, w);
    } else {
        memset(w, 0, MC_WORDS * sizeof(uint64_t));
        mc_pack(t, w);
    }
    if (!mc_checking) ss[nsucc] = *t;
    if (mc_labelling) {
        int64_t *l = slab + nsucc * (MC_MAX_LABELS + 1);
        int nl = mc_site_labels[site];
        l[0] = site;
        memcpy(l + 1, mc_label, nl * sizeof(int64_t));
        memset(l + 1 + nl, 0, (MC_MAX_LABELS - nl) * sizeof(int64_t));
        if (mc_checking) slid[nsucc] = label_find(l);
    }
    if (mc_record) smark[nsucc] = mc_stepmark;
    mc_stepmark = 0;
    if (mc_checking) check_successor(t, nsucc, site);
    nsucc++;
}

/* ---- fingerprints and the visited set */

static inline uint64_t mc_fingerprint(const uint64_t *w) {
    uint64_t h = 0x9E3779B97F4A7C15ULL * (MC_WORDS + 1);
    for (int i = 0; i < MC_WORDS; i++) {
        uint64_t x = w[i] + 0x632BE59BD9B4E019ULL * (i + 1);
        x ^= x >> 30; x *= 0xBF58476D1CE4E5B9ULL;
        x ^= x >> 27; x *= 0x94D049BB133111EBULL;
        x ^= x >> 31;
        h = (h ^ x) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    return h ? h : 1;
}

typedef struct {
    uint64_t *slots;
    uint32_t *nums;          /* with the graph: each slot's state number */
    uint64_t mask, used;
} Table;

#include <sys/mman.h>

/* Transparent huge pages for a large array, where the kernel gives them on request:
 * the visited set is probed at random, and 4 kB pages make each probe a TLB miss too. */
static void *huge(void *p, size_t size) {
#ifdef MADV_HUGEPAGE
    if (p && size >= (4u << 20)) {
        uintptr_t lo = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, hi = ((uintptr_t)p + size) & ~(uintptr_t)4095;
        if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#else
    (void)size;
#endif
    return p;
}

/* A table being grown: the old slots [lo, hi) moved into `into` (its slots claimed by
 * compare-and-swap, so the threads of the pool can each move a part: the group spec's
 * last two doublings took 0.2-0.7 s of one thread while the others waited). */
static void table_move(const Table *from, Table *into, uint64_t lo, uint64_t hi) {
    for (uint64_t i = lo; i < hi; i++) {
        uint64_t fp = from->slots[i];
        if (!fp) continue;
        for (uint64_t j = fp & into->mask;; j = (j + 1) & into->mask) {
            uint64_t empty = 0;
            if (__atomic_compare_exchange_n(&into->slots[j], &empty, fp, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                if (into->nums) into->nums[j] = from->nums[i];
                break;
            }
        }
    }
}

static void pool_move(const Table *from, Table *into);

static int table_grow(Table *t) {
    uint64_t n = t->slots ? 2 * (t->mask + 1) : (1 << 16);
    Table g = {huge(calloc(n, sizeof(uint64_t)), n * sizeof(uint64_t)),
               mc_record ? huge(malloc(n * sizeof(uint32_t)), n * sizeof(uint32_t)) : NULL, n - 1, t->used};
    if (!g.slots || (mc_record && !g.nums)) { free(g.slots); free(g.nums); return 0; }
    if (t->slots) pool_move(t, &g);
    free(t->slots); free(t->nums);
    *t = g;
    return 1;
}

/* Room for `extra` more fingerprints without growing (phase B's inserts, while phase A
 * reads the set beside it); 0 out of memory. */
static int table_reserve(Table *t, uint64_t extra) {
    while (!t->slots || 4 * (t->used + extra) > 3 * (t->mask + 1))
        if (!table_grow(t)) return 0;
    return 1;
}

/* 1 if fp was added (as state number `n`), 0 if it was there; -1 out of memory.
 * With the graph, *num is the state's number either way. */
static int table_add(Table *t, uint64_t fp, uint32_t n, uint32_t *num) {
    if (!t->slots || 4 * (t->used + 1) > 3 * (t->mask + 1)) {
        if (!table_grow(t)) return -1;
    }
    uint64_t j = fp & t->mask;
    for (;;) {
        uint64_t x = t->slots[j];
        if (x == fp) { if (t->nums) *num = t->nums[j]; return 0; }
        if (!x) {             /* its number first: phase A of the next chunk may be reading */
            if (t->nums) t->nums[j] = *num = n;
            __atomic_store_n(&t->slots[j], fp, __ATOMIC_RELEASE);
            t->used++;
            return 1;
        }
        j = (j + 1) & t->mask;
    }
}

/* The number of the state with fingerprint fp (SUCC_SEEN when numbers are not kept),
 * or SUCC_NEW if the set lacks it; reads only. */
static inline int32_t table_find(const Table *t, uint64_t fp) {
    if (!t->slots) return SUCC_NEW;
    uint64_t j = fp & t->mask;
    for (;;) {
        uint64_t x = __atomic_load_n(&t->slots[j], __ATOMIC_ACQUIRE);
        if (x == fp) return t->nums ? (int32_t)t->nums[j] : SUCC_SEEN;
        if (!x) return SUCC_NEW;
        j = (j + 1) & t->mask;
    }
}

/* ---- the state graph (with mc_record): stategraph.StateGraph's arrays */

typedef struct { void *p; int64_t n, cap; } Vec;

static int vec_push(Vec *v, const void *x, size_t size) {
    if (v->n == v->cap) {
        int64_t cap = v->cap ? 2 * v->cap : 1024;
        void *p = huge(realloc(v->p, cap * size), cap * size);
        if (!p) return 0;
        v->p = p; v->cap = cap;
    }
    memcpy((char *)v->p + v->n * size, x, size);
    v->n++;
    return 1;
}

static Vec g_starts, g_targets, g_labels, g_smarks, g_ostarts, g_olabels, g_omarks, g_marks;
static Vec g_all;        /* --graph: every state's packed words (mc_keep_states) */
/* the source state of each step to a state outside the constraints (int64): few, so
 * g_ostarts (8 bytes a state) is made from them after the search, in mc_graph */
static Vec g_osrc;
static int64_t *g_lab, g_nlab, g_caplab;     /* label rows: site, then MC_MAX_LABELS values */
static int64_t *g_labhash, g_labmask;

static Vec *const g_vecs[] = {&g_starts, &g_targets, &g_labels, &g_smarks, &g_ostarts, &g_olabels, &g_omarks, &g_marks,
                              &g_osrc, &g_all};
#define G_NVECS (sizeof g_vecs / sizeof *g_vecs)

static void graph_free(void) {
    for (unsigned i = 0; i < G_NVECS; i++) { free(g_vecs[i]->p); memset(g_vecs[i], 0, sizeof(Vec)); }
    free(g_labhash); g_labhash = NULL; g_labmask = 0;
    free(g_lab); g_lab = NULL; g_nlab = g_caplab = 0;
}

/* Rows are zero past their site's labels (mc_emit), so only those are hashed. */
static uint64_t label_hash(const int64_t *lab) {
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 1 + mc_site_labels[lab[0]]; i++) { h ^= (uint64_t)lab[i]; h *= 0xBF58476D1CE4E5B9ULL; h ^= h >> 31; }
    return h;
}

/* The id of a label (site and label values), interned; -1 out of memory. */
/* Room for `extra` more labels without moving the tables (phase B's, while phase A
 * reads them beside it); 0 out of memory. */
static int label_reserve(int64_t extra) {
    const int row = MC_MAX_LABELS + 1;
    while (!g_labhash || 2 * (g_nlab + extra) > g_labmask + 1) {
        int64_t n = g_labhash ? 2 * (g_labmask + 1) : 1024;
        int64_t *t = malloc(n * sizeof(int64_t));
        if (!t) return 0;
        for (int64_t i = 0; i < n; i++) t[i] = -1;
        for (int64_t id = 0; id < g_nlab; id++) {
            int64_t j = label_hash(g_lab + id * row) & (n - 1);
            while (t[j] >= 0) j = (j + 1) & (n - 1);
            t[j] = id;
        }
        free(g_labhash); g_labhash = t; g_labmask = n - 1;
    }
    while (g_nlab + extra > g_caplab) {
        g_caplab = g_caplab ? 2 * g_caplab : 256;
        int64_t *p = realloc(g_lab, g_caplab * row * sizeof(int64_t));
        if (!p) return 0;
        g_lab = p;
    }
    return 1;
}

static int32_t label_id(const int64_t *lab) {
    const int row = MC_MAX_LABELS + 1;
    if (!label_reserve(1)) return -1;
    int64_t j = label_hash(lab) & g_labmask;
    while (g_labhash[j] >= 0) {
        if (!memcmp(g_lab + g_labhash[j] * row, lab, row * sizeof(int64_t))) return (int32_t)g_labhash[j];
        j = (j + 1) & g_labmask;
    }
    memcpy(g_lab + g_nlab * row, lab, row * sizeof(int64_t));
    __atomic_store_n(&g_labhash[j], g_nlab, __ATOMIC_RELEASE);   /* the row first: label_find may be reading */
    return (int32_t)g_nlab++;
}

/* The id of a label already interned, or -1; reads only (phase A, on any thread). */
static int32_t label_find(const int64_t *lab) {
    const int row = MC_MAX_LABELS + 1;
    if (!g_labhash) return -1;
    int64_t j = label_hash(lab) & g_labmask;
    size_t used = (1 + mc_site_labels[lab[0]]) * sizeof(int64_t);   /* rows are zero past their labels */
    for (int64_t id; (id = __atomic_load_n(&g_labhash[j], __ATOMIC_ACQUIRE)) >= 0; j = (j + 1) & g_labmask)
        if (!memcmp(g_lab + id * row, lab, used)) return (int32_t)id;
    return -1;
}

/* ---- the search */

typedef struct {
    uint32_t *parent, *pos;
    int64_t n, cap;
    uint64_t *cur, *next;
    int64_t ncur, nnext, capnext, capcur;
    Table visited;
} Store;

static Store st;

/* --graph: every admitted state's packed words, in number order (mc_keep_states(1)
 * before mc_run; read with mc_states). Off, as the liveness check needs no states. */
static int g_keep_states;

void mc_keep_states(int on) { g_keep_states = on; }

int64_t mc_states(uint64_t *out, int64_t n) {
    if (n * MC_WORDS > g_all.n) return -1;
    memcpy(out, g_all.p, n * MC_WORDS * sizeof(uint64_t));
    return n;
}

static void store_free(void) {
    free(st.parent); free(st.pos); free(st.cur); free(st.next); free(st.visited.slots); free(st.visited.nums);
    memset(&st, 0, sizeof st);
}

static int store_add(int64_t parent, int64_t pos, const uint64_t *w) {
    if (st.n == st.cap) {
        st.cap = st.cap ? st.cap + st.cap / 4 : 1 << 16;   /* 1.25x: parents stay near 8 B a state */
        uint32_t *p = huge(realloc(st.parent, st.cap * sizeof(uint32_t)), st.cap * sizeof(uint32_t));
        if (!p) return 0;
        st.parent = p;
        p = huge(realloc(st.pos, st.cap * sizeof(uint32_t)), st.cap * sizeof(uint32_t));
        if (!p) return 0;
        st.pos = p;
    }
    st.parent[st.n] = (uint32_t)parent;
    st.pos[st.n] = (uint32_t)pos;
    st.n++;
    if (g_keep_states) {
        for (int i = 0; i < MC_WORDS; i++) if (!vec_push(&g_all, &w[i], sizeof(uint64_t))) return 0;
    }
    if (st.nnext == st.capnext) {
        st.capnext = st.capnext ? 2 * st.capnext : 1 << 12;
        uint64_t *q = realloc(st.next, st.capnext * MC_WORDS * sizeof(uint64_t));
        if (!q) return 0;
        st.next = q;
    }
    memcpy(st.next + st.nnext * MC_WORDS, w, MC_WORDS * sizeof(uint64_t));
    st.nnext++;
    return 1;
}

/* The checks of successor k (unpacked: t) of mc_parent, in the order
 * checker/engine/explore.py makes them; the first that stops the expansion is
 * recorded in mc_po (later successors are generated, counted, but not checked). */
static void check_successor(const S *t, int64_t k, int site) {
    Parent *po = mc_po;
    if (po->event || po->error) return;
    const char *where = mc_where;
    int out = 0;
    if (MC_N_CON) {
        mc_where = "a constraint";
        out = mc_con(t) >= 0;
        if (mc_failed) goto failed;
        if (out) {
            po->constrained++;
            if (MC_N_INV && !MC_INV_DECIDED) {
                mc_where = "an invariant";
                int bad = mc_inv(t);
                if (mc_failed) goto failed;
                if (bad >= 0) {
                    po->event = 1; po->verdict = V_VIOLATION; po->kind = 0; po->prop = bad; po->step_to = k;
                    goto done;
                }
            }
        }
    }
    if (MC_N_STEP) {
        mc_where = "an action property";
        int bad = mc_steps(mc_parent, t);
        if (mc_failed) goto failed;
        if (bad >= 0) {
            po->event = 1; po->verdict = V_VIOLATION; po->kind = 1; po->prop = bad; po->step_to = k;
            goto done;
        }
    }
    sout[k] = (unsigned char)out;
    /* the covers still open, on the steps kept (inside the constraints), after the
     * step's other checks, while its unpacked state is in hand (unpacking each
     * successor again for them was a fifth of the group spec's successors, every one
     * up to depth 34): a cover that fails stops the expansion there, as an earlier
     * failure or violation would have */
    if (MC_N_COVER && !out && t_cover_open) {
        mc_where = "a cover";
        uint64_t hit = mc_cover(mc_parent, t, t_cover_open);
        if (mc_failed) goto failed;
        po->covers |= hit;
        t_cover_open &= ~hit;
    }
    if (!out) {               /* its slot is fetched now, looked up after the state's last successor */
#ifdef MC_SYMMETRY
        memcpy(MC_KEPT(k), sw + k * MC_WORDS, MC_WORDS * sizeof(uint64_t));
        mc_canon(MC_KEPT(k));
#endif
        uint64_t fp = mc_fingerprint(MC_KEPT(k));
        sfp[k] = fp;
        if (st.visited.slots) __builtin_prefetch(&st.visited.slots[fp & st.visited.mask]);
        if (st.visited.nums) __builtin_prefetch(&st.visited.nums[fp & st.visited.mask]);   /* a found state's number */
        /* kept unpacked for its invariants, should the visited set lack it (a copy costs
         * a tenth of unpacking it again): only the variables of those the step may break
         * (codegen's invariant_sites; under symmetry the parent expanded is its orbit's
         * representative, not the state checked, so every invariant, the whole state) */
        if (MC_N_INV && !MC_INV_DECIDED) {
#ifdef MC_SYMMETRY
            (void)site;
            sonly[k] = NULL;
            ss[k] = *t;
#else
            sonly[k] = mc_site_inv[site];
            if (mc_site_keep[site]) mc_site_keep[site](&ss[k], t);
            else ss[k] = *t;
#endif
        }
    }
    goto done;
failed:
    po->error = 1; po->step_to = k;
    snprintf(po->message, sizeof po->message, "%s", mc_err);
    mc_failed = 0;                     /* generation goes on: a failure there comes first */
done:
    mc_where = where;
}

static double mc_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}


/* Ctrl-C during the search: a flag the level loop reads between chunks (the search
 * then stops with its partial counts, as the Python engines do); the handler Python
 * had is put back after. */
#include <signal.h>
static volatile sig_atomic_t mc_interrupted;
static void on_sigint(int sig) { (void)sig; mc_interrupted = 1; }

static void with_commas(char *out, size_t size, int64_t v) {
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)v), o = 0;
    for (int i = 0; i < n && o + 2 < (int)size; i++) {
        if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = 0;
}

/* The progress line of checker/engine/explore.py's print_progress. */
static void progress_line(int64_t generated, int64_t distinct, int64_t queue, int64_t depth, double elapsed) {
    char g[32], d[32], q[32], rate[32];
    with_commas(g, sizeof g, generated); with_commas(d, sizeof d, distinct); with_commas(q, sizeof q, queue);
    with_commas(rate, sizeof rate, elapsed > 0 ? (int64_t)(distinct / elapsed) : 0);
    fprintf(stderr, "Progress: %s states generated, %s distinct states found, %s states left on queue, "
            "depth %lld (%s states/s, %.0fs)\n", g, d, q, (long long)depth, rate, elapsed);
    fflush(stderr);
}

static void stop_error(McResult *r, int64_t index, int64_t step_to) {
    r->verdict = V_ERROR;
    r->index = index;
    r->step_to = step_to;
    snprintf(r->message, sizeof r->message, "%s", mc_err);
}

/* ---- phase A: expanding a chunk of states, on every thread */

#include <pthread.h>
#include <stddef.h>

#define MC_CHUNK 2048

/* A successor as phase B reads it (k < the parent's upto). */
typedef struct {
    uint64_t fp;
    int32_t num;      /* a state number, SUCC_SEEN, or SUCC_NEW: its words follow in the arena's w */
    int32_t lab;      /* with the graph: its label's id, or -1 - its row in the arena's lab */
    uint32_t mk;      /* with the graph: fairness `when` bits */
    int8_t out, inv;  /* outside the constraints; a new state's invariants (sinv) */
} Succ;

/* A thread's successors of the chunk. Each thread's on cache lines of its own: their
 * counts change at every state, and two threads' arenas on one line made it move
 * between the cores at every state (news, unlabelled: phase B's room). */
typedef struct { Vec rec, w, lab, marks; int64_t news, unlabelled; } __attribute__((aligned(64))) Arena;

/* Two of each: with several threads, phase A of the next chunk (into one) runs beside
 * phase B of this one (from the other). */
static Parent g_parents_of[2][MC_CHUNK];
static Arena g_arenas_of[2][MC_MAX_THREADS];
static volatile int g_abandon;                /* phase B stopped the search: take no more */
static int g_ahead;                           /* phase A of a chunk runs: chunk_join waits for it */
#define MC_BATCH 16                           /* states a thread takes at a time */
static int g_threads = 1;
static pthread_t g_pool[MC_MAX_THREADS];

/* Handing the pool a task and waiting for it: a generation word thread 0 bumps (the
 * pool's threads wait for it to change) and a count of the pool's threads done. Thread
 * 0 never waits for the pool to start, only for it to finish; a waiter spins a little
 * (MC_SPIN pauses, a few hundred microseconds) before it sleeps on the condition
 * variable, as a chunk's hand-over is often shorter than a wake-up on this VM. With
 * two barriers a chunk, thread 0 also waited at each chunk's start until the worker had
 * woken and arrived. Timers (group spec, 2 threads, an uncommitted build): the worker's
 * idle time fell from 1.5-1.9 s to 0.7-1.1 s of a 12-14 s search, thread 0's from
 * 0.12-0.18 s to 0.05 s. */
static unsigned g_go;                         /* the pool's task generation (atomic) */
static int g_done;                            /* the pool's threads done with it (atomic) */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
#define MC_SPIN (1 << 13)

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

static void pool_signal(void) {
    pthread_mutex_lock(&g_mu);
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

/* Until the task generation is no longer `seen` (a pool thread). */
static unsigned go_wait(unsigned seen) {
    unsigned g;
    for (int i = 0; i < MC_SPIN; i++) {
        if ((g = __atomic_load_n(&g_go, __ATOMIC_ACQUIRE)) != seen) return g;
        cpu_relax();
    }
    pthread_mutex_lock(&g_mu);
    while ((g = __atomic_load_n(&g_go, __ATOMIC_ACQUIRE)) == seen) pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
    return g;
}

/* Until every pool thread is done with the task (thread 0). */
static void done_wait(void) {
    int n = g_threads - 1;
    for (int i = 0; i < MC_SPIN; i++) {
        if (__atomic_load_n(&g_done, __ATOMIC_ACQUIRE) == n) return;
        cpu_relax();
    }
    pthread_mutex_lock(&g_mu);
    while (__atomic_load_n(&g_done, __ATOMIC_ACQUIRE) != n) pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
}

/* The pool starts on the task set up in the globals (thread 0, the pool idle). */
static void pool_go(void) {
    __atomic_store_n(&g_done, 0, __ATOMIC_RELAXED);
    __atomic_add_fetch(&g_go, 1, __ATOMIC_RELEASE);
    pool_signal();
}
static const uint64_t *g_chunk;
static int64_t g_chunk_n;
static volatile int g_quit;
static uint64_t g_cover_open;                 /* covers not reached yet (phase B updates it) */
static int64_t g_cover_parent[64], g_cover_init[64];

static int arena_grow(Vec *v, int64_t extra, size_t size) {
    if (v->n + extra <= v->cap) return 1;
    int64_t cap = v->cap ? v->cap : 1024;
    while (cap < v->n + extra) cap *= 2;
    void *p = realloc(v->p, cap * size);
    if (!p) return 0;
    v->p = p; v->cap = cap;
    return 1;
}

/* Expand one state into arena a: what phase B needs to admit its successors. */
static void expand_one(const uint64_t *pw, Parent *po, Arena *a, int arena) {
    S s;
    memset(po, 0, offsetof(Parent, message));   /* (its message, 256 bytes, is written with an error) */
    po->arena = arena; po->step_to = -1;
    po->off = a->rec.n; po->moff = a->marks.n; po->woff = a->w.n;
    mc_unpack(pw, &s);
    mc_failed = 0;
    nsucc = 0;
    mc_parent = &s; mc_parent_w = pw; mc_po = po;
    mc_successors(&s);                 /* each successor checked as emitted: check_successor */
    po->count = nsucc;
    if (mc_failed) {                   /* its successors could not be computed: that comes first */
        po->error = 1; po->event = 0; po->step_to = -1; po->covers = 0;
        snprintf(po->message, sizeof po->message, "%s", mc_err);
        return;
    }
    int64_t upto = po->event || po->error ? po->step_to : nsucc;
    po->upto = upto;
    /* which successors the visited set lacks (read-only: phase B is not running), and
     * their invariants, checked here in parallel rather than in phase B */
    for (int64_t k = 0; k < upto; k++) {
        sinv[k] = -1;
        if (sout[k]) continue;
        snum[k] = table_find(&st.visited, sfp[k]);
        sclaim[k] = -1;
        if (snum[k] == SUCC_NEW) {
            int64_t c = part_claim(sfp[k]);
            if (c == SUCC_DUP) snum[k] = SUCC_DUP;
            else if (c >= 0) sclaim[k] = (int32_t)c;
        }
        if (snum[k] == SUCC_NEW && MC_N_INV && !MC_INV_DECIDED) {
            mc_where = "an invariant";
            int bad = mc_inv_of(&ss[k], sonly[k]);   /* its copy from check_successor */
            sinv[k] = (int8_t)(mc_failed ? -2 : bad);   /* phase B evaluates a failure again, for its message */
            mc_failed = 0;
        }
    }
    const int row = MC_MAX_LABELS + 1;
    if (!arena_grow(&a->rec, upto, sizeof(Succ)) || !arena_grow(&a->w, upto * MC_WORDS, sizeof(uint64_t))
        || (mc_record && (!arena_grow(&a->lab, upto * row, sizeof(int64_t))
                          || !arena_grow(&a->marks, MC_MARK_WIDTH, 1)))) {
        fprintf(stderr, "native search: out of memory\n");
        abort();
    }
    Succ *rec = (Succ *)a->rec.p + a->rec.n;
    uint64_t *w = (uint64_t *)a->w.p + a->w.n;
    int64_t nw = 0;
    for (int64_t k = 0; k < upto; k++) {
        Succ *q = &rec[k];
        q->out = (int8_t)sout[k];
        q->num = q->out ? SUCC_SEEN : snum[k];
        q->fp = q->out ? 0 : sfp[k];
        q->inv = sinv[k];
        q->mk = mc_record ? smark[k] : 0;
        q->lab = -1;
        if (q->num == SUCC_NEW || q->num == SUCC_DUP) a->news++;
        if (mc_record) {
            q->lab = slid[k];
            if (q->lab < 0) {                    /* not interned yet: phase B interns its row */
                a->unlabelled++;
                memcpy((int64_t *)a->lab.p + a->lab.n, slab + k * row, row * sizeof(int64_t));
                q->lab = (int32_t)(-1 - a->lab.n / row);
                a->lab.n += row;
            }
        }
        if (q->num == SUCC_NEW) {
            if (sclaim[k] >= 0) {                /* where phase B finds it from a SUCC_DUP before it */
                part->rec[sclaim[k]] = (uint32_t)(a->rec.n + k);
                part->w[sclaim[k]] = (uint32_t)(a->w.n / MC_WORDS + nw);
            }
            memcpy(w + (nw++) * MC_WORDS, MC_KEPT(k), MC_WORDS * sizeof(uint64_t));
        }
    }
    a->rec.n += upto;
    a->w.n += nw * MC_WORDS;
    if (mc_record) {
        uint8_t *marks = (uint8_t *)a->marks.p + a->marks.n;
        memset(marks, 0, MC_MARK_WIDTH);
        mc_marks(&s, marks);
        a->marks.n += MC_MARK_WIDTH;
    }
}

/* Which states of the chunk are left: [lo, hi), packed in one word (lo in the low
 * half) so that takers at both ends agree. */
static uint64_t g_left;

/* This thread's part of the chunk: batches of states, taken from the front by the
 * pool's threads and from the back by this one (thread 0, which joins after phase B),
 * so with two threads each part is one contiguous run and the states both reach are
 * few (batches of 16 taken in turn by both put 4.2 million of the group spec's states
 * in both parts: each checked twice). Batches shrink as the chunk runs out, so the
 * threads finish it together. */
static void expand_part(int t) {
    Arena *a = &g_arenas_of[g_buf][t];
    Parent *parents = g_parents_of[g_buf];
    a->rec.n = a->w.n = a->lab.n = a->marks.n = 0;
    a->news = a->unlabelled = 0;
    mc_labelling = mc_record;
    mc_checking = 1;
    part = &g_part[g_threads > 1 ? g_buf : 0][t];   /* one thread: phase B is done with the last */
    part->used = 0;
    if (++part->gen == 0) { if (part->stamp) memset(part->stamp, 0, PART_SLOTS * sizeof(uint32_t)); part->gen = 1; }
    t_cover_open = __atomic_load_n(&g_cover_open, __ATOMIC_RELAXED);
    const int back = t == 0 && g_threads > 1;
    for (;;) {
        uint64_t left = __atomic_load_n(&g_left, __ATOMIC_RELAXED), to;
        int64_t lo, hi;
        do {
            lo = (int64_t)(left & 0xffffffffu); hi = (int64_t)(left >> 32);
            if (lo >= hi || g_abandon) goto out;
            int64_t take = (hi - lo) / (4 * g_threads);
            take = take > MC_BATCH ? MC_BATCH : take < 1 ? 1 : take;
            if (back) { lo = hi - take; to = (uint64_t)lo << 32 | (left & 0xffffffffu); }
            else { hi = lo + take; to = (left & ~0xffffffffULL) | (uint64_t)hi; }
        } while (!__atomic_compare_exchange_n(&g_left, &left, to, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
        /* a cover a later batch reached may be reached earlier in this one: the first in
         * number order is its witness */
        if (back) t_cover_open = __atomic_load_n(&g_cover_open, __ATOMIC_RELAXED);
        for (int64_t j = lo; j < hi; j++) expand_one(g_chunk + j * MC_WORDS, &parents[j], a, t);
    }
out:
    mc_checking = 0;
}

static void succ_free(void) {
    free(sw); free(ss); free(slab); free(sout); free(sfp); free(smark); free(snum); free(slid); free(sinv); free(sonly);
#ifdef MC_SYMMETRY
    free(scw); scw = NULL;
#endif
    free(sclaim); sclaim = NULL;
    sw = NULL; ss = NULL; slab = NULL; sout = NULL; sfp = NULL; smark = NULL; snum = NULL; slid = NULL; sinv = NULL;
    sonly = NULL;
    nsucc = capsucc = 0;
}

/* Between chunks the pool may be given a table to grow instead (pool_move). */
static const Table *g_move_from;
static Table *g_move_into;

static void move_part(int t) {
    uint64_t n = g_move_from->mask + 1;
    table_move(g_move_from, g_move_into, n * t / g_threads, n * (t + 1) / g_threads);
}

/* ---- phase B's page faults, taken by an idle thread
 *
 * Phase B (the main thread) appends to the graph's arrays and the level's store while
 * the pool expands the next chunk; the pool finishes first and waited at the barrier
 * while phase B took the first-touch page faults of arrays just grown (a doubled Vec's
 * new half; ~1 s of a group spec search with two threads). So when a chunk's phase A
 * starts beside a phase B, the ranges the next phase Bs will append to are planned
 * (fault_plan): past the `bound` entries this phase B can append at most, up to
 * MC_FAULT_AHEAD times as far again, and within the capacity, so this phase B neither
 * moves the array nor writes a byte of the range; below what was populated already
 * (g_faulted, per array while it does not move) nothing is planned again. Worker 1,
 * its part of phase A done, populates them with MADV_POPULATE_WRITE (page tables only:
 * no byte changes; a kernel without it refuses, and nothing happens), 2 MB at a time,
 * and stops as soon as phase B joins (g_joined). Counts, numbers and the memory
 * limit's accounting do not change. Measured (a per-thread getrusage probe, group spec,
 * 2 threads, load 2-3): 50-70 k of the main thread's ~360 k first-touch faults (THP
 * was not available: AnonHugePages 0) taken by the worker instead; the wall-clock
 * gain needs a quiet machine to show (STATUS-nnarrow2.md). */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define MC_FAULT_RANGES 8
#define MC_FAULT_AHEAD 16             /* chunks' worth populated ahead, when there is room */
static struct { uintptr_t lo, hi; } g_fault[MC_FAULT_RANGES];
static struct { const void *base; uintptr_t done; } g_faulted[MC_FAULT_RANGES];   /* populated below `done` */
static int g_nfault;
static int g_joined;                  /* phase B is done: populate no more (atomic) */

static void fault_plan(int slot, const void *p, int64_t n, int64_t cap, size_t size, int64_t bound) {
    int64_t from = n + bound, to = n + (MC_FAULT_AHEAD + 1) * bound < cap ? n + (MC_FAULT_AHEAD + 1) * bound : cap;
    if (g_faulted[slot].base != p) { g_faulted[slot].base = p; g_faulted[slot].done = 0; }   /* moved or new */
    g_fault[slot].lo = g_fault[slot].hi = 0;
    if (!p || from >= to) return;
    uintptr_t lo = ((uintptr_t)p + from * size + 4095) & ~(uintptr_t)4095;
    uintptr_t hi = ((uintptr_t)p + to * size) & ~(uintptr_t)4095;
    if (lo < g_faulted[slot].done) lo = g_faulted[slot].done;
    if (hi > lo) { g_fault[slot].lo = lo; g_fault[slot].hi = hi; }
    g_nfault = slot + 1 > g_nfault ? slot + 1 : g_nfault;
}

static void fault_run(void) {
    for (int i = 0; i < g_nfault; i++)
        for (uintptr_t a = g_fault[i].lo; a < g_fault[i].hi; a += 2u << 20) {
            if (__atomic_load_n(&g_joined, __ATOMIC_RELAXED)) return;
            size_t len = g_fault[i].hi - a < (2u << 20) ? g_fault[i].hi - a : (2u << 20);
            if (madvise((void *)a, len, MADV_POPULATE_WRITE)) return;
            g_faulted[i].done = a + len;     /* read by phase B's next plan, after the barrier */
        }
}

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    for (unsigned seen = 0;;) {
        seen = go_wait(seen);
        if (g_quit) break;
        if (g_move_from) move_part(t);
        else {
            expand_part(t);
            if (t == 1) fault_run();
        }
        __atomic_add_fetch(&g_done, 1, __ATOMIC_RELEASE);
        pool_signal();
    }
    succ_free();                 /* this thread's successor buffers */
    return NULL;
}

/* Phase A of a chunk into the other pair of buffers: the other threads start on it;
 * chunk_join has this one take what is left, then waits for them. */
static void chunk_start(const uint64_t *chunk, int64_t n) {
    g_chunk = chunk; g_chunk_n = n;
    g_buf ^= 1;
    g_left = (uint64_t)n << 32; g_abandon = 0; g_ahead = 1;
    __atomic_store_n(&g_joined, 0, __ATOMIC_RELAXED);
    if (g_threads > 1) pool_go();
}

static void chunk_join(void) {
    if (!g_ahead) return;
    __atomic_store_n(&g_joined, 1, __ATOMIC_RELAXED);
    expand_part(0);
    if (g_threads > 1) done_wait();
    g_ahead = 0;
    g_nfault = 0;
}

/* Every slot of `from` moved into `into`, by the whole pool when it is idle (no phase A
 * running: table_reserve runs between chunks), else by this thread. */
static void pool_move(const Table *from, Table *into) {
    if (g_threads == 1 || g_ahead) {
        table_move(from, into, 0, from->mask + 1);
        return;
    }
    g_move_from = from; g_move_into = into;
    pool_go();
    move_part(0);
    done_wait();
    g_move_from = NULL; g_move_into = NULL;
}

static void pool_start(int threads) {
    g_threads = threads < 1 ? 1 : threads > MC_MAX_THREADS ? MC_MAX_THREADS : threads;
    g_quit = 0;
    if (g_threads == 1) return;
    g_go = 0;
    for (int t = 1; t < g_threads; t++) pthread_create(&g_pool[t], NULL, worker, (void *)(intptr_t)t);
}

static void pool_stop(void) {
    if (g_threads > 1) {
        g_quit = 1;
        pool_go();
        for (int t = 1; t < g_threads; t++) pthread_join(g_pool[t], NULL);
    }
    part_free();
    g_threads = 1;
}

/* What the search's arrays hold now: the visited set, parents, two levels, the graph. */
static int64_t store_bytes(void) {
    int64_t b = (int64_t)(st.visited.mask + 1) * (8 + (st.visited.nums ? 4 : 0)) + st.cap * 8
              + (st.capcur + st.capnext) * MC_WORDS * 8;
    b += g_targets.cap * 4 + g_labels.cap * 4 + g_smarks.cap * 4 + g_starts.cap * 8 + g_ostarts.cap * 8
         + g_marks.cap + g_olabels.cap * 4 + g_omarks.cap * 4 + g_osrc.cap * 8 + g_all.cap * 8;
    return b;
}

/* Why the search stops before expanding the chunk that starts at state `from`: 0 (it
 * goes on), 3 timeout, 5 interrupted, 4 the memory limit; a progress line when due. */
static int chunk_stop(const McOptions *o, double deadline, int64_t from, const McResult *r,
                      double *next_report, double started) {
    double now = mc_now();
    if ((deadline && now > deadline) || mc_interrupted) return mc_interrupted ? 5 : 3;
    if (o->memory_limit > 0 && store_bytes() > o->memory_limit) return 4;
    if (o->progress_every > 0 && now >= *next_report) {
        progress_line(r->generated, st.n, st.n - from, r->depth, now - started);
        *next_report = now + o->progress_every;
    }
    return 0;
}

int mc_words(void) { return MC_WORDS; }

int mc_run(const McOptions *o, McResult *r) {
    memset(r, 0, sizeof *r);
    r->index = -1; r->step_to = -1; r->init_pos = -1;
    store_free();
    graph_free();
    mc_failed = 0;
    mc_record = mc_labelling = o->record;
    g_cover_open = MC_N_COVER >= 64 ? ~0ULL : (1ULL << MC_N_COVER) - 1;
    for (int b = 0; b < 64; b++) g_cover_parent[b] = g_cover_init[b] = -1;
    pool_start(o->threads);
    mc_interrupted = 0;
    struct sigaction on_int, before_int;
    memset(&on_int, 0, sizeof on_int);
    on_int.sa_handler = on_sigint;
    sigaction(SIGINT, &on_int, &before_int);
    int64_t zero = 0;
    if (mc_record && !vec_push(&g_starts, &zero, sizeof zero)) {
        r->verdict = V_INCOMPLETE; r->stopped_by = 4; goto done;
    }
    double started = mc_now();
    double next_report = started + o->progress_every;
    double deadline = o->timeout > 0 ? mc_now() + o->timeout : 0;
    int64_t max_states = o->max_states > 0 ? o->max_states : INT64_MAX;
    int64_t level_end = 0, expanding = -1;

    /* ---- the initial states */
    nsucc = 0;
    mc_where = "init";
    mc_init();
    r->generated = nsucc;
    if (mc_failed) {
        r->verdict = V_ERROR;
        snprintf(r->message, sizeof r->message, "in init: %s", mc_err);
        goto done;
    }
    for (int64_t k = 0; k < nsucc; k++) {
        const S *t = &ss[k];
        if (MC_N_CON) {
            int out = mc_con(t) >= 0;
            if (mc_failed) { stop_error(r, -1, -1); r->init_pos = k; goto done_init; }
            if (out) {
                r->constrained++;
                if (MC_N_INV && !MC_INV_DECIDED) {
                    int bad = mc_inv(t);
                    if (mc_failed) { stop_error(r, -1, -1); r->init_pos = k; goto done_init; }
                    if (bad >= 0) {
                        r->verdict = V_VIOLATION; r->kind = 0; r->prop = bad; r->init_pos = k;
                        goto done_init;
                    }
                }
                continue;
            }
        }
        uint32_t num;
#ifdef MC_SYMMETRY
        mc_canon(sw + k * MC_WORDS);     /* the orbit's representative is kept (t stays the state itself) */
#endif
        int added = table_add(&st.visited, mc_fingerprint(sw + k * MC_WORDS), (uint32_t)st.n, &num);
        if (added < 0) { r->verdict = V_INCOMPLETE; r->stopped_by = 4; goto done; }
        if (!added) continue;
        if (st.n + 1 > max_states) { r->verdict = V_INCOMPLETE; r->stopped_by = 1; goto done_init; }
        if (!store_add(-1, k, sw + k * MC_WORDS)) { r->verdict = V_INCOMPLETE; r->stopped_by = 4; goto done; }
        if (MC_N_INV && !MC_INV_DECIDED) {
            mc_where = "an invariant";
            int bad = mc_inv(t);
            if (mc_failed) { stop_error(r, st.n - 1, -1); goto done_init; }
            if (bad >= 0) {
                r->verdict = V_VIOLATION; r->kind = 0; r->prop = bad; r->index = st.n - 1;
                goto done_init;
            }
        }
        if (MC_N_COVER && (g_cover_open & MC_COVER_STATE)) {
            mc_where = "a cover";
            uint64_t hit = mc_cover(t, t, g_cover_open & MC_COVER_STATE);
            if (mc_failed) { stop_error(r, st.n - 1, -1); goto done_init; }
            for (int b = 0; b < 64; b++)
                if (hit >> b & 1) g_cover_init[b] = st.n - 1;
            g_cover_open &= ~hit;
        }
    }
done_init:
    r->depth = r->generated ? 1 : 0;
    level_end = st.n;
    if (r->verdict != V_OK) goto done;

    /* ---- level by level, a chunk of states at a time: the chunk's states are
     * expanded by every thread (phase A: successors, constraints, action properties,
     * fingerprints, in per-thread arenas), then admitted in number order by this one
     * (phase B: the visited set, numbering, invariants), so the counts, numbers and
     * first violation do not depend on the number of threads. With several threads,
     * the other threads expand the next chunk of the level while this one admits the
     * last (it then joins them): phase B is no longer time the other cores wait. */
    int64_t base = 0;
    while (st.nnext) {
        uint64_t *tmp = st.cur; st.cur = st.next; st.next = tmp;
        int64_t cap = st.capcur; st.capcur = st.capnext; st.capnext = cap;
        st.ncur = st.nnext; st.nnext = 0;
        /* the previous level's buffer takes the next level: its pages stay mapped (freed
         * and grown again, every level's states were page faults anew: seconds of system time) */
        int frozen = o->max_depth > 0 && r->depth >= o->max_depth;
        level_end = base + st.ncur;
        int checked = 0;                       /* chunk c0's stops checked after the last one's phase B */
        for (int64_t c0 = 0; c0 < st.ncur; c0 += MC_CHUNK) {
            int64_t cn = st.ncur - c0 < MC_CHUNK ? st.ncur - c0 : MC_CHUNK;
            if (!checked) {
                int why = chunk_stop(o, deadline, base + c0, r, &next_report, started);
                if (why) { expanding = base + c0 - 1; r->verdict = V_INCOMPLETE; r->stopped_by = why; goto done; }
            }
            checked = 0;
            if (!g_ahead) chunk_start(st.cur + c0 * MC_WORDS, cn);   /* not begun beside the last phase B */
            chunk_join();
            const int pb = g_buf;               /* this chunk's pair (chunk_start flips g_buf) */
            Parent *parents = g_parents_of[pb];
            Arena *arenas = g_arenas_of[pb];
            /* with several threads, phase A of the next chunk runs beside this phase B: it
             * reads the visited set and the labels while this thread adds to them, so they
             * are first given room for this chunk's (never moved while it runs; the pool,
             * idle now, helps grow the set) */
            int64_t news = 0, unlabelled = 0;
            for (int t = 0; t < g_threads; t++) news += arenas[t].news, unlabelled += arenas[t].unlabelled;
            int64_t c1 = c0 + MC_CHUNK;
            if (g_threads > 1 && table_reserve(&st.visited, news) && (!mc_record || label_reserve(unlabelled))
                && c1 < st.ncur) {
                int64_t steps = 0;              /* what this phase B appends at most: a state or step each */
                for (int t = 0; t < g_threads; t++) steps += arenas[t].rec.n;   /* (the parents' upto: */
                /* summing those read a line of each parent the worker wrote, ~0.1 ms a chunk while it waited) */
                fault_plan(0, st.parent, st.n, st.cap, sizeof(uint32_t), steps);
                fault_plan(1, st.pos, st.n, st.cap, sizeof(uint32_t), steps);
                fault_plan(2, st.next, st.nnext, st.capnext, MC_WORDS * sizeof(uint64_t), steps);
                fault_plan(3, g_targets.p, g_targets.n, g_targets.cap, sizeof(uint32_t), steps);
                fault_plan(4, g_labels.p, g_labels.n, g_labels.cap, sizeof(int32_t), steps);
                fault_plan(5, g_smarks.p, g_smarks.n, g_smarks.cap, sizeof(uint32_t), steps);
                fault_plan(6, g_starts.p, g_starts.n, g_starts.cap, sizeof(int64_t), cn);
                fault_plan(7, g_marks.p, g_marks.n, g_marks.cap, 1, cn * MC_MARK_WIDTH);
                chunk_start(st.cur + c1 * MC_WORDS, st.ncur - c1 < MC_CHUNK ? st.ncur - c1 : MC_CHUNK);
            }
            /* the visited set's slots phase B will write, fetched ahead: the chunk's new
             * states are a few thousand lines, its inserts were each a cache miss */
            for (int64_t j = 0; j < cn && st.visited.slots; j++) {
                const Parent *po = &parents[j];
                const Succ *rec = (const Succ *)arenas[po->arena].rec.p + po->off;
                for (int64_t k = 0; k < po->upto; k++) {
                    if (rec[k].num != SUCC_NEW) continue;
                    uint64_t at = rec[k].fp & st.visited.mask;
                    __builtin_prefetch(&st.visited.slots[at], 1);
                    if (st.visited.nums) __builtin_prefetch(&st.visited.nums[at], 1);
                }
            }
            for (int64_t j = 0; j < cn; j++) {
                int64_t i = base + c0 + j;
                Parent *po = &parents[j];
                Arena *a = &arenas[po->arena];
                expanding = i;
                if (po->covers & g_cover_open) {     /* (stored only then: the other threads read its line) */
                    for (uint64_t nw = po->covers & g_cover_open; nw; nw &= nw - 1)
                        g_cover_parent[__builtin_ctzll(nw)] = i;
                    __atomic_store_n(&g_cover_open, g_cover_open & ~po->covers, __ATOMIC_RELAXED);
                }
                r->generated += po->count;
                r->constrained += po->constrained;
                if (po->error && po->step_to < 0) {      /* its successors could not be computed */
                    r->verdict = V_ERROR; r->index = i;
                    snprintf(r->message, sizeof r->message, "%s", po->message);
                    goto done;
                }
                if (!po->error && po->count == 0 && o->check_deadlock) {
                    r->verdict = V_DEADLOCK; r->index = i; goto done;
                }
                const Succ *rec = (const Succ *)a->rec.p + po->off;
                const uint64_t *w = (const uint64_t *)a->w.p + po->woff;   /* the next SUCC_NEW's words */
                const int64_t *alab = mc_record ? (const int64_t *)a->lab.p : NULL;
                for (int64_t k = 0; k < po->upto; k++) {
                    const Succ *q = &rec[k];
                    int32_t lid = -1;
                    if (mc_record) {
                        lid = q->lab >= 0 ? q->lab : label_id(alab + (int64_t)(-1 - q->lab) * (MC_MAX_LABELS + 1));
                        if (lid < 0) { r->verdict = V_INCOMPLETE; r->stopped_by = 4; goto done; }
                    }
                    if (MC_N_CON && q->out) {
                        if (mc_record && (!vec_push(&g_olabels, &lid, sizeof lid)
                                          || !vec_push(&g_omarks, &q->mk, sizeof(uint32_t))
                                          || !vec_push(&g_osrc, &i, sizeof i))) {
                            r->verdict = V_INCOMPLETE; r->stopped_by = 4; goto done;
                        }
                        continue;
                    }
                    uint32_t num = (uint32_t)q->num;
                    int added = 0;
                    const uint64_t *sw_k = w;
                    int inv = q->inv;
                    if (q->num == SUCC_NEW || q->num == SUCC_DUP) {   /* not in the set when phase A looked */
                        if (q->num == SUCC_NEW) w += MC_WORDS;
                        added = table_add(&st.visited, q->fp, (uint32_t)st.n, &num);
                        if (added < 0) { r->verdict = V_INCOMPLETE; r->stopped_by = 4; goto done; }
                        if (added && q->num == SUCC_DUP) {   /* the first in its part comes later: its words */
                            const Part *pp = &g_part[g_threads > 1 ? pb : 0][po->arena];
                            int64_t c = part_find(pp, q->fp);
                            if (c < 0) {
                                fprintf(stderr, "native search: a duplicate successor has no first (a backend bug)\n");
                                abort();
                            }
                            sw_k = (const uint64_t *)a->w.p + (int64_t)pp->w[c] * MC_WORDS;
                            inv = ((const Succ *)a->rec.p)[pp->rec[c]].inv;
                        }
                    }
                    if (mc_record) {
                        if (!vec_push(&g_targets, &num, sizeof num) || !vec_push(&g_labels, &lid, sizeof lid)
                            || !vec_push(&g_smarks, &q->mk, sizeof(uint32_t))) {
                            r->verdict = V_INCOMPLETE; r->stopped_by = 4; goto done;
                        }
                    }
                    if (!added) continue;
                    if (frozen) { r->verdict = V_INCOMPLETE; r->stopped_by = 2; goto done; }
                    if (st.n + 1 > max_states) { r->verdict = V_INCOMPLETE; r->stopped_by = 1; goto done; }
                    if (!store_add(i, k, sw_k)) { r->verdict = V_INCOMPLETE; r->stopped_by = 4; goto done; }
                    if (MC_N_INV && !MC_INV_DECIDED && inv != -1) {
                        int bad = inv;
                        if (bad == -2) {                  /* it failed in phase A: again, for the message */
                            S t;
                            mc_unpack(sw_k, &t);
                            mc_failed = 0;
                            mc_where = "an invariant";
                            bad = mc_inv(&t);
                            if (mc_failed) { stop_error(r, st.n - 1, -1); goto done; }
                        }
                        if (bad >= 0) {
                            r->verdict = V_VIOLATION; r->kind = 0; r->prop = bad; r->index = st.n - 1;
                            r->step_to = -1;
                            goto done;
                        }
                    }
                }
                if (po->error) {                          /* a check of successor step_to failed */
                    r->verdict = V_ERROR; r->index = i; r->step_to = po->step_to;
                    snprintf(r->message, sizeof r->message, "%s", po->message);
                    goto done;
                }
                if (po->event) {
                    r->verdict = po->verdict; r->kind = po->kind; r->prop = po->prop;
                    r->index = i; r->step_to = po->step_to;
                    goto done;
                }
                if (mc_record) {
                    const uint8_t *marks = (const uint8_t *)a->marks.p + po->moff;
                    for (int b = 0; b < MC_MARK_WIDTH; b++) vec_push(&g_marks, &marks[b], 1);
                    if (!vec_push(&g_starts, &g_targets.n, sizeof(int64_t))) {
                        r->verdict = V_INCOMPLETE; r->stopped_by = 4; goto done;
                    }
                }
            }
            /* the next chunk's stops, after this one is admitted, as with one thread (a
             * next chunk begun already is abandoned: phase A wrote nothing shared) */
            if (c1 < st.ncur) {
                int why = chunk_stop(o, deadline, base + c1, r, &next_report, started);
                if (why) { expanding = base + c1 - 1; r->verdict = V_INCOMPLETE; r->stopped_by = why; goto done; }
                checked = 1;
            }
        }
        base += st.ncur;
        if (st.nnext) r->depth++;
    }
    expanding = st.n - 1;
done:
    if (r->verdict != V_OK && st.n > level_end) r->depth++;
    r->distinct = st.n;
    r->queue_left = r->verdict == V_OK ? 0 : (st.n - expanding - 1 > 0 ? st.n - expanding - 1 : 0);
    if (g_ahead) { g_abandon = 1; chunk_join(); }   /* the next chunk's phase A, no longer wanted */
    pool_stop();
    sigaction(SIGINT, &before_int, NULL);
    r->visited_bytes = (int64_t)((st.visited.mask + 1) * sizeof(uint64_t) + st.cap * 2 * sizeof(uint32_t));
    free(st.cur); st.cur = NULL; st.capcur = 0;
    free(st.next); st.next = NULL; st.capnext = 0;
    /* nothing reads the visited set after the search (traces follow parents) */
    free(st.visited.slots); free(st.visited.nums);
    memset(&st.visited, 0, sizeof st.visited);
    return r->verdict;
}

/* Where each cover was first reached: the state whose step reached it, or the
 * initial state that did (-1: not that way). */
void mc_covers(int64_t *parent, int64_t *init) {
    memcpy(parent, g_cover_parent, sizeof g_cover_parent);
    memcpy(init, g_cover_init, sizeof g_cover_init);
}

/* The steps to state `index` (then the step to its successor at position `step_to`,
 * if >= 0; index -1: the initial state at init_pos alone). Writes, per state of the
 * trace, 1 + MC_MAX_LABELS int64s: the emitting site, then its labels; and the first
 * state's packed words to `first`. Returns the number of states, -1 on failure. */
#ifdef MC_SYMMETRY
/* The states of the last trace as the spec reached them from each representative
 * (state k: a successor of the representative of state k-1): Python replays the
 * trace from them (engine.py), as labels name steps from representatives. */
static uint64_t *g_trace_w;
static int64_t g_trace_cap;

int64_t mc_trace_states(uint64_t *out, int64_t n) {
    if (n > g_trace_cap) return -1;
    memcpy(out, g_trace_w, n * MC_WORDS * sizeof(uint64_t));
    return n;
}

/* For tests: the representative of packed state w's orbit, in place. */
void mc_canonical(uint64_t *w) { mc_canon(w); }
#endif

int64_t mc_trace(int64_t index, int64_t step_to, int64_t init_pos, int64_t *out, int64_t cap,
                 uint64_t *first) {
    int64_t chain_len = 0;
    for (int64_t i = index; i >= 0; i = st.parent[i] == UINT32_MAX ? -1 : (int64_t)st.parent[i]) chain_len++;
    int64_t total = chain_len + (step_to >= 0 ? 1 : 0) + (index < 0 ? 1 : 0);
    if (total > cap) return -1;
    int64_t *pos = malloc((total + 1) * sizeof(int64_t));
    int64_t m = 0;
    if (index < 0) pos[m++] = init_pos;
    else {
        int64_t k = chain_len;
        for (int64_t i = index; i >= 0; i = st.parent[i] == UINT32_MAX ? -1 : (int64_t)st.parent[i])
            pos[--k] = st.pos[i];
        m = chain_len;
    }
    if (step_to >= 0) pos[m++] = step_to;
#ifdef MC_SYMMETRY
    free(g_trace_w);
    g_trace_w = malloc((m + 1) * MC_WORDS * sizeof(uint64_t));
    g_trace_cap = g_trace_w ? m : 0;
#endif
    mc_failed = 0;
    mc_labelling = 1;
    nsucc = 0;
    mc_init();
    S s;
    for (int64_t k = 0; k < m; k++) {
        if (pos[k] >= nsucc) { free(pos); mc_labelling = 0; return -1; }
        memcpy(out + k * (MC_MAX_LABELS + 1), slab + pos[k] * (MC_MAX_LABELS + 1),
               (MC_MAX_LABELS + 1) * sizeof(int64_t));
        if (k == 0) memcpy(first, sw + pos[0] * MC_WORDS, MC_WORDS * sizeof(uint64_t));
        s = ss[pos[k]];
#ifdef MC_SYMMETRY
        if (k < g_trace_cap) memcpy(g_trace_w + k * MC_WORDS, sw + pos[k] * MC_WORDS, MC_WORDS * sizeof(uint64_t));
        {   /* positions are among the successors of the stored representative */
            uint64_t cw[MC_WORDS];
            memcpy(cw, sw + pos[k] * MC_WORDS, sizeof cw);
            mc_canon(cw);
            mc_unpack(cw, &s);
        }
#endif
        if (k + 1 < m) {
            nsucc = 0;
            mc_successors(&s);
        }
    }
    mc_labelling = 0;
    free(pos);
    return m;
}

typedef struct {
    int64_t n, n_init, steps, outside, labels, mark_width;
    const int64_t *starts, *ostarts, *labtab;
    const int32_t *targets, *labels_of, *olabels;
    const uint32_t *smarks, *omarks, *parent;
    const uint8_t *marks;
} McGraph;

/* g_ostarts from g_osrc: where each expanded state's steps outside the constraints
 * begin (the steps are in source order); 0 out of memory. */
static int outside_starts(void) {
    if (g_ostarts.p || !g_starts.n) return 1;
    int64_t *o = calloc(g_starts.n, sizeof(int64_t));
    if (!o) return 0;
    const int64_t *src = g_osrc.p;
    for (int64_t e = 0; e < g_osrc.n; e++) o[src[e] + 1]++;
    for (int64_t v = 1; v < g_starts.n; v++) o[v] += o[v - 1];
    g_ostarts.p = o; g_ostarts.n = g_ostarts.cap = g_starts.n;
    return 1;
}

/* The recorded graph of the last mc_run (valid until the next run or mc_free; an
 * array is NULL if out of memory). */
void mc_graph(McGraph *g) {
    outside_starts();
    g->n = st.n;
    g->n_init = 0;
    while (g->n_init < st.n && st.parent[g->n_init] == UINT32_MAX) g->n_init++;
    g->steps = g_targets.n; g->outside = g_olabels.n; g->labels = g_nlab; g->mark_width = MC_MARK_WIDTH;
    g->starts = g_starts.p; g->ostarts = g_ostarts.p; g->labtab = g_lab;
    g->targets = g_targets.p; g->labels_of = g_labels.p; g->olabels = g_olabels.p;
    g->smarks = g_smarks.p; g->omarks = g_omarks.p; g->parent = st.parent;
    g->marks = g_marks.p;
}

void mc_free(void) { store_free(); graph_free(); }

/* Hands the graph array at p (one mc_graph gave) to the caller, who frees it with
 * mc_graph_release: the next run no longer frees it, so the liveness check reads the
 * search's own arrays, uncopied, as long as it holds them. */
void mc_graph_take(const void *p) {
    for (unsigned i = 0; i < G_NVECS; i++)
        if (p && g_vecs[i]->p == p) memset(g_vecs[i], 0, sizeof(Vec));
}

void mc_graph_release(void *p) { free(p); }

/* For tests and tools: the initial states (start < 0) or the successors of the packed
 * state `start`, packed into `out` (cap states at most); the number found, -1 if
 * the spec failed (the message in `message`) or -2 if there were more than cap. */
int64_t mc_expand(const uint64_t *start, uint64_t *out, int64_t cap, char *message) {
    S s;
    mc_failed = 0;
    mc_labelling = 0;
    nsucc = 0;
    if (start) { mc_unpack(start, &s); mc_successors(&s); } else mc_init();
    if (mc_failed) { snprintf(message, 512, "%s", mc_err); return -1; }
    if (nsucc > cap) return -2;
    memcpy(out, sw, nsucc * MC_WORDS * sizeof(uint64_t));
    return nsucc;
}

/* ---- the liveness check's graph algorithms, in C (stategraph.py's strongly_connected
 * and reachable, the same traversal order: roots ascending, steps in order) */

/* Tarjan's algorithm, iterative. A component of one state v with batch[v] (every v if
 * batch is NULL) goes to `singles` (dropped if singles is NULL); every other one into `members` (at most n states), its end in `ends` (at
 * most n; *ncomps of them), so that the whole call runs without Python (ctypes lets
 * other Python threads run meanwhile: the liveness check runs several at once).
 * Memory: 4 bytes a state (index) and 20 a state inside (low, by visit number, and
 * the stacks), so a call on a small region of a large graph stays small; one random
 * read a step (index[]: no on-stack flags, no inside[] reads). */
int64_t mc_scc(int64_t n, const int64_t *starts, const int32_t *targets, const uint8_t *inside,
               const uint8_t *batch, int32_t *singles, int64_t *nsingles,
               int32_t *members, int64_t *ends, int64_t *ncomps) {
    int32_t *index = malloc(n * sizeof(int32_t));
    if (!index) return -1;
    /* index: -1 not visited yet; INT32_MAX outside, or in a finished component */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) { index[i] = inside[i] ? -1 : INT32_MAX; m += inside[i] != 0; }
    int32_t *low = malloc((m + 1) * sizeof(int32_t));          /* by visit number */
    int32_t *stack = malloc((m + 1) * sizeof(int32_t)), *path_v = malloc((m + 1) * sizeof(int32_t));
    int64_t *path_e = malloc((m + 1) * sizeof(int64_t));
    if (!low || !stack || !path_v || !path_e) {
        free(index); free(low); free(stack); free(path_v); free(path_e);
        return -1;
    }
    int64_t sp = 0, pp = 0, counter = 0, components = 0, used = 0;
    *nsingles = 0;
    *ncomps = 0;
    for (int64_t root = 0; root < n; root++) {
        if (index[root] != -1) continue;
        int64_t w = root;
        for (;;) {
            if (w >= 0) {
                index[w] = low[counter] = (int32_t)counter;
                counter++;
                stack[sp++] = (int32_t)w;
                path_v[pp] = (int32_t)w; path_e[pp] = starts[w]; pp++;
                for (int64_t f = starts[w]; f < starts[w + 1]; f++) __builtin_prefetch(&index[targets[f]]);
                w = -1;
            }
            if (!pp) break;
            int32_t v = path_v[pp - 1], iv = index[v];
            int64_t e = path_e[pp - 1], end = starts[v + 1];
            int descended = 0;
            while (e < end) {
                int32_t t = targets[e++];
                int32_t it = index[t];
                if (it < 0) { path_e[pp - 1] = e; w = t; descended = 1; break; }
                if (it < low[iv]) low[iv] = it;
            }
            if (descended) continue;
            pp--;
            int32_t lv = low[iv];
            if (lv == iv) {
                components++;
                if (stack[sp - 1] == v && (!batch || batch[v])) {
                    sp--; index[v] = INT32_MAX;
                    if (singles) singles[(*nsingles)++] = v;
                } else {
                    int64_t top = sp;
                    do { sp--; index[stack[sp]] = INT32_MAX; } while (stack[sp] != v);
                    /* the component in the order Python pops it: from the top of the stack down */
                    for (int64_t k = top - 1; k >= sp; k--) members[used++] = stack[k];
                    ends[(*ncomps)++] = used;
                }
            }
            if (pp) {
                int32_t iu = index[path_v[pp - 1]];
                if (lv < low[iu]) low[iu] = lv;
            }
        }
    }
    free(index); free(low); free(stack); free(path_v); free(path_e);
    return components;
}

/* The liveness check's fairness per state (liveness.Fairness.enabled_arrays): enabled[v]
 * = v has a step that changes the state (or one to a state outside the constraints)
 * taking a fair group: fixed[label], or its `when` bits (marks & holds[label]);
 * failed[v] = such a step's `when` failed (marks & holds[label] << 1). One pass. */
void mc_fair_enabled(int64_t n, const int64_t *starts, const int32_t *targets, const int32_t *labels,
                     const uint32_t *marks, const int64_t *ostarts, const int32_t *olabels,
                     const uint32_t *omarks, const uint8_t *fixed, const uint32_t *holds,
                     uint8_t *enabled, uint8_t *failed) {
    for (int64_t v = 0; v < n; v++) {
        uint8_t en = 0, fa = 0;
        for (int64_t e = starts[v]; e < starts[v + 1]; e++) {
            if (targets[e] == v) continue;
            int32_t l = labels[e];
            en |= fixed[l] || (marks[e] & holds[l]);
            fa |= (marks[e] & (holds[l] << 1)) != 0;
        }
        for (int64_t e = ostarts[v]; e < ostarts[v + 1]; e++) {
            int32_t l = olabels[e];
            en |= fixed[l] || (omarks[e] & holds[l]);
            fa |= (omarks[e] & (holds[l] << 1)) != 0;
        }
        enabled[v] = en; failed[v] = fa;
    }
}

void mc_reachable(int64_t n, const int64_t *starts, const int32_t *targets, const int32_t *sources,
                  int64_t nsources, const uint8_t *inside, uint8_t *seen) {
    int32_t *todo = malloc((n + 1) * sizeof(int32_t));
    int64_t top = 0;
    memset(seen, 0, n);
    for (int64_t k = 0; k < nsources; k++) {
        int32_t v = sources[k];
        if (inside[v] && !seen[v]) { seen[v] = 1; todo[top++] = v; }
    }
    while (top) {
        int32_t v = todo[--top];
        for (int64_t e = starts[v]; e < starts[v + 1]; e++) {
            int32_t w = targets[e];
            if (inside[w] && !seen[w]) { seen[w] = 1; todo[top++] = w; }
        }
    }
    free(todo);
}

/* liveness.Fairness.components_groups for components of several states: vs holds
 * their states one component after another (component c ends at ends[c]). For each
 * state, the fair groups (bit g, at most 64) with a step out of it that changes the
 * state or leaves the constraints (enabled[k]); for each component, the groups a
 * changing step inside it takes (taken[c]). A step with label l takes fixed[l], and
 * group cgroup[i] when marks & cmask[i], for i in cstart[l]..cstart[l+1]. Returns 1
 * (nothing else meaningful) if a changing step's `when` failed (marks & failing[l]):
 * the state-by-state check then fails where it does; -1 out of memory; else 0. */
int64_t mc_components_groups(int64_t n, const int64_t *starts, const int32_t *targets, const int32_t *labels,
                             const uint32_t *marks, const int64_t *ostarts, const int32_t *olabels,
                             const uint32_t *omarks, const uint64_t *fixed, const int64_t *cstart,
                             const int32_t *cgroup, const uint32_t *cmask, const uint32_t *failing,
                             int64_t ncomps, const int32_t *vs, const int64_t *ends,
                             uint64_t *enabled, uint64_t *taken) {
    int32_t *comp_of = calloc(n, sizeof(int32_t));     /* component + 1; untouched pages stay unmapped */
    if (!comp_of) return -1;
    int64_t failed = 0;
    for (int64_t c = 0, k = 0; c < ncomps; c++)
        for (; k < ends[c]; k++) comp_of[vs[k]] = (int32_t)(c + 1);
    for (int64_t c = 0, k = 0; c < ncomps && !failed; c++) {
        uint64_t in = 0;
        for (; k < ends[c]; k++) {
            int32_t v = vs[k];
            uint64_t en = 0;
            for (int p = 0; p < 2; p++) {
                const int64_t *st_ = p ? ostarts : starts;
                const int32_t *lb = p ? olabels : labels;
                const uint32_t *mk = p ? omarks : marks;
                for (int64_t e = st_[v]; e < st_[v + 1]; e++) {
                    int32_t t = p ? -1 : targets[e];
                    if (t == v) continue;                   /* a step that changes nothing */
                    int32_t l = lb[e];
                    if (mk[e] & failing[l]) { failed = 1; break; }
                    uint64_t bits = fixed[l];
                    for (int64_t i = cstart[l]; i < cstart[l + 1]; i++)
                        if (mk[e] & cmask[i]) bits |= 1ULL << cgroup[i];
                    en |= bits;
                    if (t >= 0 && comp_of[t] == c + 1) in |= bits;
                }
            }
            enabled[k] = en;
        }
        taken[c] = in;
    }
    free(comp_of);
    return failed;
}
