//! JSON Feed repair: what feed-rs's strict serde model rejects but readers accept.
//!
//! An `http://jsonfeed.org/version/1` version URL, `tags` given as one string, numbers where
//! strings belong (ids), nulls. Pure.

use serde_json::{Map, Value};

/// The JSON Feed version feed-rs accepts.
const VERSION: &str = "https://jsonfeed.org/version/1.1";

/// Rewrites a JSON Feed into the shape feed-rs accepts; `None` when it is not a JSON object
/// with `items`.
pub fn repair_json(text: &str) -> Option<String> {
    let mut feed: Value = serde_json::from_str(text).ok()?;
    let object = feed.as_object_mut()?;
    if !object.contains_key("items") && !object.contains_key("version") {
        return None;
    }
    let version_ok = object
        .get("version")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("https://jsonfeed.org/version/1"));
    if !version_ok {
        object.insert("version".into(), Value::String(VERSION.into()));
    }
    drop_nulls(object);
    stringify(
        object,
        &[
            "title",
            "home_page_url",
            "feed_url",
            "description",
            "language",
        ],
    );
    match object.get_mut("items") {
        Some(Value::Array(items)) => {
            items.retain(Value::is_object);
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                repair_item(item);
            }
        }
        _ => {
            object.insert("items".into(), Value::Array(Vec::new()));
        }
    }
    serde_json::to_string(&feed).ok()
}

fn repair_item(item: &mut Map<String, Value>) {
    drop_nulls(item);
    stringify(
        item,
        &[
            "id",
            "url",
            "external_url",
            "title",
            "content_html",
            "content_text",
            "summary",
            "image",
            "banner_image",
            "date_published",
            "date_modified",
            "language",
        ],
    );
    if let Some(tags) = item.get_mut("tags") {
        *tags = match tags.take() {
            Value::String(tag) => Value::Array(vec![Value::String(tag)]),
            Value::Array(list) => Value::Array(
                list.into_iter()
                    .filter_map(|t| scalar_string(&t).map(Value::String))
                    .collect(),
            ),
            _ => Value::Array(Vec::new()),
        };
    }
    // A missing id is allowed by readers; feed-rs needs the field.
    if !item.contains_key("id") {
        let id = item
            .get("url")
            .cloned()
            .unwrap_or_else(|| Value::String(String::new()));
        item.insert("id".into(), id);
    }
}

fn drop_nulls(object: &mut Map<String, Value>) {
    object.retain(|_, v| !v.is_null());
}

/// Turns numbers and booleans in string fields into strings; drops other non-strings.
fn stringify(object: &mut Map<String, Value>, fields: &[&str]) {
    for field in fields {
        if let Some(value) = object.get(*field)
            && !value.is_string()
        {
            match scalar_string(value) {
                Some(text) => object.insert((*field).to_string(), Value::String(text)),
                None => object.remove(*field),
            };
        }
    }
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_version_and_string_tags() {
        let repaired = repair_json(
            r#"{"version":"http://jsonfeed.org/version/1","title":"T","items":[{"id":7,"tags":"ai","title":null}]}"#,
        )
        .unwrap();
        let value: Value = serde_json::from_str(&repaired).unwrap();
        assert_eq!(value["version"], VERSION);
        assert_eq!(value["items"][0]["id"], "7");
        assert_eq!(value["items"][0]["tags"][0], "ai");
        assert!(value["items"][0].get("title").is_none());
    }

    #[test]
    fn not_a_feed() {
        assert_eq!(repair_json("[1,2]"), None);
        assert_eq!(repair_json("{\"a\":1}"), None);
    }
}
