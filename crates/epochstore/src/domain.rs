//! The domain: stored records, their ids, and the validated values that come
//! from untrusted input (page limit, cursor, idempotency key).

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use uuid::{NoContext, Timestamp, Uuid};

/// A record id: a UUIDv7. Its first 48 bits are the Unix time in milliseconds
/// and the remaining 74 are random, so ids sort by creation time and two
/// regions (or two Lambda instances) writing in the same millisecond do not
/// collide. Sorting the canonical lowercase hyphenated text gives the same
/// order as sorting the bytes, which is what DynamoDB's sort key compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(Uuid);

impl RecordId {
    /// A fresh id for a record stored at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        let secs = u64::try_from(at.timestamp()).unwrap_or(0);
        Self(Uuid::new_v7(Timestamp::from_unix(
            NoContext,
            secs,
            at.timestamp_subsec_nanos(),
        )))
    }

    /// Parses the canonical hyphenated form used as the DynamoDB sort key.
    pub fn parse_canonical(text: &str) -> Option<Self> {
        let uuid = Uuid::try_parse(text).ok()?;
        let id = Self::from_uuid(uuid)?;
        (id.to_string() == text).then_some(id)
    }

    fn from_uuid(uuid: Uuid) -> Option<Self> {
        (uuid.get_version_num() == 7 && uuid.get_variant() == uuid::Variant::RFC4122)
            .then_some(Self(uuid))
    }

    /// Milliseconds since the Unix epoch encoded in the id.
    pub fn unix_millis(&self) -> i64 {
        let bytes = self.0.as_bytes();
        bytes[..6]
            .iter()
            .fold(0i64, |acc, b| (acc << 8) | i64::from(*b))
    }

    /// A number derived from the id's random bits, used to spread writes over
    /// shards without another source of randomness.
    pub fn spread(&self) -> u64 {
        // The low 64 bits of a UUIDv7 are (after the variant bits) random.
        self.0.as_u128() as u64
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// One stored epoch time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: RecordId,
    pub epoch_millis: i64,
    pub region: String,
}

impl Record {
    /// A new record for "now" in `region`; the time is taken on the server.
    pub fn new(now: DateTime<Utc>, region: &str) -> Self {
        Self {
            id: RecordId::new(now),
            epoch_millis: now.timestamp_millis(),
            region: region.to_owned(),
        }
    }

    pub fn epoch_seconds(&self) -> i64 {
        self.epoch_millis.div_euclid(1000)
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-23T19:46:07.123Z`.
    pub fn stored_at(&self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.epoch_millis)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Record", 5)?;
        s.serialize_field("id", &self.id.to_string())?;
        s.serialize_field("epoch", &self.epoch_seconds())?;
        s.serialize_field("epochMillis", &self.epoch_millis)?;
        s.serialize_field("storedAt", &self.stored_at())?;
        s.serialize_field("region", &self.region)?;
        s.end()
    }
}

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
        self.0 .0.simple().to_string()
    }
}

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

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(millis).unwrap_or_default()
    }

    #[test]
    fn record_serialises_the_documented_fields() {
        let record = Record::new(at(1_763_927_167_123), "eu-west-3");
        let json = serde_json::to_value(&record).unwrap_or_default();
        assert_eq!(json["epoch"], 1_763_927_167);
        assert_eq!(json["epochMillis"], 1_763_927_167_123_i64);
        assert_eq!(json["storedAt"], "2025-11-23T19:46:07.123Z");
        assert_eq!(json["region"], "eu-west-3");
        assert_eq!(json["id"], record.id.to_string());
    }

    #[test]
    fn ids_carry_their_time_and_sort_by_it() {
        let earlier = RecordId::new(at(1_000));
        let later = RecordId::new(at(2_000));
        assert_eq!(earlier.unix_millis(), 1_000);
        assert!(earlier < later);
        assert!(earlier.to_string() < later.to_string());
        assert_eq!(RecordId::parse_canonical(&later.to_string()), Some(later));
        assert_eq!(
            RecordId::parse_canonical(&later.to_string().to_uppercase()),
            None
        );
    }

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
