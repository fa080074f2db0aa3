//! Gauss hypergeometric function 2F1(a, b; c; z) for real parameters and 0 <= z < 1, in log-scaled form.
//!
//! Hand-written because no maintained pure-Rust crate offers a real 2F1 that stays accurate when
//! the parameters are in the hundreds (BG/NBD uses r + x and b + x). The result is returned as
//! sign * exp(ln_abs) so that values far beyond f64 range (e.g. (1 - z)^-500) stay usable.
//!
//! Method, for each call: the Gauss series of the direct form and of the Euler transform
//! 2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z) are candidates (the one with the
//! smaller upper parameters first, since its terms grow less before they decay); for z close to 1,
//! where both converge slowly, the linear transformation to 1 - z (Abramowitz & Stegun 15.3.6) is
//! tried first when c - a - b is safely away from an integer. Every candidate reports how much
//! precision it lost to cancellation, and a candidate that lost too much is rejected.

use special::Gamma;

/// A real number stored as `sign * exp(ln_abs)`, so magnitudes beyond f64 range survive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LnValue {
    /// Natural log of the absolute value (`-inf` for an exact zero).
    pub ln_abs: f64,
    /// +1.0, -1.0 (or 0.0 for an exact zero).
    pub sign: f64,
}

impl LnValue {
    const ONE: LnValue = LnValue { ln_abs: 0.0, sign: 1.0 };

    /// The plain f64 value; infinite if it overflows.
    pub fn value(&self) -> f64 {
        self.sign * self.ln_abs.exp()
    }

    fn mul_pow(self, base_ln: f64, exponent: f64) -> LnValue {
        LnValue { ln_abs: self.ln_abs + exponent * base_ln, sign: self.sign }
    }
}

/// Why 2F1 could not be evaluated to full precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Hyp2f1Error {
    #[error("2F1 is implemented for finite real a, b, c and 0 <= z < 1 only")]
    Domain,
    #[error("2F1 has a pole: c is a non-positive integer")]
    Pole,
    #[error("2F1 could not be evaluated to full precision")]
    NoConvergence,
}

/// Beyond this z the Gauss series needs hundreds of terms, so the 1 - z transformation goes first.
const Z_REFLECT: f64 = 0.9;
/// The 1 - z transformation cancels like eps / dist(c - a - b, integers); keep that loss small.
const MIN_DIST_FROM_INTEGER: f64 = 0.05;
/// Accept a result whose largest intermediate term exceeds it by at most this factor (~1e-10 lost).
const MAX_CANCELLATION: f64 = 1e6;
/// Enough for z = 0.9999 at full precision; anything slower is reported, not guessed.
const MAX_TERMS: usize = 1_000_000;
/// Rescale the running sum before it can overflow.
const RESCALE_AT: f64 = 1e280;

/// `ln |2F1(a, b; c; z)|` with its sign, for 0 <= z < 1.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<LnValue, Hyp2f1Error> {
    if !(a.is_finite() && b.is_finite() && c.is_finite() && (0.0..1.0).contains(&z)) {
        return Err(Hyp2f1Error::Domain);
    }
    if z == 0.0 || a == 0.0 || b == 0.0 {
        return Ok(LnValue::ONE);
    }
    if is_non_positive_integer(c) && !terminates_before(a, b, c) {
        return Err(Hyp2f1Error::Pole);
    }
    if z > Z_REFLECT
        && dist_from_integer(c - a - b) > MIN_DIST_FROM_INTEGER
        && let Some(v) = one_minus_z_transform(a, b, c, z)
    {
        return Ok(v);
    }
    series_best(a, b, c, z).ok_or(Hyp2f1Error::NoConvergence)
}

/// Plain-valued 2F1; an overflowing result is an error, never infinity.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64, Hyp2f1Error> {
    let v = ln_hyp2f1(a, b, c, z)?.value();
    if v.is_finite() { Ok(v) } else { Err(Hyp2f1Error::NoConvergence) }
}

fn is_non_positive_integer(v: f64) -> bool {
    v <= 0.0 && v == v.round()
}

fn dist_from_integer(v: f64) -> f64 {
    (v - v.round()).abs()
}

/// A series with a = -n or b = -n is a polynomial; it is finite if it stops before c's pole.
fn terminates_before(a: f64, b: f64, c: f64) -> bool {
    [a, b].iter().any(|&p| is_non_positive_integer(p) && p >= c)
}

/// The better of the direct and the Euler-transformed Gauss series at z.
///
/// Smaller upper parameters mean less growth before the terms decay, hence less cancellation;
/// a series that is a polynomial (an upper parameter a non-positive integer) is exact and first.
fn series_best(a: f64, b: f64, c: f64, z: f64) -> Option<LnValue> {
    let direct = (a, b, 0.0);
    let euler = (c - a, c - b, c - a - b);
    let direct_is_polynomial = is_non_positive_integer(a) || is_non_positive_integer(b);
    let euler_is_polynomial = is_non_positive_integer(c - a) || is_non_positive_integer(c - b);
    let euler_smaller = (c - a).abs() * (c - b).abs() < a.abs() * b.abs();
    let prefer_euler = !direct_is_polynomial && (euler_is_polynomial || euler_smaller);
    let order = if prefer_euler { [euler, direct] } else { [direct, euler] };
    let ln_w = (-z).ln_1p();
    order.iter().find_map(|&(p, q, exponent)| {
        let s = gauss_series(p, q, c, z)?;
        (s.cancellation <= MAX_CANCELLATION).then(|| s.value.mul_pow(ln_w, exponent))
    })
}

/// One summed Gauss series: its value and max|partial term| / |sum| (precision lost).
#[derive(Clone, Copy)]
struct Series {
    value: LnValue,
    cancellation: f64,
}

/// Sums sum_n (a)_n (b)_n / ((c)_n n!) z^n with a running rescale, stopping on a geometric tail bound.
fn gauss_series(a: f64, b: f64, c: f64, z: f64) -> Option<Series> {
    let (mut term, mut sum, mut max_abs, mut ln_scale) = (1.0_f64, 1.0_f64, 1.0_f64, 0.0_f64);
    for n in 0..MAX_TERMS {
        let k = n as f64;
        let ratio = z * (a + k) * (b + k) / ((c + k) * (k + 1.0));
        term *= ratio;
        sum += term;
        max_abs = max_abs.max(term.abs());
        if term == 0.0 {
            return finish(sum, max_abs, ln_scale);
        }
        if max_abs > RESCALE_AT {
            term /= RESCALE_AT;
            sum /= RESCALE_AT;
            max_abs /= RESCALE_AT;
            ln_scale += RESCALE_AT.ln();
        }
        if tail_is_negligible(a, b, c, z, k + 1.0, term, sum) {
            return finish(sum, max_abs, ln_scale);
        }
    }
    None
}

/// True once the terms decay for good and the remaining tail is below half an ulp of the sum.
///
/// The next ratio minus one has numerator N(k) = z(a+k)(b+k) - (c+k)(k+1), a concave quadratic:
/// past its larger root (N < 0 and N' < 0) every later ratio stays below one, and the ratios
/// then tend to z, so the tail is bounded by a geometric series with ratio max(r_next, z).
fn tail_is_negligible(a: f64, b: f64, c: f64, z: f64, k: f64, term: f64, sum: f64) -> bool {
    if k <= -a.min(b).min(c) {
        return false; // a factor still changes sign later: terms may grow again
    }
    let n_k = z * (a + k) * (b + k) - (c + k) * (k + 1.0);
    let dn_k = z * (a + b + 2.0 * k) - (c + 1.0 + 2.0 * k);
    if n_k >= 0.0 || dn_k >= 0.0 {
        return false;
    }
    let r_next = (z * (a + k) * (b + k) / ((c + k) * (k + 1.0))).abs();
    let q = r_next.max(z);
    term.abs() * q / (1.0 - q) <= 0.5 * f64::EPSILON * sum.abs()
}

fn finish(sum: f64, max_abs: f64, ln_scale: f64) -> Option<Series> {
    if sum == 0.0 || !sum.is_finite() {
        return None;
    }
    Some(Series {
        value: LnValue { ln_abs: sum.abs().ln() + ln_scale, sign: sum.signum() },
        cancellation: max_abs / sum.abs(),
    })
}

/// A&S 15.3.6: F(a,b;c;z) = G1 F(a,b;1-m;w) + w^m G2 F(c-a,c-b;1+m;w), m = c-a-b, w = 1-z.
fn one_minus_z_transform(a: f64, b: f64, c: f64, z: f64) -> Option<LnValue> {
    let m = c - a - b;
    let w = 1.0 - z;
    let first = ln_gamma_ratio(&[c, m], &[c - a, c - b]).and_then(|g| Some(mul(g, series_best(a, b, 1.0 - m, w)?)));
    let second = ln_gamma_ratio(&[c, -m], &[a, b])
        .and_then(|g| Some(mul(g, series_best(c - a, c - b, 1.0 + m, w)?).mul_pow(w.ln(), m)));
    match (first, second) {
        (Some(f), Some(s)) => add_checked(f, s),
        _ => None,
    }
}

/// ln |prod Gamma(num) / prod Gamma(den)| with sign; None if a numerator Gamma has a pole.
/// A pole in the denominator makes the whole term zero, which callers avoid by construction
/// (those cases are polynomials handled by the series), so it is reported as None too.
fn ln_gamma_ratio(num: &[f64], den: &[f64]) -> Option<LnValue> {
    let mut out = LnValue::ONE;
    for (&v, sign) in num.iter().map(|v| (v, 1.0)).chain(den.iter().map(|v| (v, -1.0))) {
        if is_non_positive_integer(v) {
            return None;
        }
        let (ln_abs, s) = Gamma::ln_gamma(v);
        out.ln_abs += sign * ln_abs;
        out.sign *= f64::from(s);
    }
    Some(out)
}

fn mul(x: LnValue, y: LnValue) -> LnValue {
    LnValue { ln_abs: x.ln_abs + y.ln_abs, sign: x.sign * y.sign }
}

/// x + y in log form; None when the two cancel so much that the sum would be imprecise.
fn add_checked(x: LnValue, y: LnValue) -> Option<LnValue> {
    let (big, small) = if x.ln_abs >= y.ln_abs { (x, y) } else { (y, x) };
    // |small| <= |big|, so the factor big -> big + small lies in [0, 2].
    let rel = big.sign * small.sign * (small.ln_abs - big.ln_abs).exp();
    if !big.ln_abs.is_finite() || (1.0 + rel) * MAX_CANCELLATION < 1.0 {
        return None;
    }
    Some(LnValue { ln_abs: big.ln_abs + rel.ln_1p(), sign: big.sign })
}
