//! The plain-text form of a flow, defined in `docs/approvals.md` ("Flows as text"): one node per
//! line, its people and time limit on the lines under it, nesting by indentation, so that a flow can
//! be exported, diffed, reviewed and imported. `from_text(&to_text(f)) == f` for every flow.
use std::fmt;

use super::{
    ApprovalMode, ApproverNode, ApproverSource, Branch, BranchNode, CcNode, Condition, Consecutive,
    Flow, FlowRules, LimitAction, Node, SelfApproval, TimeLimit, WhenEmpty,
};

/// Why a text is not a flow: the line (1-based) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for TextError {}

/// The flow as text, in its canonical layout (every setting written out).
pub fn to_text(flow: &Flow) -> String {
    let mut w = Writer { out: String::new() };
    w.line(
        0,
        &[
            "rules".into(),
            format!(
                "applicant={}",
                self_approval(flow.rules.applicant_is_approver)
            ),
            format!(
                "consecutive={}",
                consecutive(flow.rules.consecutive_approver)
            ),
        ],
    );
    w.nodes(&flow.nodes, 0);
    w.out
}

/// The flow a text describes.
pub fn from_text(text: &str) -> Result<Flow, TextError> {
    let lines = lex(text)?;
    let mut pos = 0;
    let mut flow = Flow::default();
    let mut rules_at = None;
    while let Some(line) = lines.get(pos) {
        if line.depth != 0 {
            return Err(line.error("this line is indented, but nothing above it takes it"));
        }
        if line.keyword()? == "rules" {
            if let Some(first) = rules_at {
                return Err(line.error(&format!("the rules were already given on line {first}")));
            }
            rules_at = Some(line.no);
            flow.rules = rules(line)?;
            pos += 1;
            no_children(&lines, pos, 0, "rules")?;
        } else {
            flow.nodes.push(node(&lines, &mut pos, 0)?);
        }
    }
    Ok(flow)
}

// ---- Writing ----

struct Writer {
    out: String,
}

impl Writer {
    fn line(&mut self, depth: usize, parts: &[String]) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(&parts.join(" "));
        self.out.push('\n');
    }

    fn nodes(&mut self, nodes: &[Node], depth: usize) {
        for node in nodes {
            match node {
                Node::Approver(n) => {
                    self.line(
                        depth,
                        &[
                            "approver".into(),
                            word(&n.id),
                            quote(&n.name),
                            mode(n.mode).into(),
                            format!("empty={}", when_empty(n.when_empty)),
                        ],
                    );
                    self.sources(&n.approvers, depth + 1);
                    if let Some(limit) = &n.time_limit {
                        let mut parts = vec!["limit".to_owned(), format!("{}h", limit.hours)];
                        if !limit.remind_at.is_empty() {
                            parts.push("remind".into());
                            let shares: Vec<String> =
                                limit.remind_at.iter().map(u8::to_string).collect();
                            parts.push(shares.join(","));
                        }
                        if limit.action != LimitAction::None {
                            parts.push("then".into());
                            parts.push(action(limit.action).into());
                        }
                        self.line(depth + 1, &parts);
                    }
                }
                Node::Cc(n) => {
                    self.line(depth, &["cc".into(), word(&n.id), quote(&n.name)]);
                    self.sources(&n.recipients, depth + 1);
                }
                Node::Branch(b) => {
                    self.line(depth, &["branch".into(), word(&b.id)]);
                    for branch in &b.branches {
                        let mut parts = Vec::new();
                        if branch.conditions.is_empty() {
                            parts.push("otherwise".into());
                            parts.push(quote(&branch.name));
                        } else {
                            parts.push("when".into());
                            parts.push(quote(&branch.name));
                            for (i, c) in branch.conditions.iter().enumerate() {
                                if i > 0 {
                                    parts.push("and".into());
                                }
                                condition(c, &mut parts);
                            }
                        }
                        self.line(depth + 1, &parts);
                        self.nodes(&branch.nodes, depth + 2);
                    }
                }
            }
        }
    }

    fn sources(&mut self, sources: &[ApproverSource], depth: usize) {
        for s in sources {
            let parts: Vec<String> = match s {
                ApproverSource::Members { userids } => std::iter::once("members".to_owned())
                    .chain(userids.iter().map(|u| word(u)))
                    .collect(),
                ApproverSource::Leader { level } => vec!["leader".into(), level.to_string()],
                ApproverSource::DepartmentHead { department_id } => {
                    std::iter::once("head".to_owned())
                        .chain(department_id.map(|d| d.to_string()))
                        .collect()
                }
                ApproverSource::Tag { tag_id } => vec!["tag".into(), tag_id.to_string()],
                ApproverSource::Admins { permission } => std::iter::once("admins".to_owned())
                    .chain(permission.as_deref().map(word))
                    .collect(),
                ApproverSource::Chosen { multiple } => std::iter::once("chosen".to_owned())
                    .chain(multiple.then(|| "multiple".to_owned()))
                    .collect(),
                ApproverSource::Applicant => vec!["applicant".into()],
            };
            self.line(depth, &parts);
        }
    }
}

fn condition(c: &Condition, parts: &mut Vec<String>) {
    match c {
        Condition::Range {
            field,
            min,
            min_exclusive,
            max,
            max_exclusive,
        } => {
            parts.push("range".into());
            parts.push(word(field));
            let op = |exclusive: bool, strict: &str, loose: &str| {
                if exclusive { strict } else { loose }.to_owned()
            };
            match min {
                Some(m) => {
                    parts.push(op(*min_exclusive, ">", ">="));
                    parts.push(number(*m));
                }
                // "> -inf": no lower bound, kept exclusive.
                None if *min_exclusive => {
                    parts.push(">".into());
                    parts.push("-inf".into());
                }
                None => {}
            }
            match max {
                Some(m) => {
                    parts.push(op(*max_exclusive, "<", "<="));
                    parts.push(number(*m));
                }
                None if *max_exclusive => {
                    parts.push("<".into());
                    parts.push("inf".into());
                }
                None => {}
            }
        }
        Condition::Choice { field, keys } => {
            parts.push("choice".into());
            parts.push(word(field));
            parts.extend(keys.iter().map(|k| word(k)));
        }
        Condition::Member { field, userids } => {
            parts.push("member".into());
            parts.push(word(field));
            parts.extend(userids.iter().map(|u| word(u)));
        }
        Condition::Department {
            field,
            department_ids,
        } => {
            parts.push("department".into());
            parts.push(word(field));
            parts.extend(department_ids.iter().map(i64::to_string));
        }
        Condition::ApplicantDepartment { department_ids } => {
            parts.push("applicant_department".into());
            parts.extend(department_ids.iter().map(i64::to_string));
        }
        Condition::ApplicantTag { tag_ids } => {
            parts.push("applicant_tag".into());
            parts.extend(tag_ids.iter().map(i64::to_string));
        }
        Condition::Applicant { userids } => {
            parts.push("applicant".into());
            parts.extend(userids.iter().map(|u| word(u)));
        }
    }
}

/// A number as it reads back exactly: whole numbers without a fraction, others in Rust's shortest
/// round-trip form (an exponent for very large or small ones).
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x}")
    } else {
        format!("{x:?}")
    }
}

/// A word as it is, or quoted when it would not read back as one word.
fn word(s: &str) -> String {
    let plain = !s.is_empty()
        && s != "and"
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\' | '#'));
    if plain { s.to_owned() } else { quote(s) }
}

/// A quoted text: `"` and `\` escaped, line breaks and tabs as `\n`, `\r`, `\t`, other control
/// characters as `\u{…}`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn mode(m: ApprovalMode) -> &'static str {
    match m {
        ApprovalMode::Sequential => "sequential",
        ApprovalMode::All => "all",
        ApprovalMode::Any => "any",
    }
}

fn when_empty(w: WhenEmpty) -> &'static str {
    match w {
        WhenEmpty::Skip => "skip",
        WhenEmpty::Admins => "admins",
        WhenEmpty::Refuse => "refuse",
    }
}

fn action(a: LimitAction) -> &'static str {
    match a {
        LimitAction::None => "none",
        LimitAction::Approve => "approve",
        LimitAction::Reject => "reject",
        LimitAction::Escalate => "escalate",
    }
}

fn self_approval(s: SelfApproval) -> &'static str {
    match s {
        SelfApproval::Skip => "skip",
        SelfApproval::Approve => "approve",
    }
}

fn consecutive(c: Consecutive) -> &'static str {
    match c {
        Consecutive::ApproveOnce => "approve_once",
        Consecutive::Each => "each",
    }
}

// ---- Reading ----

/// One word of a line; `quoted` ones are never keywords.
#[derive(Debug)]
struct Tok {
    text: String,
    quoted: bool,
}

/// A line with something on it.
#[derive(Debug)]
struct Line {
    no: usize,
    depth: usize,
    toks: Vec<Tok>,
}

impl Line {
    fn error(&self, message: &str) -> TextError {
        TextError {
            line: self.no,
            message: message.to_owned(),
        }
    }
    fn keyword(&self) -> Result<&str, TextError> {
        match self.toks.first() {
            Some(t) if !t.quoted => Ok(&t.text),
            _ => Err(self.error("a line starts with a keyword, not with quoted text")),
        }
    }
    fn args(&self) -> Args<'_> {
        Args { line: self, i: 1 }
    }
}

/// The words after a line's keyword.
struct Args<'a> {
    line: &'a Line,
    i: usize,
}

impl<'a> Args<'a> {
    fn word(&mut self) -> Option<&'a Tok> {
        let t = self.line.toks.get(self.i);
        self.i += 1;
        t
    }
    fn expect(&mut self, what: &str) -> Result<&'a Tok, TextError> {
        self.word()
            .ok_or_else(|| self.line.error(&format!("{what} is missing")))
    }
    fn rest(&mut self) -> &'a [Tok] {
        let rest = self.line.toks.get(self.i..).unwrap_or(&[]);
        self.i = self.line.toks.len();
        rest
    }
    fn end(&self) -> Result<(), TextError> {
        match self.line.toks.get(self.i) {
            None => Ok(()),
            Some(t) => Err(self
                .line
                .error(&format!("unexpected \"{}\" at the end of the line", t.text))),
        }
    }
}

fn lex(text: &str) -> Result<Vec<Line>, TextError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let no = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let rest = raw.trim_start_matches(' ');
        let spaces = raw.len() - rest.len();
        let toks = words(rest, no)?;
        if toks.is_empty() {
            continue;
        }
        let error = |message: &str| TextError {
            line: no,
            message: message.to_owned(),
        };
        if rest.starts_with(char::is_whitespace) {
            return Err(error("indent with spaces only, two for each level"));
        }
        if spaces % 2 != 0 {
            return Err(error("indentation is two spaces for each level"));
        }
        lines.push(Line {
            no,
            depth: spaces / 2,
            toks,
        });
    }
    Ok(lines)
}

/// The words of a line: separated by white space, `"…"` quoted (with `\"`, `\\`, `\n`, `\r`, `\t`,
/// `\u{…}`), a `#` where a word starts begins a comment.
fn words(s: &str, no: usize) -> Result<Vec<Tok>, TextError> {
    let error = |message: &str| TextError {
        line: no,
        message: message.to_owned(),
    };
    let mut toks = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.peek() {
            None | Some('#') => break,
            Some('"') => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err(error("a quoted text is not closed")),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('"') => text.push('"'),
                            Some('\\') => text.push('\\'),
                            Some('n') => text.push('\n'),
                            Some('r') => text.push('\r'),
                            Some('t') => text.push('\t'),
                            Some('u') => {
                                if chars.next() != Some('{') {
                                    return Err(error("write \\u{…} with the code in braces"));
                                }
                                let mut hex = String::new();
                                loop {
                                    match chars.next() {
                                        Some('}') => break,
                                        Some(c) if c.is_ascii_hexdigit() && hex.len() < 6 => {
                                            hex.push(c)
                                        }
                                        _ => return Err(error("\\u{…} takes 1 to 6 hex digits")),
                                    }
                                }
                                let c = u32::from_str_radix(&hex, 16)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .ok_or_else(|| error("\\u{…} is not a character"))?;
                                text.push(c);
                            }
                            Some(c) => return Err(error(&format!("unknown escape \\{c}"))),
                            None => return Err(error("a quoted text is not closed")),
                        },
                        Some(c) => text.push(c),
                    }
                }
                if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                    return Err(error("put a space after a closing quote"));
                }
                toks.push(Tok { text, quoted: true });
            }
            Some(_) => {
                let mut text = String::new();
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    if c == '"' {
                        return Err(error("a quote inside a word: quote the whole text"));
                    }
                    text.push(c);
                }
                toks.push(Tok {
                    text,
                    quoted: false,
                });
            }
        }
    }
    Ok(toks)
}

/// Refuses lines indented under one that takes none.
fn no_children(lines: &[Line], pos: usize, depth: usize, what: &str) -> Result<(), TextError> {
    match lines.get(pos) {
        Some(next) if next.depth > depth => {
            Err(next.error(&format!("nothing goes under a {what} line")))
        }
        _ => Ok(()),
    }
}

/// The next line's depth, when it is deeper than `depth`; an error when it skips a level.
fn child(lines: &[Line], pos: usize, depth: usize) -> Result<Option<&Line>, TextError> {
    match lines.get(pos) {
        Some(line) if line.depth == depth + 1 => Ok(Some(line)),
        Some(line) if line.depth > depth + 1 => {
            Err(line.error("indented too far: one level is two spaces"))
        }
        _ => Ok(None),
    }
}

fn nodes(lines: &[Line], pos: &mut usize, depth: usize) -> Result<Vec<Node>, TextError> {
    let mut out = Vec::new();
    while let Some(line) = lines.get(*pos) {
        if line.depth < depth {
            break;
        }
        if line.depth > depth {
            return Err(line.error("indented too far: one level is two spaces"));
        }
        out.push(node(lines, pos, depth)?);
    }
    Ok(out)
}

fn node(lines: &[Line], pos: &mut usize, depth: usize) -> Result<Node, TextError> {
    let Some(line) = lines.get(*pos) else {
        return Err(TextError {
            line: lines.last().map_or(1, |l| l.no),
            message: "a node is missing".into(),
        });
    };
    *pos += 1;
    let mut args = line.args();
    match line.keyword()? {
        "approver" => {
            let id = args.expect("the node id")?.text.clone();
            let name = args.expect("the node name")?.text.clone();
            let mut n = ApproverNode {
                id,
                name,
                approvers: Vec::new(),
                mode: ApprovalMode::default(),
                when_empty: WhenEmpty::default(),
                time_limit: None,
            };
            let (mut mode_set, mut empty_set) = (false, false);
            for t in args.rest() {
                let word = bare(line, t)?;
                if let Some(m) = parse_mode(word) {
                    if mode_set {
                        return Err(line.error("the approval mode is given twice"));
                    }
                    (n.mode, mode_set) = (m, true);
                } else if let Some(v) = word.strip_prefix("empty=") {
                    if empty_set {
                        return Err(line.error("empty= is given twice"));
                    }
                    n.when_empty = match v {
                        "skip" => WhenEmpty::Skip,
                        "admins" => WhenEmpty::Admins,
                        "refuse" => WhenEmpty::Refuse,
                        _ => return Err(line.error("empty= is skip, admins or refuse")),
                    };
                    empty_set = true;
                } else {
                    return Err(line.error(&format!(
                        "unknown setting \"{word}\": an approver takes sequential, all or any, and empty=skip|admins|refuse"
                    )));
                }
            }
            while let Some(sub) = child(lines, *pos, depth)? {
                *pos += 1;
                if sub.keyword()? == "limit" {
                    if n.time_limit.is_some() {
                        return Err(sub.error("a node has one time limit"));
                    }
                    n.time_limit = Some(limit(sub)?);
                } else {
                    n.approvers.push(source(sub)?);
                }
                no_children(lines, *pos, depth + 1, sub.keyword()?)?;
            }
            Ok(Node::Approver(n))
        }
        "cc" => {
            let id = args.expect("the node id")?.text.clone();
            let name = args.expect("the node name")?.text.clone();
            args.end()?;
            let mut n = CcNode {
                id,
                name,
                recipients: Vec::new(),
            };
            while let Some(sub) = child(lines, *pos, depth)? {
                *pos += 1;
                if sub.keyword()? == "limit" {
                    return Err(sub.error("a CC node has no time limit"));
                }
                n.recipients.push(source(sub)?);
                no_children(lines, *pos, depth + 1, sub.keyword()?)?;
            }
            Ok(Node::Cc(n))
        }
        "branch" => {
            let id = args.expect("the node id")?.text.clone();
            args.end()?;
            let mut b = BranchNode {
                id,
                branches: Vec::new(),
            };
            while let Some(sub) = child(lines, *pos, depth)? {
                *pos += 1;
                let mut args = sub.args();
                let keyword = sub.keyword()?;
                if !matches!(keyword, "when" | "otherwise") {
                    return Err(sub.error(&format!(
                        "under a branch node come \"when\" and \"otherwise\" lines, not \"{keyword}\""
                    )));
                }
                let name = args.expect("the branch name")?.text.clone();
                let conditions = if keyword == "when" {
                    let conditions = parse_conditions(sub, args.rest())?;
                    if conditions.is_empty() {
                        return Err(sub.error(
                            "a when line needs conditions (a branch without them is \"otherwise\")",
                        ));
                    }
                    conditions
                } else {
                    args.end()?;
                    Vec::new()
                };
                let nodes = nodes(lines, pos, depth + 2)?;
                b.branches.push(Branch {
                    name,
                    conditions,
                    nodes,
                });
            }
            Ok(Node::Branch(b))
        }
        other => Err(line.error(&format!(
            "unknown node \"{other}\": a node is approver, cc or branch"
        ))),
    }
}

/// A word that must not be quoted (a setting).
fn bare<'a>(line: &Line, t: &'a Tok) -> Result<&'a str, TextError> {
    if t.quoted {
        Err(line.error(&format!("\"{}\" is a setting and is not quoted", t.text)))
    } else {
        Ok(&t.text)
    }
}

fn parse_mode(word: &str) -> Option<ApprovalMode> {
    match word {
        "sequential" => Some(ApprovalMode::Sequential),
        "all" => Some(ApprovalMode::All),
        "any" => Some(ApprovalMode::Any),
        _ => None,
    }
}

fn rules(line: &Line) -> Result<FlowRules, TextError> {
    let mut rules = FlowRules::default();
    let (mut applicant, mut consec) = (false, false);
    let mut args = line.args();
    for t in args.rest() {
        let word = bare(line, t)?;
        match word.split_once('=') {
            Some(("applicant", v)) if !applicant => {
                rules.applicant_is_approver = match v {
                    "skip" => SelfApproval::Skip,
                    "approve" => SelfApproval::Approve,
                    _ => return Err(line.error("applicant= is skip or approve")),
                };
                applicant = true;
            }
            Some(("consecutive", v)) if !consec => {
                rules.consecutive_approver = match v {
                    "approve_once" => Consecutive::ApproveOnce,
                    "each" => Consecutive::Each,
                    _ => return Err(line.error("consecutive= is approve_once or each")),
                };
                consec = true;
            }
            Some(("applicant" | "consecutive", _)) => {
                return Err(line.error(&format!("\"{word}\": the rule is given twice")));
            }
            _ => {
                return Err(line.error(&format!(
                    "unknown rule \"{word}\": the rules are applicant=skip|approve and consecutive=approve_once|each"
                )));
            }
        }
    }
    Ok(rules)
}

fn source(line: &Line) -> Result<ApproverSource, TextError> {
    let mut args = line.args();
    let s = match line.keyword()? {
        "members" => ApproverSource::Members {
            userids: args.rest().iter().map(|t| t.text.clone()).collect(),
        },
        "leader" => ApproverSource::Leader {
            level: match args.word() {
                Some(t) => t
                    .text
                    .parse()
                    .map_err(|_| line.error("a leader level is a whole number from 0 to 255"))?,
                None => 1,
            },
        },
        "head" => ApproverSource::DepartmentHead {
            department_id: args.word().map(|t| id(line, t)).transpose()?,
        },
        "tag" => ApproverSource::Tag {
            tag_id: id(line, args.expect("the tag id")?)?,
        },
        "admins" => ApproverSource::Admins {
            permission: args.word().map(|t| t.text.clone()),
        },
        "chosen" => ApproverSource::Chosen {
            multiple: match args.word() {
                None => false,
                Some(t) if !t.quoted && t.text == "multiple" => true,
                Some(_) => return Err(line.error("chosen takes only \"multiple\"")),
            },
        },
        "applicant" => ApproverSource::Applicant,
        other => {
            return Err(line.error(&format!(
                "unknown approver source \"{other}\": members, leader, head, tag, admins, chosen or applicant"
            )));
        }
    };
    args.end()?;
    Ok(s)
}

fn limit(line: &Line) -> Result<TimeLimit, TextError> {
    let mut args = line.args();
    let hours = args.expect("the hours")?;
    let hours = hours
        .text
        .strip_suffix('h')
        .unwrap_or(&hours.text)
        .parse::<u32>()
        .map_err(|_| line.error("a time limit is a whole number of hours, as in 24h"))?;
    let mut limit = TimeLimit {
        hours,
        remind_at: Vec::new(),
        action: LimitAction::None,
    };
    let (mut remind, mut then) = (false, false);
    while let Some(t) = args.word() {
        match bare(line, t)? {
            "remind" if !remind => {
                let shares = args.expect("the reminders (percentages, as in 50,100)")?;
                limit.remind_at = shares
                    .text
                    .split(',')
                    .map(|p| p.trim().parse::<u8>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        line.error("reminders are percentages separated by commas, as in 50,100")
                    })?;
                remind = true;
            }
            "then" if !then => {
                limit.action = match bare(line, args.expect("the action")?)? {
                    "none" => LimitAction::None,
                    "approve" => LimitAction::Approve,
                    "reject" => LimitAction::Reject,
                    "escalate" => LimitAction::Escalate,
                    _ => {
                        return Err(
                            line.error("then is followed by approve, reject, escalate or none")
                        );
                    }
                };
                then = true;
            }
            word => {
                return Err(line.error(&format!(
                    "unexpected \"{word}\": a limit takes remind and then, each once"
                )));
            }
        }
    }
    Ok(limit)
}

fn id(line: &Line, t: &Tok) -> Result<i64, TextError> {
    t.text
        .parse()
        .map_err(|_| line.error(&format!("\"{}\" is not an id (a whole number)", t.text)))
}

/// The conditions of a `when` line: groups of words joined by a bare `and`.
fn parse_conditions(line: &Line, toks: &[Tok]) -> Result<Vec<Condition>, TextError> {
    let mut out = Vec::new();
    if toks.is_empty() {
        return Ok(out);
    }
    for group in toks.split(|t| !t.quoted && t.text == "and") {
        out.push(condition_of(line, group)?);
    }
    Ok(out)
}

fn condition_of(line: &Line, toks: &[Tok]) -> Result<Condition, TextError> {
    let Some((kind, rest)) = toks.split_first() else {
        return Err(line.error("a condition is missing around \"and\""));
    };
    let kind = bare(line, kind)?;
    let field = |rest: &[Tok]| -> Result<(String, usize), TextError> {
        rest.first()
            .map(|t| (t.text.clone(), 1))
            .ok_or_else(|| line.error(&format!("a {kind} condition names a field")))
    };
    let texts = |toks: &[Tok]| toks.iter().map(|t| t.text.clone()).collect::<Vec<_>>();
    let ids = |toks: &[Tok]| {
        toks.iter()
            .map(|t| id(line, t))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match kind {
        "range" => {
            let (field, skip) = field(rest)?;
            let (mut min, mut min_exclusive, mut max, mut max_exclusive) =
                (None, false, None, false);
            let (mut lower, mut upper) = (false, false);
            let mut it = rest[skip..].iter();
            while let Some(op) = it.next() {
                let op = bare(line, op)?;
                let value = it
                    .next()
                    .ok_or_else(|| line.error(&format!("a number is missing after {op}")))?;
                let is_lower = match op {
                    ">" | ">=" => true,
                    "<" | "<=" => false,
                    _ => {
                        return Err(line.error(&format!(
                            "\"{op}\": a range is written with >, >=, < and <=, as in range amount > 100 <= 500"
                        )));
                    }
                };
                let exclusive = matches!(op, ">" | "<");
                let no_bound = if is_lower { "-inf" } else { "inf" };
                let bound = if value.text == no_bound {
                    None
                } else {
                    Some(
                        value
                            .text
                            .parse::<f64>()
                            .ok()
                            .filter(|x| x.is_finite())
                            .ok_or_else(|| {
                                line.error(&format!("\"{}\" is not a number", value.text))
                            })?,
                    )
                };
                if is_lower {
                    if lower {
                        return Err(line.error("a range has one lower bound"));
                    }
                    (min, min_exclusive, lower) = (bound, exclusive, true);
                } else {
                    if upper {
                        return Err(line.error("a range has one upper bound"));
                    }
                    (max, max_exclusive, upper) = (bound, exclusive, true);
                }
            }
            Condition::Range {
                field,
                min,
                min_exclusive,
                max,
                max_exclusive,
            }
        }
        "choice" => {
            let (field, skip) = field(rest)?;
            Condition::Choice {
                field,
                keys: texts(&rest[skip..]),
            }
        }
        "member" => {
            let (field, skip) = field(rest)?;
            Condition::Member {
                field,
                userids: texts(&rest[skip..]),
            }
        }
        "department" => {
            let (field, skip) = field(rest)?;
            Condition::Department {
                field,
                department_ids: ids(&rest[skip..])?,
            }
        }
        "applicant_department" => Condition::ApplicantDepartment {
            department_ids: ids(rest)?,
        },
        "applicant_tag" => Condition::ApplicantTag {
            tag_ids: ids(rest)?,
        },
        "applicant" => Condition::Applicant {
            userids: texts(rest),
        },
        other => {
            return Err(line.error(&format!(
                "unknown condition \"{other}\": range, choice, member, department, applicant_department, applicant_tag or applicant"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::flow::resolve::testdir::{approver, branch, cc, members, node, range, when};

    /// The example of docs/approvals.md, as `to_text` writes it.
    const EXAMPLE: &str = r#"rules applicant=skip consecutive=approve_once
approver n1 "直属上级" any empty=skip
  leader 1
  limit 24h remind 50,100 then escalate
branch b1
  when "金额 > 10000" range amount > 10000
    approver n2 "总经理" any empty=skip
      members zhangsan lisi
  otherwise "其他"
cc c1 "抄送财务"
  tag 3
"#;

    fn example() -> Flow {
        let mut n1 = approver("n1", vec![ApproverSource::Leader { level: 1 }]);
        n1.name = "直属上级".into();
        n1.time_limit = Some(TimeLimit {
            hours: 24,
            remind_at: vec![50, 100],
            action: LimitAction::Escalate,
        });
        let mut n2 = approver("n2", vec![members(&["zhangsan", "lisi"])]);
        n2.name = "总经理".into();
        let Node::Cc(mut c1) = cc("c1", vec![ApproverSource::Tag { tag_id: 3 }]) else {
            unreachable!()
        };
        c1.name = "抄送财务".into();
        Flow {
            nodes: vec![
                node(n1),
                branch(
                    "b1",
                    vec![
                        when(
                            "金额 > 10000",
                            vec![range("amount", Some((10000.0, true)), None)],
                            vec![node(n2)],
                        ),
                        when("其他", vec![], vec![]),
                    ],
                ),
                Node::Cc(c1),
            ],
            rules: FlowRules::default(),
        }
    }

    #[test]
    fn the_documented_example_reads_and_writes_back() {
        assert_eq!(from_text(EXAMPLE), Ok(example()));
        assert_eq!(to_text(&example()), EXAMPLE);
    }

    #[test]
    fn hand_written_text_may_leave_out_defaults_and_carry_comments() {
        let text = "\u{feff}# 报销流程\r\n\
            approver n1 直属上级   # the default mode and empty rule\r\n\
            \x20 leader\r\n\
            \r\n\
            \x20 limit 24 then escalate remind 50,100\r\n\
            branch b1\r\n\
            \x20 when \"金额 > 10000\" range amount > 10000\r\n\
            \x20   approver n2 总经理\r\n\
            \x20     members zhangsan lisi\r\n\
            \x20 otherwise 其他\r\n\
            cc c1 抄送财务\r\n\
            \x20 tag 3\r\n\
            rules consecutive=approve_once\r\n";
        assert_eq!(from_text(text), Ok(example()));
    }

    /// A flow with every kind of node, source, condition and setting.
    fn everything() -> Flow {
        let mut a = approver(
            "a b",
            vec![
                members(&["zhangsan", "", "and", "李 四", "x\"y"]),
                ApproverSource::Leader { level: 3 },
                ApproverSource::DepartmentHead {
                    department_id: None,
                },
                ApproverSource::DepartmentHead {
                    department_id: Some(-7),
                },
                ApproverSource::Tag { tag_id: i64::MAX },
                ApproverSource::Admins { permission: None },
                ApproverSource::Admins {
                    permission: Some("approvals.manage".into()),
                },
                ApproverSource::Chosen { multiple: false },
                ApproverSource::Chosen { multiple: true },
                ApproverSource::Applicant,
            ],
        );
        a.name = "line\nbreak \\ \"quoted\" #hash\t\u{1}".into();
        a.mode = ApprovalMode::Sequential;
        a.when_empty = WhenEmpty::Refuse;
        a.time_limit = Some(TimeLimit {
            hours: 0,
            remind_at: vec![],
            action: LimitAction::None,
        });
        let mut all = approver("all", vec![]);
        all.mode = ApprovalMode::All;
        all.when_empty = WhenEmpty::Admins;
        all.time_limit = Some(TimeLimit {
            hours: 720,
            remind_at: vec![0, 255],
            action: LimitAction::Reject,
        });
        let conditions = vec![
            range("amount", Some((0.1, false)), Some((1e20, true))),
            range("days", Some((-3.5, true)), None),
            Condition::Range {
                field: ">".into(),
                min: None,
                min_exclusive: true,
                max: None,
                max_exclusive: true,
            },
            Condition::Choice {
                field: "type".into(),
                keys: vec!["trip".into(), "and".into()],
            },
            Condition::Choice {
                field: "empty".into(),
                keys: vec![],
            },
            Condition::Member {
                field: "reviewer".into(),
                userids: vec!["bob".into()],
            },
            Condition::Department {
                field: "dept".into(),
                department_ids: vec![1, -2],
            },
            Condition::ApplicantDepartment {
                department_ids: vec![3],
            },
            Condition::ApplicantTag { tag_ids: vec![] },
            Condition::Applicant {
                userids: vec!["carol".into(), "#1".into()],
            },
        ];
        Flow {
            nodes: vec![
                node(a),
                branch(
                    "b",
                    vec![
                        when(
                            "一",
                            conditions,
                            vec![branch("inner", vec![when("", vec![], vec![])]), node(all)],
                        ),
                        when("", vec![], vec![cc("c", vec![])]),
                        when("空", vec![range("amount", None, None)], vec![]),
                    ],
                ),
                branch("none", vec![]),
                cc("and", vec![ApproverSource::Applicant]),
            ],
            rules: FlowRules {
                applicant_is_approver: SelfApproval::Approve,
                consecutive_approver: Consecutive::Each,
            },
        }
    }

    #[test]
    fn every_part_round_trips() {
        let f = everything();
        let text = to_text(&f);
        assert_eq!(from_text(&text), Ok(f));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "rules applicant=approve consecutive=each");
        assert_eq!(
            lines[1],
            r#"approver "a b" "line\nbreak \\ \"quoted\" #hash\t\u{1}" sequential empty=refuse"#
        );
        assert_eq!(lines[2], r#"  members zhangsan "" "and" "李 四" "x\"y""#);
        assert_eq!(lines[3], "  leader 3");
        assert_eq!(lines[4], "  head");
        assert_eq!(lines[5], "  head -7");
        assert_eq!(lines[6], "  tag 9223372036854775807");
        assert_eq!(lines[7], "  admins");
        assert_eq!(lines[8], "  admins approvals.manage");
        assert_eq!(lines[9], "  chosen");
        assert_eq!(lines[10], "  chosen multiple");
        assert_eq!(lines[11], "  applicant");
        assert_eq!(lines[12], "  limit 0h");
        assert_eq!(lines[13], "branch b");
        assert_eq!(
            lines[14],
            r##"  when "一" range amount >= 0.1 < 1e20 and range days > -3.5 and range > > -inf < inf and choice type trip "and" and choice empty and member reviewer bob and department dept 1 -2 and applicant_department 3 and applicant_tag and applicant carol "#1""##
        );
        assert_eq!(lines[15], "    branch inner");
        assert_eq!(lines[16], r#"      otherwise """#);
        assert_eq!(lines[17], r#"    approver all "审批all" all empty=admins"#);
        assert_eq!(lines[18], "      limit 720h remind 0,255 then reject");
        assert_eq!(lines[19], r#"  otherwise """#);
        assert_eq!(lines[20], r#"    cc c "抄送c""#);
        assert_eq!(lines[21], r#"  when "空" range amount"#);
        assert_eq!(lines[22], "branch none");
        assert_eq!(lines[23], r#"cc "and" "抄送and""#);
        assert_eq!(lines[24], "  applicant");
        assert_eq!(lines.len(), 25);
    }

    #[test]
    fn mistakes_name_their_line() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "approver n1 \"a\"\n   leader 1\n",
                2,
                "indentation is two spaces for each level",
            ),
            (
                "approver n1 \"a\"\n\tleader 1\n",
                2,
                "indent with spaces only, two for each level",
            ),
            (
                "  approver n1 \"a\"\n",
                1,
                "this line is indented, but nothing above it takes it",
            ),
            (
                "approver n1 \"a\"\n    leader 1\n",
                2,
                "indented too far: one level is two spaces",
            ),
            (
                "approve n1 \"a\"\n",
                1,
                "unknown node \"approve\": a node is approver, cc or branch",
            ),
            ("approver n1\n", 1, "the node name is missing"),
            (
                "approver n1 \"a\" anyone\n",
                1,
                "unknown setting \"anyone\": an approver takes sequential, all or any, and empty=skip|admins|refuse",
            ),
            (
                "approver n1 \"a\" any all\n",
                1,
                "the approval mode is given twice",
            ),
            (
                "approver n1 \"a\" empty=never\n",
                1,
                "empty= is skip, admins or refuse",
            ),
            ("approver n1 \"a\n", 1, "a quoted text is not closed"),
            (
                "approver n1 \"a\"b\n",
                1,
                "put a space after a closing quote",
            ),
            (
                "approver n1 a\"b\n",
                1,
                "a quote inside a word: quote the whole text",
            ),
            ("approver n1 \"a\\q\"\n", 1, "unknown escape \\q"),
            (
                "approver n1 \"\\u{110000}\"\n",
                1,
                "\\u{…} is not a character",
            ),
            (
                "approver n1 a\n  boss\n",
                2,
                "unknown approver source \"boss\": members, leader, head, tag, admins, chosen or applicant",
            ),
            (
                "approver n1 a\n  leader 256\n",
                2,
                "a leader level is a whole number from 0 to 255",
            ),
            (
                "approver n1 a\n  tag x\n",
                2,
                "\"x\" is not an id (a whole number)",
            ),
            (
                "approver n1 a\n  head 1 2\n",
                2,
                "unexpected \"2\" at the end of the line",
            ),
            (
                "approver n1 a\n  chosen many\n",
                2,
                "chosen takes only \"multiple\"",
            ),
            (
                "approver n1 a\n  limit 1h\n  limit 2h\n",
                3,
                "a node has one time limit",
            ),
            (
                "approver n1 a\n  limit day\n",
                2,
                "a time limit is a whole number of hours, as in 24h",
            ),
            (
                "approver n1 a\n  limit 1h remind 50;100\n",
                2,
                "reminders are percentages separated by commas, as in 50,100",
            ),
            (
                "approver n1 a\n  limit 1h then wait\n",
                2,
                "then is followed by approve, reject, escalate or none",
            ),
            (
                "approver n1 a\n  leader 1\n    leader 2\n",
                3,
                "nothing goes under a leader line",
            ),
            ("cc c1 a\n  limit 1h\n", 2, "a CC node has no time limit"),
            (
                "branch b1\n  approver n1 a\n",
                2,
                "under a branch node come \"when\" and \"otherwise\" lines, not \"approver\"",
            ),
            (
                "branch b1\n  when x\n",
                2,
                "a when line needs conditions (a branch without them is \"otherwise\")",
            ),
            (
                "branch b1\n  when x range amount = 5\n",
                2,
                "\"=\": a range is written with >, >=, < and <=, as in range amount > 100 <= 500",
            ),
            (
                "branch b1\n  when x range amount > 5 > 6\n",
                2,
                "a range has one lower bound",
            ),
            (
                "branch b1\n  when x range amount <\n",
                2,
                "a number is missing after <",
            ),
            (
                "branch b1\n  when x range amount < 1e400\n",
                2,
                "\"1e400\" is not a number",
            ),
            (
                "branch b1\n  when x range amount < NaN\n",
                2,
                "\"NaN\" is not a number",
            ),
            (
                "branch b1\n  when x range amount > inf\n",
                2,
                "\"inf\" is not a number",
            ),
            (
                "branch b1\n  when x choice\n",
                2,
                "a choice condition names a field",
            ),
            (
                "branch b1\n  when x applicant a and\n",
                2,
                "a condition is missing around \"and\"",
            ),
            (
                "branch b1\n  when x colour red\n",
                2,
                "unknown condition \"colour\": range, choice, member, department, applicant_department, applicant_tag or applicant",
            ),
            (
                "branch b1\n  otherwise x y\n",
                2,
                "unexpected \"y\" at the end of the line",
            ),
            (
                "rules applicant=skip\nrules consecutive=each\n",
                2,
                "the rules were already given on line 1",
            ),
            (
                "rules applicant=maybe\n",
                1,
                "applicant= is skip or approve",
            ),
            (
                "rules applicant=skip applicant=skip\n",
                1,
                "\"applicant=skip\": the rule is given twice",
            ),
            (
                "rules strict=yes\n",
                1,
                "unknown rule \"strict=yes\": the rules are applicant=skip|approve and consecutive=approve_once|each",
            ),
            (
                "rules\n  approver n1 a\n",
                2,
                "nothing goes under a rules line",
            ),
            (
                "\"approver\" n1 a\n",
                1,
                "a line starts with a keyword, not with quoted text",
            ),
            (
                "approver n1 a \"any\"\n",
                1,
                "\"any\" is a setting and is not quoted",
            ),
        ];
        for (text, line, message) in cases {
            assert_eq!(
                from_text(text),
                Err(TextError {
                    line: *line,
                    message: (*message).to_owned()
                }),
                "{text:?}"
            );
        }
        assert_eq!(
            TextError {
                line: 3,
                message: "x".into()
            }
            .to_string(),
            "line 3: x"
        );
    }

    /// Flows generated from bytes: every shape the types allow, with awkward words and numbers.
    struct Gen<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    const PIECES: &[&str] = &[
        "",
        "a",
        "n1",
        "and",
        " ",
        "直属上级",
        "\"",
        "\\",
        "#",
        "\n",
        "\r\n",
        "\t",
        "x=y",
        "-inf",
        "inf",
        ">=",
        "\u{3000}",
        "\u{1}",
        "\u{7f}",
        "\u{85}",
        "😀",
        "empty=skip",
        "multiple",
        "otherwise",
        "approver",
        "\u{feff}",
        "\u{2028}",
        "\\u{41}",
    ];

    impl Gen<'_> {
        fn byte(&mut self) -> u8 {
            let b = self.bytes.get(self.at).copied().unwrap_or(0);
            self.at += 1;
            b
        }
        fn below(&mut self, n: usize) -> usize {
            usize::from(self.byte()) % n
        }
        fn flag(&mut self) -> bool {
            self.byte() & 1 == 1
        }
        fn text(&mut self) -> String {
            (0..self.below(4))
                .map(|_| PIECES[self.below(PIECES.len())])
                .collect()
        }
        fn texts(&mut self) -> Vec<String> {
            (0..self.below(4)).map(|_| self.text()).collect()
        }
        fn u64(&mut self) -> u64 {
            (0..8).fold(0u64, |acc, _| (acc << 8) | u64::from(self.byte()))
        }
        fn int(&mut self) -> i64 {
            match self.below(4) {
                0 => i64::from(self.byte()),
                1 => -i64::from(self.byte()),
                2 => [i64::MIN, i64::MAX, 0][self.below(3)],
                _ => self.u64() as i64,
            }
        }
        fn ints(&mut self) -> Vec<i64> {
            (0..self.below(4)).map(|_| self.int()).collect()
        }
        fn number(&mut self) -> f64 {
            const POOL: &[f64] = &[
                0.0,
                -0.0,
                0.1,
                10000.0,
                1e20,
                -5.5,
                1e-7,
                123456789.123,
                1e15,
                999999999999999.0,
                f64::MAX,
                f64::MIN,
                f64::MIN_POSITIVE,
                5e-324,
            ];
            if self.flag() {
                POOL[self.below(POOL.len())]
            } else {
                let x = f64::from_bits(self.u64());
                if x.is_finite() { x } else { 1.5 }
            }
        }
        fn bound(&mut self) -> Option<f64> {
            self.flag().then(|| self.number())
        }
        fn sources(&mut self) -> Vec<ApproverSource> {
            (0..self.below(4))
                .map(|_| match self.below(7) {
                    0 => ApproverSource::Members {
                        userids: self.texts(),
                    },
                    1 => ApproverSource::Leader { level: self.byte() },
                    2 => ApproverSource::DepartmentHead {
                        department_id: self.flag().then(|| self.int()),
                    },
                    3 => ApproverSource::Tag { tag_id: self.int() },
                    4 => ApproverSource::Admins {
                        permission: self.flag().then(|| self.text()),
                    },
                    5 => ApproverSource::Chosen {
                        multiple: self.flag(),
                    },
                    _ => ApproverSource::Applicant,
                })
                .collect()
        }
        fn condition(&mut self) -> Condition {
            match self.below(7) {
                0 => Condition::Range {
                    field: self.text(),
                    min: self.bound(),
                    min_exclusive: self.flag(),
                    max: self.bound(),
                    max_exclusive: self.flag(),
                },
                1 => Condition::Choice {
                    field: self.text(),
                    keys: self.texts(),
                },
                2 => Condition::Member {
                    field: self.text(),
                    userids: self.texts(),
                },
                3 => Condition::Department {
                    field: self.text(),
                    department_ids: self.ints(),
                },
                4 => Condition::ApplicantDepartment {
                    department_ids: self.ints(),
                },
                5 => Condition::ApplicantTag {
                    tag_ids: self.ints(),
                },
                _ => Condition::Applicant {
                    userids: self.texts(),
                },
            }
        }
        fn nodes(&mut self, depth: usize) -> Vec<Node> {
            (0..self.below(4)).map(|_| self.node(depth)).collect()
        }
        fn node(&mut self, depth: usize) -> Node {
            match self.below(if depth < 3 { 3 } else { 2 }) {
                0 => Node::Approver(ApproverNode {
                    id: self.text(),
                    name: self.text(),
                    approvers: self.sources(),
                    mode: [
                        ApprovalMode::Sequential,
                        ApprovalMode::All,
                        ApprovalMode::Any,
                    ][self.below(3)],
                    when_empty: [WhenEmpty::Skip, WhenEmpty::Admins, WhenEmpty::Refuse]
                        [self.below(3)],
                    time_limit: self.flag().then(|| TimeLimit {
                        hours: self.u64() as u32,
                        remind_at: (0..self.below(3)).map(|_| self.byte()).collect(),
                        action: [
                            LimitAction::None,
                            LimitAction::Approve,
                            LimitAction::Reject,
                            LimitAction::Escalate,
                        ][self.below(4)],
                    }),
                }),
                1 => Node::Cc(CcNode {
                    id: self.text(),
                    name: self.text(),
                    recipients: self.sources(),
                }),
                _ => Node::Branch(BranchNode {
                    id: self.text(),
                    branches: (0..self.below(4))
                        .map(|_| Branch {
                            name: self.text(),
                            conditions: (0..self.below(3)).map(|_| self.condition()).collect(),
                            nodes: self.nodes(depth + 1),
                        })
                        .collect(),
                }),
            }
        }
        fn flow(&mut self) -> Flow {
            Flow {
                rules: FlowRules {
                    applicant_is_approver: if self.flag() {
                        SelfApproval::Approve
                    } else {
                        SelfApproval::Skip
                    },
                    consecutive_approver: if self.flag() {
                        Consecutive::Each
                    } else {
                        Consecutive::ApproveOnce
                    },
                },
                nodes: self.nodes(0),
            }
        }
    }

    fn round_trips(bytes: &[u8]) {
        let f = Gen { bytes, at: 0 }.flow();
        let text = to_text(&f);
        assert_eq!(from_text(&text), Ok(f), "{text}");
    }

    #[test]
    fn generated_flows_round_trip() {
        // A fixed sequence first (xorshift), so that every run covers the same ground.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..3_000 {
            let bytes: Vec<u8> = (0..400)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 24) as u8
                })
                .collect();
            round_trips(&bytes);
        }
        bolero::check!()
            .with_type::<Vec<u8>>()
            .with_test_time(Duration::from_secs(3))
            .for_each(|bytes| round_trips(bytes));
    }

    #[test]
    fn any_text_reads_without_panicking_and_what_reads_writes_back() {
        bolero::check!()
            .with_type::<String>()
            .with_test_time(Duration::from_secs(2))
            .for_each(|text| {
                if let Ok(f) = from_text(text) {
                    assert_eq!(from_text(&to_text(&f)), Ok(f));
                }
            });
        // Texts made of the format's own words are more likely to read.
        const WORDS: &[&str] = &[
            "approver",
            "cc",
            "branch",
            "when",
            "otherwise",
            "rules",
            "members",
            "leader",
            "tag",
            "head",
            "admins",
            "chosen",
            "applicant",
            "limit",
            "range",
            "choice",
            "and",
            ">",
            "<=",
            "5",
            "-inf",
            "inf",
            "x",
            "\"a b\"",
            "24h",
            "remind",
            "then",
            "escalate",
            "any",
            "empty=admins",
            "\n",
            "\n  ",
            "\n    ",
            " ",
            "#",
        ];
        bolero::check!()
            .with_type::<Vec<u8>>()
            .with_test_time(Duration::from_secs(2))
            .for_each(|bytes| {
                let text: String = bytes
                    .iter()
                    .map(|b| WORDS[usize::from(*b) % WORDS.len()])
                    .collect::<Vec<_>>()
                    .join(" ");
                if let Ok(f) = from_text(&text) {
                    assert_eq!(from_text(&to_text(&f)), Ok(f));
                }
            });
    }
}
