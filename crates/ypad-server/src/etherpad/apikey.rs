//! The API key: a secret in `{data-dir}/APIKEY.txt`, made on first start, compared in constant
//! time.

use std::io::Write;
use std::path::{Path, PathBuf};

use subtle::ConstantTimeEq;

/// Reads the key, or writes a new 64-hex-character one if the file is missing or empty.
pub fn load_or_create(data_dir: &Path) -> std::io::Result<(String, PathBuf)> {
    let path = data_dir.join("APIKEY.txt");
    match std::fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => return Ok((key.trim().to_owned(), path)),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(data_dir)?;
    let key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut file = std::fs::File::create(&path)?;
    file.write_all(key.as_bytes())?;
    file.sync_all()?;
    Ok((key, path))
}

pub fn matches(expected: &str, given: &str) -> bool {
    bool::from(expected.trim().as_bytes().ct_eq(given.trim().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let (key, path) = load_or_create(dir.path()).unwrap();
        assert_eq!(key.len(), 64);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        std::fs::write(&path, format!("  {key}\n")).unwrap();
        assert_eq!(load_or_create(dir.path()).unwrap().0, key);
        assert!(matches(&key, &key));
        assert!(!matches(&key, &key[1..]));
        assert!(!matches(&key, ""));
    }
}
