//! Tagging throughput: items per second on one core over 100,000 items (the eval file's
//! items repeated, or built-in samples), with a baseline in the same process (HTML clean-up
//! plus lower-casing of the same text) so that the figure can be read as a ratio.
//!
//! `cargo bench --bench tag` (set `TAG_BENCH_INPUT=path.jsonl` to use other items).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use aiwire::eval_input::read_items;
use aiwire::model::TagInput;
use aiwire::tag::Tagger;

const N: usize = 100_000;

const SAMPLES: &[(&str, &str, &str)] = &[
    (
        "en",
        "OpenAI launches GPT-4.1, GPT-4.1 mini and GPT-4.1 nano",
        "The new models beat GPT-4o and GPT-4o mini on coding. o3 and o4-mini follow.",
    ),
    (
        "en",
        "Anthropic releases Claude Opus 4 and Claude Sonnet 4",
        "Dario Amodei said Claude Code is now generally available.",
    ),
    (
        "de",
        "Googles Gemini 2.5 Pro schlägt OpenAIs o3",
        "<p>Google DeepMind hat Gemini 2.5 Pro vorgestellt. Demis Hassabis spricht von einem Durchbruch.</p>",
    ),
    (
        "en",
        "Meta shares fall as capex rises",
        "The company said it would spend more on AI data centers.",
    ),
    (
        "en",
        "Bayern win the league",
        "The team celebrated in Munich with their fans on Saturday night.",
    ),
];

fn main() {
    let input: Option<PathBuf> = std::env::var_os("TAG_BENCH_INPUT")
        .map(PathBuf::from)
        .or_else(|| {
            let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/ai-news-dev.jsonl");
            p.exists().then_some(p)
        });
    let base: Vec<(String, String, String)> = match &input {
        Some(p) => read_items(p)
            .expect("bench input")
            .into_iter()
            .map(|i| (i.lang.unwrap_or_default(), i.title, i.summary))
            .collect(),
        None => SAMPLES
            .iter()
            .map(|(l, t, s)| (l.to_string(), t.to_string(), s.to_string()))
            .collect(),
    };
    let items: Vec<&(String, String, String)> = base.iter().cycle().take(N).collect();
    let bytes: usize = items.iter().map(|(_, t, s)| t.len() + s.len()).sum();

    let t0 = Instant::now();
    let tagger = Tagger::builtin().expect("built-in taxonomy");
    let build = t0.elapsed();

    // baseline: the same text, cleaned and lower-cased
    let t0 = Instant::now();
    let mut n = 0usize;
    for (_, title, summary) in &items {
        n += aiwire::tag::text::clean(title).to_lowercase().len();
        n += aiwire::tag::text::clean(summary).to_lowercase().len();
    }
    black_box(n);
    let baseline = t0.elapsed();

    let cpu0 = thread_cpu_ns();
    let t0 = Instant::now();
    let mut tags = 0usize;
    for (lang, title, summary) in &items {
        let t = tagger.tag(TagInput {
            title,
            summary,
            language: Some(lang),
        });
        tags += t.companies.len() + t.models.len() + t.people.len();
    }
    black_box(tags);
    let tagging = t0.elapsed();
    let cpu = thread_cpu_ns().zip(cpu0).map(|(b, a)| (b - a) as f64 / 1e9);

    let per_s = N as f64 / tagging.as_secs_f64();
    println!(
        "input: {} ({} distinct items, {:.0} bytes/item)",
        input.map_or("built-in samples".into(), |p| p.display().to_string()),
        base.len(),
        bytes as f64 / N as f64
    );
    let (heap, patterns) = tagger.automaton_size();
    println!(
        "compile taxonomy: {:.1} ms ({patterns} patterns, automaton {:.1} MB)",
        build.as_secs_f64() * 1e3,
        heap as f64 / 1e6
    );
    println!(
        "tag {N} items on one core: {:.3} s = {:.0} items/s ({:.1} MB/s), {tags} tags",
        tagging.as_secs_f64(),
        per_s,
        bytes as f64 / tagging.as_secs_f64() / 1e6
    );
    if let Some(cpu) = cpu {
        println!(
            "on-CPU time of the tagging thread: {cpu:.3} s = {:.0} items/s per core",
            N as f64 / cpu
        );
    }
    println!(
        "baseline (clean + lowercase): {:.3} s; tagging / baseline = {:.1}x",
        baseline.as_secs_f64(),
        tagging.as_secs_f64() / baseline.as_secs_f64()
    );
}

/// On-CPU nanoseconds of this thread (Linux), so that a busy shared machine does not
/// understate the per-core figure.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}
