//! The `limit` of a page.

/// The `limit` query parameter of `GET /getEpochStore`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimit(u16);

impl PageLimit {
    pub const MIN: u16 = 1;
    pub const MAX: u16 = 1000;
    pub const DEFAULT: PageLimit = PageLimit(100);

    /// Accepts only a plain decimal number (ASCII digits, no sign, no spaces)
    /// between [`Self::MIN`] and [`Self::MAX`].
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u16 = text.parse().ok()?;
        (Self::MIN..=Self::MAX)
            .contains(&value)
            .then_some(Self(value))
    }

    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limits_are_plain_decimals_in_range() {
        assert_eq!(PageLimit::parse("1").map(PageLimit::get), Some(1));
        assert_eq!(PageLimit::parse("1000").map(PageLimit::get), Some(1000));
        assert_eq!(PageLimit::parse("007").map(PageLimit::get), Some(7));
        for bad in [
            "",
            "0",
            "1001",
            "-1",
            "+5",
            " 5",
            "5 ",
            "1.5",
            "1e2",
            "abc",
            "99999999999",
        ] {
            assert_eq!(PageLimit::parse(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn any_limit_text_is_in_range_or_rejected(text in ".{0,8}") {
            match PageLimit::parse(&text) {
                Some(limit) => {
                    prop_assert!((1..=1000).contains(&limit.get()));
                    prop_assert!(text.bytes().all(|b| b.is_ascii_digit()));
                    prop_assert_eq!(text.parse::<usize>().ok(), Some(limit.get()));
                }
                None => prop_assert!(text.parse::<u64>().map_or(true, |n| !(1..=1000).contains(&n)) || !text.bytes().all(|b| b.is_ascii_digit())),
            }
        }

        #[test]
        fn decimal_limits_in_range_are_accepted(n in 1u16..=1000) {
            prop_assert_eq!(PageLimit::parse(&n.to_string()).map(PageLimit::get), Some(usize::from(n)));
        }
    }
}
