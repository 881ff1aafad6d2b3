//! Safe server-side rendering of chat message text into HTML.
//!
//! A message arrives in one of three [`Flavour`]s and is turned into HTML that
//! is built exclusively from a fixed whitelist of tags this module emits
//! itself — `p br strong em code pre a ul ol li blockquote span` — carrying
//! only the attributes `class href target rel data-userid`, every value
//! escaped. Source HTML is never passed through: it is escaped and shown as
//! text. Link targets are restricted to `http://`, `https://` and `mailto:`
//! (exact lower-case schemes; anything else renders the link text only).
//!
//! The parser is a small hand-written subset of CommonMark built for bounded
//! work per input byte: no backtracking, look-ahead scans that stop at the
//! next bracket/angle bracket or after a fixed number of bytes, emphasis
//! resolved with the CommonMark delimiter algorithm (with its "openers bottom"
//! bound), and bounded nesting (block quotes, `<font>`), so there is no deep
//! recursion either. All slicing happens at ASCII bytes or at positions
//! checked with `is_char_boundary`, so no input can make it panic.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The syntax a chat message was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Plain text typed by a person: escaped, newlines kept, bare URLs and
    /// `@{userid}` mentions recognised.
    Text,
    /// A safe subset of CommonMark typed by a person.
    Markdown,
    /// WeCom group-robot markdown: [`Flavour::Markdown`] plus
    /// `<font color="info|comment|warning">` and `<@userid>` mentions.
    RobotMarkdown,
}

/// Block quotes nest at most this deep; deeper `>` markers stay literal text.
const MAX_QUOTE_DEPTH: usize = 8;
/// At most this many `<font>` elements may be open at once.
const MAX_FONT_DEPTH: usize = 16;
/// Longest accepted userid in a mention token.
const MAX_USERID_LEN: usize = 64;
/// Longest accepted `<font …>` opening tag, in bytes.
const MAX_FONT_TAG_LEN: usize = 256;
/// Deepest parenthesis nesting inside a link destination.
const MAX_LINK_PAREN_DEPTH: usize = 32;
/// Longest accepted scheme of a `<scheme:…>` autolink.
const MAX_SCHEME_LEN: usize = 32;

/// Attributes every emitted `<a>` carries after its `href`.
const LINK_TAIL: &str = "\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">";
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
    let blocks = parse(source, flavour);
    let mut html = Html {
        out: String::with_capacity(source.len() + source.len() / 2 + 16),
        name_of,
    };
    html.blocks(&blocks);
    html.out
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
    let blocks = parse(source, flavour);
    let mut raw = PlainText {
        out: String::with_capacity(source.len()),
        name_of,
    };
    raw.blocks(&blocks);
    let mut collapsed = String::with_capacity(raw.out.len());
    for word in raw.out.split_whitespace() {
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
    let blocks = parse(source, flavour);
    let mut found = Vec::new();
    collect_links_blocks(&blocks, &mut found);
    let mut seen = HashSet::new();
    found.retain(|url| seen.insert(url.clone()));
    found
}

// ---------------------------------------------------------------------------
// Document model
// ---------------------------------------------------------------------------

enum Block {
    /// Inline content without a wrapper (the `Text` flavour).
    Plain(Vec<Inline>),
    Paragraph(Vec<Inline>),
    /// `#`..`######`; rendered as a bold paragraph.
    Heading(Vec<Inline>),
    /// Fenced code block, verbatim.
    Code(String),
    Quote(Vec<Block>),
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
}

enum Inline {
    Text(String),
    /// Literal text that needs no allocation (unmatched `[` / `![`).
    Literal(&'static str),
    Code(String),
    Break,
    /// `@{userid}` or `<@userid>`; `raw` is the source token, shown when the
    /// userid is unknown.
    Mention {
        userid: String,
        raw: String,
    },
    /// A bare or `<…>` URL, already checked by [`safe_url`].
    Url(String),
    /// `[text](dest)`; `url` is `None` when the destination is not allowed.
    Link {
        url: Option<String>,
        children: Vec<Inline>,
    },
    /// `<font …>…</font>`; `class` is `None` for colours/attributes we do
    /// not support (only the inner content is shown).
    Font {
        class: Option<&'static str>,
        children: Vec<Inline>,
    },
    /// A run of `*` or `_`, after emphasis resolution.
    Delim(Delim),
}

struct Delim {
    /// `b'*'` or `b'_'`.
    ch: u8,
    can_open: bool,
    can_close: bool,
    orig: usize,
    /// Characters left over as literal text.
    count: usize,
    /// Tags this run opens (`true`) or closes (`false`), innermost first.
    /// Closing tags are emitted before the literal characters, opening tags
    /// after them.
    tags: Vec<(bool, Emph)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Emph {
    Em,
    Strong,
}

impl Emph {
    fn open(self) -> &'static str {
        match self {
            Emph::Em => "<em>",
            Emph::Strong => "<strong>",
        }
    }

    fn close(self) -> &'static str {
        match self {
            Emph::Em => "</em>",
            Emph::Strong => "</strong>",
        }
    }
}

// ---------------------------------------------------------------------------
// Block parsing
// ---------------------------------------------------------------------------

fn parse(source: &str, flavour: Flavour) -> Vec<Block> {
    let text = normalize(source);
    if flavour == Flavour::Text {
        return vec![Block::Plain(parse_inline(&text, flavour))];
    }
    let lines: Vec<&str> = text.split('\n').collect();
    parse_blocks(&lines, 0, flavour)
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

fn trim_indent(line: &str) -> &str {
    line.trim_start_matches([' ', '\t'])
}

fn trim_trailing(line: &str) -> &str {
    line.trim_end_matches([' ', '\t'])
}

fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t')
}

/// Length of the backtick fence opening this (indent-trimmed) line, if any.
fn fence_open(line: &str) -> Option<usize> {
    let n = line.bytes().take_while(|&b| b == b'`').count();
    (n >= 3 && !line[n..].contains('`')).then_some(n)
}

fn is_fence_close(line: &str, open_len: usize) -> bool {
    let t = line.trim_matches([' ', '\t']);
    t.len() >= open_len && t.bytes().all(|b| b == b'`')
}

/// The text of an ATX heading line (`# text`), closing `#`s removed.
fn heading(line: &str) -> Option<&str> {
    let n = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&n) {
        return None;
    }
    let rest = &line[n..];
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let text = rest.trim_matches([' ', '\t']);
    let stripped = text.trim_end_matches('#');
    let text = if stripped.ends_with([' ', '\t']) {
        trim_trailing(stripped)
    } else {
        text
    };
    (!text.is_empty()).then_some(text)
}

struct ListItem<'a> {
    ordered: bool,
    starts_at_one: bool,
    content: &'a str,
}

/// Parses `- x`, `* x`, `+ x`, `1. x` or `1) x` (indent already trimmed).
fn list_item(line: &str) -> Option<ListItem<'_>> {
    let bytes = line.as_bytes();
    let first = *bytes.first()?;
    let marker_len = match first {
        b'-' | b'*' | b'+' => 1,
        b'0'..=b'9' => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 9 || !matches!(bytes.get(digits), Some(b'.' | b')')) {
                return None;
            }
            digits + 1
        }
        _ => return None,
    };
    if !matches!(bytes.get(marker_len), Some(b' ' | b'\t')) {
        return None;
    }
    let content = line[marker_len..].trim_matches([' ', '\t']);
    if content.is_empty() {
        return None;
    }
    let ordered = first.is_ascii_digit();
    let starts_at_one = ordered && line[..marker_len - 1].trim_start_matches('0') == "1";
    Some(ListItem {
        ordered,
        starts_at_one,
        content,
    })
}

fn starts_quote(line: &str, depth: usize) -> bool {
    depth < MAX_QUOTE_DEPTH && line.starts_with('>')
}

/// Whether a line ends the paragraph before it (CommonMark: an ordered list
/// may only interrupt a paragraph when it starts at 1).
fn interrupts_paragraph(line: &str, depth: usize) -> bool {
    fence_open(line).is_some()
        || heading(line).is_some()
        || starts_quote(line, depth)
        || list_item(line).is_some_and(|item| !item.ordered || item.starts_at_one)
}

fn parse_blocks(lines: &[&str], depth: usize, flavour: Flavour) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = trim_indent(lines[i]);
        if is_blank(line) {
            i += 1;
            continue;
        }
        if let Some(fence) = fence_open(line) {
            let mut body: Vec<&str> = Vec::new();
            i += 1;
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                if is_fence_close(l, fence) {
                    break;
                }
                body.push(l);
            }
            blocks.push(Block::Code(body.join("\n")));
            continue;
        }
        if let Some(text) = heading(line) {
            blocks.push(Block::Heading(parse_inline(text, flavour)));
            i += 1;
            continue;
        }
        if starts_quote(line, depth) {
            let mut inner: Vec<&str> = Vec::new();
            while i < lines.len() {
                let Some(rest) = trim_indent(lines[i]).strip_prefix('>') else {
                    break;
                };
                inner.push(rest.strip_prefix(' ').unwrap_or(rest));
                i += 1;
            }
            blocks.push(Block::Quote(parse_blocks(&inner, depth + 1, flavour)));
            continue;
        }
        if let Some(first) = list_item(line) {
            let ordered = first.ordered;
            let mut items: Vec<Vec<&str>> = vec![vec![first.content]];
            i += 1;
            while i < lines.len() {
                let raw = lines[i];
                let l = trim_indent(raw);
                let indented = l.len() < raw.len();
                if is_blank(l) {
                    // A blank line keeps the list going only if the next
                    // non-blank line is another item of the same kind.
                    let mut j = i + 1;
                    while j < lines.len() && is_blank(lines[j]) {
                        j += 1;
                    }
                    let resumes = j < lines.len()
                        && list_item(trim_indent(lines[j])).is_some_and(|it| it.ordered == ordered);
                    if !resumes {
                        break;
                    }
                    i = j;
                    continue;
                }
                match list_item(l) {
                    // Same kind, or any indented item (nested lists are
                    // flattened to one level).
                    Some(item) if item.ordered == ordered || indented => {
                        items.push(vec![item.content]);
                    }
                    Some(_) => break,
                    None if indented && fence_open(l).is_none() => {
                        if let Some(last) = items.last_mut() {
                            last.push(trim_trailing(l));
                        }
                    }
                    None => break,
                }
                i += 1;
            }
            let items = items
                .iter()
                .map(|item_lines| parse_inline(&item_lines.join("\n"), flavour))
                .collect();
            blocks.push(Block::List { ordered, items });
            continue;
        }
        let mut para = vec![trim_trailing(line)];
        i += 1;
        while i < lines.len() {
            let l = trim_indent(lines[i]);
            if is_blank(l) || interrupts_paragraph(l, depth) {
                break;
            }
            para.push(trim_trailing(l));
            i += 1;
        }
        blocks.push(Block::Paragraph(parse_inline(&para.join("\n"), flavour)));
    }
    blocks
}

// ---------------------------------------------------------------------------
// Inline parsing
// ---------------------------------------------------------------------------

enum OpenerKind {
    Bracket,
    Font(Option<&'static str>),
}

/// A `[`, `![` or `<font>` waiting for its closer; `node` is the index of its
/// placeholder text node (which stays as literal text if never closed).
struct Opener {
    kind: OpenerKind,
    node: usize,
}

struct InlineParser<'a> {
    src: &'a str,
    flavour: Flavour,
    nodes: Vec<Inline>,
    text: String,
    openers: Vec<Opener>,
    /// Bracket openers below this stack index are inactive (a link was formed
    /// after them, and links may not contain links).
    inactive_below: usize,
    fonts_open: usize,
    /// Maximal backtick runs by length (lazily built).
    backtick_runs: Option<BacktickRuns>,
}

fn parse_inline(src: &str, flavour: Flavour) -> Vec<Inline> {
    let mut parser = InlineParser {
        src,
        flavour,
        nodes: Vec::new(),
        text: String::new(),
        openers: Vec::new(),
        inactive_below: 0,
        fonts_open: 0,
        backtick_runs: None,
    };
    parser.run();
    parser.finish()
}

impl InlineParser<'_> {
    fn run(&mut self) {
        let src = self.src;
        let bytes = src.as_bytes();
        let markdown = self.flavour != Flavour::Text;
        let mut i = 0;
        let mut literal_start = 0;
        while i < bytes.len() {
            let special = match bytes[i] {
                b'\n' => true,
                b'@' => bytes.get(i + 1) == Some(&b'{'),
                b'h' => bytes[i..].starts_with(b"http"),
                b'\\' | b'`' | b'*' | b'_' | b'[' | b'!' | b']' | b'<' => markdown,
                _ => false,
            };
            if !special {
                i += 1;
                continue;
            }
            // `i` is at an ASCII byte, hence a char boundary.
            self.text.push_str(&src[literal_start..i]);
            i = self.step(i);
            literal_start = i;
        }
        self.text.push_str(&src[literal_start..]);
    }

    /// Handles the special ASCII byte at `i`; returns where to continue.
    fn step(&mut self, i: usize) -> usize {
        let src = self.src;
        let bytes = src.as_bytes();
        match bytes[i] {
            b'\n' => {
                self.push(Inline::Break);
                i + 1
            }
            b'@' => match scan_userid(src, i + 2, b'}') {
                Some(end) => {
                    self.push(Inline::Mention {
                        userid: src[i + 2..end].to_string(),
                        raw: src[i..=end].to_string(),
                    });
                    end + 1
                }
                None => {
                    self.text.push('@');
                    i + 1
                }
            },
            b'h' => {
                let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
                let url_end = if boundary {
                    scan_bare_url(src, i)
                } else {
                    None
                };
                match url_end {
                    Some(end) => {
                        self.push(Inline::Url(src[i..end].to_string()));
                        end
                    }
                    None => {
                        self.text.push('h');
                        i + 1
                    }
                }
            }
            b'\\' => match src[i + 1..].chars().next() {
                Some(c) if c.is_ascii_punctuation() => {
                    self.text.push(c);
                    i + 2
                }
                Some('\n') => {
                    self.push(Inline::Break);
                    i + 2
                }
                _ => {
                    self.text.push('\\');
                    i + 1
                }
            },
            b'`' => self.code_span(i),
            b'*' | b'_' => self.delimiter_run(i),
            b'[' => {
                self.open_bracket(false);
                i + 1
            }
            b'!' => {
                if bytes.get(i + 1) == Some(&b'[') {
                    self.open_bracket(true);
                    i + 2
                } else {
                    self.text.push('!');
                    i + 1
                }
            }
            b']' => self.close_bracket(i),
            b'<' => self.angle(i),
            other => {
                self.text.push(char::from(other));
                i + 1
            }
        }
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            self.nodes
                .push(Inline::Text(std::mem::take(&mut self.text)));
        }
    }

    fn push(&mut self, node: Inline) {
        self.flush();
        self.nodes.push(node);
    }

    fn push_opener(&mut self, kind: OpenerKind, placeholder: Inline) {
        self.flush();
        let node = self.nodes.len();
        self.nodes.push(placeholder);
        self.openers.push(Opener { kind, node });
    }

    fn pop_opener(&mut self) -> Option<Opener> {
        let opener = self.openers.pop()?;
        if matches!(opener.kind, OpenerKind::Font(_)) {
            self.fonts_open = self.fonts_open.saturating_sub(1);
        }
        self.inactive_below = self.inactive_below.min(self.openers.len());
        Some(opener)
    }

    /// Moves the nodes after `opener`'s placeholder out (removing the
    /// placeholder) and resolves their emphasis.
    fn take_children(&mut self, opener: &Opener) -> Vec<Inline> {
        self.flush();
        let mut children = self.nodes.split_off(opener.node + 1);
        self.nodes.truncate(opener.node);
        process_emphasis(&mut children);
        children
    }

    fn code_span(&mut self, i: usize) -> usize {
        let src = self.src;
        let bytes = src.as_bytes();
        let n = run_length(bytes, i);
        let close = self
            .backtick_runs
            .get_or_insert_with(|| BacktickRuns::new(bytes))
            .next_after(n, i + n);
        match close {
            Some(close) => {
                let content = src[i + n..close].replace('\n', " ");
                let content = match content.strip_prefix(' ').and_then(|c| c.strip_suffix(' ')) {
                    Some(inner) if !content.bytes().all(|b| b == b' ') => inner.to_string(),
                    _ => content,
                };
                self.push(Inline::Code(content));
                close + n
            }
            None => {
                self.text.push_str(&src[i..i + n]);
                i + n
            }
        }
    }

    fn delimiter_run(&mut self, i: usize) -> usize {
        let src = self.src;
        let bytes = src.as_bytes();
        let ch = bytes[i];
        let mut end = i + 1;
        while end < bytes.len() && bytes[end] == ch {
            end += 1;
        }
        let n = end - i;
        let prev = src[..i].chars().next_back();
        let next = src[i + n..].chars().next();
        let (can_open, can_close) = flanking(prev, next, ch == b'_');
        if can_open || can_close {
            self.push(Inline::Delim(Delim {
                ch,
                can_open,
                can_close,
                orig: n,
                count: n,
                tags: Vec::new(),
            }));
        } else {
            self.text.push_str(&src[i..i + n]);
        }
        i + n
    }

    fn open_bracket(&mut self, image: bool) {
        let placeholder = Inline::Literal(if image { "![" } else { "[" });
        self.push_opener(OpenerKind::Bracket, placeholder);
    }

    fn close_bracket(&mut self, i: usize) -> usize {
        let src = self.src;
        let top_is_bracket = matches!(
            self.openers.last(),
            Some(Opener {
                kind: OpenerKind::Bracket,
                ..
            })
        );
        if !top_is_bracket {
            self.text.push(']');
            return i + 1;
        }
        let active = self.openers.len() > self.inactive_below;
        if active
            && let Some((dest, end)) = parse_link_tail(src, i + 1)
            && let Some(opener) = self.pop_opener()
        {
            let children = self.take_children(&opener);
            self.nodes.push(Inline::Link {
                url: safe_url(dest),
                children,
            });
            // No links inside links: every bracket still open is now dead.
            self.inactive_below = self.openers.len();
            return end;
        }
        self.pop_opener();
        self.text.push(']');
        i + 1
    }

    fn angle(&mut self, i: usize) -> usize {
        let src = self.src;
        let bytes = src.as_bytes();
        if self.flavour == Flavour::RobotMarkdown {
            if bytes.get(i + 1) == Some(&b'@')
                && let Some(end) = scan_userid(src, i + 2, b'>')
            {
                self.push(Inline::Mention {
                    userid: src[i + 2..end].to_string(),
                    raw: src[i..=end].to_string(),
                });
                return end + 1;
            }
            if let Some(end) = match_font_close(bytes, i) {
                if self.fonts_open > 0 {
                    self.close_font();
                } else {
                    self.text.push_str(&src[i..end]);
                }
                return end;
            }
            if let Some((class, end)) = parse_font_open(src, i) {
                if self.fonts_open < MAX_FONT_DEPTH {
                    self.push_opener(
                        OpenerKind::Font(class),
                        Inline::Text(src[i..end].to_string()),
                    );
                    self.fonts_open += 1;
                } else {
                    self.text.push_str(&src[i..end]);
                }
                return end;
            }
        }
        if let Some((inner, end)) = scan_autolink(src, i)
            && let Some(url) = safe_url(inner)
        {
            self.push(Inline::Url(url));
            return end;
        }
        self.text.push('<');
        i + 1
    }

    /// Closes the innermost open `<font>`; brackets opened inside it can no
    /// longer become links and stay literal.
    fn close_font(&mut self) {
        while matches!(
            self.openers.last(),
            Some(Opener {
                kind: OpenerKind::Bracket,
                ..
            })
        ) {
            self.pop_opener();
        }
        if let Some(opener) = self.pop_opener()
            && let OpenerKind::Font(class) = opener.kind
        {
            let children = self.take_children(&opener);
            self.nodes.push(Inline::Font { class, children });
        }
    }

    fn finish(mut self) -> Vec<Inline> {
        self.flush();
        process_emphasis(&mut self.nodes);
        self.nodes
    }
}

fn run_length(bytes: &[u8], i: usize) -> usize {
    let mut end = i;
    while end < bytes.len() && bytes[end] == bytes[i] {
        end += 1;
    }
    end - i
}

/// Multiplicative hashing for the small integer keys of [`BacktickRuns`].
#[derive(Default)]
struct LengthHasher(u64);

impl Hasher for LengthHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Start offsets of all maximal backtick runs, grouped by run length, with
/// a forward-only cursor per length (code spans are found left to right).
struct BacktickRuns(HashMap<usize, (Vec<usize>, usize), BuildHasherDefault<LengthHasher>>);

impl BacktickRuns {
    fn new(bytes: &[u8]) -> Self {
        let mut runs: HashMap<usize, (Vec<usize>, usize), BuildHasherDefault<LengthHasher>> =
            HashMap::default();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'`' {
                let n = run_length(bytes, i);
                runs.entry(n).or_default().0.push(i);
                i += n;
            } else {
                i += 1;
            }
        }
        BacktickRuns(runs)
    }

    /// The first run of exactly `len` backticks starting at or after `from`.
    fn next_after(&mut self, len: usize, from: usize) -> Option<usize> {
        let (starts, cursor) = self.0.get_mut(&len)?;
        while starts.get(*cursor).is_some_and(|&s| s < from) {
            *cursor += 1;
        }
        starts.get(*cursor).copied()
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
    let rest = &src[i..];
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
                open_parens -= 1;
                end -= 1;
            }
            _ => break,
        }
    }
    // Only ASCII bytes were consumed, so `end` is a char boundary.
    safe_url(&src[i..end]).map(|_| end)
}

/// A `<scheme:…>` autolink starting at `i`: the text between the angle
/// brackets and the offset after `>`.
fn scan_autolink(src: &str, i: usize) -> Option<(&str, usize)> {
    let bytes = src.as_bytes();
    let scheme_start = i + 1;
    let mut k = scheme_start;
    while k < bytes.len()
        && k - scheme_start <= MAX_SCHEME_LEN
        && (bytes[k].is_ascii_alphanumeric() || matches!(bytes[k], b'+' | b'.' | b'-'))
    {
        k += 1;
    }
    if k - scheme_start < 2
        || !bytes[scheme_start].is_ascii_alphabetic()
        || bytes.get(k) != Some(&b':')
    {
        return None;
    }
    while k < bytes.len() {
        match bytes[k] {
            b'>' => return Some((&src[scheme_start..k], k + 1)),
            b'<' | b' ' | b'\t' | b'\n' => return None,
            b if b < 0x20 || b == 0x7f => return None,
            _ => k += 1,
        }
    }
    None
}

fn skip_spaces(bytes: &[u8], mut k: usize) -> usize {
    while matches!(bytes.get(k), Some(b' ' | b'\t')) {
        k += 1;
    }
    k
}

/// Parses `(dest "optional title")` starting at `start`; returns the raw
/// destination and the offset after `)`. Stops (fails) at any `[`, `]`, `<`
/// or `>` so that failed attempts never rescan the same text.
fn parse_link_tail(src: &str, start: usize) -> Option<(&str, usize)> {
    let bytes = src.as_bytes();
    if bytes.get(start) != Some(&b'(') {
        return None;
    }
    let dest_start = skip_spaces(bytes, start + 1);
    let mut k = dest_start;
    let mut depth = 0usize;
    while k < bytes.len() {
        match bytes[k] {
            b' ' | b'\t' | b'\n' => break,
            b'(' => {
                depth += 1;
                if depth > MAX_LINK_PAREN_DEPTH {
                    return None;
                }
            }
            b')' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            b'[' | b']' | b'<' | b'>' => return None,
            b if b < 0x20 || b == 0x7f => return None,
            _ => {}
        }
        k += 1;
    }
    if depth != 0 {
        return None;
    }
    let dest = &src[dest_start..k];
    let dest_end = k;
    k = skip_spaces(bytes, k);
    if k > dest_end && matches!(bytes.get(k), Some(b'"' | b'\'' | b'(')) {
        let close = match bytes[k] {
            b'(' => b')',
            quote => quote,
        };
        k += 1;
        loop {
            match bytes.get(k) {
                None | Some(b'[' | b']') => return None,
                Some(&b) if b == close => {
                    k += 1;
                    break;
                }
                Some(b'(') if close == b')' => return None,
                Some(b'\\') => k += 2,
                Some(_) => k += 1,
            }
        }
        k = skip_spaces(bytes, k);
    }
    (bytes.get(k) == Some(&b')')).then_some((dest, k + 1))
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
/// `mailto:` URL, spelled exactly so (lower-case, no entities, no
/// whitespace, control or invisible characters anywhere, none of the
/// characters URLs never contain unencoded: `"<>` and backtick).
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
    Some(dest.to_string())
}

/// `</font>` (any case, optional spaces before `>`) at `i`; returns its end.
fn match_font_close(bytes: &[u8], i: usize) -> Option<usize> {
    let tag = bytes.get(i..i + 6)?;
    if !tag.eq_ignore_ascii_case(b"</font") {
        return None;
    }
    let k = skip_spaces(bytes, i + 6);
    (bytes.get(k) == Some(&b'>')).then_some(k + 1)
}

fn is_attr_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-')
}

/// `<font attr=…>` at `i`: the CSS class to use (only for exactly one
/// `color` attribute with a supported value) and the end of the tag.
fn parse_font_open(src: &str, i: usize) -> Option<(Option<&'static str>, usize)> {
    let bytes = src.as_bytes();
    if !bytes.get(i..i + 5)?.eq_ignore_ascii_case(b"<font") {
        return None;
    }
    let mut limit = bytes.len().min(i + MAX_FONT_TAG_LEN);
    while !src.is_char_boundary(limit) {
        limit -= 1;
    }
    let mut attrs: Vec<(&str, &str)> = Vec::new();
    let mut k = i + 5;
    // Browsers accept `a="x"b="y"`, so a quoted value needs no gap after it.
    let mut after_quote = false;
    loop {
        let gap_start = k;
        while k < limit && matches!(bytes[k], b' ' | b'\t') {
            k += 1;
        }
        if k >= limit {
            return None;
        }
        if bytes[k] == b'>' {
            k += 1;
            break;
        }
        if k == gap_start && !after_quote {
            return None;
        }
        after_quote = false;
        let name_start = k;
        while k < limit && is_attr_name_byte(bytes[k]) {
            k += 1;
        }
        if k == name_start {
            return None;
        }
        let name = &src[name_start..k];
        k = skip_spaces(bytes, k).min(limit);
        let mut value = "";
        if k < limit && bytes[k] == b'=' {
            k = skip_spaces(bytes, k + 1).min(limit);
            if k >= limit {
                return None;
            }
            if matches!(bytes[k], b'"' | b'\'') {
                let quote = bytes[k];
                let value_start = k + 1;
                k = value_start;
                while k < limit && !matches!(bytes[k], b'<' | b'\n') && bytes[k] != quote {
                    k += 1;
                }
                if k >= limit || bytes[k] != quote {
                    return None;
                }
                value = &src[value_start..k];
                k += 1;
                after_quote = true;
            } else {
                let value_start = k;
                while k < limit
                    && !matches!(
                        bytes[k],
                        b' ' | b'\t' | b'\n' | b'"' | b'\'' | b'=' | b'<' | b'>' | b'`'
                    )
                {
                    k += 1;
                }
                if k == value_start || k >= limit {
                    return None;
                }
                value = &src[value_start..k];
            }
        }
        attrs.push((name, value));
    }
    let class = match attrs.as_slice() {
        [(name, value)] if name.eq_ignore_ascii_case("color") => match *value {
            "info" => Some("md-info"),
            "comment" => Some("md-comment"),
            "warning" => Some("md-warning"),
            _ => None,
        },
        _ => None,
    };
    Some((class, k))
}

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
    !c.is_ascii()
        && matches!(
            c,
            '\u{2E80}'..='\u{2FDF}'
                | '\u{3040}'..='\u{31FF}'
                | '\u{3400}'..='\u{4DBF}'
                | '\u{4E00}'..='\u{9FFF}'
                | '\u{AC00}'..='\u{D7AF}'
                | '\u{F900}'..='\u{FAFF}'
                | '\u{FF00}'..='\u{FFEF}'
                | '\u{20000}'..='\u{3FFFF}'
        )
}

/// How a character next to a delimiter run counts for flanking.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Whitespace, or the start/end of the text.
    Space,
    /// Punctuation (ASCII or Unicode).
    Punct,
    /// A CJK character: like a letter for the run's inner side, like
    /// punctuation for its outer side.
    Cjk,
    Other,
}

fn side(c: Option<char>) -> Side {
    match c {
        None => Side::Space,
        Some(c) if c.is_whitespace() => Side::Space,
        Some(c) if is_punctuation(c) => Side::Punct,
        Some(c) if is_cjk(c) => Side::Cjk,
        Some(_) => Side::Other,
    }
}

/// CommonMark's left/right-flanking rules, relaxed for CJK text: a CJK
/// character outside the run counts like punctuation, so `这是**“重点”**内容`
/// and `中文_斜体_中文` work even though CJK has no spaces between words.
fn flanking(prev: Option<char>, next: Option<char>, underscore: bool) -> (bool, bool) {
    let (prev, next) = (side(prev), side(next));
    let prev_punct = matches!(prev, Side::Punct | Side::Cjk);
    let next_punct = matches!(next, Side::Punct | Side::Cjk);
    let left = next != Side::Space && (next != Side::Punct || prev == Side::Space || prev_punct);
    let right = prev != Side::Space && (prev != Side::Punct || next == Side::Space || next_punct);
    if underscore {
        (
            left && (!right || prev_punct),
            right && (!left || next_punct),
        )
    } else {
        (left, right)
    }
}

/// Resolves `*`/`_` runs into `<em>`/`<strong>` using the CommonMark
/// "process emphasis" algorithm over the delimiters in `nodes`.
fn process_emphasis(nodes: &mut [Inline]) {
    #[derive(Clone, Copy)]
    struct D {
        node: usize,
        orig: usize,
        count: usize,
        underscore: bool,
        can_open: bool,
        can_close: bool,
    }
    const NONE: usize = usize::MAX;

    let mut ds: Vec<D> = Vec::new();
    for (node, n) in nodes.iter().enumerate() {
        if let Inline::Delim(d) = n {
            ds.push(D {
                node,
                orig: d.orig,
                count: d.count,
                underscore: d.ch == b'_',
                can_open: d.can_open,
                can_close: d.can_close,
            });
        }
    }
    let n = ds.len();
    if n == 0 {
        return;
    }
    // Doubly linked list over `ds` (the CommonMark delimiter stack).
    let mut prev: Vec<usize> = Vec::with_capacity(n);
    let mut next: Vec<usize> = Vec::with_capacity(n);
    for k in 0..n {
        prev.push(if k == 0 { NONE } else { k - 1 });
        next.push(if k + 1 < n { k + 1 } else { NONE });
    }
    fn unlink(prev: &mut [usize], next: &mut [usize], k: usize) {
        let (p, nx) = (prev[k], next[k]);
        if p != NONE {
            next[p] = nx;
        }
        if nx != NONE {
            prev[nx] = p;
        }
    }
    fn record(nodes: &mut [Inline], node: usize, emph: Emph, opening: bool) {
        if let Some(Inline::Delim(d)) = nodes.get_mut(node) {
            d.tags.push((opening, emph));
        }
    }
    // Lowest delimiter index worth searching for an opener, per
    // (char, closer can open, closer length mod 3).
    let mut lower = [0usize; 12];

    let mut cur = 0;
    while cur != NONE {
        let c = cur;
        let cd = ds[c];
        if !cd.can_close || cd.count == 0 {
            cur = next[c];
            continue;
        }
        let key = usize::from(cd.underscore) * 6 + usize::from(cd.can_open) * 3 + cd.orig % 3;
        let mut o = prev[c];
        let mut found = NONE;
        while o != NONE && o >= lower[key] {
            let od = ds[o];
            if od.underscore == cd.underscore && od.can_open && od.count > 0 {
                let odd_rule = (od.can_close || cd.can_open)
                    && (od.orig + cd.orig).is_multiple_of(3)
                    && !(od.orig.is_multiple_of(3) && cd.orig.is_multiple_of(3));
                if !odd_rule {
                    found = o;
                    break;
                }
            }
            o = prev[o];
        }
        if found == NONE {
            lower[key] = c;
            let after = next[c];
            if !cd.can_open {
                unlink(&mut prev, &mut next, c);
            }
            cur = after;
            continue;
        }
        let o = found;
        let emph = if ds[o].count >= 2 && cd.count >= 2 {
            Emph::Strong
        } else {
            Emph::Em
        };
        let used = if emph == Emph::Strong { 2 } else { 1 };
        ds[o].count -= used;
        ds[c].count -= used;
        record(nodes, ds[o].node, emph, true);
        record(nodes, cd.node, emph, false);
        // Delimiters between the pair can no longer match anything.
        next[o] = c;
        prev[c] = o;
        if ds[o].count == 0 {
            unlink(&mut prev, &mut next, o);
        }
        if ds[c].count == 0 {
            let after = next[c];
            unlink(&mut prev, &mut next, c);
            cur = after;
        }
    }

    for d in &ds {
        if let Some(Inline::Delim(target)) = nodes.get_mut(d.node) {
            target.count = d.count;
        }
    }
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/// Escapes text for HTML element content and attribute values.
fn escape_html(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        let replacement = match bytes[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&text[last..i]);
        out.push_str(replacement);
        i += 1;
        last = i;
    }
    out.push_str(&text[last..]);
}

/// Escapes a URL for an `href` value: `&"<>` as entities; `'`, `{` and `}`
/// percent-encoded (so an `href` never contains a numeric character reference,
/// nor an `@{userid}` token that the web client would turn into markup).
fn escape_href(out: &mut String, url: &str) {
    let mut last = 0;
    for (i, b) in url.bytes().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
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

struct Html<'a> {
    out: String,
    name_of: &'a dyn Fn(&str) -> Option<String>,
}

impl Html<'_> {
    fn blocks(&mut self, blocks: &[Block]) {
        for block in blocks {
            match block {
                Block::Plain(inlines) => self.inlines(inlines, false),
                Block::Paragraph(inlines) => {
                    self.out.push_str("<p>");
                    self.inlines(inlines, false);
                    self.out.push_str("</p>");
                }
                Block::Heading(inlines) => {
                    self.out.push_str("<p><strong>");
                    self.inlines(inlines, false);
                    self.out.push_str("</strong></p>");
                }
                Block::Code(code) => {
                    self.out.push_str("<pre><code>");
                    escape_html(&mut self.out, code);
                    self.out.push_str("</code></pre>");
                }
                Block::Quote(inner) => {
                    self.out.push_str("<blockquote>");
                    self.blocks(inner);
                    self.out.push_str("</blockquote>");
                }
                Block::List { ordered, items } => {
                    self.out.push_str(if *ordered { "<ol>" } else { "<ul>" });
                    for item in items {
                        self.out.push_str("<li>");
                        self.inlines(item, false);
                        self.out.push_str("</li>");
                    }
                    self.out.push_str(if *ordered { "</ol>" } else { "</ul>" });
                }
            }
        }
    }

    fn open_link(&mut self, url: &str) {
        self.out.push_str("<a href=\"");
        escape_href(&mut self.out, url);
        self.out.push_str(LINK_TAIL);
    }

    /// `in_link`: already inside an `<a>`, so links render as their text.
    fn inlines(&mut self, nodes: &[Inline], in_link: bool) {
        for node in nodes {
            match node {
                Inline::Text(text) => escape_html(&mut self.out, text),
                Inline::Literal(text) => self.out.push_str(text),
                Inline::Code(code) => {
                    self.out.push_str("<code>");
                    escape_html(&mut self.out, code);
                    self.out.push_str("</code>");
                }
                Inline::Break => self.out.push_str("<br>"),
                Inline::Mention { userid, raw } => self.mention(userid, raw),
                Inline::Url(url) => {
                    if in_link {
                        escape_html(&mut self.out, url);
                    } else {
                        self.open_link(url);
                        escape_html(&mut self.out, url);
                        self.out.push_str("</a>");
                    }
                }
                Inline::Link {
                    url: Some(url),
                    children,
                } if !in_link => {
                    self.open_link(url);
                    self.inlines(children, true);
                    self.out.push_str("</a>");
                }
                Inline::Link { children, .. } => self.inlines(children, in_link),
                Inline::Font {
                    class: Some(class),
                    children,
                } => {
                    self.out.push_str("<span class=\"");
                    self.out.push_str(class);
                    self.out.push_str("\">");
                    self.inlines(children, in_link);
                    self.out.push_str("</span>");
                }
                Inline::Font { children, .. } => self.inlines(children, in_link),
                Inline::Delim(d) => {
                    for (_, emph) in d.tags.iter().filter(|(opening, _)| !opening) {
                        self.out.push_str(emph.close());
                    }
                    for _ in 0..d.count {
                        self.out.push(char::from(d.ch));
                    }
                    for (_, emph) in d.tags.iter().rev().filter(|(opening, _)| *opening) {
                        self.out.push_str(emph.open());
                    }
                }
            }
        }
    }

    fn mention(&mut self, userid: &str, raw: &str) {
        if ALL_USERIDS.contains(&userid) {
            self.out
                .push_str("<span class=\"mention\" data-userid=\"@all\">");
            self.out.push_str(ALL_LABEL);
            self.out.push_str("</span>");
        } else if let Some(name) = (self.name_of)(userid) {
            self.out.push_str("<span class=\"mention\" data-userid=\"");
            escape_html(&mut self.out, userid);
            self.out.push_str("\">@");
            escape_html(&mut self.out, &name);
            self.out.push_str("</span>");
        } else {
            escape_html(&mut self.out, raw);
        }
    }
}

struct PlainText<'a> {
    out: String,
    name_of: &'a dyn Fn(&str) -> Option<String>,
}

impl PlainText<'_> {
    fn blocks(&mut self, blocks: &[Block]) {
        for block in blocks {
            self.out.push(' ');
            match block {
                Block::Plain(inlines) | Block::Paragraph(inlines) | Block::Heading(inlines) => {
                    self.inlines(inlines);
                }
                Block::Code(code) => self.out.push_str(code),
                Block::Quote(inner) => self.blocks(inner),
                Block::List { items, .. } => {
                    for item in items {
                        self.out.push(' ');
                        self.inlines(item);
                    }
                }
            }
        }
    }

    fn inlines(&mut self, nodes: &[Inline]) {
        for node in nodes {
            match node {
                Inline::Text(text) | Inline::Code(text) | Inline::Url(text) => {
                    self.out.push_str(text);
                }
                Inline::Literal(text) => self.out.push_str(text),
                Inline::Break => self.out.push(' '),
                Inline::Mention { userid, raw } => {
                    if ALL_USERIDS.contains(&userid.as_str()) {
                        self.out.push_str(ALL_LABEL);
                    } else if let Some(name) = (self.name_of)(userid) {
                        self.out.push('@');
                        self.out.push_str(&name);
                    } else {
                        self.out.push_str(raw);
                    }
                }
                Inline::Link { children, .. } | Inline::Font { children, .. } => {
                    self.inlines(children);
                }
                Inline::Delim(d) => {
                    for _ in 0..d.count {
                        self.out.push(char::from(d.ch));
                    }
                }
            }
        }
    }
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

fn collect_links_blocks(blocks: &[Block], found: &mut Vec<String>) {
    for block in blocks {
        match block {
            Block::Plain(inlines) | Block::Paragraph(inlines) | Block::Heading(inlines) => {
                collect_links_inlines(inlines, found);
            }
            Block::Code(_) => {}
            Block::Quote(inner) => collect_links_blocks(inner, found),
            Block::List { items, .. } => {
                for item in items {
                    collect_links_inlines(item, found);
                }
            }
        }
    }
}

/// Mirrors [`Html::inlines`]: only hrefs that are actually emitted count.
fn collect_links_inlines(nodes: &[Inline], found: &mut Vec<String>) {
    for node in nodes {
        match node {
            Inline::Url(url) | Inline::Link { url: Some(url), .. } => found.push(url.clone()),
            Inline::Link { children, .. } | Inline::Font { children, .. } => {
                collect_links_inlines(children, found);
            }
            Inline::Text(_)
            | Inline::Literal(_)
            | Inline::Code(_)
            | Inline::Break
            | Inline::Mention { .. }
            | Inline::Delim(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const A_ATTRS: &str = r#" target="_blank" rel="noopener noreferrer nofollow""#;

    fn names(userid: &str) -> Option<String> {
        match userid {
            "alice" => Some("Alice".to_string()),
            "zhangsan" => Some("张三".to_string()),
            "evil" => Some("<img src=x onerror=alert(1)>\"'&".to_string()),
            _ => None,
        }
    }

    fn txt(s: &str) -> String {
        render(s, Flavour::Text, &names)
    }

    fn md(s: &str) -> String {
        render(s, Flavour::Markdown, &names)
    }

    fn robot(s: &str) -> String {
        render(s, Flavour::RobotMarkdown, &names)
    }

    fn a(href: &str, text: &str) -> String {
        format!(r#"<a href="{href}"{A_ATTRS}>{text}</a>"#)
    }

    const ALL_FLAVOURS: [Flavour; 3] = [Flavour::Text, Flavour::Markdown, Flavour::RobotMarkdown];

    // -----------------------------------------------------------------------
    // Independent inertness checker
    // -----------------------------------------------------------------------

    const ALLOWED_TAGS: [&str; 12] = [
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
    ];
    const ALLOWED_ATTRS: [&str; 5] = ["class", "href", "target", "rel", "data-userid"];
    const TEXT_ENTITIES: [&str; 5] = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
    const HREF_ENTITIES: [&str; 4] = ["&amp;", "&lt;", "&gt;", "&quot;"];

    /// Scans `html` as HTML and fails unless it is built only from
    /// whitelisted tags/attributes, every tag is balanced, every `href` is an
    /// http/https/mailto URL without decoding tricks, and no raw `<`, `>`,
    /// quote or unknown character reference appears in text.
    fn check_inert(html: &str) -> Result<(), String> {
        let chars: Vec<char> = html.chars().collect();
        let at = |i: usize| chars.get(i).copied();
        let starts = |i: usize, s: &str| {
            s.chars()
                .enumerate()
                .all(|(k, c)| chars.get(i + k) == Some(&c))
        };
        let mut stack: Vec<String> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '<' => {
                    i += 1;
                    let closing = at(i) == Some('/');
                    if closing {
                        i += 1;
                    }
                    let name_start = i;
                    while at(i).is_some_and(|c| c.is_ascii_lowercase()) {
                        i += 1;
                    }
                    let name: String = chars[name_start..i].iter().collect();
                    if !ALLOWED_TAGS.contains(&name.as_str()) {
                        return Err(format!("tag {name:?} not allowed at {name_start}"));
                    }
                    if closing {
                        if at(i) != Some('>') {
                            return Err(format!("malformed closing tag </{name}"));
                        }
                        i += 1;
                        if stack.pop().as_deref() != Some(name.as_str()) {
                            return Err(format!("unbalanced </{name}>"));
                        }
                        continue;
                    }
                    loop {
                        match at(i) {
                            Some('>') => {
                                i += 1;
                                break;
                            }
                            Some(' ') => {
                                i += 1;
                                let attr_start = i;
                                while at(i).is_some_and(|c| c.is_ascii_lowercase() || c == '-') {
                                    i += 1;
                                }
                                let attr: String = chars[attr_start..i].iter().collect();
                                if !ALLOWED_ATTRS.contains(&attr.as_str()) {
                                    return Err(format!("attribute {attr:?} not allowed"));
                                }
                                if at(i) != Some('=') || at(i + 1) != Some('"') {
                                    return Err(format!("attribute {attr} not double-quoted"));
                                }
                                i += 2;
                                let value_start = i;
                                while at(i).is_some_and(|c| c != '"') {
                                    let c = chars[i];
                                    if c == '<' || c == '>' || c == '\'' || c.is_control() {
                                        return Err(format!("bad char {c:?} in {attr}"));
                                    }
                                    i += 1;
                                }
                                if at(i) != Some('"') {
                                    return Err(format!("unterminated {attr} value"));
                                }
                                let value: String = chars[value_start..i].iter().collect();
                                i += 1;
                                check_attr_value(&attr, &value)?;
                            }
                            other => return Err(format!("unexpected {other:?} in <{name}>")),
                        }
                    }
                    if name != "br" {
                        stack.push(name);
                    }
                }
                '>' => return Err(format!("raw > at {i}")),
                '"' | '\'' => return Err(format!("raw quote at {i}")),
                '&' => match TEXT_ENTITIES.iter().find(|e| starts(i, e)) {
                    Some(e) => i += e.chars().count(),
                    None => return Err(format!("unknown character reference at {i}")),
                },
                c if c.is_control() && c != '\n' && c != '\t' => {
                    return Err(format!("control character {c:?} at {i}"));
                }
                _ => i += 1,
            }
        }
        if stack.is_empty() {
            Ok(())
        } else {
            Err(format!("unclosed tags {stack:?}"))
        }
    }

    fn check_attr_value(attr: &str, value: &str) -> Result<(), String> {
        let entities: &[&str] = if attr == "href" {
            &HREF_ENTITIES
        } else {
            &TEXT_ENTITIES
        };
        let mut decoded = String::new();
        let mut rest = value;
        while let Some(pos) = rest.find('&') {
            decoded.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            let Some(e) = entities.iter().find(|e| tail.starts_with(**e)) else {
                return Err(format!("unknown character reference in {attr}: {value:?}"));
            };
            decoded.push_str(match *e {
                "&amp;" => "&",
                "&lt;" => "<",
                "&gt;" => ">",
                "&quot;" => "\"",
                _ => "'",
            });
            rest = &tail[e.len()..];
        }
        decoded.push_str(rest);
        // The web client turns `@{userid}` tokens in server HTML into markup.
        if decoded.contains("@{") {
            return Err(format!("mention token inside {attr}: {value:?}"));
        }
        if attr != "href" {
            return Ok(());
        }
        if value.contains("&#") {
            return Err(format!("numeric reference in href {value:?}"));
        }
        let Some(scheme_end) = decoded.find(':') else {
            return Err(format!("href without scheme {value:?}"));
        };
        let scheme = &decoded[..scheme_end];
        if scheme.to_ascii_lowercase().contains("javascript") {
            return Err(format!("javascript in href scheme {value:?}"));
        }
        let ok_scheme = decoded.starts_with("http://")
            || decoded.starts_with("https://")
            || decoded.starts_with("mailto:");
        if !ok_scheme {
            return Err(format!("href scheme not allowed {value:?}"));
        }
        if decoded
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || is_bidi_or_zero_width(c))
        {
            return Err(format!("whitespace/control in href {value:?}"));
        }
        Ok(())
    }

    fn is_bidi_or_zero_width(c: char) -> bool {
        matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
    }

    fn assert_inert(source: &str, flavour: Flavour, html: &str) {
        if let Err(why) = check_inert(html) {
            panic!(
                "not inert ({why})\n  flavour: {flavour:?}\n  source: {source:?}\n  html: {html}"
            );
        }
    }

    #[test]
    fn checker_rejects_known_bad_html() {
        let bad = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<svg onload=alert(1)>",
            "<p onclick=\"x\">a</p>",
            "<span style=\"color:red\">a</span>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"JAVASCRIPT:alert(1)\">x</a>",
            "<a href=\" https://a.com\">x</a>",
            "<a href=\"java&#115;cript:alert(1)\">x</a>",
            "<a href=\"https://a.com/&#39;\">x</a>",
            "<a href=\"//evil.com\">x</a>",
            "<a href=\"data:text/html,x\">x</a>",
            "<a href=\"https://a.com\" onclick=\"x\">x</a>",
            "<a href='https://a.com'>x</a>",
            "<a href=https://a.com>x</a>",
            "<a href=\"https://a.com\">x",
            "<p>a</strong>",
            "<p>unclosed",
            "a \" b",
            "a ' b",
            "a > b",
            "a &#60; b",
            "a &nbsp; b",
            "<span class=\"x\" data-userid=\"a\"b\">x</span>",
            "<P>x</P>",
            "<a href=\"http://a\u{1}b\">x</a>",
            "</p>",
            "<br/>",
            "<a href=\"https://a.com/@{alice}\">x</a>",
        ];
        for html in bad {
            assert!(check_inert(html).is_err(), "checker accepted {html:?}");
        }
        let good = [
            "",
            "plain &amp; &lt;b&gt; &quot;q&quot; &#39;s&#39;",
            "<p>a<br>b</p>",
            "<ul><li><strong>x</strong></li></ul><ol><li><em>y</em></li></ol>",
            "<blockquote><p>q</p></blockquote><pre><code>c</code></pre>",
            "<span class=\"mention\" data-userid=\"a&#39;b\">@A</span>",
            "<a href=\"https://a.com/?x=1&amp;y=%27\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">x</a>",
            "<a href=\"mailto:a@b.c\">m</a>",
        ];
        for html in good {
            assert_eq!(check_inert(html), Ok(()), "checker rejected {html:?}");
        }
    }

    // -----------------------------------------------------------------------
    // Text
    // -----------------------------------------------------------------------

    #[test]
    fn text_escapes_everything() {
        assert_eq!(
            txt(r#"<b>"x" & 'y'</b>"#),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
        assert_eq!(txt("**a** _b_ `c` # d"), "**a** _b_ `c` # d");
        assert_eq!(txt("&amp; &#60;"), "&amp;amp; &amp;#60;");
    }

    #[test]
    fn text_newlines_become_breaks() {
        assert_eq!(
            txt("第一行\n第二行\r\n第三行\r第四行"),
            "第一行<br>第二行<br>第三行<br>第四行"
        );
        assert_eq!(txt("a\n\nb"), "a<br><br>b");
    }

    #[test]
    fn text_autolinks_bare_urls() {
        let url = "https://example.com/a?b=1&amp;c=2";
        assert_eq!(
            txt("see https://example.com/a?b=1&c=2."),
            format!("see {}.", a(url, url))
        );
        assert_eq!(
            txt("请看https://example.com，谢谢"),
            format!(
                "请看{}，谢谢",
                a("https://example.com", "https://example.com")
            )
        );
        assert_eq!(
            txt("(http://en.wikipedia.org/wiki/Rust_(language))"),
            format!(
                "({})",
                a(
                    "http://en.wikipedia.org/wiki/Rust_(language)",
                    "http://en.wikipedia.org/wiki/Rust_(language)"
                )
            )
        );
        assert_eq!(
            txt("it's https://a.com/it's"),
            format!(
                "it&#39;s {}",
                a("https://a.com/it%27s", "https://a.com/it&#39;s")
            )
        );
        // Markdown syntax is not interpreted in Text.
        assert_eq!(
            txt("[x](https://a.com)"),
            format!("[x]({})", a("https://a.com", "https://a.com"))
        );
    }

    #[test]
    fn text_does_not_link_other_schemes() {
        assert_eq!(txt("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(txt("HTTP://EXAMPLE.COM"), "HTTP://EXAMPLE.COM");
        assert_eq!(txt("xhttps://a.com"), "xhttps://a.com");
        assert_eq!(txt("https:// and http://"), "https:// and http://");
        assert_eq!(txt("mailto:a@b.c"), "mailto:a@b.c");
    }

    #[test]
    fn text_mentions() {
        assert_eq!(
            txt("@{alice} 你好 @{zhangsan}"),
            r#"<span class="mention" data-userid="alice">@Alice</span> 你好 <span class="mention" data-userid="zhangsan">@张三</span>"#
        );
        assert_eq!(
            txt("@{all} 开会"),
            r#"<span class="mention" data-userid="@all">@所有人</span> 开会"#
        );
        assert_eq!(
            txt("@{@all}"),
            r#"<span class="mention" data-userid="@all">@所有人</span>"#
        );
        assert_eq!(txt("@{nobody} hi"), "@{nobody} hi");
        assert_eq!(txt("@{} @{a b} @alice"), "@{} @{a b} @alice");
        assert_eq!(txt("<@alice>"), "&lt;@alice&gt;");
        assert_eq!(
            txt("@{evil}"),
            r#"<span class="mention" data-userid="evil">@&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;</span>"#
        );
    }

    // -----------------------------------------------------------------------
    // Markdown blocks
    // -----------------------------------------------------------------------

    #[test]
    fn markdown_paragraphs_and_breaks() {
        assert_eq!(md(""), "");
        assert_eq!(md("  \n\n "), "");
        assert_eq!(md("你好"), "<p>你好</p>");
        assert_eq!(md("a\nb\n\nc"), "<p>a<br>b</p><p>c</p>");
        assert_eq!(md("  a  \r\n  b\n\n\n\nc"), "<p>a<br>b</p><p>c</p>");
    }

    #[test]
    fn markdown_headings_are_bold_paragraphs() {
        assert_eq!(md("# 标题"), "<p><strong>标题</strong></p>");
        assert_eq!(
            md("## Sub *it* ##\n###### six"),
            "<p><strong>Sub <em>it</em></strong></p><p><strong>six</strong></p>"
        );
        assert_eq!(md("####### seven"), "<p>####### seven</p>");
        assert_eq!(md("#hashtag"), "<p>#hashtag</p>");
        assert_eq!(md("# C#"), "<p><strong>C#</strong></p>");
        assert_eq!(
            md("正文\n# 标题"),
            "<p>正文</p><p><strong>标题</strong></p>"
        );
    }

    #[test]
    fn markdown_fenced_code() {
        assert_eq!(
            md(
                "```rust\nfn main() { println!(\"<hi>\"); }\n\n**x** [a](https://a.com)\n```\nafter"
            ),
            "<pre><code>fn main() { println!(&quot;&lt;hi&gt;&quot;); }\n\n**x** [a](https://a.com)</code></pre><p>after</p>"
        );
        assert_eq!(md("```\n代码\n"), "<pre><code>代码\n</code></pre>");
        assert_eq!(md("```\n```"), "<pre><code></code></pre>");
        assert_eq!(
            md("text\n```\n@{alice}\n```"),
            "<p>text</p><pre><code>@{alice}</code></pre>"
        );
        assert_eq!(md("``` a`b"), "<p>``` a`b</p>");
        assert_eq!(
            links("```\nhttps://a.com\n```", Flavour::Markdown),
            Vec::<String>::new()
        );
    }

    #[test]
    fn markdown_unordered_lists() {
        assert_eq!(
            md("- a\n- **b**\n+ c\n* d"),
            "<ul><li>a</li><li><strong>b</strong></li><li>c</li><li>d</li></ul>"
        );
        assert_eq!(
            md("待办：\n- 买菜\n- 做饭"),
            "<p>待办：</p><ul><li>买菜</li><li>做饭</li></ul>"
        );
        assert_eq!(md("- a\n\n- b"), "<ul><li>a</li><li>b</li></ul>");
        assert_eq!(
            md("- a\n  continued\nafter"),
            "<ul><li>a<br>continued</li></ul><p>after</p>"
        );
        assert_eq!(
            md("- a\n  - nested\n- b"),
            "<ul><li>a</li><li>nested</li><li>b</li></ul>"
        );
        assert_eq!(md("-not a list\n-"), "<p>-not a list<br>-</p>");
        assert_eq!(md("*强调*"), "<p><em>强调</em></p>");
    }

    #[test]
    fn markdown_ordered_lists() {
        assert_eq!(
            md("1. 第一\n2. 第二"),
            "<ol><li>第一</li><li>第二</li></ol>"
        );
        assert_eq!(md("1) a\n10) b"), "<ol><li>a</li><li>b</li></ol>");
        assert_eq!(md("我有\n2. 个苹果"), "<p>我有<br>2. 个苹果</p>");
        assert_eq!(md("我有\n1. 苹果"), "<p>我有</p><ol><li>苹果</li></ol>");
        assert_eq!(md("- a\n1. b"), "<ul><li>a</li></ul><ol><li>b</li></ol>");
        assert_eq!(md("2019. 年"), "<ol><li>年</li></ol>");
        assert_eq!(md("1234567890. x"), "<p>1234567890. x</p>");
    }

    #[test]
    fn markdown_block_quotes() {
        assert_eq!(
            md("> 引用 **粗**\n> 第二行\n\n正文"),
            "<blockquote><p>引用 <strong>粗</strong><br>第二行</p></blockquote><p>正文</p>"
        );
        assert_eq!(
            md("> > deep"),
            "<blockquote><blockquote><p>deep</p></blockquote></blockquote>"
        );
        assert_eq!(
            md("> - a\n> - [b](https://b.com)"),
            format!(
                "<blockquote><ul><li>a</li><li>{}</li></ul></blockquote>",
                a("https://b.com", "b")
            )
        );
        assert_eq!(md(">a\n>\n>b"), "<blockquote><p>a</p><p>b</p></blockquote>");
        assert_eq!(md("a\n> b"), "<p>a</p><blockquote><p>b</p></blockquote>");
        let deep = md(&">".repeat(100));
        assert_eq!(deep.matches("<blockquote>").count(), MAX_QUOTE_DEPTH);
        assert!(deep.contains("&gt;"));
    }

    #[test]
    fn markdown_inlines_nest_inside_blocks() {
        assert_eq!(
            md("> - **粗** [链接](https://a.com) `code` *斜*"),
            format!(
                "<blockquote><ul><li><strong>粗</strong> {} <code>code</code> <em>斜</em></li></ul></blockquote>",
                a("https://a.com", "链接")
            )
        );
        assert_eq!(
            md("1. [**a**](https://a.com)\n2. _b_ @{alice}"),
            format!(
                r#"<ol><li>{}</li><li><em>b</em> <span class="mention" data-userid="alice">@Alice</span></li></ol>"#,
                a("https://a.com", "<strong>a</strong>")
            )
        );
        assert_eq!(
            md("# **a** `b`\n段落 *c*"),
            "<p><strong><strong>a</strong> <code>b</code></strong></p><p>段落 <em>c</em></p>"
        );
        assert_eq!(
            md("*[a*](https://a.com)"),
            format!("<p>*{}</p>", a("https://a.com", "a*"))
        );
    }

    #[test]
    fn markdown_raw_html_is_escaped() {
        assert_eq!(
            md("<b>bold</b> <script>alert(1)</script>"),
            "<p>&lt;b&gt;bold&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;</p>"
        );
        assert_eq!(
            md(r#"<font color="info">x</font>"#),
            "<p>&lt;font color=&quot;info&quot;&gt;x&lt;/font&gt;</p>"
        );
        assert_eq!(md("a < b > c & d"), "<p>a &lt; b &gt; c &amp; d</p>");
    }

    // -----------------------------------------------------------------------
    // Markdown inlines
    // -----------------------------------------------------------------------

    #[test]
    fn markdown_emphasis() {
        assert_eq!(
            md("**粗体** 和 *斜体* 和 __b__ 和 _i_"),
            "<p><strong>粗体</strong> 和 <em>斜体</em> 和 <strong>b</strong> 和 <em>i</em></p>"
        );
        assert_eq!(md("***both***"), "<p><em><strong>both</strong></em></p>");
        assert_eq!(
            md("**bold *and italic***"),
            "<p><strong>bold <em>and italic</em></strong></p>"
        );
        assert_eq!(md("*a **b** c*"), "<p><em>a <strong>b</strong> c</em></p>");
        assert_eq!(md("foo*bar*baz"), "<p>foo<em>bar</em>baz</p>");
        assert_eq!(md("a\n**b\nc**"), "<p>a<br><strong>b<br>c</strong></p>");
    }

    #[test]
    fn markdown_emphasis_with_cjk() {
        assert_eq!(
            md("这是**重点**内容"),
            "<p>这是<strong>重点</strong>内容</p>"
        );
        assert_eq!(
            md("这是**“重点”**内容"),
            "<p>这是<strong>“重点”</strong>内容</p>"
        );
        assert_eq!(md("中文_斜体_中文"), "<p>中文<em>斜体</em>中文</p>");
        assert_eq!(
            md("**注意：**请查收"),
            "<p><strong>注意：</strong>请查收</p>"
        );
    }

    #[test]
    fn markdown_unmatched_delimiters_stay_literal() {
        assert_eq!(md("2 * 3 = 6"), "<p>2 * 3 = 6</p>");
        assert_eq!(md("*a"), "<p>*a</p>");
        assert_eq!(md("a*"), "<p>a*</p>");
        assert_eq!(md("**a*"), "<p>*<em>a</em></p>");
        assert_eq!(md("*a**"), "<p><em>a</em>*</p>");
        assert_eq!(md("snake_case_name"), "<p>snake_case_name</p>");
        assert_eq!(md("__init__.py"), "<p><strong>init</strong>.py</p>");
        assert_eq!(md("* * *"), "<ul><li>* *</li></ul>");
        assert_eq!(md("***"), "<p>***</p>");
    }

    #[test]
    fn markdown_code_spans() {
        assert_eq!(
            md("`<b>` and `` a`b ``"),
            "<p><code>&lt;b&gt;</code> and <code>a`b</code></p>"
        );
        assert_eq!(
            md("`**x** [a](https://a.com) @{alice}`"),
            "<p><code>**x** [a](https://a.com) @{alice}</code></p>"
        );
        assert_eq!(md("`unclosed"), "<p>`unclosed</p>");
        assert_eq!(md("``a`"), "<p>``a`</p>");
        assert_eq!(md("*`*`*"), "<p><em><code>*</code></em></p>");
        assert_eq!(md("`a\nb`"), "<p><code>a b</code></p>");
        assert_eq!(md("\\`not code`"), "<p>`not code`</p>");
    }

    #[test]
    fn markdown_links() {
        assert_eq!(
            md("[示例](https://example.com/a_b) 和 [邮件](mailto:a@example.com)"),
            format!(
                "<p>{} 和 {}</p>",
                a("https://example.com/a_b", "示例"),
                a("mailto:a@example.com", "邮件")
            )
        );
        assert_eq!(
            md(r#"[x](https://a.com "title") [y](https://b.com 'title') [z](https://c.com (t))"#),
            format!(
                "<p>{} {} {}</p>",
                a("https://a.com", "x"),
                a("https://b.com", "y"),
                a("https://c.com", "z")
            )
        );
        assert_eq!(
            md("[**粗** `c` _i_](https://a.com/?q=1&r=2)"),
            format!(
                "<p>{}</p>",
                a(
                    "https://a.com/?q=1&amp;r=2",
                    "<strong>粗</strong> <code>c</code> <em>i</em>"
                )
            )
        );
        assert_eq!(
            md("**[x](https://a.com)**"),
            format!("<p><strong>{}</strong></p>", a("https://a.com", "x"))
        );
        assert_eq!(
            md("[wiki](https://en.wikipedia.org/wiki/Rust_(language))"),
            format!(
                "<p>{}</p>",
                a("https://en.wikipedia.org/wiki/Rust_(language)", "wiki")
            )
        );
        assert_eq!(
            md("[x](https://a.com/it's)"),
            format!("<p>{}</p>", a("https://a.com/it%27s", "x"))
        );
        // No `@{userid}` token can end up inside an attribute.
        assert_eq!(
            md("[x](https://a.com/@{alice})"),
            format!("<p>{}</p>", a("https://a.com/@%7Balice%7D", "x"))
        );
        assert_eq!(
            links("[x](https://a.com/@{alice})", Flavour::Markdown),
            vec!["https://a.com/@{alice}"]
        );
        assert_eq!(
            md("[@{alice}](https://a.com)"),
            format!(
                "<p>{}</p>",
                a(
                    "https://a.com",
                    r#"<span class="mention" data-userid="alice">@Alice</span>"#
                )
            )
        );
    }

    #[test]
    fn markdown_unsafe_links_render_text_only() {
        for dest in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "&#106;avascript:alert(1)",
            "javascript&#58;alert(1)",
            "data:text/html,x",
            "vbscript:msgbox(1)",
            "//evil.com",
            "/relative",
            "relative.html",
            "HTTPS://a.com",
            "Https://a.com",
            "https:///evil.com",
            "ftp://a.com",
            "java\u{0}script:x",
            "ht\u{1}tp://a.com",
            "https://a\u{200B}.com",
            "https://a.com/\"onclick=\"x",
            "https://a.com/`x`",
            "",
        ] {
            assert_eq!(
                md(&format!("[点我]({dest})")),
                "<p>点我</p>",
                "dest {dest:?}"
            );
        }
        // Not link syntax at all: stays literal text.
        assert_eq!(
            md("[x](java\tscript:alert(1))"),
            "<p>[x](java\tscript:alert(1))</p>"
        );
        assert_eq!(md("[x] (https://a.com)").matches("<a ").count(), 1);
    }

    #[test]
    fn markdown_images_become_links() {
        assert_eq!(
            md("![logo](https://a.com/x.png)"),
            format!("<p>{}</p>", a("https://a.com/x.png", "logo"))
        );
        assert_eq!(md("![x](javascript:alert(1))"), "<p>x</p>");
        assert_eq!(md("wow!"), "<p>wow!</p>");
    }

    #[test]
    fn markdown_links_do_not_nest() {
        assert_eq!(
            md("[a [b](https://b.com)](https://a.com)"),
            format!(
                "<p>[a {}]({})</p>",
                a("https://b.com", "b"),
                a("https://a.com", "https://a.com")
            )
        );
        assert_eq!(
            md("[https://shown.com](https://real.com)"),
            format!("<p>{}</p>", a("https://real.com", "https://shown.com"))
        );
        assert_eq!(md("[x]"), "<p>[x]</p>");
        assert_eq!(md("[x][y]"), "<p>[x][y]</p>");
        assert_eq!(md("[a]b](https://c.com)").matches("<a ").count(), 1);
    }

    #[test]
    fn markdown_bare_and_angle_urls() {
        assert_eq!(
            md("**https://a.com**"),
            format!(
                "<p><strong>{}</strong></p>",
                a("https://a.com", "https://a.com")
            )
        );
        assert_eq!(
            md("<https://a.com/x> <mailto:a@b.c>"),
            format!(
                "<p>{} {}</p>",
                a("https://a.com/x", "https://a.com/x"),
                a("mailto:a@b.c", "mailto:a@b.c")
            )
        );
        assert_eq!(
            md("<javascript:alert(1)>"),
            "<p>&lt;javascript:alert(1)&gt;</p>"
        );
        assert_eq!(
            md("https://a.com/*x*"),
            format!("<p>{}*</p>", a("https://a.com/*x", "https://a.com/*x"))
        );
    }

    #[test]
    fn markdown_backslash_escapes() {
        assert_eq!(md(r"\*not\* \[x\](y) \_z\_"), "<p>*not* [x](y) _z_</p>");
        assert_eq!(md(r"\@{alice} \a \\"), r"<p>@{alice} \a \</p>");
        assert_eq!(md("a\\\nb"), "<p>a<br>b</p>");
    }

    #[test]
    fn markdown_mentions() {
        assert_eq!(
            md("**@{alice}** @{nobody} @{all}"),
            r#"<p><strong><span class="mention" data-userid="alice">@Alice</span></strong> @{nobody} <span class="mention" data-userid="@all">@所有人</span></p>"#
        );
        assert_eq!(
            md("- @{zhangsan} 负责"),
            r#"<ul><li><span class="mention" data-userid="zhangsan">@张三</span> 负责</li></ul>"#
        );
        assert_eq!(md("@{a_b_c}"), "<p>@{a_b_c}</p>");
        assert_eq!(md("<@alice>"), "<p>&lt;@alice&gt;</p>");
    }

    // -----------------------------------------------------------------------
    // Robot markdown
    // -----------------------------------------------------------------------

    #[test]
    fn robot_font_colours() {
        assert_eq!(
            robot(
                r#"<font color="info">绿色</font> <font color="comment">灰</font> <font color="warning">橙</font>"#
            ),
            r#"<p><span class="md-info">绿色</span> <span class="md-comment">灰</span> <span class="md-warning">橙</span></p>"#
        );
        assert_eq!(
            robot(r#"<font color='info'>a</font><FONT COLOR=warning>b</Font >"#),
            r#"<p><span class="md-info">a</span><span class="md-warning">b</span></p>"#
        );
        assert_eq!(
            robot(r#"<font color="warning">**重要** [链接](https://a.com)</font>"#),
            format!(
                r#"<p><span class="md-warning"><strong>重要</strong> {}</span></p>"#,
                a("https://a.com", "链接")
            )
        );
        assert_eq!(
            robot(r#"**<font color="info">x</font>**"#),
            r#"<p><strong><span class="md-info">x</span></strong></p>"#
        );
    }

    #[test]
    fn robot_font_other_colours_and_attributes_show_inner_text() {
        assert_eq!(robot(r#"<font color="red">x</font>"#), "<p>x</p>");
        assert_eq!(robot(r#"<font>x</font>"#), "<p>x</p>");
        assert_eq!(robot(r#"<font color="INFO">x</font>"#), "<p>x</p>");
        assert_eq!(
            robot(r#"<font color="info" onmouseover="alert(1)">x</font>"#),
            "<p>x</p>"
        );
        assert_eq!(
            robot(r#"<font color="info" style="color:red">x</font>"#),
            "<p>x</p>"
        );
        assert_eq!(
            robot(r#"<font color="info"onclick="alert(1)">x</font>"#),
            "<p>x</p>"
        );
        assert_eq!(
            robot(r#"<font size="7"><font color="comment">x</font></font>"#),
            r#"<p><span class="md-comment">x</span></p>"#
        );
    }

    #[test]
    fn robot_unmatched_font_tags_stay_literal() {
        assert_eq!(
            robot(r#"<font color="info">x"#),
            "<p>&lt;font color=&quot;info&quot;&gt;x</p>"
        );
        assert_eq!(robot("x</font>"), "<p>x&lt;/font&gt;</p>");
        assert_eq!(
            robot(r#"<font color=info"x">y</font>"#),
            "<p>&lt;font color=info&quot;x&quot;&gt;y&lt;/font&gt;</p>"
        );
        assert_eq!(
            robot(r#"**a<font color="info">b**</font>"#),
            r#"<p>**a<span class="md-info">b**</span></p>"#
        );
    }

    #[test]
    fn robot_mentions() {
        assert_eq!(
            robot("<@alice> <@zhangsan> <@all> <@nobody> @{alice} @{@all}"),
            r#"<p><span class="mention" data-userid="alice">@Alice</span> <span class="mention" data-userid="zhangsan">@张三</span> <span class="mention" data-userid="@all">@所有人</span> &lt;@nobody&gt; <span class="mention" data-userid="alice">@Alice</span> <span class="mention" data-userid="@all">@所有人</span></p>"#
        );
        assert_eq!(robot("@{nobody}"), "<p>@{nobody}</p>");
        assert_eq!(
            robot("<@x\" onclick=\"alert(1)>"),
            "<p>&lt;@x&quot; onclick=&quot;alert(1)&gt;</p>"
        );
    }

    #[test]
    fn robot_other_tags_are_escaped() {
        assert_eq!(robot("<b>x</b>"), "<p>&lt;b&gt;x&lt;/b&gt;</p>");
        assert_eq!(
            robot("<fontx>y</fontx>"),
            "<p>&lt;fontx&gt;y&lt;/fontx&gt;</p>"
        );
    }

    #[test]
    fn robot_typical_message() {
        let source = "实时新增用户反馈<font color=\"warning\">132例</font>，请相关同事注意。\n> 类型:<font color=\"comment\">用户反馈</font>\n> 普通用户反馈:<font color=\"comment\">117例</font>\n\n[查看详情](https://work.weixin.qq.com/api/doc)";
        assert_eq!(
            robot(source),
            format!(
                "<p>实时新增用户反馈<span class=\"md-warning\">132例</span>，请相关同事注意。</p><blockquote><p>类型:<span class=\"md-comment\">用户反馈</span><br>普通用户反馈:<span class=\"md-comment\">117例</span></p></blockquote><p>{}</p>",
                a("https://work.weixin.qq.com/api/doc", "查看详情")
            )
        );
    }

    // -----------------------------------------------------------------------
    // plain_text and links
    // -----------------------------------------------------------------------

    #[test]
    fn plain_text_strips_markup() {
        let source = "# 标题\n**粗体** [链接](https://a.com) `code`\n- a\n- b\n\n> 引用\n\n@{alice} @{all} @{nobody}";
        assert_eq!(
            plain_text(source, Flavour::Markdown, &names, 200),
            "标题 粗体 链接 code a b 引用 @Alice @所有人 @{nobody}"
        );
        assert_eq!(
            plain_text(
                "<font color=\"info\">绿</font><font color=\"red\">红</font> <@zhangsan> <b>",
                Flavour::RobotMarkdown,
                &names,
                200
            ),
            "绿红 @张三 <b>"
        );
        assert_eq!(
            plain_text("a   \n\n  b\tc <i> @{alice}", Flavour::Text, &names, 200),
            "a b c <i> @Alice"
        );
        assert_eq!(
            plain_text("see https://a.com/x", Flavour::Text, &names, 200),
            "see https://a.com/x"
        );
        assert_eq!(
            plain_text(
                "```\nfn x()\n```\n[bad](javascript:x)",
                Flavour::Markdown,
                &names,
                200
            ),
            "fn x() bad"
        );
    }

    #[test]
    fn plain_text_truncates_on_char_boundaries() {
        assert_eq!(
            plain_text("你好世界abc", Flavour::Text, &names, 5),
            "你好世界…"
        );
        assert_eq!(
            plain_text("你好世界abc", Flavour::Text, &names, 7),
            "你好世界abc"
        );
        assert_eq!(
            plain_text("你好世界abc", Flavour::Text, &names, 100),
            "你好世界abc"
        );
        assert_eq!(plain_text("ab cd", Flavour::Text, &names, 4), "ab…");
        assert_eq!(plain_text("abc", Flavour::Text, &names, 1), "…");
        assert_eq!(plain_text("abc", Flavour::Text, &names, 0), "");
        assert_eq!(plain_text("", Flavour::Text, &names, 0), "");
        assert_eq!(plain_text("👍👍👍", Flavour::Markdown, &names, 2), "👍…");
        for n in 0..20 {
            let p = plain_text("**混合** mixed 文本 text 😀", Flavour::Markdown, &names, n);
            assert!(p.chars().count() <= n, "{p:?} longer than {n}");
        }
    }

    #[test]
    fn links_lists_emitted_hrefs() {
        let source = "[a](https://a.com) https://b.com <mailto:x@y.com> [bad](javascript:x) `https://code.com` [a2](https://a.com) [m](mailto:z@y.com)";
        assert_eq!(
            links(source, Flavour::Markdown),
            vec![
                "https://a.com",
                "https://b.com",
                "mailto:x@y.com",
                "mailto:z@y.com"
            ]
        );
        assert_eq!(
            links(
                "https://a.com and [x](mailto:a@b.c) http://c.com.",
                Flavour::Text
            ),
            vec!["https://a.com", "http://c.com"]
        );
        assert_eq!(
            links("[https://shown.com](https://real.com)", Flavour::Markdown),
            vec!["https://real.com"]
        );
        assert_eq!(
            links(
                "<font color=\"info\">https://r.com</font>\n> - [q](http://q.com)",
                Flavour::RobotMarkdown
            ),
            vec!["https://r.com", "http://q.com"]
        );
        assert_eq!(
            links("HTTPS://a.com //b.com", Flavour::Markdown),
            Vec::<String>::new()
        );
    }

    // -----------------------------------------------------------------------
    // Injection corpus, fuzzing and performance
    // -----------------------------------------------------------------------

    /// Undoes the corpus file's escapes: `\n`, `\t`, `\r`, `\0`, `\\` and
    /// `\u{HEX}`; any other backslash is kept literally.
    fn unescape(line: &str) -> String {
        let mut out = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.peek().copied() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('\\') => out.push('\\'),
                Some('u') => {
                    let rest: String = chars.clone().collect();
                    let hex = rest
                        .strip_prefix("u{")
                        .and_then(|r| r.split_once('}'))
                        .map(|(hex, _)| hex.to_string());
                    match hex.and_then(|h| u32::from_str_radix(&h, 16).ok().map(|v| (h, v))) {
                        Some((h, v)) => {
                            out.push(char::from_u32(v).unwrap());
                            for _ in 0..h.len() + 3 {
                                chars.next();
                            }
                            continue;
                        }
                        None => {
                            out.push('\\');
                            continue;
                        }
                    }
                }
                _ => {
                    out.push('\\');
                    continue;
                }
            }
            chars.next();
        }
        out
    }

    fn corpus() -> Vec<String> {
        include_str!("injection_corpus.txt")
            .lines()
            .filter(|l| !l.is_empty())
            .map(unescape)
            .collect()
    }

    #[test]
    fn corpus_unescape_works() {
        assert_eq!(
            unescape(r"a\nb\tc\\n\0\u{202E}\x\u{zz}"),
            "a\nb\tc\\n\0\u{202E}\\x\\u{zz}"
        );
    }

    #[test]
    fn injection_corpus_renders_inert() {
        let payloads = corpus();
        let distinct: HashSet<&String> = payloads.iter().collect();
        assert!(
            distinct.len() >= 120,
            "only {} distinct payloads",
            distinct.len()
        );
        assert_eq!(
            distinct.len(),
            payloads.len(),
            "duplicate payloads in corpus"
        );
        for payload in &payloads {
            for flavour in ALL_FLAVOURS {
                let html = render(payload, flavour, &names);
                assert_inert(payload, flavour, &html);
                let lower = html.to_ascii_lowercase();
                // Raw tag openers; attribute-like text is fine once escaped.
                for needle in [
                    "<script", "<img", "<svg", "<iframe", "<font", "<meta", "<style",
                ] {
                    assert!(
                        !lower.contains(needle),
                        "{needle} in {html:?} from {payload:?}"
                    );
                }
                for url in links(payload, flavour) {
                    assert!(
                        url.starts_with("http://")
                            || url.starts_with("https://")
                            || url.starts_with("mailto:"),
                        "bad link {url:?} from {payload:?}"
                    );
                    assert!(!url.chars().any(|c| c.is_whitespace() || c.is_control()));
                }
                let text = plain_text(payload, flavour, &names, 50);
                assert!(text.chars().count() <= 50);
            }
        }
    }

    /// xorshift64*: deterministic, dependency-free.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const FUZZ_ALPHABET: &[&str] = &[
        "*",
        "_",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "`",
        "#",
        "-",
        "@",
        "{",
        "}",
        ":",
        "/",
        "\"",
        "'",
        "&",
        ";",
        "!",
        "\\",
        "+",
        "1.",
        " ",
        " ",
        "\t",
        "\n",
        "\n\n",
        "\r",
        "a",
        "b",
        "x",
        "中",
        "文",
        "，",
        "“",
        "”",
        "\u{202E}",
        "\0",
        "h",
        "http://",
        "https://a.com",
        "mailto:",
        "javascript:",
        "<font color=\"info\">",
        "</font>",
        "<@alice>",
        "@{all}",
        "@{alice}",
        "```",
        "> ",
        "- ",
        "1. ",
        "](",
        "![",
        "&#",
        "on",
        "=",
        "script",
    ];

    #[test]
    fn random_markup_renders_inert_without_panicking() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..5_000 {
            let len = rng.below(60);
            let mut source = String::new();
            for _ in 0..len {
                source.push_str(FUZZ_ALPHABET[rng.below(FUZZ_ALPHABET.len())]);
            }
            for flavour in ALL_FLAVOURS {
                let html = render(&source, flavour, &names);
                assert_inert(&source, flavour, &html);
                for url in links(&source, flavour) {
                    assert!(
                        url.starts_with("http://")
                            || url.starts_with("https://")
                            || url.starts_with("mailto:"),
                        "bad link {url:?} from {source:?}"
                    );
                }
                let max = rng.below(40);
                let text = plain_text(&source, flavour, &names, max);
                assert!(text.chars().count() <= max);
            }
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(42);
        for _ in 0..2_000 {
            let len = rng.below(80);
            let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xFF) as u8).collect();
            let source = String::from_utf8_lossy(&bytes);
            for flavour in ALL_FLAVOURS {
                assert_inert(&source, flavour, &render(&source, flavour, &names));
                let _ = plain_text(&source, flavour, &names, 10);
                let _ = links(&source, flavour);
            }
        }
    }

    /// Best-of-three render time.
    fn render_time(source: &str, flavour: Flavour) -> Duration {
        (0..3)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(render(source, flavour, &names));
                start.elapsed()
            })
            .min()
            .unwrap()
    }

    /// 100 KB of the same markup-significant pattern renders in well under
    /// 100 ms even in an unoptimised test build (release: about 1 ms), i.e.
    /// nothing backtracks or rescans quadratically. When the machine is too
    /// busy for absolute timings to mean anything, the test falls back to
    /// comparing with 100 KB of ordinary, construct-dense chat markdown: a
    /// quadratic path would be hundreds of times slower, not a few.
    #[test]
    fn pathological_inputs_render_fast() {
        const SIZE: usize = 100 * 1024;
        const ORDINARY: &str =
            "**粗体** [链接](https://a.com/x) `code` _斜体_ @{alice} 文字 text\n";
        let budget = Duration::from_millis(100);
        let ordinary = ORDINARY.repeat(SIZE / ORDINARY.len() + 1);
        let patterns = [
            "*",
            "[",
            "<",
            "_",
            "]",
            "`",
            ">",
            "(",
            "**a",
            "*a_",
            "_a*",
            "[](",
            "[a](",
            "![",
            "](",
            "`a",
            "``a`",
            "<a",
            "<font ",
            "<font color=\"info\">",
            "</font>",
            "<@",
            "@{",
            "@{a",
            "http://",
            "https://a.com/(",
            "- ",
            "1. ",
            "> ",
            "# ",
            "\n",
            "\n\n",
            "*a*",
            "a_b_",
            "[*",
            "[`",
            "<font>[",
            "中*“",
            "\\",
            "&",
            "```\n",
            "<https://a",
            "[x](https://a ",
        ];
        for pattern in patterns {
            let source = pattern.repeat(SIZE / pattern.len() + 1);
            for flavour in ALL_FLAVOURS {
                let elapsed = render_time(&source, flavour);
                let yardstick = if elapsed < budget {
                    Duration::ZERO
                } else {
                    render_time(&ordinary, flavour)
                };
                if std::env::var_os("MD_TIMING").is_some() {
                    eprintln!("{elapsed:>12?} {pattern:?} {flavour:?} (ordinary {yardstick:?})");
                }
                assert!(
                    elapsed < budget || elapsed < yardstick * 4,
                    "{pattern:?} x {} in {flavour:?} took {elapsed:?} (ordinary: {yardstick:?})",
                    SIZE / pattern.len() + 1
                );
            }
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let mut source = String::new();
        for _ in 0..10_000 {
            source.push_str("<font color=\"info\">**[![");
        }
        for _ in 0..10_000 {
            source.push_str("](https://a.com)**</font>");
        }
        source.push_str(&"> ".repeat(10_000));
        source.push('\n');
        source.push_str(&"- ".repeat(10_000));
        for flavour in ALL_FLAVOURS {
            assert_inert("deep nesting", flavour, &render(&source, flavour, &names));
        }
    }
}
