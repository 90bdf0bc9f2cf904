//! Reading what a page's forms carry: hidden inputs, the CSRF token, attributes.

/// The value of the form's hidden CSRF field.
#[track_caller]
pub fn csrf_token(html: &str) -> String {
    hidden_input(html, "authenticity_token").expect("page has an authenticity_token field")
}

/// The `value` of the field named `name` (`<input … name="{name}" … value="…">`).
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    attribute(tag_named(html, name)?, "value")
}

/// The whole tag that carries `name="{name}"`.
pub fn tag_named<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    Some(&html[start..=end])
}

/// An attribute of `tag`, unescaped.
pub fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    let end = at + tag[at..].find('"')?;
    Some(unescape(&tag[at..end]))
}

fn unescape(value: &str) -> String {
    value
        .replace("&#x2b;", "+")
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#43;", "+")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
