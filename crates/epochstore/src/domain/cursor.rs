//! The pagination cursor.

use uuid::Uuid;

use super::record::RecordId;

/// An opaque pagination cursor: the id of the last record of the previous
/// page, as 32 lowercase hex digits. Records are public, so the cursor needs
/// no secret; what matters is that only a well-formed record id ever reaches
/// the store, and only as the upper bound of a key condition (`sk < :id`),
/// never as an arbitrary `ExclusiveStartKey`. Every region issues and accepts
/// the same cursors, because consecutive pages may be served by different
/// regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(RecordId);

impl Cursor {
    const LEN: usize = 32;

    pub fn after(id: RecordId) -> Self {
        Self(id)
    }

    pub fn id(self) -> RecordId {
        self.0
    }

    /// Decodes a cursor issued by [`Cursor::encode`]; anything else is `None`:
    /// wrong length, upper case or other re-encodings, or a value that is not a
    /// UUIDv7.
    pub fn decode(text: &str) -> Option<Self> {
        if text.len() != Self::LEN
            || !text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return None;
        }
        let value = u128::from_str_radix(text, 16).ok()?;
        RecordId::from_uuid(Uuid::from_u128(value)).map(Self)
    }

    pub fn encode(self) -> String {
        self.0.as_uuid().simple().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(millis).unwrap_or_default()
    }

    #[test]
    fn cursors_reject_re_encodings_and_other_uuid_versions() {
        let id = RecordId::new(at(1_700_000_000_000));
        let cursor = Cursor::after(id).encode();
        assert_eq!(Cursor::decode(&cursor).map(Cursor::id), Some(id));
        assert_eq!(Cursor::decode(&cursor.to_uppercase()), None);
        assert_eq!(Cursor::decode(&id.to_string()), None);
        assert_eq!(Cursor::decode(&cursor[..31]), None);
        // A v4 UUID is well-formed hex but was never issued by this service.
        assert_eq!(Cursor::decode("0f8fad5bd9cb469fa165708677289c0e"), None);
    }

    proptest! {
        #[test]
        fn any_cursor_text_decodes_to_an_issued_form_or_is_rejected(text in ".{0,40}") {
            if let Some(cursor) = Cursor::decode(&text) {
                prop_assert_eq!(cursor.encode(), text);
            }
        }

        #[test]
        fn hex_cursor_text_decodes_only_to_v7_ids(text in "[0-9a-f]{32}") {
            if let Some(cursor) = Cursor::decode(&text) {
                prop_assert_eq!(&text[12..13], "7");
                prop_assert_eq!(cursor.encode(), text);
            }
        }

        #[test]
        fn every_issued_cursor_round_trips(millis in 0i64..=281_474_976_710_655) {
            let id = RecordId::new(at(millis));
            let decoded = Cursor::decode(&Cursor::after(id).encode()).map(Cursor::id);
            prop_assert_eq!(decoded, Some(id));
        }
    }
}
