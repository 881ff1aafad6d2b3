-- Quick replies (快捷回复): text snippets a member inserts with "/" in the composer. A member keeps
-- their own (member_id = the member); administrators keep the enterprise's (member_id = 0), which
-- every member of the enterprise sees.
CREATE TABLE chat_quick_replies (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL REFERENCES corps (id),
    member_id BIGINT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    -- SHA-256 of the text: one owner keeps each text once (the text itself may be too long to index).
    text_hash TEXT NOT NULL,
    -- Ascending; set by the owner's ordering, new snippets go last.
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_chat_quick_replies_text_hash ON chat_quick_replies (corp_id, member_id, text_hash);
CREATE INDEX ix_chat_quick_replies_owner ON chat_quick_replies (corp_id, member_id, position);
