//! The messages of Go's `GOCACHEPROG` protocol (`cmd/go/internal/cacheprog`), as JSON.
//!
//! The go command writes a stream of JSON values to the program's stdin: request objects,
//! each `put` with a body followed by the body as a JSON string of base64. Byte slices
//! (`ActionID`, `OutputID`) are base64 strings too, as Go's `encoding/json` writes `[]byte`.
//! The program writes response objects to its stdout, starting with one of ID 0 that lists
//! the commands it knows.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The commands this program answers, announced in the first response.
pub(crate) const KNOWN_COMMANDS: [&str; 3] = ["get", "put", "close"];

/// One request from the go command (Go's `cacheprog.Request`, without its body).
#[derive(Debug, Deserialize)]
pub(crate) struct Request {
    /// Unique per request; echoed in the response.
    #[serde(rename = "ID")]
    pub(crate) id: i64,
    /// "get", "put" or "close".
    #[serde(rename = "Command")]
    pub(crate) command: String,
    /// The cache key of a "get" or "put".
    #[serde(rename = "ActionID", default, deserialize_with = "base64_opt")]
    pub(crate) action_id: Option<Vec<u8>>,
    /// The SHA-256 of a "put"'s body.
    #[serde(rename = "OutputID", default, deserialize_with = "base64_opt")]
    pub(crate) output_id: Option<Vec<u8>>,
    /// The size of the body that follows a "put"; no body follows when it is 0.
    #[serde(rename = "BodySize", default)]
    pub(crate) body_size: i64,
}

/// One JSON value of the request stream: a request, or the body of the `put` before it.
#[derive(Debug)]
pub(crate) enum Frame {
    /// A request object.
    Request(Request),
    /// A body string, decoded (or why it could not be).
    Body(Result<Vec<u8>, base64::DecodeError>),
}

impl<'de> Deserialize<'de> for Frame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Frame, D::Error> {
        struct FrameVisitor;

        impl<'de> Visitor<'de> for FrameVisitor {
            type Value = Frame;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a request object or a base64 body string")
            }

            fn visit_str<E: de::Error>(self, body: &str) -> Result<Frame, E> {
                Ok(Frame::Body(STANDARD.decode(body)))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Frame, A::Error> {
                Request::deserialize(de::value::MapAccessDeserializer::new(map)).map(Frame::Request)
            }
        }

        deserializer.deserialize_any(FrameVisitor)
    }
}

/// One response to the go command (Go's `cacheprog.Response`).
#[derive(Debug, Default, Serialize)]
pub(crate) struct Response {
    /// The ID of the request answered; 0 for the capabilities message.
    #[serde(rename = "ID")]
    pub(crate) id: i64,
    /// If not empty, the request failed with this error.
    #[serde(rename = "Err", skip_serializing_if = "String::is_empty")]
    pub(crate) err: String,
    /// The commands this program answers, in the first message only.
    #[serde(rename = "KnownCommands", skip_serializing_if = "<[_]>::is_empty")]
    pub(crate) known_commands: &'static [&'static str],
    /// A "get" found nothing.
    #[serde(rename = "Miss", skip_serializing_if = "is_false")]
    pub(crate) miss: bool,
    /// A "get" hit's output ID.
    #[serde(
        rename = "OutputID",
        skip_serializing_if = "Option::is_none",
        serialize_with = "base64_out"
    )]
    pub(crate) output_id: Option<[u8; 32]>,
    /// A "get" hit's size in bytes.
    #[serde(rename = "Size", skip_serializing_if = "is_zero")]
    pub(crate) size: u64,
    /// When a "get" hit was stored, RFC 3339 in UTC.
    #[serde(rename = "Time", skip_serializing_if = "Option::is_none")]
    pub(crate) time: Option<String>,
    /// The absolute path of the file holding the output of a "get" hit or a "put".
    #[serde(rename = "DiskPath", skip_serializing_if = "String::is_empty")]
    pub(crate) disk_path: String,
}

impl Response {
    /// The error response to request `id`.
    pub(crate) fn error(id: i64, err: impl fmt::Display) -> Response {
        Response {
            id,
            err: err.to_string(),
            ..Response::default()
        }
    }

    /// The miss response to request `id`.
    pub(crate) fn miss(id: i64) -> Response {
        Response {
            id,
            miss: true,
            ..Response::default()
        }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

fn base64_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u8>>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|text| STANDARD.decode(text).map_err(de::Error::custom))
        .transpose()
}

fn base64_out<S: Serializer>(value: &Option<[u8; 32]>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(bytes) => serializer.serialize_str(&STANDARD.encode(bytes)),
        None => serializer.serialize_none(),
    }
}

/// `unix_nanos` as Go's `time.Time` marshals to JSON: RFC 3339 with nanoseconds, in UTC.
pub(crate) fn rfc3339(unix_nanos: u64) -> String {
    let secs = unix_nanos / 1_000_000_000;
    let nanos = unix_nanos % 1_000_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn times_are_written_the_way_go_reads_them() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339(1_709_251_199_123_456_789),
            "2024-02-29T23:59:59.123456789Z"
        );
        assert_eq!(
            rfc3339(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000000Z"
        );
    }
}
