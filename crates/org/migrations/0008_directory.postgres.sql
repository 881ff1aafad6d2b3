-- (PostgreSQL: the term column compares byte by byte, COLLATE "C", so that ranges are prefixes.)
-- Directory search terms: for each member, the strings a search may start with (the name and its
-- pinyin from each character on, the account, the mobile, the email, the employee number; mobile
-- and employee number also reversed behind a \u0001 mark, so their endings are prefixes too). A
-- search is a B-tree range over (corp_id, term): term >= q AND term < q || U+10FFFF. Maintained in
-- the transactions that write members; filled for existing members when this migration runs.
CREATE TABLE member_terms (
    corp_id BIGINT NOT NULL,
    term TEXT COLLATE "C" NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (corp_id, term, member_id)
);
CREATE INDEX ix_member_terms_member ON member_terms (member_id);

-- Pages of members are ordered by pinyin: an index in that order serves the first pages of large
-- listings without sorting them.
CREATE INDEX ix_members_sort ON members (corp_id, sort_key, id);

-- WeCom batch jobs: whether new members are to be invited, and where the job-finished event goes.
ALTER TABLE batch_jobs ADD COLUMN to_invite BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE batch_jobs ADD COLUMN callback_url TEXT NOT NULL DEFAULT '';

-- Temporary media expire after three days; the purge finds them by expiry.
CREATE INDEX ix_media_expires ON media (expires_at);
