//! Words: how text is cut into what the index stores and a query looks for, the same way for both.
use std::collections::HashSet;
use std::sync::OnceLock;

use jieba_rs::Jieba;

/// Longest word kept: longer runs (encoded data, hashes of hashes) are noise in an index.
const MAX_WORD_CHARS: usize = 64;

static JIEBA: OnceLock<Jieba> = OnceLock::new();

/// The segmenter with its default dictionary, built on first use (it takes a few hundred
/// milliseconds and tens of megabytes, so neither the command line nor a server that never sees
/// Chinese text pays for it).
fn jieba() -> &'static Jieba {
    JIEBA.get_or_init(Jieba::new)
}

/// Builds the segmenter off the async workers when `text` will need it.
pub(super) async fn prepare(text_has_han: bool) {
    if text_has_han && JIEBA.get().is_none() {
        let _ = tokio::task::spawn_blocking(|| {
            jieba();
        })
        .await;
    }
}

/// Chinese characters: the unified ideographs with their extensions, and the compatibility block.
pub(super) fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2EBEF}'
        | '\u{30000}'..='\u{323AF}')
}

/// Letters and digits of other scripts, which make words between spaces and punctuation.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_han(c)
}

/// Full-width ASCII as ASCII, then lower case; always one character for one, so a position in the
/// folded text is the same position in the original.
pub(super) fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Han,
    Word,
    Other,
}

fn class(c: char) -> Class {
    if is_han(c) {
        Class::Han
    } else if is_word_char(c) {
        Class::Word
    } else {
        Class::Other
    }
}

/// The runs of `text`, folded: Chinese characters, letters and digits of other scripts, each run
/// with its class (what lies between runs separates words).
fn runs(text: &str) -> Vec<(Class, String)> {
    let folded: Vec<char> = text.chars().map(fold).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < folded.len() {
        let kind = class(folded[i]);
        let mut j = i + 1;
        while j < folded.len() && class(folded[j]) == kind {
            j += 1;
        }
        if kind != Class::Other {
            out.push((kind, folded[i..j].iter().collect()));
        }
        i = j;
    }
    out
}

/// Every pair of adjacent characters of a Chinese run (下周三 gives 下周, 周三).
fn bigrams(run: &str) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = run.chars().collect();
    (1..chars.len()).map(move |i| chars[i - 1..=i].iter().collect())
}

/// The words of `text` as the index stores them, in order of first appearance and without repeats.
/// A run of Chinese characters gives jieba's words in search mode (each word of the sentence and
/// the shorter dictionary words inside it: 项目评审会 gives 项目, 评审, 评审会) and every pair of
/// adjacent characters, so that a query finds any part of two characters or more even where jieba
/// cuts across it (下周三 is cut 下 | 周三, yet 下周 finds it; docs/adr/0006-message-search.md).
/// HMM guessing of unknown words is off: it depends on the neighbouring characters. A run of
/// letters and digits of any other script is one word, lower-cased (full-width letters count as
/// ASCII). Everything else separates words.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut keep = |w: &str| {
        if !w.is_empty() && w.chars().count() <= MAX_WORD_CHARS && seen.insert(w.to_owned()) {
            out.push(w.to_owned());
        }
    };
    for (kind, run) in runs(text) {
        match kind {
            Class::Han => {
                for t in jieba().cut_for_search(&run, false) {
                    keep(t.word);
                }
                for b in bigrams(&run) {
                    keep(&b);
                }
            }
            _ => keep(&run),
        }
    }
    out
}

/// A query's words, each of which must be among a message's words; prefix words also match longer
/// words. A Chinese run of the query becomes its pairs of adjacent characters (all of which the
/// index holds for any text containing the run), a single Chinese character a prefix (it matches
/// the pairs and words it starts); the last word of another script is a prefix (typing "rep" finds
/// "report").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub words: Vec<String>,
    pub(super) prefix: Vec<bool>,
}

impl Terms {
    pub fn parse(q: &str) -> Terms {
        let mut words: Vec<String> = Vec::new();
        let mut prefix: Vec<bool> = Vec::new();
        let mut push = |w: String, p: bool| {
            if w.chars().count() <= MAX_WORD_CHARS && !words.contains(&w) {
                words.push(w);
                prefix.push(p);
            }
        };
        let runs = runs(q);
        let last = runs.len().saturating_sub(1);
        for (k, (kind, run)) in runs.into_iter().enumerate() {
            match kind {
                Class::Han if run.chars().count() == 1 => push(run, true),
                Class::Han => bigrams(&run).for_each(|b| push(b, false)),
                _ => push(run, k == last),
            }
        }
        Terms { words, prefix }
    }

    pub(super) fn is_prefix(&self, k: usize) -> bool {
        self.prefix.get(k).copied().unwrap_or(false)
    }

    /// FTS5 query: every word (an implicit AND), each quoted.
    pub(super) fn fts5(&self) -> String {
        self.words
            .iter()
            .enumerate()
            .map(|(k, w)| {
                if self.is_prefix(k) {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `to_tsquery` text: every word, each quoted.
    pub(super) fn tsquery(&self) -> String {
        self.words
            .iter()
            .enumerate()
            .map(|(k, w)| {
                if self.is_prefix(k) {
                    format!("'{w}':*")
                } else {
                    format!("'{w}'")
                }
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(words: &[String], w: &str) -> bool {
        words.iter().any(|x| x == w)
    }

    #[test]
    fn chinese_is_cut_into_words_and_their_parts() {
        let w = words("明天下午开项目评审会");
        for expected in ["明天", "下午", "项目", "评审"] {
            assert!(has(&w, expected), "{expected} in {w:?}");
        }
        // Every word of a query for a part, or for the whole, is among the message's words.
        for q in [
            "评审",
            "项目",
            "项目评审",
            "评审会",
            "项目评审会",
            "明天下午",
        ] {
            let qw = words(q);
            assert!(!qw.is_empty());
            for x in &qw {
                assert!(has(&w, x), "query {q}: {x} not in {w:?}");
            }
        }
    }

    #[test]
    fn other_scripts_are_lower_cased_words() {
        assert_eq!(
            words("Quarterly REPORT, report_v2.PDF"),
            vec!["quarterly", "report", "v2", "pdf"]
        );
        // Full-width letters and digits are the ASCII ones.
        assert_eq!(words("ＡＢＣ１２３"), vec!["abc123"]);
        assert_eq!(words("Café Ünïcode"), vec!["café", "ünïcode"]);
        assert!(words("  ,.!?@#  ").is_empty());
        // Too long to be a word anyone types.
        assert!(words(&"x".repeat(65)).is_empty());
    }

    #[test]
    fn mixed_text_keeps_both() {
        let w = words("下周三发布v2.1版本，见https://example.com/Release");
        for expected in [
            "周三", "发布", "v2", "1", "版本", "见", "https", "example", "com", "release",
        ] {
            assert!(has(&w, expected), "{expected} in {w:?}");
        }
        assert_eq!(
            words("评审 评审 review Review"),
            vec!["评审", "review"],
            "no repeats"
        );
    }

    #[test]
    fn queries_mark_the_last_latin_word_as_a_prefix() {
        let t = Terms::parse("项目 Rep");
        assert_eq!(t.words, vec!["项目", "rep"]);
        assert!(t.is_prefix(1));
        assert_eq!(t.fts5(), "\"项目\" \"rep\"*");
        assert_eq!(t.tsquery(), "'项目' & 'rep':*");
        let t = Terms::parse("report 评审");
        assert!(!t.is_prefix(0) && !t.is_prefix(1));
        assert_eq!(t.tsquery(), "'report' & '评审'");
        assert!(Terms::parse("…").words.is_empty());
    }

    #[test]
    fn any_part_of_two_chinese_characters_is_found() {
        for (message, query) in [
            ("下周三开会", "下周"),
            ("下午开会吧", "开会"),
            ("王小明请假", "小明"),
            ("明天下午开项目评审会", "下午开项目"),
        ] {
            let w = words(message);
            let t = Terms::parse(query);
            assert!(!t.words.is_empty());
            for x in &t.words {
                assert!(has(&w, x), "query {query}: {x} not in {w:?}");
            }
        }
        let t = Terms::parse("会");
        assert_eq!(t.fts5(), "\"会\"*");
        assert_eq!(Terms::parse("下周三").words, vec!["下周", "周三"]);
    }
}
