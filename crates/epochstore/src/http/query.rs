//! Strict parsing of the `GET /getEpochStore` query string and of the
//! `Accept` header.

use super::response::ApiError;
use crate::domain::{Cursor, PageLimit};

/// The validated parameters of a page request.
#[derive(Debug, PartialEq)]
pub struct PageQuery {
    pub limit: PageLimit,
    pub cursor: Option<Cursor>,
}

impl PageQuery {
    /// Parses the raw query string. `limit` and `cursor` may each appear once;
    /// other parameters are ignored (browsers and proxies add their own).
    /// Values are taken as they are: a percent-encoded limit or cursor is not
    /// the plain form and is rejected.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut limit = None;
        let mut cursor = None;
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "limit" if limit.is_none() => {
                    limit = Some(PageLimit::parse(value).ok_or(ApiError::InvalidLimit)?);
                }
                "cursor" if cursor.is_none() => {
                    cursor = Some(Cursor::decode(value).ok_or(ApiError::InvalidCursor)?);
                }
                "limit" | "cursor" => {
                    return Err(ApiError::InvalidQuery(
                        "limit and cursor may each be given once",
                    ));
                }
                _ => {}
            }
        }
        Ok(Self {
            limit: limit.unwrap_or(PageLimit::DEFAULT),
            cursor,
        })
    }
}

/// True when the client prefers HTML to JSON (a browser). JSON wins ties, so
/// `*/*` (curl) and a missing header get JSON; an `Accept` that allows neither
/// still gets JSON rather than an error.
pub fn prefers_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    quality(accept, "text", "html") > quality(accept, "application", "json")
}

/// The quality the `Accept` header gives `kind/sub`: the most specific
/// matching range wins (RFC 9110 §12.5.1); 0 when nothing matches.
fn quality(accept: &str, kind: &str, sub: &str) -> f32 {
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let Some((k, s)) = media.split_once('/') else {
            continue;
        };
        let specificity = match (k.trim(), s.trim()) {
            (k, s) if k.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(sub) => 2,
            (k, "*") if k.eq_ignore_ascii_case(kind) => 1,
            ("*", "*") => 0,
            _ => continue,
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .filter(|q| (0.0..=1.0).contains(q))
            .unwrap_or(1.0);
        if best.is_none_or(|(spec, _)| specificity > spec) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_html_and_everyone_else_json() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";
        assert!(prefers_html(Some(chrome)));
        assert!(!prefers_html(Some("*/*")));
        assert!(!prefers_html(None));
        assert!(!prefers_html(Some("application/json")));
        assert!(!prefers_html(Some("text/html;q=0.5, application/json")));
        assert!(prefers_html(Some("text/*")));
        assert!(!prefers_html(Some("image/png")));
        assert!(!prefers_html(Some("text/html;q=0, */*")));
        assert!(!prefers_html(Some(";;;,/,q=")));
    }

    #[test]
    fn query_defaults_and_strictness() {
        assert_eq!(
            PageQuery::parse(None).map(|q| q.limit),
            Ok(PageLimit::DEFAULT)
        );
        assert_eq!(
            PageQuery::parse(Some("utm=1&limit=5")).map(|q| q.limit.get()),
            Ok(5)
        );
        assert_eq!(
            PageQuery::parse(Some("limit=%35")),
            Err(ApiError::InvalidLimit)
        );
        assert_eq!(PageQuery::parse(Some("limit")), Err(ApiError::InvalidLimit));
        assert_eq!(
            PageQuery::parse(Some("cursor=")),
            Err(ApiError::InvalidCursor)
        );
        assert!(matches!(
            PageQuery::parse(Some("limit=1&limit=2")),
            Err(ApiError::InvalidQuery(_))
        ));
    }
}
