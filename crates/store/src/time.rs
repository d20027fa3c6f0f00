//! Instants at the database edge. Both backends store microseconds since the Unix epoch in a
//! 64-bit integer: exact, sortable, and free of the dialects' differing time types.

use serde::{Deserialize, Serialize};
use sqlx::{Database, Decode, Encode, Type};

/// A UTC instant as stored; serialises as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ts(pub jiff::Timestamp);

impl Ts {
    pub fn now() -> Self {
        Ts(jiff::Timestamp::now())
    }

    pub fn micros(self) -> i64 {
        self.0.as_microsecond()
    }

    pub fn from_micros(us: i64) -> Self {
        Ts(jiff::Timestamp::from_microsecond(us).unwrap_or(jiff::Timestamp::UNIX_EPOCH))
    }

    /// This instant moved by a signed duration, saturating at the representable range.
    pub fn plus(self, d: std::time::Duration) -> Self {
        Ts::from_micros(self.micros().saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)))
    }
}

impl From<jiff::Timestamp> for Ts {
    fn from(t: jiff::Timestamp) -> Self {
        Ts(t)
    }
}

impl<DB: Database> Type<DB> for Ts
where
    i64: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <i64 as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <i64 as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for Ts
where
    i64: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let us = <i64 as Decode<DB>>::decode(value)?;
        Ok(Ts(jiff::Timestamp::from_microsecond(us)?))
    }
}

impl<'q, DB: Database> Encode<'q, DB> for Ts
where
    i64: Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as Encode<DB>>::encode_by_ref(&self.micros(), buf)
    }
}
