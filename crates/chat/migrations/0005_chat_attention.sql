-- Attention: when messages alert a member (working hours, do-not-disturb), what was held back while
-- they rested and the summary they get when work starts, urgent messages (加急) and their repeated
-- notifications, and automatic replies.

-- A member's settings; a member without a row has the defaults (Monday to Friday, 09:00–18:00 in the
-- enterprise's time zone, no do-not-disturb, no automatic reply).
CREATE TABLE chat_attention (
    member_id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    -- Working days as bits: Monday 1, Tuesday 2, … Sunday 64.
    work_days BIGINT NOT NULL DEFAULT 31,
    -- Minutes after local midnight; work_start < work_end.
    work_start BIGINT NOT NULL DEFAULT 540,
    work_end BIGINT NOT NULL DEFAULT 1080,
    dnd BOOLEAN NOT NULL DEFAULT FALSE,
    -- Do-not-disturb ends then; NULL: until turned off.
    dnd_until BIGINT,
    -- off | away | after_hours
    auto_reply TEXT NOT NULL DEFAULT 'off',
    auto_reply_text TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- Conversations with notifications held back from a member while they rest: one row per
-- conversation from the first held message on, until the summary is made.
CREATE TABLE chat_attention_held (
    member_id BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL,
    corp_id BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, conversation_id)
);

-- The summary waiting for a member: sent when it is made and on each new connection until the
-- member dismisses it or the next one replaces it.
CREATE TABLE chat_attention_digests (
    member_id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    -- JSON: the `digest` frame's body (docs/api/realtime.md).
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Urgent (加急) messages: one row per message and recipient while the recipient is being notified
-- again, and after, for the sender's list.
CREATE TABLE chat_urgent (
    event_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    corp_id BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    sender_id BIGINT NOT NULL,
    requested_at BIGINT NOT NULL,
    -- Notifications sent so far, and when the next one is due (NULL: finished).
    sent BIGINT NOT NULL DEFAULT 0,
    last_sent_at BIGINT,
    next_at BIGINT,
    -- When the recipient was found to have read it.
    read_at BIGINT,
    PRIMARY KEY (event_id, member_id)
);
CREATE INDEX ix_chat_urgent_due ON chat_urgent (event_id, next_at);

-- Every urgent notification sent.
CREATE TABLE chat_urgent_log (
    id BIGINT PRIMARY KEY,
    corp_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    -- 1 for the first notification, 2 for the first repeat, …
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX ix_chat_urgent_log_event ON chat_urgent_log (event_id, at);

-- Automatic replies sent: at most one per member, conversation and local calendar day (yyyymmdd).
CREATE TABLE chat_auto_replies (
    member_id BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    corp_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, conversation_id, day)
);
