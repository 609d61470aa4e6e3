//! Etherpad's attribute pool: the numbered `[key, value]` pairs that `*N` in changesets and
//! attribs strings refer to, read from and written as `{numToAttrib, nextNum}`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// A pad's attribute pool. Numbers are stable: Etherpad only ever appends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributePool {
    attribs: BTreeMap<u32, (String, String)>,
    next_num: u32,
}

/// Why a pool record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("`numToAttrib` is missing or not an object")]
    NoNumToAttrib,
    #[error("attribute number `{0}` is not a number")]
    BadNumber(String),
    #[error("attribute {0} is not a `[key, value]` pair")]
    BadPair(u32),
}

impl AttributePool {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `{"numToAttrib": {"0": ["author", "a.x"], …}, "nextNum": n}`.
    pub fn from_json(pool: &Value) -> Result<Self, PoolError> {
        let map = pool
            .get("numToAttrib")
            .and_then(Value::as_object)
            .ok_or(PoolError::NoNumToAttrib)?;
        let mut attribs = BTreeMap::new();
        for (num, pair) in map {
            let num: u32 = num.parse().map_err(|_| PoolError::BadNumber(num.clone()))?;
            let pair = pair.as_array().filter(|p| p.len() == 2);
            let (Some(key), Some(value)) = (
                pair.and_then(|p| scalar(&p[0])),
                pair.and_then(|p| scalar(&p[1])),
            ) else {
                return Err(PoolError::BadPair(num));
            };
            attribs.insert(num, (key, value));
        }
        let after_last = attribs.keys().next_back().map_or(0, |n| n + 1);
        let next_num = pool
            .get("nextNum")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .map_or(after_last, |n| n.max(after_last));
        Ok(Self { attribs, next_num })
    }

    /// The pool as Etherpad stores it in the pad record.
    pub fn to_json(&self) -> Value {
        let num_to_attrib: serde_json::Map<String, Value> = self
            .attribs
            .iter()
            .map(|(n, (k, v))| (n.to_string(), json!([k, v])))
            .collect();
        json!({ "numToAttrib": num_to_attrib, "nextNum": self.next_num })
    }

    /// The pool as Etherpad 1.8 stores it inside a revision's `meta`, with the reverse map.
    pub(crate) fn to_meta_json(&self) -> Value {
        let mut value = self.to_json();
        let attrib_to_num: serde_json::Map<String, Value> = self
            .attribs
            .iter()
            .map(|(n, (k, v))| (format!("{k},{v}"), json!(n)))
            .collect();
        value["attribToNum"] = Value::Object(attrib_to_num);
        value
    }

    pub fn get(&self, num: u32) -> Option<(&str, &str)> {
        self.attribs
            .get(&num)
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The number of `[key, value]`, adding it if it is new.
    pub fn put(&mut self, key: &str, value: &str) -> u32 {
        if let Some(n) = self.find(key, value) {
            return n;
        }
        let n = self.next_num;
        self.attribs.insert(n, (key.to_owned(), value.to_owned()));
        self.next_num += 1;
        n
    }

    pub fn find(&self, key: &str, value: &str) -> Option<u32> {
        self.attribs
            .iter()
            .find(|(_, (k, v))| k == key && v == value)
            .map(|(n, _)| *n)
    }

    /// The value of `key` among the attributes `nums`, if set and non-empty.
    pub fn value_of<'a>(&'a self, nums: &[u32], key: &str) -> Option<&'a str> {
        nums.iter()
            .filter_map(|n| self.get(*n))
            .find(|(k, v)| *k == key && !v.is_empty())
            .map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &str, &str)> {
        self.attribs
            .iter()
            .map(|(n, (k, v))| (*n, k.as_str(), v.as_str()))
    }
}

/// Etherpad's values are strings, but old pads hold `true` for `bold` and the like.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_num_to_attrib() {
        let json =
            json!({"numToAttrib": {"0": ["author", "a.x"], "1": ["bold", true]}, "nextNum": 2});
        let mut pool = AttributePool::from_json(&json).unwrap();
        assert_eq!(pool.get(0), Some(("author", "a.x")));
        assert_eq!(pool.get(1), Some(("bold", "true")));
        assert_eq!(pool.put("bold", "true"), 1);
        assert_eq!(pool.put("italic", "true"), 2);
        assert_eq!(pool.value_of(&[0, 2], "italic"), Some("true"));
        let back = AttributePool::from_json(&pool.to_json()).unwrap();
        assert_eq!(back, pool);
        assert_eq!(pool.to_meta_json()["attribToNum"]["author,a.x"], 0);
    }

    #[test]
    fn rejects_malformed_pools() {
        let check = |json: Value, err: PoolError| {
            assert_eq!(AttributePool::from_json(&json), Err(err));
        };
        check(json!({}), PoolError::NoNumToAttrib);
        check(
            json!({"numToAttrib": {"x": ["a", "b"]}}),
            PoolError::BadNumber("x".into()),
        );
        check(json!({"numToAttrib": {"3": ["a"]}}), PoolError::BadPair(3));
    }
}
