//! Renders a [`Digest`] with the minijinja templates in `config/templates/` (embedded).

use minijinja::{Environment, context};

use super::Digest;

const HTML: &str = include_str!("../../config/templates/digest.html");
const TEXT: &str = include_str!("../../config/templates/digest.txt");

/// A rendered digest.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
    pub json: String,
}

/// Renders subject, HTML, plain text and JSON.
pub fn render(
    digest: &Digest,
    subject_template: &str,
    timezone: chrono_tz::Tz,
) -> anyhow::Result<Rendered> {
    let mut env = Environment::new();
    env.add_template("digest.html", HTML)?;
    env.add_template("digest.txt", TEXT)?;
    let date = digest
        .generated_at
        .with_timezone(&timezone)
        .format("%Y-%m-%d")
        .to_string();
    let ctx = context! {
        d => minijinja::Value::from(minijinja::value::Serde(digest)),
        date => date.clone(),
        name => digest.digest.clone(),
    };
    let html = env.get_template("digest.html")?.render(&ctx)?;
    let text = env.get_template("digest.txt")?.render(&ctx)?;
    let subject = env
        .render_str(subject_template, context! { name => digest.digest.clone(), date => date, stories => digest.stories.len() })?
        .replace(['\r', '\n'], " ");
    let json = serde_json::to_string_pretty(digest)?;
    Ok(Rendered {
        subject,
        html,
        text,
        json,
    })
}
