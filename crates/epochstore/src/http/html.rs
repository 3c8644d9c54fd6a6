//! The browser view of a page: a small, escaped HTML table with a link to
//! the next page. No scripts; the only style is inline.

use std::fmt::Write;

use super::page::PageBody;
use crate::domain::PageLimit;

pub fn page(body: &PageBody<'_>, limit: PageLimit) -> String {
    let mut html = String::with_capacity(512 + body.items.len() * 200);
    html.push_str(concat!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>epochstore</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}",
        "table{border-collapse:collapse}th,td{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}",
        "th{background:#f4f4f4}code{font-size:.9em}",
        "</style></head><body>\n<h1>Stored epoch times</h1>\n"
    ));
    let _ = writeln!(
        html,
        "<p>Served by region <strong id=\"region\">{}</strong>: {} record(s), newest first.</p>",
        escape(body.region),
        body.count
    );
    html.push_str(
        "<table id=\"records\"><thead><tr><th>Stored at (UTC)</th><th>Epoch</th>\
         <th>Epoch (ms)</th><th>Region</th><th>Id</th></tr></thead><tbody>\n",
    );
    for record in body.items {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&record.stored_at()),
            record.epoch_seconds(),
            record.epoch_millis,
            escape(&record.region),
            escape(&record.id.to_string()),
        );
    }
    html.push_str("</tbody></table>\n");
    match &body.next_cursor {
        // The cursor is 32 hex digits and the limit a number: nothing to encode.
        Some(cursor) => {
            let _ = writeln!(
                html,
                "<p><a id=\"next\" rel=\"next\" href=\"?limit={}&amp;cursor={}\">Next page</a></p>",
                limit.get(),
                escape(cursor)
            );
        }
        None => html.push_str("<p id=\"end\">End of the list.</p>\n"),
    }
    html.push_str("</body></html>\n");
    html
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
