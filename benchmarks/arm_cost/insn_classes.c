/*
 * insn_classes: a QEMU TCG plugin that counts executed guest instructions, split into kernel
 * classes by encoding (dot product, vector fp32/fp64 multiply(-add), integer multiply-accumulate,
 * vector fp16 multiply(-add) (ARMv8.2 FP16: the Pi 5's A76), other).
 *
 * Counting is inline (one add per class per translation block executed), so it costs little.
 * The guest asks for a snapshot of the counters with a marker system call: syscall(MARK_SYSCALL, tag)
 * (an unused number; Linux and qemu-user answer ENOSYS). Each marker appends one line to the
 * output file:  mark <tag> <total> <dot> <fp_mul> <int_mac> <fp16_mul> <other>
 * Plugin arguments: out=PATH (default stderr).  One vCPU (one guest thread) is assumed: the inline
 * counters are shared and not atomic, so the benchmark runs every engine with one thread.
 *
 * Built with -DINSN_CLASSES_THREADS (libinsn_threads.so, for the live loop's threads): a callback per
 * translation block adds to the counters of the guest thread (vCPU) that runs it, so threads running at
 * once lose no counts, and each mark line ends with the calling thread's vCPU index and its own total:
 *   mark <tag> <total> <dot> <fp_mul> <int_mac> <fp16_mul> <other> <vcpu> <vcpu_total>
 * (total and classes summed over every thread). Slower than inline counting, so only the live loop uses it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef INSN_CLASSES_TEST
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;
#endif

#define MARK_SYSCALL 7777

enum insn_class { CLASS_DOT, CLASS_FP_MUL, CLASS_INT_MAC, CLASS_FP16_MUL, CLASS_OTHER, N_CLASSES };

static uint64_t counts[N_CLASSES];
static FILE *out;

#ifdef INSN_CLASSES_THREADS
/* qemu-user gives each guest thread the lowest vCPU index above the live ones: 255 slots are many
 * more than a session's threads; any beyond share the last slot, added to atomically. */
#define MAX_VCPUS 256
static struct {
    uint64_t c[N_CLASSES];
} __attribute__((aligned(64))) per_vcpu[MAX_VCPUS];
#endif

/*
 * Classes by encoding (Arm ARM, A64 Advanced SIMD), not by disassembly: Debian's QEMU 7.2 source has
 * no AArch64 disassembler (libvixl is removed from its tarball). Each entry: (word & mask) == value.
 * Checked against objdump's mnemonics over onnxruntime's and LiteRT's aarch64 libraries
 * (check_classes.sh).
 */
struct pattern {
    uint32_t mask, value;
    enum insn_class cls;
};

static const struct pattern patterns[] = {
    {0x9FE0FC00, 0x0E809400, CLASS_DOT},     /* SDOT/UDOT (vector) */
    {0x9FC0F400, 0x0F80E000, CLASS_DOT},     /* SDOT/UDOT (by element) */
    {0xBF20FC00, 0x0E20CC00, CLASS_FP_MUL},  /* FMLA/FMLS (vector), single/double */
    {0xBFA0FC00, 0x2E20DC00, CLASS_FP_MUL},  /* FMUL (vector) */
    {0xBFA0FC00, 0x0E20DC00, CLASS_FP_MUL},  /* FMULX (vector) */
    {0xBF80B400, 0x0F801000, CLASS_FP_MUL},  /* FMLA/FMLS (by element) */
    {0x9F80F400, 0x0F809000, CLASS_FP_MUL},  /* FMUL/FMULX (by element) */
    {0x9F20DC00, 0x0E208000, CLASS_INT_MAC}, /* SMLAL/UMLAL/SMLSL/UMLSL{2} (vector) */
    {0x9F20FC00, 0x0E20C000, CLASS_INT_MAC}, /* SMULL/UMULL{2} (vector) */
    {0x9F3FFC00, 0x0E206800, CLASS_INT_MAC}, /* SADALP/UADALP */
    {0x9F20FC00, 0x0E209400, CLASS_INT_MAC}, /* MLA/MLS (vector) */
    {0x9F00B400, 0x0F002000, CLASS_INT_MAC}, /* SMLAL/UMLAL/SMLSL/UMLSL{2} (by element) */
    {0x9F00F400, 0x0F00A000, CLASS_INT_MAC}, /* SMULL/UMULL{2} (by element) */
    {0xBF00B400, 0x2F000000, CLASS_INT_MAC}, /* MLA/MLS (by element) */
    {0xBF60FC00, 0x0E400C00, CLASS_FP16_MUL}, /* FMLA/FMLS (vector), half */
    {0xBFE0FC00, 0x2E401C00, CLASS_FP16_MUL}, /* FMUL (vector), half */
    {0xBFC0B400, 0x0F001000, CLASS_FP16_MUL}, /* FMLA/FMLS (by element), half */
    {0x9FC0F400, 0x0F009000, CLASS_FP16_MUL}, /* FMUL/FMULX (by element), half */
};

static enum insn_class classify(uint32_t word)
{
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        if ((word & patterns[i].mask) == patterns[i].value) {
            return patterns[i].cls;
        }
    }
    return CLASS_OTHER;
}

#ifndef INSN_CLASSES_TEST
#ifdef INSN_CLASSES_THREADS
static void tb_exec(unsigned int vcpu, void *udata)
{
    const uint64_t *n = udata;
    if (vcpu < MAX_VCPUS - 1) { /* only this guest thread's host thread writes its slot */
        for (int c = 0; c < N_CLASSES; c++) {
            per_vcpu[vcpu].c[c] += n[c];
        }
    } else {
        for (int c = 0; c < N_CLASSES; c++) {
            __atomic_fetch_add(&per_vcpu[MAX_VCPUS - 1].c[c], n[c], __ATOMIC_RELAXED);
        }
    }
}
#endif

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    uint64_t per_class[N_CLASSES] = {0};
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint32_t word = 0;
        if (qemu_plugin_insn_size(insn) == sizeof(word)) {
            memcpy(&word, qemu_plugin_insn_data(insn), sizeof(word)); /* A64: little-endian, 4 bytes */
        }
        per_class[classify(word)]++;
    }
#ifdef INSN_CLASSES_THREADS
    uint64_t *tb_counts = malloc(sizeof(per_class)); /* lives as long as the translation: never freed */
    memcpy(tb_counts, per_class, sizeof(per_class));
    qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, tb_counts);
#else
    for (int c = 0; c < N_CLASSES; c++) {
        if (per_class[c]) {
            qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &counts[c], per_class[c]);
        }
    }
#endif
}

static void write_mark(const char *tag, unsigned int vcpu)
{
#ifdef INSN_CLASSES_THREADS
    uint64_t self = 0;
    for (int c = 0; c < N_CLASSES; c++) {
        counts[c] = 0;
        for (int v = 0; v < MAX_VCPUS; v++) {
            counts[c] += __atomic_load_n(&per_vcpu[v].c[c], __ATOMIC_RELAXED);
        }
        self += per_vcpu[vcpu < MAX_VCPUS ? vcpu : MAX_VCPUS - 1].c[c];
    }
#endif
    uint64_t total = 0;
    for (int c = 0; c < N_CLASSES; c++) {
        total += counts[c];
    }
    fprintf(out, "mark %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64, tag, total,
            counts[CLASS_DOT], counts[CLASS_FP_MUL], counts[CLASS_INT_MAC], counts[CLASS_FP16_MUL],
            counts[CLASS_OTHER]);
#ifdef INSN_CLASSES_THREADS
    fprintf(out, " %u %" PRIu64, vcpu, self);
#endif
    fprintf(out, "\n");
    fflush(out);
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu_index, int64_t num, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8)
{
    if (num == MARK_SYSCALL) {
        char tag[32];
        snprintf(tag, sizeof(tag), "%" PRIu64, a1);
        write_mark(tag, vcpu_index);
    }
}

static void at_plugin_exit(qemu_plugin_id_t id, void *p)
{
    write_mark("exit", 0);
    if (out != stderr) {
        fclose(out);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    out = stderr;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            out = fopen(argv[i] + 4, "w");
            if (!out) {
                fprintf(stderr, "insn_classes: cannot open %s\n", argv[i] + 4);
                return -1;
            }
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_atexit_cb(id, at_plugin_exit, NULL);
    return 0;
}
#else
/* check_classes.sh: hex instruction words on stdin -> one class name per line. */
int main(void)
{
    static const char *const names[] = {"dot", "fp_mul", "int_mac", "fp16_mul", "other"};
    unsigned int word;
    while (scanf("%x", &word) == 1) {
        printf("%s\n", names[classify(word)]);
    }
    return 0;
}
#endif
