//! Ignored helper test: tags an eval file with extra taxonomy files, for ablations without a
//! full config. `TAG_INPUT=… TAG_OUTPUT=… TAG_EXTRA=a.toml:b.toml cargo test --test tag_eval -- --ignored`

use std::io::Write;
use std::path::PathBuf;

use aiwire::eval_input::read_items;
use aiwire::model::TagInput;
use aiwire::tag::Tagger;

#[test]
#[ignore]
fn tag_file_with_extra_taxonomy() {
    let (Ok(input), Ok(output)) = (std::env::var("TAG_INPUT"), std::env::var("TAG_OUTPUT")) else {
        return;
    };
    let extra: Vec<PathBuf> = std::env::var("TAG_EXTRA")
        .unwrap_or_default()
        .split(':')
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect();
    let tagger = Tagger::load(&extra).unwrap();
    let mut out = std::fs::File::create(output).unwrap();
    for item in read_items(std::path::Path::new(&input)).unwrap() {
        let tags = tagger.tag(TagInput {
            title: &item.title,
            summary: &item.summary,
            language: item.lang.as_deref(),
        });
        let line = serde_json::json!({"id": item.id, "companies": tags.companies,
            "models": tags.models, "people": tags.people});
        writeln!(out, "{line}").unwrap();
    }
}
