//! Safe server-side rendering of chat message text into HTML.
//!
//! Markdown is parsed by `pulldown-cmark` (CommonMark, no extensions). Its
//! events are mapped onto the small set of elements a chat bubble shows —
//! `p br strong em code pre a ul ol li blockquote span` — and the HTML built
//! from them goes through `ammonia`, configured with exactly that subset
//! ([`sanitizer`]), before it leaves this module. So what a browser gets is
//! checked twice: once by construction, once by a maintained sanitiser.
//!
//! The rules, whichever step enforces them:
//! - Source HTML is never passed through: raw tags are shown as text. The one
//!   exception is WeCom's `<font color="info|comment|warning">` in robot
//!   markdown, which becomes `<span class="md-…">` (other colours and
//!   attributes show only the inner text).
//! - Links only to `http://`, `https://` and `mailto:` (exact lower-case
//!   schemes, no whitespace, control, invisible or quoting characters);
//!   anything else renders the link text only. Every link opens in a new tab
//!   with `rel="noopener noreferrer nofollow"`. Images render as links.
//! - Attributes: `href` on `a`, `class` (fixed values) and `data-userid` on
//!   `span`. No style, no event handlers.
//! - Headings render as bold paragraphs; elements nest at most
//!   [`MAX_NESTING`] deep (deeper markup shows its content without the
//!   element), so no input builds an arbitrarily deep tree.
//!
//! Chat additions on top of CommonMark: bare `http(s)://` URLs are linked,
//! `@{userid}` (and `<@userid>` in robot markdown) are mentions, and every
//! line break is kept.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};

/// The syntax a chat message was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Plain text typed by a person: escaped, newlines kept, bare URLs and
    /// `@{userid}` mentions recognised.
    Text,
    /// CommonMark typed by a person.
    Markdown,
    /// WeCom group-robot markdown: [`Flavour::Markdown`] plus
    /// `<font color="info|comment|warning">` and `<@userid>` mentions.
    RobotMarkdown,
}

/// Deepest element nesting emitted (block quotes, lists, emphasis, links).
pub const MAX_NESTING: usize = 24;
/// At most this many `<font>` elements may be open at once.
const MAX_FONT_DEPTH: usize = 16;
/// Longest accepted userid in a mention token.
const MAX_USERID_LEN: usize = 64;
/// The userids that mention everyone: `@{all}` / `<@all>`, and `@{@all}` as
/// the web composer writes it.
const ALL_USERIDS: [&str; 2] = ["all", "@all"];
/// How the everyone-mention is shown.
const ALL_LABEL: &str = "@所有人";

/// Renders a chat message as safe HTML.
///
/// `name_of` maps a mentioned userid to its display name, or `None` if the
/// userid is unknown (the mention token is then shown literally).
pub fn render(source: &str, flavour: Flavour, name_of: &dyn Fn(&str) -> Option<String>) -> String {
    safe_html(&tokens(source, flavour), name_of)
}

/// The tokens as HTML, through the sanitiser.
fn safe_html(toks: &[Tok], name_of: &dyn Fn(&str) -> Option<String>) -> String {
    sanitizer().clean(&to_html(toks, name_of)).to_string()
}

/// A message as every reader needs it, from one parse: the safe HTML, the plain text (at most
/// `max_chars`, as [`plain_text`]) and whether it links anywhere.
pub struct Rendered {
    pub html: String,
    pub plain: String,
    pub has_link: bool,
}

/// [`render`], [`plain_text`] and [`links`] of one message, tokenising it once.
pub fn rendered(
    source: &str,
    flavour: Flavour,
    name_of: &dyn Fn(&str) -> Option<String>,
    max_chars: usize,
) -> Rendered {
    let toks = tokens(source, flavour);
    let html = safe_html(&toks, name_of);
    let plain = collapse(&to_plain(&toks, name_of), max_chars);
    let has_link = toks
        .iter()
        .any(|t| matches!(t, Tok::OpenLink(_) | Tok::Url(_)));
    Rendered {
        html,
        plain,
        has_link,
    }
}

/// Plain text of a message for search indexes, previews and notifications:
/// markup removed, mentions as "@Name", whitespace collapsed, at most
/// `max_chars` characters (char boundary safe, append "…" when cut).
///
/// The "…" counts towards `max_chars`, so the result never exceeds it.
pub fn plain_text(
    source: &str,
    flavour: Flavour,
    name_of: &dyn Fn(&str) -> Option<String>,
    max_chars: usize,
) -> String {
    collapse(&to_plain(&tokens(source, flavour), name_of), max_chars)
}

/// Whitespace runs made one space, then cut to `max_chars`.
fn collapse(raw: &str, max_chars: usize) -> String {
    let mut collapsed = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
    }
    truncate_chars(collapsed, max_chars)
}

/// Every URL the message links to (http/https/mailto only), for the "links"
/// search filter. In source order, without duplicates.
pub fn links(source: &str, flavour: Flavour) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for tok in tokens(source, flavour) {
        if let Tok::OpenLink(url) | Tok::Url(url) = tok
            && seen.insert(url.clone())
        {
            found.push(url);
        }
    }
    found
}

/// The HTML sanitiser every rendered message passes through: the allowed
/// subset of this module as `ammonia` configuration.
pub fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut builder = ammonia::Builder::empty();
        builder
            .tags(HashSet::from([
                "p",
                "br",
                "strong",
                "em",
                "code",
                "pre",
                "a",
                "ul",
                "ol",
                "li",
                "blockquote",
                "span",
            ]))
            .clean_content_tags(HashSet::from(["script", "style"]))
            .generic_attributes(HashSet::new())
            .tag_attributes(HashMap::from([
                ("a", HashSet::from(["href"])),
                ("span", HashSet::from(["data-userid"])),
            ]))
            .tag_attribute_values(HashMap::new())
            .allowed_classes(HashMap::from([(
                "span",
                HashSet::from(["mention", "md-info", "md-comment", "md-warning"]),
            )]))
            .set_tag_attribute_value("a", "target", "_blank")
            .link_rel(Some("noopener noreferrer nofollow"))
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .url_relative(ammonia::UrlRelative::Deny)
            .strip_comments(true)
            .id_prefix(None);
        builder
    });
    &SANITIZER
}

// ---------------------------------------------------------------------------
// Token stream
// ---------------------------------------------------------------------------

/// An element of the chat subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum El {
    P,
    Strong,
    Em,
    Quote,
    Ul,
    Ol,
    Li,
    Link,
    /// `<span class="…">` for a WeCom `<font color>`.
    Span(&'static str),
}

impl El {
    fn name(self) -> &'static str {
        match self {
            El::P => "p",
            El::Strong => "strong",
            El::Em => "em",
            El::Quote => "blockquote",
            El::Ul => "ul",
            El::Ol => "ol",
            El::Li => "li",
            El::Link => "a",
            El::Span(_) => "span",
        }
    }

    fn is_block(self) -> bool {
        matches!(self, El::P | El::Quote | El::Ul | El::Ol | El::Li)
    }
}

/// A message as a flat, balanced stream: what the three outputs (HTML, plain
/// text, links) are made from.
#[derive(Debug)]
enum Tok {
    Open(El),
    /// An `<a>` to a URL that passed [`safe_url`].
    OpenLink(String),
    Close(El),
    Text(String),
    /// Inline code.
    Code(String),
    /// A fenced or indented code block.
    CodeBlock(String),
    Break,
    /// `@{userid}` or `<@userid>`; `raw` is the source token, shown when the
    /// userid is unknown.
    Mention {
        userid: String,
        raw: String,
    },
    /// A bare URL, already checked by [`safe_url`].
    Url(String),
    /// `<font …>` waiting for its `</font>` (robot markdown, before pairing).
    FontOpen {
        class: Option<&'static str>,
        raw: String,
    },
    FontClose(String),
}

fn tokens(source: &str, flavour: Flavour) -> Vec<Tok> {
    let text = normalize(source);
    let raw = match flavour {
        Flavour::Text => text_tokens(&text),
        Flavour::Markdown | Flavour::RobotMarkdown => markdown_tokens(&text, flavour),
    };
    let raw = if flavour == Flavour::RobotMarkdown {
        pair_fonts(raw)
    } else {
        raw
    };
    scan_text(raw, flavour)
}

/// Unifies line endings to `\n` and replaces control characters other than
/// tab and newline (NUL included) with U+FFFD, so they can neither reach the
/// output nor hide inside a URL scheme.
fn normalize(source: &str) -> Cow<'_, str> {
    let clean = source
        .chars()
        .all(|c| c == '\n' || c == '\t' || !c.is_control());
    if clean {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn text_tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push(Tok::Break);
        }
        if !line.is_empty() {
            out.push(Tok::Text(line.to_string()));
        }
    }
    out
}

/// What one pulldown-cmark start tag turned into, undone at its end tag.
struct Frame {
    opened: Vec<El>,
    /// Text to emit after the closing elements (the `>` of an autolink whose
    /// URL is not allowed, shown literally).
    suffix: Option<&'static str>,
}

/// Invisible character inserted by [`cjk_friendly`]; never part of output.
const JOINER: char = '\u{2060}';

/// CommonMark decides whether `**` opens or closes from the characters next
/// to it, and written Chinese has no spaces: `这是**“重点”**内容` or
/// `**注意：**请查收` would stay literal. Where a `*` run has punctuation on
/// its inner side and a CJK character on its outer side, a word joiner is put
/// between the run and the punctuation, which makes the run flanking as it
/// would be next to a space. The joiners are removed from every output.
fn cjk_friendly(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || !text.contains('*') {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '*' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] == '*' {
            i += 1;
        }
        let prev = start.checked_sub(1).map(|k| chars[k]);
        let next = chars.get(i).copied();
        let closes = prev.is_some_and(is_punctuation) && next.is_some_and(is_cjk);
        let opens = prev.is_some_and(is_cjk) && next.is_some_and(is_punctuation);
        if closes {
            out.push(JOINER);
        }
        out.extend(&chars[start..i]);
        if opens {
            out.push(JOINER);
        }
    }
    Cow::Owned(out)
}

/// ASCII and common Unicode punctuation (the CJK and full-width forms).
fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(
        c,
        '\u{00A1}'..='\u{00BF}'
            | '\u{00D7}'
            | '\u{00F7}'
            | '\u{2010}'..='\u{2027}'
            | '\u{2030}'..='\u{205E}'
            | '\u{3001}'..='\u{303F}'
            | '\u{FE10}'..='\u{FE1F}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{FF01}'..='\u{FF0F}'
            | '\u{FF1A}'..='\u{FF20}'
            | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF65}'
    )
}

/// CJK scripts, written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{2E80}'..='\u{2FDF}'
            | '\u{3040}'..='\u{31FF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{AC00}'..='\u{D7AF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF00}'..='\u{FFEF}'
            | '\u{20000}'..='\u{3FFFF}'
    ) && !is_punctuation(c)
}

/// Text as pulldown-cmark reports it, without the joiners [`cjk_friendly`]
/// added.
fn unjoin(text: &str) -> String {
    text.replace(JOINER, "")
}

fn markdown_tokens(text: &str, flavour: Flavour) -> Vec<Tok> {
    let robot = flavour == Flavour::RobotMarkdown;
    let prepared = cjk_friendly(text);
    let text: &str = &prepared;
    let mut out: Vec<Tok> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut open = 0usize;
    let mut in_link = false;
    let mut code_block: Option<String> = None;
    for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                let mut frame = Frame {
                    opened: Vec::new(),
                    suffix: None,
                };
                let wanted: &[El] = match &tag {
                    Tag::Paragraph | Tag::HtmlBlock => &[El::P],
                    Tag::Heading { .. } => &[El::P, El::Strong],
                    Tag::BlockQuote(_) => &[El::Quote],
                    Tag::List(Some(_)) => &[El::Ol],
                    Tag::List(None) => &[El::Ul],
                    Tag::Item => &[El::Li],
                    Tag::Emphasis => &[El::Em],
                    Tag::Strong => &[El::Strong],
                    Tag::CodeBlock(_) => {
                        code_block = Some(String::new());
                        &[]
                    }
                    Tag::Link {
                        link_type,
                        dest_url,
                        ..
                    }
                    | Tag::Image {
                        link_type,
                        dest_url,
                        ..
                    } => {
                        let dest = unjoin(dest_url);
                        let url = if *link_type == LinkType::Email {
                            safe_url(&format!("mailto:{dest}"))
                        } else {
                            safe_url(&dest)
                        };
                        match url {
                            Some(url) if !in_link && open < MAX_NESTING => {
                                out.push(Tok::OpenLink(url));
                                frame.opened.push(El::Link);
                                open += 1;
                                in_link = true;
                            }
                            _ if matches!(link_type, LinkType::Autolink | LinkType::Email) => {
                                out.push(Tok::Text("<".to_string()));
                                frame.suffix = Some(">");
                            }
                            _ => {}
                        }
                        &[]
                    }
                    _ => &[],
                };
                for &el in wanted {
                    if open < MAX_NESTING {
                        out.push(Tok::Open(el));
                        frame.opened.push(el);
                        open += 1;
                    }
                }
                frames.push(frame);
            }
            Event::End(end) => {
                if let Some(code) = code_block.take() {
                    let code = code.strip_suffix('\n').unwrap_or(&code);
                    out.push(Tok::CodeBlock(code.to_string()));
                }
                if end == pulldown_cmark::TagEnd::HtmlBlock
                    && matches!(out.last(), Some(Tok::Break))
                {
                    out.pop();
                }
                if let Some(frame) = frames.pop() {
                    for &el in frame.opened.iter().rev() {
                        out.push(Tok::Close(el));
                        open -= 1;
                        if el == El::Link {
                            in_link = false;
                        }
                    }
                    if let Some(suffix) = frame.suffix {
                        out.push(Tok::Text(suffix.to_string()));
                    }
                }
            }
            Event::Text(t) => match code_block.as_mut() {
                Some(code) => code.push_str(&unjoin(&t)),
                None => out.push(Tok::Text(unjoin(&t))),
            },
            Event::Code(t) => out.push(Tok::Code(unjoin(&t))),
            Event::Html(t) => {
                for (i, line) in unjoin(&t).split('\n').enumerate() {
                    if i > 0 {
                        out.push(Tok::Break);
                    }
                    if !line.is_empty() {
                        out.push(Tok::Text(line.to_string()));
                    }
                }
            }
            Event::InlineHtml(t) => {
                let t = unjoin(&t);
                let font = if robot { font_tag(&t) } else { None };
                out.push(match font {
                    Some(FontTag::Open(class)) => Tok::FontOpen { class, raw: t },
                    Some(FontTag::Close) => Tok::FontClose(t),
                    None => Tok::Text(t),
                });
            }
            Event::SoftBreak | Event::HardBreak => out.push(Tok::Break),
            Event::Rule => {
                let line = unjoin(text.get(range).unwrap_or_default());
                out.push(Tok::Open(El::P));
                out.push(Tok::Text(line.trim().to_string()));
                out.push(Tok::Close(El::P));
            }
            // Not produced with the options used; shown as their source.
            Event::InlineMath(_)
            | Event::DisplayMath(_)
            | Event::FootnoteReference(_)
            | Event::TaskListMarker(_) => {
                out.push(Tok::Text(unjoin(text.get(range).unwrap_or_default())));
            }
        }
    }
    out
}

enum FontTag {
    Open(Option<&'static str>),
    Close,
}

/// Reads one inline HTML tag as WeCom's `<font>`: an opening tag gives the
/// CSS class to use (only for exactly one `color` attribute with a supported
/// value), a closing tag `Close`. Anything else is not a font tag.
fn font_tag(tag: &str) -> Option<FontTag> {
    let lower = tag.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("</font") {
        return (rest.trim_start() == ">").then_some(FontTag::Close);
    }
    let rest = lower.strip_prefix("<font")?;
    let body = rest.strip_suffix('>')?;
    if body.ends_with('/') || !(body.is_empty() || body.starts_with(char::is_whitespace)) {
        return None;
    }
    // pulldown-cmark only reports syntactically valid tags, so attributes
    // are `name`, `name=value`, `name='value'` or `name="value"`.
    let original = &tag[tag.len() - rest.len()..tag.len() - 1];
    let mut attrs: Vec<(String, &str)> = Vec::new();
    let mut s = original.trim_start();
    while !s.is_empty() {
        let name_end = s
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(s.len());
        let name = s[..name_end].to_ascii_lowercase();
        s = s[name_end..].trim_start();
        let mut value = "";
        if let Some(after) = s.strip_prefix('=') {
            let after = after.trim_start();
            let (v, rest) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let end = inner.find(q)?;
                    (&inner[..end], &inner[end + 1..])
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            value = v;
            s = rest.trim_start();
        }
        attrs.push((name, value));
    }
    let class = match attrs.as_slice() {
        [(name, value)] if name == "color" => match *value {
            "info" => Some("md-info"),
            "comment" => Some("md-comment"),
            "warning" => Some("md-warning"),
            _ => None,
        },
        _ => None,
    };
    Some(FontTag::Open(class))
}

/// Pairs `<font>` with `</font>` inside the same parent element (so the
/// spans nest properly with the markdown around them). Pairs with a known
/// colour become spans, others vanish; unpaired tags show as text.
fn pair_fonts(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    // Open fonts: position in `out` and element depth.
    let mut fonts: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0usize;
    for tok in toks {
        match tok {
            Tok::Open(_) | Tok::OpenLink(_) => {
                depth += 1;
                out.push(tok);
            }
            Tok::Close(_) => {
                depth = depth.saturating_sub(1);
                while fonts.last().is_some_and(|&(_, d)| d > depth) {
                    fonts.pop();
                }
                out.push(tok);
            }
            Tok::FontOpen { .. } if fonts.len() < MAX_FONT_DEPTH => {
                fonts.push((out.len(), depth));
                out.push(tok);
            }
            Tok::FontClose(raw) => match fonts.last().copied() {
                Some((at, d)) if d == depth => {
                    fonts.pop();
                    let class = match out.get(at) {
                        Some(Tok::FontOpen { class, .. }) => *class,
                        _ => None,
                    };
                    match class {
                        Some(class) => {
                            out[at] = Tok::Open(El::Span(class));
                            out.push(Tok::Close(El::Span(class)));
                        }
                        None => out[at] = Tok::Text(String::new()),
                    }
                }
                _ => out.push(Tok::Text(raw)),
            },
            other => out.push(other),
        }
    }
    for tok in &mut out {
        if let Tok::FontOpen { raw, .. } = tok {
            *tok = Tok::Text(std::mem::take(raw));
        }
    }
    out
}

/// Merges adjacent text and finds mentions and bare URLs in it (not in code;
/// no URLs inside links).
fn scan_text(toks: Vec<Tok>, flavour: Flavour) -> Vec<Tok> {
    let mut out = Vec::with_capacity(toks.len());
    let mut pending = String::new();
    let mut links = 0usize;
    for tok in toks {
        match tok {
            Tok::Text(t) => pending.push_str(&t),
            other => {
                split_text(&pending, links > 0, flavour, &mut out);
                pending.clear();
                match other {
                    Tok::OpenLink(_) => links += 1,
                    Tok::Close(El::Link) => links = links.saturating_sub(1),
                    _ => {}
                }
                out.push(other);
            }
        }
    }
    split_text(&pending, links > 0, flavour, &mut out);
    out
}

fn split_text(src: &str, in_link: bool, flavour: Flavour, out: &mut Vec<Tok>) {
    let bytes = src.as_bytes();
    let mut literal_start = 0;
    let mut i = 0;
    let flush = |out: &mut Vec<Tok>, from: usize, to: usize| {
        if to > from {
            out.push(Tok::Text(src[from..to].to_string()));
        }
    };
    while i < bytes.len() {
        // `i` is always at an ASCII byte when a token starts, hence a char
        // boundary; every end below is at an ASCII byte too.
        let found = match bytes[i] {
            b'@' if bytes.get(i + 1) == Some(&b'{') => {
                scan_userid(src, i + 2, b'}').map(|end| (mention(src, i, i + 2, end), end + 1))
            }
            b'<' if flavour == Flavour::RobotMarkdown && bytes.get(i + 1) == Some(&b'@') => {
                scan_userid(src, i + 2, b'>').map(|end| (mention(src, i, i + 2, end), end + 1))
            }
            b'h' if !in_link && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) => {
                scan_bare_url(src, i).map(|end| (Tok::Url(src[i..end].to_string()), end))
            }
            _ => None,
        };
        match found {
            Some((tok, end)) => {
                flush(out, literal_start, i);
                out.push(tok);
                i = end;
                literal_start = end;
            }
            None => i += 1,
        }
    }
    flush(out, literal_start, bytes.len());
}

fn mention(src: &str, start: usize, id_start: usize, close: usize) -> Tok {
    Tok::Mention {
        userid: src[id_start..close].to_string(),
        raw: src[start..=close].to_string(),
    }
}

fn is_userid_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@')
}

/// Scans a userid starting at `start` that must be followed by `close`;
/// returns the offset of `close`.
fn scan_userid(src: &str, start: usize, close: u8) -> Option<usize> {
    let bytes = src.as_bytes();
    let len = bytes
        .get(start..)?
        .iter()
        .take(MAX_USERID_LEN + 1)
        .take_while(|&&b| is_userid_byte(b))
        .count();
    let end = start + len;
    ((1..=MAX_USERID_LEN).contains(&len) && bytes.get(end) == Some(&close)).then_some(end)
}

/// Bytes a bare URL may contain (printable ASCII minus delimiters that
/// commonly surround URLs in text or are unsafe in URLs).
fn is_bare_url_byte(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
        && !matches!(
            b,
            b'<' | b'>' | b'"' | b'`' | b'[' | b']' | b'{' | b'}' | b'|' | b'\\' | b'^'
        )
}

/// A bare `http://` / `https://` URL starting at `i`; returns its end.
/// Trailing punctuation and unbalanced `)` are left out (as in GFM).
fn scan_bare_url(src: &str, i: usize) -> Option<usize> {
    let rest = src.get(i..)?;
    let scheme_len = if rest.starts_with("https://") {
        8
    } else if rest.starts_with("http://") {
        7
    } else {
        return None;
    };
    let bytes = src.as_bytes();
    let body_start = i + scheme_len;
    let mut end = body_start;
    while end < bytes.len() && is_bare_url_byte(bytes[end]) {
        end += 1;
    }
    let mut open_parens = bytes[i..end].iter().filter(|&&b| b == b'(').count();
    let mut close_parens = bytes[i..end].iter().filter(|&&b| b == b')').count();
    while end > body_start {
        match bytes[end - 1] {
            b'.' | b',' | b':' | b';' | b'!' | b'?' | b'*' | b'_' | b'~' | b'\'' => end -= 1,
            b')' if close_parens > open_parens => {
                close_parens -= 1;
                end -= 1;
            }
            b'(' => {
                open_parens = open_parens.saturating_sub(1);
                end -= 1;
            }
            _ => break,
        }
    }
    // Only ASCII bytes were consumed, so `end` is a char boundary.
    safe_url(&src[i..end]).map(|_| end)
}

/// Zero-width and bidi-control characters that have no business in a URL.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
    )
}

/// Accepts a link destination only if it is an `http://`, `https://` or
/// `mailto:` URL, spelled exactly so (lower-case; no whitespace, control or
/// invisible characters anywhere, none of the characters URLs never contain
/// unencoded: `"<>` and backtick), that parses as a URL with a host (web
/// links).
fn safe_url(dest: &str) -> Option<String> {
    if dest.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || is_invisible(c)
            || matches!(c, '\u{FFFD}' | '"' | '<' | '>' | '`')
    }) {
        return None;
    }
    if let Some(rest) = dest
        .strip_prefix("https://")
        .or_else(|| dest.strip_prefix("http://"))
    {
        if rest.is_empty() || rest.starts_with(['/', '?', '#', '\\', '@', ':']) {
            return None;
        }
    } else {
        let rest = dest.strip_prefix("mailto:")?;
        if rest.is_empty() {
            return None;
        }
    }
    // What the sanitiser accepts: a URL it cannot parse would lose its href
    // there and leave an empty link.
    let parsed = ammonia::Url::parse(dest).ok()?;
    let web = matches!(parsed.scheme(), "http" | "https");
    ((web && parsed.host_str().is_some_and(|h| !h.is_empty())) || parsed.scheme() == "mailto")
        .then(|| dest.to_string())
}

// ---------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------

/// Escapes text for HTML element content and attribute values. Numeric
/// references: html5ever (inside the sanitiser) decodes long runs of named
/// ones markedly slower, and the sanitiser's output uses its own escapes.
fn escape_html(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let replacement = match b {
            b'&' => "&#38;",
            b'<' => "&#60;",
            b'>' => "&#62;",
            b'"' => "&#34;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(replacement);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

/// Escapes a URL for an `href` value: `&"<>` as character references; `'`, `{` and `}`
/// percent-encoded (so an `href` never contains an `@{userid}` token that
/// the web client would turn into markup).
fn escape_href(out: &mut String, url: &str) {
    let mut last = 0;
    for (i, b) in url.bytes().enumerate() {
        let replacement = match b {
            b'&' => "&#38;",
            b'<' => "&#60;",
            b'>' => "&#62;",
            b'"' => "&#34;",
            b'\'' => "%27",
            b'{' => "%7B",
            b'}' => "%7D",
            _ => continue,
        };
        out.push_str(&url[last..i]);
        out.push_str(replacement);
        last = i + 1;
    }
    out.push_str(&url[last..]);
}

fn open_link(out: &mut String, url: &str) {
    out.push_str("<a href=\"");
    escape_href(out, url);
    out.push_str("\">");
}

fn to_html(toks: &[Tok], name_of: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(toks.len() * 16);
    for tok in toks {
        match tok {
            Tok::Open(El::Span(class)) => {
                out.push_str("<span class=\"");
                out.push_str(class);
                out.push_str("\">");
            }
            Tok::Open(el) => {
                out.push('<');
                out.push_str(el.name());
                out.push('>');
            }
            Tok::OpenLink(url) => open_link(&mut out, url),
            Tok::Close(el) => {
                out.push_str("</");
                out.push_str(el.name());
                out.push('>');
            }
            Tok::Text(text) | Tok::FontClose(text) | Tok::FontOpen { raw: text, .. } => {
                escape_html(&mut out, text);
            }
            Tok::Code(code) => {
                out.push_str("<code>");
                escape_html(&mut out, code);
                out.push_str("</code>");
            }
            Tok::CodeBlock(code) => {
                out.push_str("<pre><code>");
                escape_html(&mut out, code);
                out.push_str("</code></pre>");
            }
            Tok::Break => out.push_str("<br>"),
            Tok::Mention { userid, raw } => {
                if ALL_USERIDS.contains(&userid.as_str()) {
                    out.push_str("<span class=\"mention\" data-userid=\"@all\">");
                    out.push_str(ALL_LABEL);
                    out.push_str("</span>");
                } else if let Some(name) = name_of(userid) {
                    out.push_str("<span class=\"mention\" data-userid=\"");
                    escape_html(&mut out, userid);
                    out.push_str("\">@");
                    escape_html(&mut out, &name);
                    out.push_str("</span>");
                } else {
                    escape_html(&mut out, raw);
                }
            }
            Tok::Url(url) => {
                open_link(&mut out, url);
                escape_html(&mut out, url);
                out.push_str("</a>");
            }
        }
    }
    out
}

fn to_plain(toks: &[Tok], name_of: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    for tok in toks {
        match tok {
            Tok::Open(el) | Tok::Close(el) if el.is_block() => out.push(' '),
            Tok::Open(_) | Tok::Close(_) | Tok::OpenLink(_) => {}
            Tok::Text(text)
            | Tok::Code(text)
            | Tok::Url(text)
            | Tok::FontClose(text)
            | Tok::FontOpen { raw: text, .. } => out.push_str(text),
            Tok::CodeBlock(code) => {
                out.push(' ');
                out.push_str(code);
                out.push(' ');
            }
            Tok::Break => out.push(' '),
            Tok::Mention { userid, raw } => {
                if ALL_USERIDS.contains(&userid.as_str()) {
                    out.push_str(ALL_LABEL);
                } else if let Some(name) = name_of(userid) {
                    out.push('@');
                    out.push_str(&name);
                } else {
                    out.push_str(raw);
                }
            }
        }
    }
    out
}

/// Cuts `text` to at most `max_chars` characters, the "…" included.
fn truncate_chars(text: String, max_chars: usize) -> String {
    if text.char_indices().nth(max_chars).is_none() {
        return text;
    }
    let Some(keep) = max_chars.checked_sub(1) else {
        return String::new();
    };
    let cut = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    let mut out = text[..cut].trim_end().to_string();
    out.push('…');
    out
}

#[cfg(test)]
mod tests;
