//! The `Idempotency-Key` header.

/// The optional `Idempotency-Key` request header: 1–128 characters of
/// `A-Z a-z 0-9 . _ : -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 128;

    pub fn parse(text: &str) -> Option<Self> {
        let valid = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        valid.then(|| Self(text.to_owned()))
    }

    /// The same key in the namespace of one caller (a JWT's `sub`), so two
    /// callers' equal keys never meet. The key's alphabet has no `#`, so
    /// `<key>#<subject>` is unambiguous and never equals an unscoped key.
    pub fn scoped_to(self, subject: &str) -> Self {
        Self(format!("{}#{subject}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_follow_the_documented_alphabet() {
        assert!(IdempotencyKey::parse("order-42:retry_1.a").is_some());
        assert!(IdempotencyKey::parse(&"k".repeat(128)).is_some());
        for bad in ["", "has space", "slash/", "é", "semi;colon"] {
            assert!(IdempotencyKey::parse(bad).is_none(), "{bad:?}");
        }
        assert!(IdempotencyKey::parse(&"k".repeat(129)).is_none());
    }

    #[test]
    fn a_scoped_key_differs_per_subject_and_from_the_bare_key() {
        let key = |text| IdempotencyKey::parse(text).unwrap_or_else(|| panic!("{text}"));
        let alice = key("k").scoped_to("alice");
        assert_ne!(alice, key("k").scoped_to("bob"));
        assert_ne!(alice, key("k"));
        // No bare key contains `#`, so no bare key equals a scoped one.
        assert!(IdempotencyKey::parse("k#alice").is_none());
    }
}
