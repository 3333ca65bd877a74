//! Share links: a scenario, deflated and base64url-encoded, in the URL fragment (`#s=...`).
//! No server is involved; a link is only data, parsed like any scenario file.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;

use super::MAX_SCENARIO_BYTES;

/// Longest fragment accepted (characters).
pub const MAX_FRAGMENT: usize = 64 * 1024;

/// The fragment (without `#`) for a scenario's text.
pub fn encode(text: &str) -> String {
    let packed = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9);
    format!("s={}", B64.encode(packed))
}

/// The scenario text in a fragment (with or without the leading `#`).
///
/// # Errors
/// A one-line reason: not a raftlab link, too long, corrupted, or not text.
pub fn decode(fragment: &str) -> Result<String, String> {
    let f = fragment.trim().trim_start_matches('#');
    let data = f
        .strip_prefix("s=")
        .ok_or("this link does not hold a raftlab scenario")?;
    if data.len() > MAX_FRAGMENT {
        return Err(format!(
            "the link is too long (more than {} KiB)",
            MAX_FRAGMENT / 1024
        ));
    }
    let packed = B64
        .decode(data)
        .map_err(|_| "the link is damaged (not base64url)".to_string())?;
    let text = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_SCENARIO_BYTES)
        .map_err(|_| "the link is damaged or its scenario is too large".to_string())?;
    String::from_utf8(text).map_err(|_| "the link's scenario is not UTF-8 text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "@nodes 5\n@seed 7\nput foo bar\n".repeat(20);
        let f = encode(&text);
        assert!(f.len() < text.len());
        assert_eq!(decode(&f).unwrap(), text);
        assert_eq!(decode(&format!("#{f}")).unwrap(), text);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "#x=1",
            "s=!!!",
            "s=AAAA",
            &format!("s={}", "A".repeat(MAX_FRAGMENT + 1)),
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        // A zip bomb is cut at the size limit.
        let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b'a'; MAX_SCENARIO_BYTES * 4], 9);
        assert!(decode(&format!("s={}", B64.encode(bomb))).is_err());
    }
}
