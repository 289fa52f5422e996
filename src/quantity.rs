//! Kubernetes quantities, just enough to compare a request with its limit.

use std::cmp::Ordering;

/// A non-negative quantity in units of 10⁻⁹ (Kubernetes' smallest scale, `n`),
/// saturating at `u128::MAX` for absurdly large values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Nanos(u128);

/// Parses a quantity as the Task schema accepts it (`500m`, `1.5Gi`, `2e3`, `+1`); `None`
/// for anything else. Fractions below a nano-unit round up, as Kubernetes does.
pub(crate) fn parse(text: &str) -> Option<Nanos> {
    let s = text.strip_prefix('+').unwrap_or(text);
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    // value = digits × 10^exp10 × 2^exp2, with `digits` the number without its point.
    let (mut exp10, exp2): (i32, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        e if e.starts_with(['e', 'E']) => (e[1..].parse().ok()?, 0),
        _ => return None,
    };
    let frac_len = i32::try_from(frac.len()).ok()?;
    exp10 = exp10.checked_sub(frac_len)?.checked_add(9)?; // in nano-units
    let mut value: u128 = 0;
    for c in int.chars().chain(frac.chars()) {
        value = value
            .saturating_mul(10)
            .saturating_add(u128::from(c.to_digit(10)?));
    }
    value = value.saturating_mul(1u128.checked_shl(exp2).unwrap_or(u128::MAX));
    if exp10 >= 0 {
        for _ in 0..exp10.min(40) {
            value = value.saturating_mul(10);
        }
    } else {
        let div = 10u128
            .checked_pow(exp10.unsigned_abs())
            .unwrap_or(u128::MAX);
        value = value.div_ceil(div);
    }
    Some(Nanos(value))
}

impl Nanos {
    /// Whether `self` is a whole, positive-unit multiple of `unit` (`parse("1")` for a whole
    /// number, a page size for huge pages). A zero unit divides nothing.
    pub(crate) fn is_multiple_of(self, unit: Nanos) -> bool {
        unit.0 != 0 && self.0.is_multiple_of(unit.0)
    }
}

/// Compares two quantities; `None` if either does not parse.
pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    Some(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::*;

    #[test]
    fn units_compare_across_suffixes() {
        assert_eq!(compare("500m", "1"), Some(Less));
        assert_eq!(compare("1000m", "1"), Some(Equal));
        assert_eq!(compare("1Gi", "1G"), Some(Greater));
        assert_eq!(compare("1024Mi", "1Gi"), Some(Equal));
        assert_eq!(compare("1.5Gi", "1536Mi"), Some(Equal));
        assert_eq!(compare("2e3", "2k"), Some(Equal));
        assert_eq!(compare("0.1", "100m"), Some(Equal));
        assert_eq!(compare(".5", "500m"), Some(Equal));
        assert_eq!(compare("1n", "0"), Some(Greater));
        assert_eq!(compare("129M", "128Mi"), Some(Less));
        assert_eq!(compare("135M", "128Mi"), Some(Greater));
    }

    #[test]
    fn multiples() {
        let one = parse("1").unwrap();
        assert!(parse("2").unwrap().is_multiple_of(one));
        assert!(parse("2000m").unwrap().is_multiple_of(one));
        assert!(!parse("1500m").unwrap().is_multiple_of(one));
        assert!(!parse("0.5").unwrap().is_multiple_of(one));
        assert!(parse("4Mi").unwrap().is_multiple_of(parse("2Mi").unwrap()));
        assert!(!parse("3Mi").unwrap().is_multiple_of(parse("2Mi").unwrap()));
        assert!(!one.is_multiple_of(parse("0").unwrap()));
    }

    #[test]
    fn malformed_quantities_do_not_parse() {
        for bad in ["", "m", "1.2.3", "1Zi", "-1", "1 Gi", "abc", "1e"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        assert_eq!(compare("1e400", "1Ei"), Some(Greater));
        assert!(parse("99999999999999999999999999999999999999999Ei").is_some());
    }
}
