//! The clock, read here and handed to core (which has none).

use chrono::NaiveDate;
use kintsugi_core::Timestamp;

/// Milliseconds since the epoch, from the system clock.
pub fn now_ms() -> Timestamp {
    chrono::Utc::now().timestamp_millis()
}

/// Today's date in the device's local time zone: check-ins belong to the day the person lives in.
pub fn today_local() -> NaiveDate {
    chrono::Local::now().date_naive()
}
