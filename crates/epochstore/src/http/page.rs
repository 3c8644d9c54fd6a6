//! One page of `GET /getEpochStore`: what the handler builds and both views
//! (JSON, HTML) render.

use serde::Serialize;

use crate::domain::Record;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageBody<'a> {
    pub items: &'a [Record],
    pub count: usize,
    pub next_cursor: Option<String>,
    pub region: &'a str,
}
