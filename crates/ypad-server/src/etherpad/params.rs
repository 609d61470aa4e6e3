//! API parameters come from the query string and from a urlencoded or multipart body; a body
//! field wins over a query field of the same name, as in Etherpad.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;

use super::ApiError;

/// Larger API bodies are refused; `setText` of a whole book still fits.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

pub struct Params(HashMap<String, String>);

/// Parses `a=1&b=2`, refusing values that are not UTF-8 rather than mangling them into
/// different text (and so a different pad id).
fn urlencoded(input: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |part: &[u8]| -> Result<String, ApiError> {
        let spaced: Vec<u8> = part
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&spaced)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| {
                ApiError::bad(format!(
                    "parameter {} is not valid UTF-8",
                    String::from_utf8_lossy(part)
                ))
            })
    };
    input
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut kv = pair.splitn(2, |&b| b == b'=');
            let key = decode(kv.next().unwrap_or_default())?;
            let value = decode(kv.next().unwrap_or_default())?;
            Ok((key, value))
        })
        .collect()
}

impl Params {
    pub async fn from_request(request: Request) -> Result<Params, ApiError> {
        let mut map: HashMap<String, String> =
            urlencoded(request.uri().query().unwrap_or("").as_bytes())?
                .into_iter()
                .collect();
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, &())
                .await
                .map_err(|e| ApiError::bad(format!("malformed multipart body: {e}")))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| ApiError::bad(format!("malformed multipart body: {e}")))?
            {
                let name = field.name().unwrap_or("").to_owned();
                let value = field
                    .text()
                    .await
                    .map_err(|e| ApiError::bad(format!("malformed multipart field {name}: {e}")))?;
                map.insert(name, value);
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let body = Bytes::from_request(request, &())
                .await
                .map_err(|e| ApiError::bad(format!("unreadable body: {e}")))?;
            map.extend(urlencoded(&body)?);
        }
        Ok(Params(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A parameter that must be present.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::bad(format!("{name} is missing")))
    }

    /// An optional non-negative integer parameter; empty counts as absent.
    pub fn number(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ApiError::bad(format!("{name} is not a number"))),
        }
    }

    /// Etherpad's boolean spelling: `true` / `false`.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true") | Some("1"))
    }
}
