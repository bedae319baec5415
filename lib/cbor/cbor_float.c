/*
 * Conversions between IEEE 754 binary16, binary32 and binary64 bit
 * patterns, done on integers so that they cost no floating-point code on a
 * device without an FPU and never round.
 */
#include "cbor_internal.h"

#define F64_MAN_BITS 52u
#define F64_EXP_MASK 0x7ffu
#define F64_BIAS 1023
#define F64_MAN_MASK ((UINT64_C(1) << F64_MAN_BITS) - 1)

/*
 * Widens a binary16 or binary32 pattern (exp_bits exponent bits, man_bits
 * mantissa bits) to binary64. A subnormal input becomes a normal binary64,
 * so its mantissa is shifted until the leading one leaves the field.
 */
static uint64_t widen(uint64_t bits, unsigned exp_bits, unsigned man_bits)
{
    uint64_t sign = (bits >> (exp_bits + man_bits)) & 1u;
    uint64_t exp_max = (UINT64_C(1) << exp_bits) - 1;
    uint64_t exp = (bits >> man_bits) & exp_max;
    uint64_t man = bits & ((UINT64_C(1) << man_bits) - 1);
    int bias = (1 << (exp_bits - 1)) - 1;
    uint64_t out_exp;

    if (exp == exp_max) {
        out_exp = F64_EXP_MASK; /* infinity or NaN, payload kept */
    } else if (exp != 0) {
        out_exp = (uint64_t)((int)exp - bias + F64_BIAS);
    } else if (man == 0) {
        out_exp = 0; /* signed zero */
    } else {
        /* Subnormal: value = man * 2^(1 - bias - man_bits). Normalize. */
        int e = 1 - bias;
        while ((man & (UINT64_C(1) << man_bits)) == 0) {
            man <<= 1;
            e--;
        }
        man &= (UINT64_C(1) << man_bits) - 1;
        out_exp = (uint64_t)(e + F64_BIAS);
    }
    return (sign << 63) | (out_exp << F64_MAN_BITS) |
           (man << (F64_MAN_BITS - man_bits));
}

uint64_t tk_cbor_half_to_double_bits(uint16_t half)
{
    return widen(half, 5, 10);
}

uint64_t tk_cbor_single_to_double_bits(uint32_t single)
{
    return widen(single, 8, 23);
}

uint64_t tk_cbor_float_bits_to_double(uint64_t raw, unsigned width)
{
    if (width == 2)
        return tk_cbor_half_to_double_bits((uint16_t)raw);
    if (width == 4)
        return tk_cbor_single_to_double_bits((uint32_t)raw);
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
    uint64_t exp = (d >> F64_MAN_BITS) & F64_EXP_MASK;
    uint64_t man = d & F64_MAN_MASK;
    uint64_t exp_max = (UINT64_C(1) << exp_bits) - 1;
    int bias = (1 << (exp_bits - 1)) - 1;
    int e = (int)exp - F64_BIAS;
    int e_min = 1 - bias;
    unsigned drop = F64_MAN_BITS - man_bits;
    uint64_t narrow;

    if (exp == F64_EXP_MASK)
        narrow = (exp_max << man_bits) | (man >> drop);
    else if (exp == 0 || e < e_min - (int)man_bits)
        narrow = 0; /* zero, or too small: exact only for zero */
    else if (e > bias)
        return false;
    else if (e >= e_min)
        narrow = ((uint64_t)(e + bias) << man_bits) | (man >> drop);
    else /* subnormal in the narrow format */
        narrow = (man | (UINT64_C(1) << F64_MAN_BITS)) >>
                 (drop + (unsigned)(e_min - e));
    narrow |= (d >> 63) << (exp_bits + man_bits);
    *out = narrow;
    return widen(narrow, exp_bits, man_bits) == d;
}
