//! What changed between two texts (Etherpad's `createDiffHTML`), as HTML with insertions and deletions
//! marked. Text is escaped; nothing from a pad is ever passed through as markup.

use similar::{ChangeTag, TextDiff};

use crate::markdown::escape_html;

pub fn html(before: &str, after: &str) -> String {
    let diff = TextDiff::from_words(before, after);
    let mut out = String::with_capacity(after.len() * 2);
    for change in diff.iter_all_changes() {
        let text = escape_html(change.value());
        match change.tag() {
            ChangeTag::Equal => out.push_str(&text),
            ChangeTag::Insert => {
                out.push_str("<ins class=\"added\">");
                out.push_str(&text);
                out.push_str("</ins>");
            }
            ChangeTag::Delete => {
                out.push_str("<del class=\"removed\">");
                out.push_str(&text);
                out.push_str("</del>");
            }
        }
    }
    out.replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    #[test]
    fn marks_and_escapes() {
        assert_eq!(
            super::html("a <b>\nold", "a <b>\nnew"),
            "a &lt;b&gt;<br><del class=\"removed\">old</del><ins class=\"added\">new</ins>"
        );
    }
}
