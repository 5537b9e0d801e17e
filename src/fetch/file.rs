//! Local feeds: `file://` URLs (plain paths in the config become `file://` URLs). The file's
//! size and modification time act as its validator, so an unchanged file is "not modified".

use url::Url;

use super::{Attempt, CacheHints, FetchError, FetchOutcome, FetchRequest, Fetched};

pub(super) async fn fetch(url: &Url, req: &FetchRequest, max_body: u64) -> Attempt {
    let fail = |e: FetchError| Attempt::failed(e, None);
    let Ok(path) = url.to_file_path() else {
        return fail(FetchError::BadUrl {
            url: url.to_string(),
            reason: "not a local file path".into(),
        });
    };
    let file_err = |e: std::io::Error| FetchError::File {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let meta = match tokio::fs::metadata(&path).await {
        Ok(m) => m,
        Err(e) => return fail(file_err(e)),
    };
    if meta.len() > max_body {
        return fail(FetchError::TooLarge {
            url: url.to_string(),
            limit: max_body,
        });
    }
    let stamp = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| {
            format!(
                "\"file-{}-{}-{}\"",
                d.as_secs(),
                d.subsec_nanos(),
                meta.len()
            )
        });
    if stamp.is_some() && req.etag == stamp {
        let not_modified = FetchOutcome::NotModified {
            hints: CacheHints::default(),
            etag: None,
            last_modified: None,
        };
        return Attempt::new(not_modified, None);
    }
    match tokio::fs::read(&path).await {
        Ok(body) => {
            let bytes = body.len() as u64;
            let fetched = Fetched {
                body,
                final_url: url.to_string(),
                status: 200,
                charset: None,
                etag: stamp,
                last_modified: None,
                hints: CacheHints::default(),
            };
            let mut a = Attempt::new(FetchOutcome::Fetched(fetched), None);
            a.bytes = bytes;
            a
        }
        Err(e) => fail(file_err(e)),
    }
}
