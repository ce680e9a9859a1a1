#!/bin/sh
# Checks the plugin's encoding classes (insn_classes.c) against binutils' disassembly:
#   check_classes.sh LIB.so...   (aarch64 libraries, e.g. onnxruntime's and LiteRT's from their wheels)
# Prints a count per (objdump mnemonic, plugin class) and exits 1 on any disagreement.
# Needs gcc and aarch64-linux-gnu-objdump (apt-get install binutils-aarch64-linux-gnu).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -DINSN_CLASSES_TEST -o "$tmp/classify" "$HERE/insn_classes.c"
for lib in "$@"; do
    aarch64-linux-gnu-objdump -d "$lib"
done | awk -F'\t' 'NF >= 3 && $2 ~ /^[0-9a-f]+ *$/ && length($2) >= 8 { split($3, m, " "); print $2, m[1], $4 }' >"$tmp/insns"
[ -s "$tmp/insns" ] || { echo "no instructions read from $*" >&2; exit 1; }
awk '{print $1}' "$tmp/insns" | "$tmp/classify" >"$tmp/classes"
paste -d' ' "$tmp/insns" "$tmp/classes" | awk '
    # Advanced SIMD (v registers) only: scalar multiplies (address arithmetic) and SVE (z registers, no Pi
    # has SVE) count as other; half precision (.4h/.8h: ncnn and MNN on the A76) is fp16_mul.
    function expected(mn, ops) {
        if (ops !~ /^v/) return "other"
        if (mn ~ /^[su]dot$/) return "dot"
        if (mn ~ /^(fmla|fmls|fmul|fmulx)$/) return ops ~ /^v[0-9]+\.[48]h/ ? "fp16_mul" : "fp_mul"
        if (mn ~ /^([su]mlal2?|[su]mlsl2?|[su]mull2?|[su]adalp|mla|mls)$/) return "int_mac"
        return "other"
    }
    $2 == ".word" { next }  # data or encodings binutils does not decode: never executed here
    { mn = $2; ops = $3; got = $NF; want = expected(mn, ops)
      if (want != "other" || got != "other") n[mn " " got]++
      if (got != want) { bad++; if (bad <= 10) print "MISMATCH", $0, "expected", want } }
    END { for (k in n) print n[k], k; if (bad) { print bad, "disagreements"; exit 1 } print "all classes agree with objdump" }'
