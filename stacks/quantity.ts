/**
 * Kubernetes quantities in the form the API server stores them (apimachinery's
 * resource.Quantity: `CanonicalizeBytes`), so what the stack declares is what it reads back:
 * `0.5` is stored as `500m`, `1000m` as `1`, `2048Mi` as `2Gi`, `0.5Gi` as `512Mi`.
 *
 * The rules, from k8s.io/apimachinery/pkg/api/resource/quantity.go:
 * - the value is kept exactly, rounded up to nano units (10^-9), as the parser does;
 * - a binary suffix (Ki..Ei) stays binary when the value is a whole number of at least 1024 (or at
 *   most -1024): the largest power of 1024 that divides it is the suffix; otherwise it is decimal;
 * - decimal: the trailing zeros of the digits move into the exponent, which is then lowered to a
 *   multiple of 3 and written as a suffix (n, u, m, "", k, M, G, T, P, E).
 * Only the plain forms this project accepts (digits, an optional fraction, an optional suffix) are
 * handled; exponent forms such as 1e3 are not.
 */

const FORM = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIX = new Map(Object.entries(DECIMAL).map(([s, e]) => [e, s]));
const BINARY_SUFFIX = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/** A value as an integer number of nano units (10^-9), rounded up as Kubernetes rounds. */
function toNanos(digits: string, fraction: string, suffix: string): bigint {
    let scaled = BigInt(digits + fraction); // the value is scaled × 10^-(fraction.length)
    let exponent = -fraction.length;
    if (suffix in BINARY) {
        scaled *= 1024n ** BigInt(BINARY[suffix]);
    } else {
        exponent += DECIMAL[suffix];
    }
    // Now value = scaled × 10^exponent; bring it to 10^-9, rounding up.
    const shift = exponent + 9;
    if (shift >= 0) return scaled * 10n ** BigInt(shift);
    const div = 10n ** BigInt(-shift);
    return (scaled + div - 1n) / div;
}

/** The canonical form of a quantity; throws on a form it does not handle. */
export function canonicalQuantity(q: string): string {
    const m = FORM.exec(q);
    if (!m) {
        throw new Error(`not a Kubernetes quantity this project accepts: ${JSON.stringify(q)}`);
    }
    const [whole, fraction = ""] = m[1].split(".");
    const suffix = m[2] ?? "";
    const nanos = toNanos(whole === "" ? "0" : whole, fraction, suffix);
    if (nanos === 0n) return "0";

    const NANOS_PER_UNIT = 1_000_000_000n;
    if (suffix in BINARY && nanos % NANOS_PER_UNIT === 0n && nanos / NANOS_PER_UNIT >= 1024n) {
        let value = nanos / NANOS_PER_UNIT;
        let power = 0;
        while (power < 6 && value % 1024n === 0n) {
            value /= 1024n;
            power++;
        }
        return `${value}${BINARY_SUFFIX[power]}`;
    }

    // Decimal: nanos × 10^-9, trailing zeros moved into the exponent, the exponent a multiple of 3.
    let mantissa = nanos;
    let exponent = -9;
    while (mantissa % 10n === 0n) {
        mantissa /= 10n;
        exponent++;
    }
    const down = ((exponent % 3) + 3) % 3;
    mantissa *= 10n ** BigInt(down);
    exponent -= down;
    const decimalSuffix = DECIMAL_SUFFIX.get(exponent);
    return decimalSuffix !== undefined ? `${mantissa}${decimalSuffix}` : `${mantissa}e${exponent}`;
}
