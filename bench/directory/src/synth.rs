//! A deterministic synthetic enterprise: a four-level department tree (group → subsidiaries →
//! departments → teams), members with Chinese names drawn from a syllable table (so pinyin search
//! behaves as it would on real names), unique userids and mobiles, a chain of direct leaders and a
//! few tags. The same sizes always give byte-for-byte the same import file.
use std::fmt::Write as _;

use anyhow::{Result, bail};

/// The root department is named after the enterprise: import paths may start with it.
pub const CORP_NAME: &str = "基准集团";

/// SplitMix64: tiny, fast and good enough to spread names; fixed seeds keep runs comparable.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant at these sizes).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// Common surnames with their pinyin and a rough frequency weight (per mille of the population), so
/// that "王伟" or "zw" hit many people, as in a real directory. Polyphonic characters are avoided
/// so the initials used as queries agree with the server's own pinyin.
const SURNAMES: &[(&str, &str, u32)] = &[
    ("王", "wang", 71),
    ("李", "li", 70),
    ("张", "zhang", 67),
    ("刘", "liu", 54),
    ("陈", "chen", 45),
    ("杨", "yang", 31),
    ("黄", "huang", 22),
    ("赵", "zhao", 20),
    ("吴", "wu", 18),
    ("周", "zhou", 17),
    ("徐", "xu", 14),
    ("孙", "sun", 13),
    ("马", "ma", 12),
    ("朱", "zhu", 12),
    ("胡", "hu", 11),
    ("郭", "guo", 11),
    ("何", "he", 10),
    ("林", "lin", 10),
    ("罗", "luo", 9),
    ("高", "gao", 9),
    ("郑", "zheng", 8),
    ("梁", "liang", 8),
    ("谢", "xie", 7),
    ("宋", "song", 7),
    ("唐", "tang", 7),
    ("许", "xu", 6),
    ("韩", "han", 6),
    ("冯", "feng", 6),
    ("邓", "deng", 6),
    ("曹", "cao", 5),
    ("彭", "peng", 5),
    ("肖", "xiao", 5),
    ("田", "tian", 5),
    ("董", "dong", 5),
    ("潘", "pan", 4),
    ("袁", "yuan", 4),
    ("蔡", "cai", 4),
    ("蒋", "jiang", 4),
    ("余", "yu", 4),
    ("杜", "du", 3),
    ("程", "cheng", 3),
    ("魏", "wei", 3),
    ("苏", "su", 3),
    ("丁", "ding", 3),
    ("沈", "shen", 3),
    ("任", "ren", 3),
    ("姚", "yao", 3),
    ("卢", "lu", 3),
    ("钟", "zhong", 3),
    ("姜", "jiang", 3),
    ("崔", "cui", 2),
    ("谭", "tan", 2),
    ("廖", "liao", 2),
    ("范", "fan", 2),
    ("汪", "wang", 2),
    ("陆", "lu", 2),
    ("金", "jin", 2),
    ("石", "shi", 2),
    ("戴", "dai", 2),
    ("夏", "xia", 2),
    ("邱", "qiu", 2),
    ("方", "fang", 2),
    ("侯", "hou", 2),
    ("邹", "zou", 2),
    ("熊", "xiong", 2),
    ("孟", "meng", 2),
    ("秦", "qin", 2),
    ("白", "bai", 2),
    ("江", "jiang", 2),
];

/// Characters of given names, with pinyin; again without polyphones.
const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("英", "ying"),
    ("文", "wen"),
    ("辉", "hui"),
    ("建", "jian"),
    ("玲", "ling"),
    ("红", "hong"),
    ("国", "guo"),
    ("鹏", "peng"),
    ("宇", "yu"),
    ("晨", "chen"),
    ("思", "si"),
    ("雪", "xue"),
    ("婷", "ting"),
    ("浩", "hao"),
    ("博", "bo"),
    ("欣", "xin"),
    ("涵", "han"),
    ("梓", "zi"),
    ("轩", "xuan"),
    ("然", "ran"),
    ("睿", "rui"),
    ("嘉", "jia"),
    ("佳", "jia"),
    ("怡", "yi"),
    ("诗", "shi"),
    ("雨", "yu"),
    ("琳", "lin"),
    ("慧", "hui"),
    ("颖", "ying"),
    ("峰", "feng"),
    ("斌", "bin"),
    ("波", "bo"),
    ("飞", "fei"),
    ("昊", "hao"),
    ("萌", "meng"),
    ("璐", "lu"),
    ("瑶", "yao"),
    ("鑫", "xin"),
    ("凯", "kai"),
    ("帆", "fan"),
    ("琪", "qi"),
    ("蕾", "lei"),
    ("彤", "tong"),
    ("晴", "qing"),
    ("阳", "yang"),
    ("天", "tian"),
    ("安", "an"),
    ("东", "dong"),
    ("海", "hai"),
    ("志", "zhi"),
    ("春", "chun"),
    ("玉", "yu"),
    ("兰", "lan"),
    ("梅", "mei"),
    ("亮", "liang"),
    ("婉", "wan"),
    ("欢", "huan"),
    ("蓉", "rong"),
    ("倩", "qian"),
];

/// Subsidiaries and their share of the enterprise (per cent). The first is the large one whose
/// subtree the listing benchmark pages through (a fifth of all members: 20,000 of 100,000).
const SUBSIDIARIES: &[(&str, usize)] = &[
    ("华东分公司", 20),
    ("华北分公司", 12),
    ("华南分公司", 10),
    ("西南分公司", 10),
    ("华中分公司", 8),
    ("西北分公司", 8),
    ("东北分公司", 8),
    ("香港分公司", 8),
    ("海外事业部", 8),
    ("研究院", 8),
];

const DEPARTMENTS: &[&str] = &[
    "研发部",
    "产品部",
    "市场部",
    "销售部",
    "财务部",
    "人力资源部",
    "法务部",
    "行政部",
    "采购部",
    "质量部",
    "客服部",
    "运维部",
    "数据部",
    "设计部",
    "安全部",
    "战略部",
    "投资部",
    "供应链部",
    "物流部",
    "品牌部",
];

const TEAMS: &[&str] = &[
    "后端组",
    "前端组",
    "测试组",
    "移动组",
    "平台组",
    "算法组",
    "架构组",
    "运营组",
    "交付组",
    "支持组",
];

const POSITIONS: &[&str] = &[
    "工程师",
    "高级工程师",
    "产品经理",
    "设计师",
    "专员",
    "主管",
    "分析师",
    "顾问",
    "助理",
    "经理",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Subsidiary,
    Department,
    Team,
}

/// A department below the root.
pub struct Dept {
    /// Names from below the root down to this department, e.g. `["华东分公司", "研发部", "后端组"]`.
    pub path: Vec<String>,
    pub level: Level,
    /// Member index of the department's head (the first member of its first team).
    pub head: usize,
}

pub struct Person {
    pub name: String,
    pub initials: String,
    pub userid: String,
    pub mobile: String,
    pub email: String,
    /// Index into `Directory::depts` of the member's team.
    pub team: usize,
    pub position: &'static str,
    pub leader: Option<usize>,
    pub tags: Vec<&'static str>,
}

pub struct Directory {
    pub depts: Vec<Dept>,
    pub members: Vec<Person>,
    /// Members in the largest subsidiary's subtree (the listing benchmark's total).
    pub largest_subsidiary_members: usize,
}

/// Splits `total` in proportion to `weights` (largest remainder), giving each part at least `min`.
fn apportion(total: usize, weights: &[usize], min: usize) -> Vec<usize> {
    let n = weights.len();
    let spare = total.saturating_sub(min * n);
    let sum: usize = weights.iter().sum::<usize>().max(1);
    let mut parts: Vec<usize> = weights.iter().map(|w| min + spare * w / sum).collect();
    let mut order: Vec<usize> = (0..n).collect();
    // Hand out what flooring left over to the largest remainders (ties: earliest first).
    order.sort_by_key(|&i| (std::cmp::Reverse(spare * weights[i] % sum), i));
    let mut left = total.saturating_sub(parts.iter().sum());
    for i in order.into_iter().cycle().take(n * 2) {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

/// Past the end of a name table names repeat with a number before the last character, so siblings
/// stay unique: 研发部, …, 品牌部, 研发2部, … and 后端组, …, 支持组, 后端2组, …
fn numbered(table: &[&str], k: usize) -> String {
    let base = table[k % table.len()];
    let round = k / table.len();
    if round == 0 {
        return base.to_owned();
    }
    let mut chars: Vec<char> = base.chars().collect();
    let last = chars.pop().unwrap_or_default();
    let head: String = chars.into_iter().collect();
    format!("{head}{}{last}", round + 1)
}

/// Builds the enterprise: `departments` counts every department including the root.
pub fn generate(members: usize, departments: usize) -> Result<Directory> {
    if departments < 4 {
        bail!("--departments must be at least 4 (root, a subsidiary, a department, a team)");
    }
    let subs = SUBSIDIARIES.len().min((departments - 1) / 3);
    let below = departments - 1 - subs;
    // About ten teams per department.
    let n_depts = (below / 11).max(subs);
    let n_teams = below - n_depts;
    if members < n_teams {
        bail!(
            "{members} members cannot fill {n_teams} teams; use more members or fewer departments"
        );
    }
    let weights: Vec<usize> = SUBSIDIARIES[..subs].iter().map(|s| s.1).collect();
    let depts_per_sub = apportion(n_depts, &weights, 1);
    // A subsidiary needs at least one team per department; move teams from the biggest if not.
    let mut teams_per_sub = apportion(n_teams, &weights, 0);
    for s in 0..subs {
        while teams_per_sub[s] < depts_per_sub[s] {
            let donor = (0..subs)
                .max_by_key(|&i| teams_per_sub[i] as isize - depts_per_sub[i] as isize)
                .unwrap_or(0);
            teams_per_sub[donor] -= 1;
            teams_per_sub[s] += 1;
        }
    }

    // The tree in depth-first order, teams numbered so members can be spread over them evenly.
    struct TeamSlot {
        team: usize,
        department: usize,
        subsidiary: usize,
    }
    let mut depts: Vec<Dept> = Vec::with_capacity(departments);
    let mut teams: Vec<TeamSlot> = Vec::with_capacity(n_teams);
    for s in 0..subs {
        let sub_name = SUBSIDIARIES[s].0.to_owned();
        let subsidiary = depts.len();
        depts.push(Dept {
            path: vec![sub_name.clone()],
            level: Level::Subsidiary,
            head: 0,
        });
        let teams_per_dept = apportion(teams_per_sub[s], &vec![1; depts_per_sub[s]], 1);
        for (d, t_count) in teams_per_dept.iter().enumerate() {
            let dname = numbered(DEPARTMENTS, d);
            let department = depts.len();
            depts.push(Dept {
                path: vec![sub_name.clone(), dname.clone()],
                level: Level::Department,
                head: 0,
            });
            for t in 0..*t_count {
                let tname = numbered(TEAMS, t);
                teams.push(TeamSlot {
                    team: depts.len(),
                    department,
                    subsidiary,
                });
                depts.push(Dept {
                    path: vec![sub_name.clone(), dname.clone(), tname],
                    level: Level::Team,
                    head: 0,
                });
            }
        }
    }

    // Members: team j holds members [j*N/T, (j+1)*N/T). The first member of a team heads it; the
    // head of a department's first team heads the department, and likewise for a subsidiary.
    let team_range = |j: usize| (j * members / n_teams, (j + 1) * members / n_teams);
    for (j, t) in teams.iter().enumerate().rev() {
        // In reverse, so the first team of each department and subsidiary is written last.
        let head = team_range(j).0;
        depts[t.team].head = head;
        depts[t.department].head = head;
        depts[t.subsidiary].head = head;
    }

    let total_weight = surname_weight_total();
    let mut rng = Rng::new(0x5158_4945_2026);
    let mut people = Vec::with_capacity(members);
    let mut largest = 0;
    for (j, t) in teams.iter().enumerate() {
        let (team_head, dept_head, sub_head) = (
            depts[t.team].head,
            depts[t.department].head,
            depts[t.subsidiary].head,
        );
        let (lo, hi) = team_range(j);
        if t.subsidiary == 0 {
            largest += hi - lo;
        }
        for i in lo..hi {
            let (name, full, initials) = person_name(&mut rng, total_weight);
            let userid = format!("{full}{i}");
            let leader = [team_head, dept_head, sub_head, 0]
                .into_iter()
                .find(|&l| l != i);
            let position = if i == 0 {
                "董事长"
            } else if i == sub_head {
                "总经理"
            } else if i == dept_head {
                "部门经理"
            } else if i == team_head {
                "组长"
            } else {
                POSITIONS[rng.below(POSITIONS.len())]
            };
            let mut tags = Vec::new();
            if i == team_head {
                tags.push("管理层");
            }
            if rng.chance(5) {
                tags.push("党员");
            }
            if rng.chance(10) {
                tags.push("新员工");
            }
            if rng.chance(5) {
                tags.push("技术骨干");
            }
            if rng.chance(3) {
                tags.push("远程办公");
            }
            people.push(Person {
                email: format!("{userid}@qixie-bench.cn"),
                mobile: mobile(i),
                name,
                initials,
                userid,
                team: t.team,
                position,
                leader,
                tags,
            });
        }
    }
    Ok(Directory {
        depts,
        members: people,
        largest_subsidiary_members: largest,
    })
}

/// A name, its full pinyin and its initials: a weighted surname and one or two given characters.
pub fn person_name(rng: &mut Rng, total_weight: u32) -> (String, String, String) {
    let mut pick = (rng.next_u64() % u64::from(total_weight)) as u32;
    let mut surname = SURNAMES[0];
    for s in SURNAMES {
        if pick < s.2 {
            surname = *s;
            break;
        }
        pick -= s.2;
    }
    let mut name = surname.0.to_owned();
    let mut full = surname.1.to_owned();
    let mut initials = surname.1[..1].to_owned();
    let given = if rng.chance(65) { 2 } else { 1 };
    for _ in 0..given {
        let (c, p) = GIVEN[rng.below(GIVEN.len())];
        name.push_str(c);
        full.push_str(p);
        initials.push_str(&p[..1]);
    }
    (name, full, initials)
}

pub fn surname_weight_total() -> u32 {
    SURNAMES.iter().map(|s| s.2).sum()
}

/// A unique mainland mobile for member `i`: a carrier prefix and eight digits from a bijection on
/// 0..10^8 (multiplying by a number coprime to 10^8), so numbers look scattered but never repeat.
pub fn mobile(i: usize) -> String {
    const PREFIXES: &[u32] = &[
        130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 158, 159, 186, 187,
        188, 189,
    ];
    let p = PREFIXES[i % PREFIXES.len()];
    let x = (i / PREFIXES.len()) as u64;
    let rest = (x * 48_271 + 1_234_567) % 100_000_000;
    format!("{p}{rest:08}")
}

impl Directory {
    /// The import file: UTF-8 CSV with the Chinese headers HR exports use.
    pub fn to_csv(&self) -> Vec<u8> {
        self.csv_of(0..self.members.len())
    }

    /// The same rows as several files of at most `rows` members each, in order (every leader is an
    /// earlier row than the members reporting to them, so each file only refers to known userids).
    pub fn to_csv_chunks(&self, rows: usize) -> Vec<Vec<u8>> {
        (0..self.members.len())
            .step_by(rows.max(1))
            .map(|start| self.csv_of(start..(start + rows).min(self.members.len())))
            .collect()
    }

    fn csv_of(&self, range: std::ops::Range<usize>) -> Vec<u8> {
        let mut out = String::with_capacity(range.len() * 140 + 64);
        out.push_str("姓名,帐号,手机,邮箱,部门,职务,直属上级,标签\n");
        for p in &self.members[range] {
            let dept = format!("{CORP_NAME}/{}", self.depts[p.team].path.join("/"));
            let leader = p
                .leader
                .map(|l| self.members[l].userid.as_str())
                .unwrap_or("");
            // No generated value holds a comma, quote or line break, so no field needs quoting.
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                p.name,
                p.userid,
                p.mobile,
                p.email,
                dept,
                p.position,
                leader,
                p.tags.join(";")
            );
        }
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_uniqueness() -> Result<()> {
        let d = generate(10_000, 500)?;
        assert_eq!(d.depts.len() + 1, 500);
        assert_eq!(d.members.len(), 10_000);
        let mobiles: std::collections::HashSet<_> = d.members.iter().map(|p| &p.mobile).collect();
        let userids: std::collections::HashSet<_> = d.members.iter().map(|p| &p.userid).collect();
        assert_eq!(mobiles.len(), 10_000);
        assert_eq!(userids.len(), 10_000);
        let paths: std::collections::HashSet<_> = d.depts.iter().map(|x| &x.path).collect();
        assert_eq!(paths.len(), d.depts.len());
        assert!(d.members[0].leader.is_none());
        assert!(d.members.iter().skip(1).all(|p| p.leader.is_some()));
        // Leaders always come earlier in the file than the members reporting to them.
        assert!(
            d.members
                .iter()
                .enumerate()
                .all(|(i, p)| p.leader.is_none_or(|l| l < i))
        );
        let chunks = d.to_csv_chunks(3_000);
        assert_eq!(chunks.len(), 4);
        let rows: usize = chunks
            .iter()
            .map(|c| c.iter().filter(|b| **b == b'\n').count() - 1)
            .sum();
        assert_eq!(rows, 10_000);
        Ok(())
    }

    #[test]
    fn full_size_shape() -> Result<()> {
        let d = generate(100_000, 5_000)?;
        assert_eq!(d.depts.len() + 1, 5_000);
        assert!((19_000..=21_000).contains(&d.largest_subsidiary_members));
        Ok(())
    }
}
