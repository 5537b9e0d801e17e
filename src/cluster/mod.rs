//! Decides which story an item belongs to (pure; `now` and config are arguments).

pub mod command;

use std::collections::HashMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::model::{ClusterItem, ItemId, StoryId};

/// Tuning of the clusterer; one configuration serves every data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// How far around a story's time span a new report may still join it (hours).
    pub window_hours: u32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig { window_hours: 72 }
    }
}

/// Which signal decided an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    NewStory,
    SameLink,
    SameGuid,
    NearDuplicate,
    SimilarEvent,
}

/// Where an item went and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub story: StoryId,
    pub signal: Signal,
    pub score: f32,
    /// Items of the story that the decision rested on.
    pub matched: Vec<ItemId>,
}

/// Online clusterer state: the stories within the follow-up window.
#[derive(Debug)]
pub struct Clusterer {
    config: ClusterConfig,
    next_story: StoryId,
    by_link: HashMap<String, (StoryId, ItemId)>,
}

impl Clusterer {
    pub fn new(config: ClusterConfig, next_story: StoryId) -> Self {
        Clusterer {
            config,
            next_story,
            by_link: HashMap::new(),
        }
    }

    pub fn window(&self) -> Duration {
        Duration::hours(i64::from(self.config.window_hours))
    }

    /// Re-enters an item whose story was decided earlier (loaded from the store).
    pub fn restore(&mut self, item: &ClusterItem, story: StoryId) {
        if let Some(link) = &item.canonical_link {
            self.by_link.insert(link.clone(), (story, item.id));
        }
        self.next_story = self.next_story.max(story + 1);
    }

    /// Assigns a new item to a story and remembers it.
    pub fn assign(&mut self, item: &ClusterItem) -> Decision {
        if let Some(link) = &item.canonical_link
            && let Some(&(story, other)) = self.by_link.get(link)
        {
            return Decision {
                story,
                signal: Signal::SameLink,
                score: 1.0,
                matched: vec![other],
            };
        }
        let story = self.next_story;
        self.next_story += 1;
        self.restore(item, story);
        Decision {
            story,
            signal: Signal::NewStory,
            score: 0.0,
            matched: vec![],
        }
    }
}
