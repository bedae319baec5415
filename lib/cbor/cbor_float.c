/*
 * Conversions between IEEE 754 binary16, binary32 and binary64 bit
 * patterns, done on integers so that they cost no floating-point code on a
 * device without an FPU and never round. The narrow formats fit in 32 bits,
 * so only the assembly of a binary64 pattern uses 64-bit arithmetic.
 */
#include "cbor_internal.h"

#define F64_MAN_BITS 52u
#define F64_EXP_MASK 0x7ffu
#define F64_BIAS 1023
#define F64_MAN_MASK ((UINT64_C(1) << F64_MAN_BITS) - 1)

/*
 * Widens a binary16 or binary32 pattern (exp_bits exponent bits, man_bits
 * mantissa bits, nothing above the sign bit) to binary64. A subnormal
 * input becomes a normal binary64, so its mantissa is shifted until the
 * leading one leaves the field.
 */
static uint64_t widen(uint32_t bits, unsigned exp_bits, unsigned man_bits)
{
    uint32_t sign = bits >> (exp_bits + man_bits);
    uint32_t exp_max = (1u << exp_bits) - 1;
    uint32_t exp = (bits >> man_bits) & exp_max;
    uint32_t man = bits & ((1u << man_bits) - 1);
    int bias = (1 << (exp_bits - 1)) - 1;
    uint32_t out_exp;

    if (exp == exp_max) {
        out_exp = F64_EXP_MASK; /* infinity or NaN, payload kept */
    } else if (exp != 0) {
        out_exp = (uint32_t)((int)exp - bias + F64_BIAS);
    } else if (man == 0) {
        out_exp = 0; /* signed zero */
    } else {
        /* Subnormal: value = man * 2^(1 - bias - man_bits). Normalize;
         * the loop runs at most man_bits times. */
        int e = 1 - bias;
        while ((man & (1u << man_bits)) == 0) {
            man <<= 1;
            e--;
        }
        man &= (1u << man_bits) - 1;
        out_exp = (uint32_t)(e + F64_BIAS);
    }
    uint32_t high = sign << 31 | out_exp << 20;
    return (uint64_t)high << 32 | (uint64_t)man << (F64_MAN_BITS - man_bits);
}

uint64_t tk_cbor_float_bits_to_double(uint64_t raw, unsigned width)
{
    if (width == 2)
        return widen((uint16_t)raw, 5, 10);
    if (width == 4)
        return widen((uint32_t)raw, 8, 23);
    return raw;
}

/*
 * Truncates binary64 bits d to the narrow format, then widens the result
 * back: the value is exact when that gives d again. This one comparison
 * covers lost mantissa bits, a lost NaN payload, and ranges.
 */
bool tk_cbor_double_narrow(uint64_t d, unsigned exp_bits, unsigned man_bits,
                           uint64_t *out)
{
    uint32_t high = (uint32_t)(d >> 32);
    int exp = (int)((high >> 20) & F64_EXP_MASK);
    uint64_t man = d & F64_MAN_MASK;
    int bias = (1 << (exp_bits - 1)) - 1;
    int e = exp - F64_BIAS;
    int e_min = 1 - bias;
    unsigned shift = F64_MAN_BITS - man_bits;
    uint32_t biased;

    if (exp == 0 || e < e_min - (int)man_bits) {
        /* Zero, or too small: only the sign is left, exact only for
         * zero. */
        biased = 0;
        man = 0;
    } else if (exp == (int)F64_EXP_MASK) {
        biased = (1u << exp_bits) - 1; /* infinity or NaN */
    } else if (e > bias) {
        return false;
    } else if (e >= e_min) {
        biased = (uint32_t)(e + bias);
    } else {
        /* Subnormal in the narrow format: the implicit one moves into the
         * mantissa. */
        biased = 0;
        man |= UINT64_C(1) << F64_MAN_BITS;
        shift += (unsigned)(e_min - e);
    }
    uint32_t narrow = (high >> 31) << (exp_bits + man_bits) |
                      biased << man_bits | (uint32_t)(man >> shift);
    *out = narrow;
    return widen(narrow, exp_bits, man_bits) == d;
}
