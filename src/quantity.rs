//! Kubernetes quantities: parse, compare, add up (resource totals) and print back.

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

/// Whether `text` is a whole number of units (`1`, `2e0`, `1k`), as extended resources
/// must be; `None` when it is not a quantity.
pub(crate) fn is_whole(text: &str) -> Option<bool> {
    let one = parse("1").expect("1 is a quantity");
    parse(text).map(|n| n.is_multiple_of(one))
}

impl Nanos {
    pub(crate) const ZERO: Self = Self(0);

    /// Whether `self` is a whole, positive-unit multiple of `unit` (`parse("1")` for a whole
    /// number, a page size for huge pages). A zero unit divides nothing.
    pub(crate) fn is_multiple_of(self, unit: Nanos) -> bool {
        unit.0 != 0 && self.0.is_multiple_of(unit.0)
    }

    /// `self + other`, saturating.
    #[must_use]
    pub(crate) fn plus(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    /// `self × n`, saturating (a per-pod value times replicas).
    #[must_use]
    pub(crate) fn times(self, n: u64) -> Self {
        Self(self.0.saturating_mul(u128::from(n)))
    }

    /// The value as Kubernetes would print it, in the unit family that suits the
    /// resource: binary suffixes (`Ki`…`Ei`) when `binary` and the value is a whole
    /// multiple of one, else the largest decimal unit that keeps it whole (`500m`, `2`, `3k`).
    pub(crate) fn format(self, binary: bool) -> String {
        format_signed(false, self.0, binary)
    }

    /// `after − before` with its sign (`+4`, `-512Mi`, `0`).
    pub(crate) fn difference(before: Self, after: Self, binary: bool) -> String {
        if after.0 >= before.0 {
            let d = after.0 - before.0;
            if d == 0 {
                "0".into()
            } else {
                format!("+{}", format_signed(false, d, binary))
            }
        } else {
            format_signed(true, before.0 - after.0, binary)
        }
    }
}

fn format_signed(negative: bool, nanos: u128, binary: bool) -> String {
    const NANO: u128 = 1_000_000_000;
    let sign = if negative { "-" } else { "" };
    if nanos == 0 {
        return "0".into();
    }
    if nanos.is_multiple_of(NANO) {
        let units = nanos / NANO;
        if binary {
            for (suffix, shift) in [
                ("Ei", 60),
                ("Pi", 50),
                ("Ti", 40),
                ("Gi", 30),
                ("Mi", 20),
                ("Ki", 10),
            ] {
                let size = 1u128 << shift;
                if units.is_multiple_of(size) {
                    return format!("{sign}{}{suffix}", units / size);
                }
            }
        }
        {
            for (suffix, size) in [
                ("E", 1_000_000_000_000_000_000u128),
                ("P", 1_000_000_000_000_000),
                ("T", 1_000_000_000_000),
                ("G", 1_000_000_000),
                ("M", 1_000_000),
                ("k", 1_000),
            ] {
                if units.is_multiple_of(size) {
                    return format!("{sign}{}{suffix}", units / size);
                }
            }
        }
        return format!("{sign}{units}");
    }
    for (suffix, size) in [("m", 1_000_000u128), ("u", 1_000), ("n", 1)] {
        if nanos.is_multiple_of(size) {
            return format!("{sign}{}{suffix}", nanos / size);
        }
    }
    unreachable!("every value is a whole number of nano-units")
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
    fn totals_print_back_in_the_resources_units() {
        let q = |s| parse(s).unwrap();
        assert_eq!(q("500m").times(3).format(false), "1500m");
        assert_eq!(q("500m").times(4).format(false), "2");
        assert_eq!(q("4000").format(false), "4k");
        assert_eq!(q("1536Mi").format(true), "1536Mi");
        assert_eq!(q("1Gi").times(4).format(true), "4Gi");
        assert_eq!(q("1G").format(true), "1G");
        assert_eq!(q("1G").format(false), "1G");
        assert_eq!(Nanos::ZERO.format(true), "0");
        assert_eq!(q("1").plus(q("250m")).format(false), "1250m");
        assert_eq!(Nanos::difference(q("1Gi"), q("512Mi"), true), "-512Mi");
        assert_eq!(Nanos::difference(q("2"), q("6"), false), "+4");
        assert_eq!(Nanos::difference(q("2"), q("2"), false), "0");
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        assert_eq!(compare("1e400", "1Ei"), Some(Greater));
        assert!(parse("99999999999999999999999999999999999999999Ei").is_some());
    }
}
