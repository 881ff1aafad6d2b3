//! Balances as lots, and the ledger. A member's balance of a type is what its open lots have left;
//! a lot is one year's grant, the part of a year carried into the next, the comp time of one
//! overtime, an administrator's addition, or the year's use beyond the balance. Lots are brought up
//! to date when a balance is first read on a day (`Book::upkeep`): those past their last day close
//! (what they had left expires, or carries into the next year up to the type's limit) and the
//! year's grants are made, each once (a lot's key is unique). Every change of a balance writes a
//! ledger row with its cause and the balance after it, in the transaction of the change.
use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::{Conn, Database, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{CorpId, MemberId, new_id};
use qixie_kernel::time::Zone;

use super::quota::{self, Lot, Unit};
use super::types::{self, QuotaRule, TypeRow};
use crate::date;

/// Who a ledger row names: a member (userid), an app (agentid), or the system (rules, approvals).
#[derive(Debug, Clone)]
pub struct Who {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
}

impl Who {
    pub fn system() -> Who {
        Who {
            kind: "system",
            id: String::new(),
            name: String::new(),
        }
    }
    pub fn of(actor: &Actor) -> Who {
        let (kind, id, name) = actor.audit_identity();
        Who { kind, id, name }
    }
}

/// The enterprise's leave types and calendar for one action.
pub struct Book {
    pub corp: CorpId,
    pub types: Vec<TypeRow>,
    pub zone: Zone,
    pub today: Date,
    pub now: i64,
}

impl Book {
    pub async fn load(app: &AppState, corp: CorpId) -> AppResult<Book> {
        types::ensure(app, corp).await?;
        let types = types::list(&app.db, corp).await?;
        let zone = crate::plan::corp_zone(app, corp).await?;
        let now = app.now();
        let today = date::from_key(zone.date(now)).ok_or(ErrorKind::Internal)?;
        Ok(Book {
            corp,
            types,
            zone,
            today,
            now,
        })
    }

    pub fn get(&self, key: &str) -> Option<&TypeRow> {
        self.types.iter().find(|t| t.type_key == key)
    }

    /// An enabled type by key, or 422 on `field`.
    pub fn enabled(&self, key: &str, field: &str) -> AppResult<&TypeRow> {
        self.get(key)
            .filter(|t| t.enabled)
            .ok_or_else(|| AppError::field(field, FieldReason::Unknown))
    }

    fn year(&self) -> i16 {
        self.today.year()
    }

    fn today_key(&self) -> i64 {
        date::key(self.today)
    }

    /// The last day of this year, for lots that end with it.
    fn year_end(&self) -> i64 {
        i64::from(self.year()) * 10_000 + 1231
    }

    /// Brings the balances of `members` up to today, in one transaction when any needs it.
    pub async fn upkeep(&self, app: &AppState, members: &[i64]) -> AppResult<()> {
        let due = self.due(&app.db, members).await?;
        if due.is_empty() {
            return Ok(());
        }
        let mut tx = app.db.begin().await?;
        for m in due {
            self.upkeep_in(app, &mut tx, m).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The members whose lots need bringing up to date: one has passed its last day, or a yearly
    /// type has no grant for this year.
    async fn due(&self, db: &Database, members: &[i64]) -> AppResult<Vec<i64>> {
        let yearly: Vec<&str> = self
            .types
            .iter()
            .filter(|t| t.enabled && t.yearly())
            .map(|t| t.type_key.as_str())
            .collect();
        let mut out = Vec::new();
        for chunk in members.chunks(500) {
            let ended: Vec<(i64,)> = db
                .all(
                    sql("SELECT DISTINCT member_id FROM leave_lots WHERE corp_id = $1 AND closed = FALSE AND expires_on > 0 AND expires_on < $2 AND member_id IN ")
                        .bind(self.corp)
                        .bind(self.today_key())
                        .push_in(chunk.iter().copied()),
                )
                .await?;
            let granted: Vec<(i64, i64)> = db
                .all(
                    sql("SELECT member_id, COUNT(*) FROM leave_lots WHERE corp_id = $1 AND lot_key = $2 AND member_id IN ")
                        .bind(self.corp)
                        .bind(format!("grant:{}", self.year()))
                        .push_in(chunk.iter().copied())
                        .push(" AND leave_type IN ")
                        .push_in(yearly.iter().copied())
                        .push(" GROUP BY member_id"),
                )
                .await?;
            let granted: HashMap<i64, i64> = granted.into_iter().collect();
            for &m in chunk {
                if ended.iter().any(|(e,)| *e == m)
                    || granted.get(&m).copied().unwrap_or(0) < yearly.len() as i64
                {
                    out.push(m);
                }
            }
        }
        Ok(out)
    }

    /// Brings one member's lots up to today inside `tx`: closes those past their last day
    /// (expiring what is left, carrying yearly balances over), then makes this year's grants.
    pub async fn upkeep_in(&self, app: &AppState, tx: &mut Tx, member: i64) -> AppResult<()> {
        // A carried-over lot may itself have ended already (the first read is after its end).
        for _ in 0..3 {
            if !self.close_ended(tx, member).await? {
                break;
            }
        }
        self.grant_year(app, tx, member).await
    }

    /// Closes the lots past their last day; whether there were any.
    async fn close_ended(&self, tx: &mut Tx, member: i64) -> AppResult<bool> {
        let ended: Vec<(i64, String, String, i64, i64, i64, i64)> = tx
            .all(
                sql("SELECT id, leave_type, source, year, amount, used, expires_on FROM leave_lots \
                     WHERE member_id = $1 AND closed = FALSE AND expires_on > 0 AND expires_on < $2 ORDER BY expires_on, id")
                .bind(member)
                .bind(self.today_key()),
            )
            .await?;
        if ended.is_empty() {
            return Ok(false);
        }
        let mut carry: BTreeMap<(String, i64), i64> = BTreeMap::new();
        let mut debt: BTreeMap<String, i64> = BTreeMap::new();
        for (id, key, source, year, amount, used, expires_on) in ended {
            let left = amount - used;
            let closed = tx
                .exec(
                    sql("UPDATE leave_lots SET closed = TRUE, expired = $1 WHERE id = $2 AND closed = FALSE")
                        .bind(left.max(0))
                        .bind(id),
                )
                .await?;
            let Some(t) = self.get(&key) else { continue };
            if closed == 0 {
                continue;
            }
            if left > 0 {
                let note = match source.as_str() {
                    "grant" => format!("{year}年度额度到期"),
                    "carry_over" => format!("{}年度结转额度到期", year - 1),
                    _ => format!(
                        "{}到期",
                        date::format(date::from_key(expires_on).unwrap_or(self.today))
                    ),
                };
                self.ledger(tx, member, t, -left, "expire", "", &note, &Who::system())
                    .await?;
                if t.yearly()
                    && t.carry_over_max > 0
                    && matches!(source.as_str(), "grant" | "adjust")
                    && expires_on == year * 10_000 + 1231
                {
                    *carry.entry((key.clone(), year)).or_default() += left;
                }
            } else if left < 0 && t.limited() {
                *debt.entry(key.clone()).or_default() -= left;
            }
        }
        for ((key, year), left) in carry {
            let Some(t) = self.get(&key) else { continue };
            let amount = left.min(t.carry_over_max);
            let next = i16::try_from(year + 1).map_err(AppError::internal)?;
            let ends = quota::end_of_month(next, t.carry_over_months)
                .map(date::key)
                .unwrap_or(self.year_end());
            let made = self
                .insert_lot(
                    tx,
                    member,
                    &key,
                    "carry_over",
                    &format!("carry:{}", year + 1),
                    year + 1,
                    amount,
                    ends,
                )
                .await?;
            if made.is_some() {
                let note = format!(
                    "{year}年度结转，有效期至 {}",
                    date::format(date::from_key(ends).unwrap_or(self.today))
                );
                self.ledger(
                    tx,
                    member,
                    t,
                    amount,
                    "carry_over",
                    "",
                    &note,
                    &Who::system(),
                )
                .await?;
            }
        }
        // Use beyond a closed lot's balance stays owed: it moves to this year's use.
        for (key, owed) in debt {
            let lot = self.use_lot(tx, member, &key).await?;
            tx.exec(
                sql("UPDATE leave_lots SET used = used + $1 WHERE id = $2")
                    .bind(owed)
                    .bind(lot),
            )
            .await?;
        }
        Ok(true)
    }

    /// This year's grant of each enabled yearly type the member lacks.
    async fn grant_year(&self, app: &AppState, tx: &mut Tx, member: i64) -> AppResult<()> {
        let year = self.year();
        let key = format!("grant:{year}");
        let have: Vec<(String,)> = tx
            .all(
                sql("SELECT leave_type FROM leave_lots WHERE member_id = $1 AND lot_key = $2")
                    .bind(member)
                    .bind(&key),
            )
            .await?;
        let mut dates = None;
        for t in self.types.iter().filter(|t| t.enabled && t.yearly()) {
            if have.iter().any(|(k,)| *k == t.type_key) {
                continue;
            }
            let (amount, note) = match t.rule() {
                QuotaRule::AnnualByService => {
                    if dates.is_none() {
                        dates = Some(dates_of(app, self, member).await?);
                    }
                    let d = dates.as_ref().ok_or(ErrorKind::Internal)?;
                    annual_grant(t, year, d)
                }
                _ => (t.yearly_quota, format!("{year}年度额度")),
            };
            let made = self
                .insert_lot(
                    tx,
                    member,
                    &t.type_key,
                    "grant",
                    &key,
                    i64::from(year),
                    amount,
                    self.year_end(),
                )
                .await?;
            if made.is_some() && amount != 0 {
                self.ledger(tx, member, t, amount, "grant", "", &note, &Who::system())
                    .await?;
            }
        }
        Ok(())
    }

    /// Inserts a lot unless its key exists; its id when inserted.
    async fn insert_lot(
        &self,
        tx: &mut Tx,
        member: i64,
        key: &str,
        source: &str,
        lot_key: &str,
        year: i64,
        amount: i64,
        expires_on: i64,
    ) -> AppResult<Option<i64>> {
        let id = new_id(self.now);
        let n = tx
            .exec(
                sql("INSERT INTO leave_lots (id, corp_id, member_id, leave_type, source, lot_key, year, amount, expires_on, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (member_id, leave_type, lot_key) DO NOTHING")
                .bind(id)
                .bind(self.corp)
                .bind(member)
                .bind(key)
                .bind(source)
                .bind(lot_key)
                .bind(year)
                .bind(amount)
                .bind(expires_on)
                .bind(self.now),
            )
            .await?;
        Ok((n == 1).then_some(id))
    }

    /// This year's use lot of a type (what is taken beyond the lots, and all use of types without
    /// a balance), made when first needed.
    async fn use_lot(&self, tx: &mut Tx, member: i64, key: &str) -> AppResult<i64> {
        let lot_key = format!("use:{}", self.year());
        self.insert_lot(
            tx,
            member,
            key,
            "use",
            &lot_key,
            i64::from(self.year()),
            0,
            self.year_end(),
        )
        .await?;
        let (id,): (i64,) = tx
            .one(
                sql("SELECT id FROM leave_lots WHERE member_id = $1 AND leave_type = $2 AND lot_key = $3")
                    .bind(member)
                    .bind(key)
                    .bind(&lot_key),
            )
            .await?;
        Ok(id)
    }

    /// Writes a ledger row with the balance after the change; its id.
    pub async fn ledger(
        &self,
        tx: &mut Tx,
        member: i64,
        t: &TypeRow,
        delta: i64,
        cause: &str,
        sp_no: &str,
        note: &str,
        who: &Who,
    ) -> AppResult<i64> {
        let after = left_of(&mut *tx, member, &t.type_key).await?;
        let id = new_id(self.now);
        tx.exec(
            sql("INSERT INTO leave_ledger (id, corp_id, member_id, leave_type, delta, balance_after, cause, sp_no, note, actor_kind, actor_ref, actor_name, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(id)
            .bind(self.corp)
            .bind(member)
            .bind(&t.type_key)
            .bind(delta)
            .bind(after)
            .bind(cause)
            .bind(sp_no)
            .bind(note)
            .bind(who.kind)
            .bind(&who.id)
            .bind(&who.name)
            .bind(self.now),
        )
        .await?;
        Ok(id)
    }

    /// The member's open lots of a type with something left, locked for the change.
    async fn open_lots(&self, tx: &mut Tx, member: i64, key: &str) -> AppResult<Vec<Lot>> {
        let lock = tx.dialect().lock_update();
        let rows: Vec<(i64, i64, i64, i64)> = tx
            .all(
                sql(format!("SELECT id, amount, used, expires_on FROM leave_lots WHERE member_id = $1 AND leave_type = $2 AND closed = FALSE AND amount > used ORDER BY id{lock}"))
                    .bind(member)
                    .bind(key),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, amount, used, expires_on)| Lot {
                id,
                amount,
                used,
                expires_on,
            })
            .collect())
    }

    /// Takes an approved leave from the balance, the soonest-ending lots first; what the lots do
    /// not hold (and all of a type without a balance) is this year's use. Returns the lots taken
    /// from, for `restore`.
    pub async fn deduct(
        &self,
        tx: &mut Tx,
        member: i64,
        t: &TypeRow,
        amount: i64,
        sp_no: &str,
    ) -> AppResult<Vec<(i64, i64)>> {
        let lots = if t.limited() {
            self.open_lots(tx, member, &t.type_key).await?
        } else {
            Vec::new()
        };
        let (mut taken, rest) = quota::take(&lots, amount);
        if rest > 0 {
            taken.push((self.use_lot(tx, member, &t.type_key).await?, rest));
        }
        for (lot, m) in &taken {
            tx.exec(
                sql("UPDATE leave_lots SET used = used + $1 WHERE id = $2")
                    .bind(*m)
                    .bind(*lot),
            )
            .await?;
        }
        self.ledger(
            tx,
            member,
            t,
            -amount,
            "approval",
            sp_no,
            "",
            &Who::system(),
        )
        .await?;
        Ok(taken)
    }

    /// Gives back what `deduct` took. A lot that has closed since gets it back only to expire it.
    pub async fn restore(
        &self,
        tx: &mut Tx,
        member: i64,
        t: &TypeRow,
        taken: &[(i64, i64)],
        sp_no: &str,
    ) -> AppResult<()> {
        let mut lost = 0;
        let mut total = 0;
        for (lot, m) in taken {
            total += m;
            let closed: Option<(bool,)> = tx
                .opt(sql("SELECT closed FROM leave_lots WHERE id = $1").bind(*lot))
                .await?;
            match closed {
                Some((false,)) => {
                    tx.exec(
                        sql("UPDATE leave_lots SET used = used - $1 WHERE id = $2")
                            .bind(*m)
                            .bind(*lot),
                    )
                    .await?;
                }
                Some((true,)) => {
                    tx.exec(sql("UPDATE leave_lots SET used = used - $1, expired = expired + $1 WHERE id = $2").bind(*m).bind(*lot))
                        .await?;
                    lost += m;
                }
                None => lost += m,
            }
        }
        // What goes back to lots closed since is not given back: it would have expired with them.
        if lost > 0 {
            let kept = total - lost;
            self.ledger(tx, member, t, kept, "restore", sp_no, "", &Who::system())
                .await?;
            self.ledger(
                tx,
                member,
                t,
                0,
                "expire",
                sp_no,
                &format!(
                    "退回的 {}{} 已过期",
                    t.shown(lost),
                    unit_word(t.unit(), true)
                ),
                &Who::system(),
            )
            .await?;
        } else {
            self.ledger(tx, member, t, total, "restore", sp_no, "", &Who::system())
                .await?;
        }
        Ok(())
    }

    /// Credits comp time earned by an approved overtime: a lot of its own, lasting the type's
    /// months from the overtime's last day. Its id.
    pub async fn credit(
        &self,
        tx: &mut Tx,
        member: i64,
        t: &TypeRow,
        amount: i64,
        sp_no: &str,
        last_day: Date,
    ) -> AppResult<Option<i64>> {
        let ends = match t.expiry_months {
            0 => 0,
            m => quota::months_after(last_day, m).map(date::key).unwrap_or(0),
        };
        let made = self
            .insert_lot(
                tx,
                member,
                &t.type_key,
                "overtime",
                &format!("overtime:{sp_no}"),
                i64::from(last_day.year()),
                amount,
                ends,
            )
            .await?;
        if made.is_some() {
            let note = match ends {
                0 => String::new(),
                e => format!(
                    "有效期至 {}",
                    date::format(date::from_key(e).unwrap_or(last_day))
                ),
            };
            self.ledger(
                tx,
                member,
                t,
                amount,
                "overtime",
                sp_no,
                &note,
                &Who::system(),
            )
            .await?;
        }
        Ok(made)
    }

    /// Takes back the comp time of an overtime no longer approved (what was used of it stays owed).
    pub async fn uncredit(
        &self,
        tx: &mut Tx,
        member: i64,
        t: &TypeRow,
        lot: i64,
        sp_no: &str,
    ) -> AppResult<()> {
        let row: Option<(i64, bool)> = tx
            .opt(sql("SELECT amount, closed FROM leave_lots WHERE id = $1").bind(lot))
            .await?;
        let Some((amount, false)) = row else {
            return Ok(());
        };
        tx.exec(sql("UPDATE leave_lots SET amount = 0 WHERE id = $1").bind(lot))
            .await?;
        self.ledger(
            tx,
            member,
            t,
            -amount,
            "overtime",
            sp_no,
            "加班已撤销",
            &Who::system(),
        )
        .await?;
        Ok(())
    }

    /// An administrator's change of a balance by `delta` minutes. An addition is a lot of its own
    /// (ending with the year for yearly types, after the type's months for others); a deduction
    /// takes from the soonest-ending lots and may not go below zero. The ledger row's id.
    pub async fn adjust(
        &self,
        tx: &mut Tx,
        member: i64,
        t: &TypeRow,
        delta: i64,
        note: &str,
        who: &Who,
    ) -> AppResult<i64> {
        if !t.limited() {
            return Err(AppError::field("leave_type", FieldReason::Unsupported));
        }
        if delta > 0 {
            let ends = if t.yearly() {
                self.year_end()
            } else if t.expiry_months > 0 {
                quota::months_after(self.today, t.expiry_months)
                    .map(date::key)
                    .unwrap_or(0)
            } else {
                0
            };
            let lot_key = format!("adjust:{}", new_id(self.now));
            self.insert_lot(
                tx,
                member,
                &t.type_key,
                "adjust",
                &lot_key,
                i64::from(self.year()),
                delta,
                ends,
            )
            .await?;
        } else if delta < 0 {
            let lots = self.open_lots(tx, member, &t.type_key).await?;
            let (taken, rest) = quota::take(&lots, -delta);
            if rest > 0 {
                return Err(AppError::field("delta", FieldReason::InsufficientBalance));
            }
            for (lot, m) in taken {
                tx.exec(
                    sql("UPDATE leave_lots SET amount = amount - $1 WHERE id = $2")
                        .bind(m)
                        .bind(lot),
                )
                .await?;
            }
        }
        self.ledger(tx, member, t, delta, "adjust", "", note, who)
            .await
    }
}

/// What a member has left of a type: the open lots' amounts less their use.
pub async fn left_of(db: impl Into<Conn<'_>>, member: i64, key: &str) -> AppResult<i64> {
    let (left,): (Option<i64>,) = db
        .into()
        .one(
            sql("SELECT CAST(SUM(amount - used) AS BIGINT) FROM leave_lots WHERE member_id = $1 AND leave_type = $2 AND closed = FALSE")
                .bind(member)
                .bind(key),
        )
        .await?;
    Ok(left.unwrap_or(0))
}

/// What pending leave requests of a type hold.
pub async fn pending_of(db: impl Into<Conn<'_>>, member: i64, key: &str) -> AppResult<i64> {
    let (held,): (Option<i64>,) = db
        .into()
        .one(
            sql("SELECT CAST(SUM(amount) AS BIGINT) FROM leave_requests WHERE member_id = $1 AND leave_type = $2 AND kind = 'leave' AND state = 'pending'")
                .bind(member)
                .bind(key),
        )
        .await?;
    Ok(held.unwrap_or(0))
}

/// A balance of one type as the API shows it, in the type's unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balance {
    pub leave_type: String,
    pub name: String,
    /// day, half_day, hour.
    pub unit: String,
    pub quota_rule: String,
    /// What the open lots hold (this year's grant, carried over, earned, added); null for a type
    /// without a balance.
    pub granted: Option<f64>,
    /// Taken of them (for a type without a balance: taken this year).
    pub used: f64,
    /// null for a type without a balance; negative when more was approved than held.
    pub left: Option<f64>,
    /// Held by requests waiting for approval.
    pub pending: f64,
    /// The soonest last day of what is left ("YYYY-MM-DD"); null when nothing left ends.
    pub expires_on: Option<String>,
}

/// (member, type, amount, used, soonest end) of a member's open lots of a type.
type SumRow = (i64, String, Option<i64>, Option<i64>, Option<i64>);

/// The balances of each of `members` in each enabled type, as they are (call `upkeep` first).
pub async fn balances(
    db: &Database,
    book: &Book,
    members: &[i64],
) -> AppResult<HashMap<i64, Vec<Balance>>> {
    let mut sums: HashMap<(i64, String), (i64, i64, Option<i64>)> = HashMap::new();
    let mut held: HashMap<(i64, String), i64> = HashMap::new();
    for chunk in members.chunks(500) {
        let rows: Vec<SumRow> = db
            .all(
                sql("SELECT member_id, leave_type, CAST(SUM(amount) AS BIGINT), CAST(SUM(used) AS BIGINT), MIN(CASE WHEN expires_on > 0 AND amount > used THEN expires_on END) \
                     FROM leave_lots WHERE corp_id = $1 AND closed = FALSE AND member_id IN ")
                .bind(book.corp)
                .push_in(chunk.iter().copied())
                .push(" GROUP BY member_id, leave_type"),
            )
            .await?;
        for (m, k, amount, used, ends) in rows {
            sums.insert((m, k), (amount.unwrap_or(0), used.unwrap_or(0), ends));
        }
        let rows: Vec<(i64, String, Option<i64>)> = db
            .all(
                sql(
                    "SELECT member_id, leave_type, CAST(SUM(amount) AS BIGINT) FROM leave_requests \
                     WHERE corp_id = $1 AND kind = 'leave' AND state = 'pending' AND member_id IN ",
                )
                .bind(book.corp)
                .push_in(chunk.iter().copied())
                .push(" GROUP BY member_id, leave_type"),
            )
            .await?;
        for (m, k, amount) in rows {
            held.insert((m, k), amount.unwrap_or(0));
        }
    }
    let mut out = HashMap::new();
    for &m in members {
        let items = book
            .types
            .iter()
            .filter(|t| t.enabled)
            .map(|t| {
                let key = (m, t.type_key.clone());
                let (amount, used, ends) = sums.get(&key).cloned().unwrap_or((0, 0, None));
                let limited = t.limited();
                Balance {
                    leave_type: t.type_key.clone(),
                    name: t.name.clone(),
                    unit: t.unit().name().into(),
                    quota_rule: t.rule().name().into(),
                    granted: limited.then(|| t.shown(amount)),
                    used: t.shown(used),
                    left: limited.then(|| t.shown(amount - used)),
                    pending: t.shown(held.get(&key).copied().unwrap_or(0)),
                    expires_on: ends
                        .filter(|_| limited)
                        .and_then(date::from_key)
                        .map(date::format),
                }
            })
            .collect();
        out.insert(m, items);
    }
    Ok(out)
}

/// Who made a ledger row: a member or an app.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerActor {
    /// member or app.
    pub kind: String,
    /// A member's.
    pub userid: Option<String>,
    /// An app's.
    pub agentid: Option<i64>,
    pub name: String,
}

/// A change of a balance, in the type's unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerEntry {
    pub id: String,
    pub leave_type: String,
    pub name: String,
    pub unit: String,
    pub delta: f64,
    /// null for a type without a balance.
    pub balance_after: Option<f64>,
    /// grant, approval, restore, adjust, expire, carry_over, overtime.
    pub cause: String,
    /// The application behind it, if any.
    pub sp_no: String,
    pub note: String,
    /// null when the system made it (a rule, an approval).
    pub actor: Option<LedgerActor>,
    pub at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerPage {
    pub items: Vec<LedgerEntry>,
    /// Pass as `before` for the next (older) page; null at the end.
    pub next: Option<String>,
}

type LedgerRow = (
    i64,
    String,
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
);

/// A member's ledger, newest first: `limit` rows older than `before`, optionally of one type.
pub async fn ledger_page(
    db: &Database,
    book: &Book,
    member: i64,
    leave_type: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> AppResult<LedgerPage> {
    let mut q = sql("SELECT id, leave_type, delta, balance_after, cause, sp_no, note, actor_kind, actor_ref, actor_name, at FROM leave_ledger WHERE corp_id = $1 AND member_id = $2")
        .bind(book.corp)
        .bind(member);
    if let Some(k) = leave_type {
        q = q.push_bind(" AND leave_type = {}", k);
    }
    if let Some(b) = before {
        q = q.push_bind(" AND id < {}", b);
    }
    let rows: Vec<LedgerRow> = db
        .all(q.push_bind(" ORDER BY id DESC LIMIT {}", limit + 1))
        .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<LedgerEntry> = rows
        .into_iter()
        .take(limit as usize)
        .map(
            |(id, key, delta, after, cause, sp_no, note, akind, aref, aname, at)| {
                let t = book.get(&key);
                let shown = |m: i64| t.map_or(m as f64, |t| t.shown(m));
                LedgerEntry {
                    id: id.to_string(),
                    name: t.map(|t| t.name.clone()).unwrap_or_else(|| key.clone()),
                    unit: t.map_or("day", |t| t.unit().name()).into(),
                    delta: shown(delta),
                    balance_after: t.filter(|t| t.limited()).map(|t| t.shown(after)),
                    leave_type: key,
                    cause,
                    sp_no,
                    note,
                    actor: (akind != "system").then(|| LedgerActor {
                        userid: (akind == "member").then(|| aref.clone()),
                        agentid: (akind == "app").then(|| aref.parse().ok()).flatten(),
                        kind: akind,
                        name: aname,
                    }),
                    at,
                }
            },
        )
        .collect();
    let next = if more {
        items.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(LedgerPage { items, next })
}

/// The dates the annual rule reads for a member.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberDates {
    pub joined_on: Date,
    pub work_started_on: Date,
    /// Whether an administrator set them (else both are the day the member was added).
    pub set: bool,
}

pub async fn dates_of(app: &AppState, book: &Book, member: i64) -> AppResult<MemberDates> {
    let row: Option<(i64, i64)> = app
        .db
        .opt(
            sql("SELECT joined_on, work_started_on FROM leave_member_dates WHERE member_id = $1 AND corp_id = $2")
                .bind(member)
                .bind(book.corp),
        )
        .await?;
    if let Some((j, w)) = row
        && let (Some(joined_on), Some(work_started_on)) = (date::from_key(j), date::from_key(w))
    {
        return Ok(MemberDates {
            joined_on,
            work_started_on,
            set: true,
        });
    }
    let m = qixie_org::member::find_row_by_id(&app.db, book.corp, MemberId(member)).await?;
    let added = date::from_key(book.zone.date(m.created_at)).unwrap_or(book.today);
    Ok(MemberDates {
        joined_on: added,
        work_started_on: added,
        set: false,
    })
}

/// The annual grant of `year` and its ledger note.
pub fn annual_grant(t: &TypeRow, year: i16, d: &MemberDates) -> (i64, String) {
    let days = quota::annual_days(year, d.joined_on, d.work_started_on);
    let note = format!(
        "{year}年度额度（参加工作 {}，入职 {}）",
        date::format(d.work_started_on),
        date::format(d.joined_on)
    );
    (days * t.day_minutes, note)
}

/// After a member's dates change: this year's annual grant made again from them, the difference
/// a ledger row.
pub async fn regrant_annual(
    book: &Book,
    tx: &mut Tx,
    member: i64,
    d: &MemberDates,
) -> AppResult<()> {
    let year = book.year();
    for t in book
        .types
        .iter()
        .filter(|t| t.enabled && t.rule() == QuotaRule::AnnualByService)
    {
        let row: Option<(i64, i64, bool)> = tx
            .opt(
                sql("SELECT id, amount, closed FROM leave_lots WHERE member_id = $1 AND leave_type = $2 AND lot_key = $3")
                    .bind(member)
                    .bind(&t.type_key)
                    .bind(format!("grant:{year}")),
            )
            .await?;
        let Some((lot, before, false)) = row else {
            continue;
        };
        let (after, note) = annual_grant(t, year, d);
        if after == before {
            continue;
        }
        tx.exec(
            sql("UPDATE leave_lots SET amount = $1 WHERE id = $2")
                .bind(after)
                .bind(lot),
        )
        .await?;
        book.ledger(
            tx,
            member,
            t,
            after - before,
            "grant",
            "",
            &format!("日期变更，{note}"),
            &Who::system(),
        )
        .await?;
    }
    Ok(())
}

/// The unit's word, for messages.
pub fn unit_word(unit: Unit, zh: bool) -> &'static str {
    match (unit, zh) {
        (Unit::Hour, true) => "小时",
        (_, true) => "天",
        (Unit::Hour, false) => "hours",
        (_, false) => "days",
    }
}
