/*
 * insn_classes: a QEMU TCG plugin that counts executed guest instructions, split into kernel
 * classes by the disassembly mnemonic (dot product, vector fp multiply(-add), integer
 * multiply-accumulate, other).
 *
 * Counting is inline (one add per class per translation block executed), so it costs little.
 * The guest asks for a snapshot of the counters with a marker system call: syscall(MARK_SYSCALL, tag)
 * (an unused number; Linux and qemu-user answer ENOSYS). Each marker appends one line to the
 * output file:  mark <tag> <total> <dot> <fp_mul> <int_mac> <other>
 * Plugin arguments: out=PATH (default stderr).  One vCPU (one guest thread) is assumed: the inline
 * counters are shared and not atomic, so the benchmark runs every engine with one thread.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK_SYSCALL 7777

enum insn_class { CLASS_DOT, CLASS_FP_MUL, CLASS_INT_MAC, CLASS_OTHER, N_CLASSES };

static uint64_t counts[N_CLASSES];
static FILE *out;

static const char *const dot_ops[] = {"sdot", "udot", "usdot", "sudot", NULL};
static const char *const fp_mul_ops[] = {"fmla", "fmls", "fmul", "fmulx", NULL};
static const char *const int_mac_ops[] = {"smlal", "smlal2", "umlal", "umlal2", "smull", "smull2", "umull",
                                          "umull2", "sadalp", "uadalp", "mla", "mls", "smlsl", "smlsl2",
                                          "umlsl", "umlsl2", NULL};

static int in_list(const char *mnemonic, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(mnemonic, *list) == 0) {
            return 1;
        }
    }
    return 0;
}

static enum insn_class classify(const char *disas)
{
    char mnemonic[16];
    size_t n = 0;
    while (disas[n] && disas[n] != ' ' && disas[n] != '\t' && n < sizeof(mnemonic) - 1) {
        mnemonic[n] = g_ascii_tolower(disas[n]);
        n++;
    }
    mnemonic[n] = '\0';
    if (in_list(mnemonic, dot_ops)) {
        return CLASS_DOT;
    }
    if (in_list(mnemonic, fp_mul_ops)) {
        return CLASS_FP_MUL;
    }
    if (in_list(mnemonic, int_mac_ops)) {
        return CLASS_INT_MAC;
    }
    return CLASS_OTHER;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    uint64_t per_class[N_CLASSES] = {0};
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        char *disas = qemu_plugin_insn_disas(insn);
        per_class[disas ? classify(disas) : CLASS_OTHER]++;
        g_free(disas);
    }
    for (int c = 0; c < N_CLASSES; c++) {
        if (per_class[c]) {
            qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &counts[c], per_class[c]);
        }
    }
}

static void write_mark(const char *tag)
{
    uint64_t total = 0;
    for (int c = 0; c < N_CLASSES; c++) {
        total += counts[c];
    }
    fprintf(out, "mark %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", tag, total,
            counts[CLASS_DOT], counts[CLASS_FP_MUL], counts[CLASS_INT_MAC], counts[CLASS_OTHER]);
    fflush(out);
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu_index, int64_t num, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8)
{
    if (num == MARK_SYSCALL) {
        char tag[32];
        snprintf(tag, sizeof(tag), "%" PRIu64, a1);
        write_mark(tag);
    }
}

static void at_plugin_exit(qemu_plugin_id_t id, void *p)
{
    write_mark("exit");
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
