//! Links that hold the page's whole state.
//!
//! A link's fragment is `v2.` followed by the state as JSON, compressed
//! (raw DEFLATE) and written in URL-safe base64 without padding. The version
//! comes first so every link ever shared still opens: a `v1.` link was made
//! under revision 1 of the scenario format, whose `write_through` is today's
//! `cache_then_db` (and whose `write-through` lesson is `cache-then-db`), so
//! it is opened as that, with a notice saying so. Decoding never panics:
//! anything that is not a whole, valid state is refused with one sentence
//! saying what is wrong (tests/link.rs fuzzes it).
//!
//! The state names a lesson and, only when they differ from the lesson's
//! own, the scenario and the forked schedule: a lesson's link stays short.
//! The scenario inside is checked by [`Scenario::from_json`] when the link
//! is opened, exactly as a file given to the command line would be.

use serde::{Deserialize, Serialize};

use crate::sim::Scenario;
use crate::sim::scenario::ScheduleEntry;

/// The current format's prefix.
pub const VERSION: &str = "v2";

/// The prefix of links made under revision 1 of the scenario format.
pub const REVISION_1: &str = "v1";

/// The longest link the page accepts, in characters (far more than any
/// scripted lesson needs; a pasted 10,000-request scenario fits).
pub const MAX_LINK_CHARS: usize = 4_000_000;

/// The most bytes a link may expand to (a few characters of DEFLATE can
/// claim gigabytes).
pub const MAX_STATE_BYTES: usize = 16_000_000;

/// What a link restores.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkState {
    /// The lesson (by name): its title and narration.
    pub lesson: String,
    /// The scenario on screen, when it was loaded or edited (not the
    /// lesson's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<serde_json::Value>,
    /// The schedule of a forked run (a person chose who went next), when it
    /// differs from the scenario's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<ScheduleEntry>>,
    /// Steps taken (the cursor).
    #[serde(default)]
    pub step: usize,
    /// The cursor of a run shown aggregated, in simulated milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<u64>,
    /// The playback speed notch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<i32>,
    /// The timeline's x axis: `time` or `steps`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axis: Option<String>,
    /// What was clicked on the timeline, as `kind:index` (`window:0`,
    /// `read:2`, `lost:14`, `op:3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<String>,
    /// What opening an older link changed, to tell the person (never
    /// written into a link).
    #[serde(skip)]
    pub notice: Option<String>,
    /// The challenge attempted (by name), whose run starts with every
    /// order open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
}

impl LinkState {
    /// The scenario the link restores, checked as the command line checks a
    /// file; `None` for the lesson's own.
    pub fn parsed_scenario(&self) -> Result<Option<Scenario>, String> {
        self.scenario
            .as_ref()
            .map(|value| {
                Scenario::from_json(&value.to_string())
                    .map_err(|error| format!("its scenario is not valid: {error}"))
            })
            .transpose()
    }
}

/// The fragment (without `#`) holding `state`.
pub fn encode(state: &LinkState) -> String {
    pack(&serde_json::to_vec(state).expect("a link state always serialises"))
}

/// A fragment holding these bytes as its state (whatever they are: the
/// fuzz tests pack invalid JSON this way to reach the state's parser).
pub fn pack(json: &[u8]) -> String {
    let packed = miniz_oxide::deflate::compress_to_vec(json, 9);
    format!("{VERSION}.{}", base64url::encode(&packed))
}

/// The state a fragment (with or without its `#`) holds; or why it cannot
/// be opened, as the end of a sentence ("This link could not be opened: …").
pub fn decode(fragment: &str) -> Result<LinkState, String> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment).trim();
    if fragment.len() > MAX_LINK_CHARS {
        return Err(format!(
            "it is {} characters long, more than the {MAX_LINK_CHARS} a link may have",
            fragment.len()
        ));
    }
    let Some((version, body)) = fragment.split_once('.') else {
        return Err(format!(
            "it has no version (expected it to start with {VERSION}.)"
        ));
    };
    if version != VERSION && version != REVISION_1 {
        return Err(
            if version.starts_with('v') && version[1..].parse::<u32>().is_ok() {
                format!(
                    "it was made by a newer cachescope (format {version}; this page reads {VERSION})"
                )
            } else {
                format!(
                    "it has no version (expected it to start with {VERSION}., not {version:.12}.)"
                )
            },
        );
    }
    let packed = base64url::decode(body).map_err(|at| match at {
        Some(at) => format!("it is altered: character {at} is not part of a link"),
        None => "it is cut short or altered (its length is not whole)".to_string(),
    })?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_STATE_BYTES)
        .map_err(|error| match error.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                format!("it expands to more than {MAX_STATE_BYTES} bytes")
            }
            _ => "it is cut short or altered (its compressed data is incomplete)".to_string(),
        })?;
    let mut state: LinkState = serde_json::from_slice(&json)
        .map_err(|error| format!("it is cut short or altered (its state is not valid: {error})"))?;
    if version == REVISION_1 {
        state.notice = from_revision_1(&mut state);
    }
    Ok(state)
}

/// Revision 1's `write_through` was an app-side dual write, today's
/// `cache_then_db`: a `v1` link keeps showing what it showed. Returns what
/// changed, for the person, if anything did.
fn from_revision_1(state: &mut LinkState) -> Option<String> {
    let mut changed = false;
    if state.lesson == "write-through" {
        state.lesson = "cache-then-db".to_string();
        changed = true;
    }
    if let Some(write) = state
        .scenario
        .as_mut()
        .and_then(|s| s.get_mut("strategy"))
        .and_then(|s| s.get_mut("write"))
        && write == "write_through"
    {
        *write = serde_json::Value::from("cache_then_db");
        changed = true;
    }
    changed.then(|| {
        "This link was made before write-through meant the cache tier's write-through: \
         its write-through (cache set, then commit, by the app) is shown as cache_then_db."
            .to_string()
    })
}

/// URL-safe base64 (RFC 4648 section 5) without padding.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let word = chunk
                .iter()
                .enumerate()
                .fold(0u32, |word, (i, &b)| word | u32::from(b) << (16 - 8 * i));
            // n bytes make n + 1 characters.
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(word >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    /// The bytes; or the position (from 1) of the first character that is
    /// not base64url, or `None` for a dangling last character.
    pub fn decode(text: &str) -> Result<Vec<u8>, Option<usize>> {
        let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
        let (mut word, mut bits) = (0u32, 0u32);
        for (position, c) in text.bytes().enumerate() {
            let value = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' => 62,
                b'_' => 63,
                _ => return Err(Some(position + 1)),
            };
            word = (word << 6 | u32::from(value)) & 0xff_ffff;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((word >> bits) as u8);
            }
        }
        // One character alone carries 6 bits: less than a byte.
        if bits == 6 {
            return Err(None);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::base64url;

    #[test]
    fn base64url_round_trips_every_length() {
        let bytes: Vec<u8> = (0..=255).collect();
        for n in 0..bytes.len() {
            let text = base64url::encode(&bytes[..n]);
            assert_eq!(text.len(), (n * 4).div_ceil(3));
            assert_eq!(base64url::decode(&text).unwrap(), &bytes[..n]);
        }
        assert_eq!(base64url::encode(b"\xfb\xff"), "-_8");
        assert_eq!(base64url::decode("a=b"), Err(Some(2)));
        assert_eq!(base64url::decode("abcde"), Err(None));
    }
}
