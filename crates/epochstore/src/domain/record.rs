//! A stored epoch time and its id.

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

    pub(super) fn from_uuid(uuid: Uuid) -> Option<Self> {
        (uuid.get_version_num() == 7 && uuid.get_variant() == uuid::Variant::RFC4122)
            .then_some(Self(uuid))
    }

    pub(super) fn as_uuid(&self) -> Uuid {
        self.0
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
